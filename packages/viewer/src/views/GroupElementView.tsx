// The group element view of a known-group run (latent-action, flow-action): choose an image x of
// the run's data set and a group element g — an angle for SO(2), one of the n elements of C_n —
// and see D(g, x), the model's x acted on by g, decoded live by the run's decoder (in the browser
// on WebGPU when it can), beside the orbit of x under a few elements of the group.
import { useSearchParams } from '@solidjs/router';
import { For, Show, createMemo, createResource, createSignal } from 'solid-js';
import type { RunGroup } from '../api.ts';
import { ElementControl, PairImagePicker, formatElement, groupText, parseElement, usePairDataset } from '../components/pairs.tsx';
import { ImageCanvas } from '../components/images.tsx';
import { ErrorNote, Loading } from '../components/status.tsx';
import { formatMs } from '../lib/format.ts';
import { parseIndex } from '../lib/params.ts';
import { useRun } from './run-context.tsx';

/** The elements the orbit strip shows: 8 angles 45° apart, or every element of C_n (at most 12). */
function orbitElements(group: RunGroup): number[] {
  if (group.kind === 'so2') return Array.from({ length: 8 }, (_, k) => (k * Math.PI) / 4);
  return Array.from({ length: Math.min(group.n, 12) }, (_, j) => j);
}

/** The sum of an image's pixels: a fingerprint of the decode, finer than the canvas's 8 bits (for tests and the curious). */
const pixelSum = (pixels: ArrayLike<number>) => Array.from(pixels).reduce((a, v) => a + v, 0).toFixed(6);

export function GroupElementView() {
  const run = useRun();
  const group = () => run.detail()?.summary.group ?? null;
  return (
    <main class="page group-element" aria-label="group element">
      <Show
        when={group()}
        fallback={
          <div class="placeholder" data-testid="element-unavailable">
            A {run.detail()?.summary.traits?.label ?? 'this'} run infers its code z from images: it takes no known group element. The traversal view sweeps its code.
          </div>
        }
      >
        {/* Keyed on the run: its group, g and decoder start afresh when another run opens. */}
        <Show when={`${run.id()}|${JSON.stringify(group())}`} keyed>
          <ElementPanel group={group()!} />
        </Show>
      </Show>
    </main>
  );
}

function ElementPanel(props: { group: RunGroup }) {
  const run = useRun();
  const info = usePairDataset(run.id);
  const decoder = run.useDecoder();
  const [search, setSearch] = useSearchParams();
  const pivot = createMemo(() => parseIndex(search.x, info()?.count) ?? info()?.fixedPivot);
  // A first element that visibly acts: a quarter turn, or one step of C_n.
  const [g, setG] = createSignal(parseElement(search.g, props.group, props.group.kind === 'so2' ? Math.PI / 2 : 1));
  const change = (value: number) => {
    setG(value);
    setSearch({ g: props.group.kind === 'so2' ? value.toFixed(4) : value }, { replace: true });
  };
  const [latency, setLatency] = createSignal<number | null>(null);
  const [live] = createResource(
    () => {
      const d = decoder();
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
      const d = decoder();
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
            {latency() === null ? '' : `last update ${formatMs(latency()!)} (${decoder()?.kind === 'webgpu' ? 'in this browser' : 'via the server'})`}
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
