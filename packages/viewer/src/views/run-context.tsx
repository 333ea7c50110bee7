// A run's page shares, with every view of that run, its details (polled while it trains), its
// images' description, an API client whose requests die with the page, and one decoder — in the
// browser on WebGPU when possible, else the server — loaded once per run. All of it belongs to the
// run: RunLayout makes a new state for each run id it shows and disposes the old one (its decoder,
// its requests) before the new run's views read anything, so a view never sees another run's model.
import { createContext, createMemo, createResource, createSignal, onCleanup, untrack, useContext, type Accessor, type Resource } from 'solid-js';
import type { DatasetEntry, Group } from '@maga/model';
import { isAbort, scopedApi, type Api, type RunDatasetInfo, type RunDetail } from '../api.ts';
import { useRegistries } from '../context.tsx';
import type { Decoder } from '../decoding/decoder.ts';
import { openDecoder, type DecoderChoice } from '../decoding/open.ts';

export interface RunState {
  /** The run's id: fixed for the life of this state. */
  id: Accessor<string>;
  detail: Accessor<RunDetail>;
  /** The API client of this run's page: its requests are aborted when the page goes. */
  api: Api;
  /** `GET /api/runs/:id/dataset`: the images this run's routes address by index. */
  dataset: Resource<RunDatasetInfo>;
  /**
   * The run's known group, from the group registry (null: the model infers a learned z; undefined
   * while the registry loads, or when it failed: `registryError`).
   */
  group(): Group | null | undefined;
  /** The run's data set entry from the DATASETS registry (undefined while it loads, or unknown: `registryError`). */
  entry(): DatasetEntry | undefined;
  registryError(): unknown;
  /** The decoder, loading it the first time a view asks. */
  useDecoder(): Resource<Decoder>;
  decoderWanted: Accessor<boolean>;
  decoderStage: Accessor<string>;
  /** When the decoder began loading (for the elapsed time), or null. */
  decoderSince: Accessor<number | null>;
  /** The run's step when the decoder's checkpoint was fetched. */
  decoderStep: Accessor<number | null>;
  /** Fetches the checkpoint again (the run has trained further). */
  reloadDecoder(): void;
  choice: Accessor<DecoderChoice>;
  /** Chooses where to decode; `remember: false` for a choice made by a link, kept for this page only. */
  setChoice(choice: DecoderChoice, options?: { remember?: boolean }): void;
}

const RunContext = createContext<RunState>();

export function useRun(): RunState {
  const run = useContext(RunContext);
  if (!run) throw new Error('useRun outside a run page');
  return run;
}

const CHOICE_KEY = 'maga.viewer.decoder';

function storedChoice(): DecoderChoice | null {
  try {
    const v = localStorage.getItem(CHOICE_KEY);
    return v === 'server' || v === 'auto' ? v : null;
  } catch {
    return null;
  }
}

/**
 * The state of one run's page (call it under the owner that lives as long as the page: its
 * cleanup aborts the run's requests and disposes its decoder). `detail` is the run's details,
 * undefined until they load; the views, shown only after that, read them loaded.
 */
export function createRunState(api: Api, id: string, detail: Accessor<RunDetail | undefined>, initialChoice: DecoderChoice | null): RunState {
  const controller = new AbortController();
  const runApi = scopedApi(api, controller.signal);
  const [wanted, setWanted] = createSignal(false);
  const [choice, setChoiceSignal] = createSignal<DecoderChoice>(initialChoice ?? storedChoice() ?? 'auto');
  // Who chose the server, for the indicator: a link (?decoder=server) or the menu.
  let chosenBy = initialChoice ? 'the link' : 'you';
  const [stage, setStage] = createSignal('');
  const [since, setSince] = createSignal<number | null>(null);
  const [generation, setGeneration] = createSignal(0);
  const [decoderStep, setDecoderStep] = createSignal<number | null>(null);
  // Asked once the run is known to exist (an unknown run is one 404, not two).
  const [dataset] = createResource(
    () => (detail() ? id : false),
    (runId) => runApi.runDataset(runId),
  );
  // The run's group and data set, asked of the model package's registries (loaded on first use).
  const registries = useRegistries();
  const facts = createMemo(() => {
    registries.want();
    const r = registries.resource.error === undefined ? registries.resource.latest : undefined;
    const summary = detail()?.summary;
    if (!r || !summary) return { group: undefined, entry: undefined, error: registries.resource.error };
    try {
      return { group: summary.group ? r.groupOfRun(summary.group.label) : null, entry: summary.dataset ? r.datasetOfRun(summary.dataset) : undefined, error: undefined };
    } catch (e) {
      return { group: undefined, entry: undefined, error: e };
    }
  });
  // Keyed on choice and explicit reloads only: polling brings new detail objects that must not
  // reload the checkpoint.
  const key = createMemo(() => (wanted() ? `${choice()}\u0000${generation()}` : false));
  let current: Decoder | null = null;
  let disposed = false;
  const [decoder] = createResource(key, async () => {
    const run = untrack(detail);
    if (!run) throw new Error(`run '${id}' has not loaded`);
    setDecoderStep(run.summary.step);
    setSince(performance.now());
    const opened = await openDecoder({ api: runApi, run, choice: untrack(choice), chosenBy, onStage: setStage });
    if (disposed) {
      // The page went while the decoder loaded: nothing will use it.
      opened.dispose();
      throw Object.assign(new Error(`the decoder of run '${id}' is no longer needed`), { name: 'AbortError' });
    }
    if (opened.run !== id) throw new Error(`a decoder of run '${opened.run}' was opened for run '${id}'`);
    // The previous decoder (another choice, an older checkpoint of this run) serves the views
    // until this one is ready; then its memory goes.
    const previous = current;
    current = opened;
    previous?.dispose();
    setStage('');
    setSince(null);
    return opened;
  });
  onCleanup(() => {
    disposed = true;
    controller.abort();
    current?.dispose();
    current = null;
  });
  return {
    id: () => id,
    detail: () => detail()!,
    api: runApi,
    dataset,
    group: () => facts().group,
    entry: () => facts().entry,
    registryError: () => facts().error,
    useDecoder() {
      setWanted(true);
      return decoder;
    },
    decoderWanted: wanted,
    decoderStage: stage,
    decoderSince: since,
    decoderStep,
    reloadDecoder: () => setGeneration((g) => g + 1),
    choice,
    setChoice(c, options) {
      chosenBy = options?.remember === false ? 'the link' : 'you';
      setChoiceSignal(c);
      if (options?.remember === false) return;
      try {
        localStorage.setItem(CHOICE_KEY, c);
      } catch {
        // storage may be off (private windows): the choice still holds for this page
      }
    },
  };
}

/** An error worth showing: not a request aborted because its view went or asked again. */
export const shown = (e: unknown) => (isAbort(e) ? undefined : e);

export { RunContext };
