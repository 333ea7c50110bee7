// The pieces of the views for runs of known-group (pair) models: the run's own images (its data
// set, from the API's per-run routes) and a picker over its test and train sources (the control
// for a group element is components/element-controls.tsx).
import { useSearchParams } from '@solidjs/router';
import { Show, createResource, createSignal, type JSX } from 'solid-js';
import type { RunDatasetInfo } from '../api.ts';
import { describeImage, mapFactors } from '../lib/map-factors.ts';

import { useApi } from '../context.tsx';
import { useRun } from '../views/run-context.tsx';
import { current } from '../lib/resource.ts';
import { PickerFrame, SampleThumbs } from './samples.tsx';
import { ErrorNote, Loading } from './status.tsx';
import type { Group } from '@maga/model';
import type { Quaternion } from '../lib/arcball.ts';
import { indexBelow, indexExpectation, readParam } from '../lib/link.ts';

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
    <PickerFrame
      label={props.label}
      value={props.value}
      description={description()}
      image={<RunImage run={props.run} index={props.value} size={96} label={`${props.label}: image ${props.value}, ${description()}`} />}
      chooser={
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
      }
    >
      {props.children}
    </PickerFrame>
  );
}

function PairSamples(props: { run: string; info: RunDatasetInfo | undefined; current: number; onChoose: (index: number) => void }) {
  const api = useApi();
  const run = useRun();
  return (
    <SampleThumbs
      class="chooser-panel samples"
      key={props.run}
      load={(part, seed) => api.runSamples(props.run, { part, seed, count: 24 })}
      describe={(s) => describePairFactors(props.info, s.factors)}
      heldOut={`held-out ${run.entry()?.sources ?? 'sources'}`}
      current={props.current}
      onChoose={props.onChoose}
    />
  );
}

/**
 * The image x a known-group view acts on: `x` from the link (an index of the run's images; the
 * set's fixed pivot when absent), the 3-D sets' camera (images show camera·g·object), and its
 * picker, shown once the run's data set has loaded.
 */
export function useImageX() {
  const run = useRun();
  const info = useRunDataset();
  const [search, setSearch] = useSearchParams();
  const read = () => (info() ? readParam('x', search.x, indexBelow(info()!.count), indexExpectation(info()!.count)) : { value: undefined, problem: null });
  const value = () => read().value ?? info()?.fixedPivot;
  const camera = () => {
    const d = info();
    return d && 'camera' in d ? (d.camera as unknown as Quaternion) : undefined;
  };
  const since = performance.now();
  const Picker = () => (
    <Show when={info()} fallback={info.error ? <ErrorNote error={info.error} title="Could not load the run's data set" /> : <Loading since={since}>Loading the data set…</Loading>}>
      {(data) => (
        <PairImagePicker run={run.id()} info={data()} label="Image" value={value()!} onChange={(i) => setSearch({ x: i })}>
          <span class="small">x</span>
        </PairImagePicker>
      )}
    </Show>
  );
  return { info, read, value, camera, Picker };
}

/** The run's known group from the group registry, once it has loaded, for `children`; a note where the registry does not know it. */
export function WithRunGroup(props: { children: (group: Group) => JSX.Element }) {
  const run = useRun();
  return (
    <Show when={run.registryError() === undefined} fallback={<ErrorNote error={run.registryError()} title="The run's group is not known to this viewer" />}>
      <Show when={run.group()} keyed fallback={<Loading>Loading the group…</Loading>}>
        {(group) => props.children(group)}
      </Show>
    </Show>
  );
}
