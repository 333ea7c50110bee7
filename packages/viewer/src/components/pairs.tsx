// The pieces of the views for runs of known-group (pair) models: the run's own images (its data
// set, from the API's per-run routes), a picker over its test and train sources, and the control
// for a group element g — an angle slider for SO(2), the n elements of C_n as buttons (SO(3)'s
// rotations have their arcball, components/rotation.tsx).
import { For, Show, createResource, createSignal, type JSX } from 'solid-js';
import type { PairDatasetInfo, PairImage } from '../api.ts';
import { formatElement, type NumberGroup } from '../lib/groups.ts';
import { describeImage, mapFactors } from '../lib/map-factors.ts';

import { useApi } from '../context.tsx';
import { useRun } from '../views/run-context.tsx';
import { decodeImage } from '../lib/images.ts';
import { ImageCanvas } from './images.tsx';
import { current } from '../lib/resource.ts';
import { ErrorNote, Loading } from './status.tsx';

/** An image's factor values in words, as the latent map's legend writes them (angles in degrees). */
export function describePairFactors(info: PairDatasetInfo | undefined, factors: object | undefined): string {
  return info ? describeImage(mapFactors(info), factors) : '';
}

/** What a pair data set's sources are, in words. */
const sourceNoun = (dataset: string | undefined) => (dataset === 'contrast' ? 'phantoms' : dataset === 'objects3d' ? 'objects' : dataset === 'planes-sky' ? 'scenes' : 'digits');

/**
 * The description of a pair run's data set, from its run page (fetched once per run): undefined
 * while it loads, when it failed (`.error` says why) or when the run's images are not pairs.
 */
export function usePairDataset() {
  const run = useRun();
  const info = (): PairDatasetInfo | undefined => {
    if (run.dataset.error !== undefined) return undefined;
    const d = run.dataset.latest;
    return d?.kind === 'pairs' ? d : undefined;
  };
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
export function PairImagePicker(props: { run: string; info: PairDatasetInfo | undefined; label: string; value: number; onChange: (index: number) => void; children?: JSX.Element }) {
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

function PairSamples(props: { run: string; info: PairDatasetInfo | undefined; current: number; onChoose: (index: number) => void }) {
  const api = useApi();
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
            <option value="test">test (held-out {sourceNoun(props.info?.dataset)})</option>
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

/**
 * A group element g: for SO(2) an angle slider in degrees (g in radians), for C_n a button per
 * element j = 0 … n − 1.
 */
export function ElementControl(props: { group: NumberGroup; value: number; onChange: (g: number) => void; label: string; testId?: string }) {
  return (
    <Show
      when={props.group.kind === 'cyclic' ? (props.group as { kind: 'cyclic'; n: number }) : null}
      fallback={
        <label class="element-control">
          <span>{props.label}</span>{' '}
          <input
            type="range"
            min={0}
            max={359}
            step={1}
            value={Math.round((props.value * 180) / Math.PI)}
            data-testid={props.testId ?? 'element-angle'}
            aria-label={`${props.label} (degrees)`}
            onInput={(e) => props.onChange((Number(e.currentTarget.value) * Math.PI) / 180)}
          />{' '}
          <span class="mono">{formatElement(props.group, props.value)}</span>
        </label>
      }
    >
      {(cyclic) => (
        <div class="element-control">
          <span>{props.label}</span>{' '}
          <div class="segmented" role="group" aria-label={props.label} data-testid={props.testId ?? 'element-buttons'}>
            <For each={Array.from({ length: cyclic().n }, (_, j) => j)}>
              {(j) => (
                <button type="button" aria-pressed={props.value === j} onClick={() => props.onChange(j)}>
                  {j === 0 ? 'e' : `g${j === 1 ? '' : superscript(j)}`}
                </button>
              )}
            </For>
          </div>{' '}
          <span class="mono small">{formatElement(props.group, props.value)}</span>
        </div>
      )}
    </Show>
  );
}

const SUPERSCRIPTS = '⁰¹²³⁴⁵⁶⁷⁸⁹';
const superscript = (n: number) => String(n).replace(/[0-9]/g, (d) => SUPERSCRIPTS[Number(d)]);
