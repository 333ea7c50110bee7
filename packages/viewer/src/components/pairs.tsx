// The pieces of the views for runs of known-group (pair) models: the run's own images (its data
// set, from the API's per-run routes) and a picker over its test and train sources (the control
// for a group element is components/element-controls.tsx).
import { For, Show, createResource, createSignal, type JSX } from 'solid-js';
import type { RunDatasetInfo, PairImage } from '../api.ts';
import { describeImage, mapFactors } from '../lib/map-factors.ts';

import { useApi } from '../context.tsx';
import { useRun } from '../views/run-context.tsx';
import { decodeImage } from '../lib/images.ts';
import { ImageCanvas } from './images.tsx';
import { current } from '../lib/resource.ts';
import { ErrorNote, Loading } from './status.tsx';

/** An image's factor values in words, as the latent map's legend writes them (angles in degrees). */
export function describePairFactors(info: RunDatasetInfo | undefined, factors: object | undefined): string {
  return info ? describeImage(mapFactors(info), factors) : '';
}


/**
 * The description of the run's images, from its run page (fetched once per run): undefined while
 * it loads or when it failed (`.error` says why).
 */
export function useRunDataset() {
  const run = useRun();
  const info = (): RunDatasetInfo | undefined => (run.dataset.error !== undefined ? undefined : run.dataset.latest);
  return Object.assign(info, {
    get error(): unknown {
      return run.dataset.error;
    },
  });
}

/** An image of the run's data set by index, as the server renders it. */
export function RunImage(props: { run: string; index: number; size?: number; label?: string }) {
  const api = useApi();
  return (
    <img
      class="pixels"
      src={api.runImagePngUrl(props.run, props.index)}
      alt={props.label ?? `image ${props.index}`}
      width={props.size ?? 96}
      height={props.size ?? 96}
      draggable={false}
    />
  );
}

/** A chosen image of the run with its factors, and thumbnails of its test (or train) sources to choose another. */
export function PairImagePicker(props: { run: string; info: RunDatasetInfo | undefined; label: string; value: number; onChange: (index: number) => void; children?: JSX.Element }) {
  const api = useApi();
  const [image] = createResource(
    () => ({ run: props.run, index: props.value }),
    (q) => api.runImage(q.run, q.index),
  );
  const [open, setOpen] = createSignal(false);
  const description = () => describePairFactors(props.info, current(image)?.factors);
  return (
    <div class="picker" data-testid={`picker-${props.label.toLowerCase().replace(/\W+/g, '-')}`}>
      <RunImage run={props.run} index={props.value} size={96} label={`${props.label}: image ${props.value}, ${description()}`} />
      <div class="picker-body">
        <div class="picker-title">
          <strong>{props.label}</strong> <span class="muted">#{props.value}</span>
        </div>
        <div class="muted small">{description()}</div>
        {props.children}
        <details class="chooser" open={open()} onToggle={(e) => setOpen(e.currentTarget.open)}>
          <summary>Choose {props.label.toLowerCase()}…</summary>
          <Show when={open()}>
            <PairSamples
              run={props.run}
              info={props.info}
              current={props.value}
              onChoose={(i) => {
                props.onChange(i);
                setOpen(false);
              }}
            />
          </Show>
        </details>
      </div>
    </div>
  );
}

function PairSamples(props: { run: string; info: RunDatasetInfo | undefined; current: number; onChoose: (index: number) => void }) {
  const api = useApi();
  const run = useRun();
  const [part, setPart] = createSignal<'test' | 'train'>('test');
  const [seed, setSeed] = createSignal(0);
  const [samples] = createResource(
    () => ({ run: props.run, part: part(), seed: seed() }),
    (q) => api.runSamples(q.run, { part: q.part, seed: q.seed, count: 24 }).then((list: PairImage[]) => list.map((s) => ({ ...s, decoded: decodeImage(s.image) }))),
  );
  return (
    <div class="chooser-panel samples">
      <div class="row gap">
        <label>
          Part{' '}
          <select value={part()} onChange={(e) => setPart(e.currentTarget.value as 'test' | 'train')}>
            <option value="test">test (held-out {run.entry()?.sources ?? 'sources'})</option>
            <option value="train">train</option>
          </select>
        </label>
        <button type="button" onClick={() => setSeed((s) => s + 1)}>
          Shuffle
        </button>
      </div>
      <Show when={!samples.error} fallback={<ErrorNote error={samples.error} title="Could not load samples" />}>
        <Show when={samples.latest} fallback={<Loading>Loading samples…</Loading>}>
          <div class="thumbs" classList={{ stale: samples.loading }}>
            <For each={samples.latest}>
              {(s) => (
                <button
                  type="button"
                  class="thumb"
                  classList={{ selected: s.index === props.current }}
                  aria-label={`image ${s.index}: ${describePairFactors(props.info, s.factors)}`}
                  title={`#${s.index}: ${describePairFactors(props.info, s.factors)}`}
                  onClick={() => props.onChoose(s.index)}
                >
                  <ImageCanvas image={s.decoded} label="" size={48} />
                </button>
              )}
            </For>
          </div>
        </Show>
      </Show>
    </div>
  );
}
