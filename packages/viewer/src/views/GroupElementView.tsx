// The group element view of a known-group run (latent-action, flow-action): choose an image x of
// the run's data set and a group element g — an angle for SO(2), one of the n elements of C_n, a
// rotation in space for SO(3) (dragged with an arcball on the decoded image itself) — and see
// D(g, x), the model's x acted on by g, decoded live by the run's decoder (in the browser on WebGPU
// when it can), beside the orbit of x under a few elements of the group.
import { useSearchParams } from '@solidjs/router';
import { For, Show, createEffect, createMemo, createResource, createSignal, on, onCleanup, untrack } from 'solid-js';
import type { PairDatasetInfo } from '../api.ts';
import { ElementControl, PairImagePicker, usePairDataset } from '../components/pairs.tsx';
import { ROTATION_EXPECTATION, elementExpectation, formatElement, groupText, parseElement, parseRotation, type NumberGroup } from '../lib/groups.ts';
import { ImageCanvas } from '../components/images.tsx';
import { Arcball, formatRotation } from '../components/rotation.tsx';
import { IDENTITY, canonical, formatQuaternion, fromAxisAngle, viewToObject, type Quaternion } from '../lib/arcball.ts';
import { ErrorNote, LinkProblems, Loading, NotForThisRun } from '../components/status.tsx';
import { indexBelow, indexExpectation, problemsOf, readParam } from '../lib/link.ts';
import { runHref } from '../lib/routes.ts';
import { formatMs } from '../lib/format.ts';
import { useRun } from './run-context.tsx';
import { current } from '../lib/resource.ts';

/** The elements the orbit strip shows: 8 angles 45° apart, or every element of C_n (at most 12). */
function orbitElements(group: NumberGroup): number[] {
  if (group.kind === 'so2') return Array.from({ length: 8 }, (_, k) => (k * Math.PI) / 4);
  return Array.from({ length: Math.min(group.n, 12) }, (_, j) => j);
}

/** The sum of an image's pixels: a fingerprint of the decode, finer than the canvas's 8 bits (for tests and the curious). */
const pixelSum = (pixels: ArrayLike<number>) => Array.from(pixels).reduce((a, v) => a + v, 0).toFixed(6);

export function GroupElementView() {
  const run = useRun();
  const group = () => run.detail().summary.group ?? null;
  return (
    <main class="page group-element" aria-label="group element">
      <Show
        when={group()}
        keyed
        fallback={
          <NotForThisRun testId="element-unavailable" links={[{ href: runHref(run.id(), '/traversal'), label: 'Open its traversal' }]}>
            A {run.detail().summary.traits?.label ?? 'this'} run infers its code z from images: it takes no known group element. The traversal view sweeps its code.
          </NotForThisRun>
        }
      >
        {(g) => (g.kind === 'so3' ? <RotationPanel /> : <ElementPanel group={g} />)}
      </Show>
    </main>
  );
}

function ElementPanel(props: { group: NumberGroup }) {
  const run = useRun();
  const info = usePairDataset();
  const decoder = run.useDecoder();
  const [search, setSearch] = useSearchParams();
  const reads = createMemo(() => ({
    x: info() ? readParam('x', search.x, indexBelow(info()!.count), indexExpectation(info()!.count)) : { value: undefined, problem: null },
    g: readParam('g', search.g, (t) => parseElement(t, props.group), elementExpectation(props.group)),
  }));
  const pivot = () => reads().x.value ?? info()?.fixedPivot;
  // g as the link has it; a first element that visibly acts: a quarter turn, or one step of C_n.
  const g = () => reads().g.value ?? (props.group.kind === 'so2' ? Math.PI / 2 : 1);
  const change = (value: number) => setSearch({ g: props.group.kind === 'so2' ? value.toFixed(4) : value }, { replace: true });
  const [latency, setLatency] = createSignal<number | null>(null);
  const [live] = createResource(
    () => {
      const d = current(decoder);
      const x = pivot();
      return d && x !== undefined ? { d, x, g: g(), since: performance.now() } : false;
    },
    async (q) => {
      const [image] = await q.d.decode([[q.g]], q.x);
      return { image, g: q.g, since: q.since };
    },
  );
  const [orbit] = createResource(
    () => {
      const d = current(decoder);
      const x = pivot();
      return d && x !== undefined ? { d, x } : false;
    },
    async (q) => {
      const elements = orbitElements(props.group);
      return { elements, images: await q.d.decode(elements.map((e) => [e]), q.x) };
    },
  );
  const since = performance.now();
  return (
    <>
      <LinkProblems problems={problemsOf(reads().x, reads().g)} />
      <p class="muted">
        The run's model takes a known element g of {groupText(props.group)} and acts with ρ(g) on the varying part of x's latent: D(g, x) should show x{' '}
        {info()?.dataset === 'contrast' ? 'under the contrast setting moved by g' : 'turned by g'}. Choose an image and move g.
      </p>
      <Show when={info()} fallback={info.error ? <ErrorNote error={info.error} title="Could not load the run's data set" /> : <Loading since={since}>Loading the data set…</Loading>}>
        {(data) => (
          <section class="pickers" aria-label="image">
            <PairImagePicker run={run.id()} info={data()} label="Image" value={pivot()!} onChange={(i) => setSearch({ x: i })}>
              <span class="small">x</span>
            </PairImagePicker>
          </section>
        )}
      </Show>
      <section class="element-live" aria-label="x acted on by g">
        <ElementControl group={props.group} value={g()} onChange={change} label="g" />
        <Show when={!decoder.error && !live.error} fallback={<ErrorNote error={decoder.error ?? live.error} title="Decoding failed" />}>
          <Show when={live.latest} fallback={<Loading since={since}>Decoding…</Loading>}>
            {(l) => (
              <figure class="figure" data-testid="element-live" data-g={l().g} data-sum={pixelSum(l().image.pixels)} classList={{ stale: live.loading }}>
                <ImageCanvas image={l().image} size={192} label="D(g, x)" onDrawn={() => setLatency(performance.now() - l().since)} />
                <figcaption class="mono small">
                  D(g, x), {formatElement(props.group, l().g)}
                </figcaption>
              </figure>
            )}
          </Show>
          <p class="muted small" data-testid="latency">
            {latency() === null ? '' : `last update ${formatMs(latency()!)} (${current(decoder)?.kind === 'webgpu' ? 'in this browser' : 'via the server'})`}
          </p>
        </Show>
      </section>
      <section aria-labelledby="orbit-title">
        <h2 id="orbit-title">The orbit of x</h2>
        <Show when={orbit.latest} fallback={orbit.error ? <ErrorNote error={orbit.error} title="Decoding failed" /> : <Loading since={since}>Decoding…</Loading>}>
          {(o) => (
            <div class="orbit" data-testid="orbit" classList={{ stale: orbit.loading }}>
              <For each={o().images}>
                {(image, i) => (
                  <figure class="figure">
                    <ImageCanvas image={image} size={72} label={`D(g, x) at ${formatElement(props.group, o().elements[i()])}`} />
                    <figcaption class="mono small">{formatElement(props.group, o().elements[i()]).split(' (')[0]}</figcaption>
                  </figure>
                )}
              </For>
            </div>
          )}
        </Show>
      </section>
    </>
  );
}

/** The image picker of a pair run, once its data set has loaded. */
function ImageChoice(props: { info: PairDatasetInfo | undefined; error: unknown; value: number | undefined; onChange: (index: number) => void; since: number }) {
  const run = useRun();
  return (
    <Show when={props.info} fallback={props.error ? <ErrorNote error={props.error} title="Could not load the run's data set" /> : <Loading since={props.since}>Loading the data set…</Loading>}>
      {(data) => (
        <section class="pickers" aria-label="image">
          <PairImagePicker run={run.id()} info={data()} label="Image" value={props.value!} onChange={props.onChange}>
            <span class="small">x</span>
          </PairImagePicker>
        </section>
      )}
    </Show>
  );
}

/** Turns about the screen's vertical axis in 45° steps, for the orbit strip of an SO(3) run. */
const ORBIT_TURNS = Array.from({ length: 8 }, (_, k) => ({ degrees: 45 * k, view: canonical(fromAxisAngle([0, 1, 0], (k * Math.PI) / 4)) }));

/**
 * An SO(3) run: g is a rotation in space, set by dragging the decoded image (an arcball in the
 * camera's frame, so the object follows the pointer), and D(g, x) is decoded on every move.
 */
function RotationPanel() {
  const run = useRun();
  const info = usePairDataset();
  const decoder = run.useDecoder();
  const [search, setSearch] = useSearchParams();
  const reads = createMemo(() => ({
    x: info() ? readParam('x', search.x, indexBelow(info()!.count), indexExpectation(info()!.count)) : { value: undefined, problem: null },
    g: readParam('g', search.g, parseRotation, ROTATION_EXPECTATION),
  }));
  const pivot = () => reads().x.value ?? info()?.fixedPivot;
  const camera = () => {
    const d = info();
    return d && 'camera' in d ? (d.camera as Quaternion) : undefined;
  };
  // A first g that visibly acts: a quarter turn about the vertical axis. The drag moves g at every
  // pointer move and the link at a walk; a g the link changes to (Back, an edited address) is taken.
  const [g, setG] = createSignal<Quaternion>(untrack(() => reads().g.value) ?? canonical(fromAxisAngle([0, 1, 0], Math.PI / 2)));
  createEffect(
    on(
      () => reads().g.value,
      (linked) => linked && linked.some((v, i) => Math.abs(v - untrack(g)[i]) > 1e-5) && setG(linked),
      { defer: true },
    ),
  );
  // The URL follows the drag at a walk, not at every pointer move.
  let urlTimer: ReturnType<typeof setTimeout> | undefined;
  onCleanup(() => clearTimeout(urlTimer));
  const change = (q: Quaternion) => {
    // A pointer-up where the last move was would decode the same g again.
    if (q.every((v, i) => v === g()[i])) return;
    setG(q);
    clearTimeout(urlTimer);
    urlTimer = setTimeout(() => setSearch({ g: formatQuaternion(q, 6) }, { replace: true }), 250);
  };
  const [latency, setLatency] = createSignal<number | null>(null);
  /** A rotation's image is on screen: the time since g changed (a measure for the bench, too). */
  const drawn = (since: number) => {
    const end = performance.now();
    setLatency(end - since);
    performance.measure('maga:rotation-to-image', { start: since, end, detail: { decoder: current(decoder)?.kind } });
  };
  const [live] = createResource(
    () => {
      const d = current(decoder);
      const x = pivot();
      return d && x !== undefined ? { d, x, g: g(), since: performance.now() } : false;
    },
    async (q) => {
      const [image] = await q.d.decode([[...q.g]], q.x);
      return { image, g: q.g, since: q.since };
    },
  );
  const [orbit] = createResource(
    () => {
      const d = current(decoder);
      const x = pivot();
      return d && x !== undefined && info() ? { d, x, camera: camera() } : false;
    },
    async (q) => {
      const elements = ORBIT_TURNS.map((t) => viewToObject(t.view, q.camera));
      return { images: await q.d.decode(elements.map((e) => [...e]), q.x) };
    },
  );
  const since = performance.now();
  return (
    <>
      <p class="muted">
        The run's model takes a known rotation g ∈ SO(3), a unit quaternion, and acts with ρ(g) on the varying part of x's latent: D(g, x) should show the object of x turned
        by g in space. Drag the decoded image to turn it (an arcball: the object follows the pointer; dragging back returns where you began), or use the arrow keys.
      </p>
      <LinkProblems problems={problemsOf(reads().x, reads().g)} />
      <ImageChoice info={info()} error={info.error} value={pivot()} onChange={(i) => setSearch({ x: i })} since={since} />
      <section class="element-live" aria-label="x acted on by g">
        <div class="element-control">
          <span>g</span> <span class="mono" data-testid="rotation-text">{formatRotation(g())}</span>{' '}
          <button type="button" onClick={() => change(IDENTITY)}>
            Reset to e
          </button>
        </div>
        <Show when={!decoder.error && !live.error} fallback={<ErrorNote error={decoder.error ?? live.error} title="Decoding failed" />}>
          <Show when={live.latest} fallback={<Loading since={since}>Decoding…</Loading>}>
            {(l) => (
              <figure class="figure" data-testid="element-live" data-g={l().g.join(',')} data-sum={pixelSum(l().image.pixels)} classList={{ stale: live.loading }}>
                <Arcball value={g()} onChange={change} camera={camera()} label="g">
                  <ImageCanvas image={l().image} size={256} label="D(g, x)" onDrawn={() => drawn(l().since)} />
                </Arcball>
                <figcaption class="mono small">
                  D(g, x), g = ({l().g.map((v) => v.toFixed(3)).join(', ')})
                </figcaption>
              </figure>
            )}
          </Show>
          <p class="muted small" data-testid="latency">
            {latency() === null ? '' : `last update ${formatMs(latency()!)} (${current(decoder)?.kind === 'webgpu' ? 'in this browser' : 'via the server'})`}
          </p>
        </Show>
      </section>
      <section aria-labelledby="orbit-title">
        <h2 id="orbit-title">The orbit of x about the vertical axis</h2>
        <Show when={orbit.latest} fallback={orbit.error ? <ErrorNote error={orbit.error} title="Decoding failed" /> : <Loading since={since}>Decoding…</Loading>}>
          {(o) => (
            <div class="orbit" data-testid="orbit" classList={{ stale: orbit.loading }}>
              <For each={o().images}>
                {(image, i) => (
                  <figure class="figure">
                    <ImageCanvas image={image} size={72} label={`D(g, x), g a turn of ${ORBIT_TURNS[i()].degrees}° about the screen's vertical axis`} />
                    <figcaption class="mono small">{ORBIT_TURNS[i()].degrees}°</figcaption>
                  </figure>
                )}
              </For>
            </div>
          )}
        </Show>
      </section>
    </>
  );
}
