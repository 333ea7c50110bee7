// A run's page shares its details (polled while it trains) and, for the views that decode, one
// decoder — in the browser on WebGPU when possible, else the server — loaded once per run.
import { createContext, createMemo, createResource, createSignal, onCleanup, untrack, useContext, type Accessor, type Resource } from 'solid-js';
import type { RunDetail } from '../api.ts';
import { useApi } from '../context.tsx';
import type { Decoder } from '../decoding/decoder.ts';
import { openDecoder, type DecoderChoice } from '../decoding/open.ts';

export interface RunState {
  id: Accessor<string>;
  detail: Accessor<RunDetail | undefined>;
  /** The decoder, loading it the first time a view asks. */
  useDecoder(): Resource<Decoder>;
  decoderWanted: Accessor<boolean>;
  decoderStage: Accessor<string>;
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

export function createRunState(id: Accessor<string>, detail: Accessor<RunDetail | undefined>, initialChoice: DecoderChoice | null): RunState {
  const api = useApi();
  const [wanted, setWanted] = createSignal(false);
  const [choice, setChoiceSignal] = createSignal<DecoderChoice>(initialChoice ?? storedChoice() ?? 'auto');
  // Who chose the server, for the indicator: a link (?decoder=server) or the menu.
  let chosenBy = initialChoice ? 'the link' : 'you';
  const [stage, setStage] = createSignal('');
  const [generation, setGeneration] = createSignal(0);
  const [decoderStep, setDecoderStep] = createSignal<number | null>(null);
  // Ready once the details are this run's (after navigating between runs they lag behind the id).
  const ready = createMemo(() => detail()?.summary.id === id());
  // Keyed on run, choice and explicit reloads only: polling brings new detail objects that must
  // not reload the checkpoint.
  const key = createMemo(() => (wanted() && ready() ? `${choice()}\u0000${id()}\u0000${generation()}` : false));
  let current: Decoder | null = null;
  const [decoder] = createResource(key, async () => {
    const run = untrack(detail)!;
    setDecoderStep(run.summary.step);
    const opened = await openDecoder({ api, run, choice: untrack(choice), chosenBy, onStage: setStage });
    // The previous decoder serves the views until this one is ready; then its memory goes.
    const previous = current;
    current = opened;
    previous?.dispose();
    setStage('');
    return opened;
  });
  onCleanup(() => current?.dispose());
  return {
    id,
    detail,
    useDecoder() {
      setWanted(true);
      return decoder;
    },
    decoderWanted: wanted,
    decoderStage: stage,
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

export { RunContext };
