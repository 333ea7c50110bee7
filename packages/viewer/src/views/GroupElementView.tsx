// The group element view of a known-group run (latent-action, flow-action): choose an image x of
// the run's data set and an element g of its group — with the group's control (an angle slider
// for SO(2), the elements of C_n as buttons, an arcball on the decoded image itself for SO(3):
// components/element-controls.tsx) — and see D(g, x), the model's x acted on by g, decoded live by
// the run's decoder (in the browser on WebGPU when it can), beside the orbit of x under a few
// elements the group chooses. Everything else about g is asked of the group (packages/model).
import { useSearchParams } from '@solidjs/router';
import { For, Show, createEffect, createResource, createSignal, on, onCleanup, untrack } from 'solid-js';
import type { Group } from '@maga/model';
import { WithRunGroup, useImageX } from '../components/pairs.tsx';
import { ElementControl, shortElement } from '../components/element-controls.tsx';
import { ImageCanvas } from '../components/images.tsx';
import { ErrorNote, LinkProblems, Loading, NotForThisRun, Pending } from '../components/status.tsx';
import { formatMs } from '../lib/format.ts';
import { elementParam, formatElementParam, sameElement } from '../lib/groups.ts';
import { problemsOf } from '../lib/link.ts';
import { current } from '../lib/resource.ts';
import { runHref } from '../lib/routes.ts';
import { shown, useRun } from './run-context.tsx';

/** The sum of an image's pixels: a fingerprint of the decode, finer than the canvas's 8 bits (for tests and the curious). */
const pixelSum = (pixels: ArrayLike<number>) => Array.from(pixels).reduce((a, v) => a + v, 0).toFixed(6);

export function GroupElementView() {
  const run = useRun();
  return (
    <main class="page group-element" aria-label="group element">
      <Show
        when={run.detail().summary.group}
        fallback={
          <NotForThisRun testId="element-unavailable" links={[{ href: runHref(run.id(), '/traversal'), label: 'Open its traversal' }]}>
            A {run.detail().summary.traits?.label ?? 'this'} run infers its code z from images: it takes no known group element. The traversal view sweeps its code.
          </NotForThisRun>
        }
      >
        <WithRunGroup>{(group) => <ElementPanel group={group} />}</WithRunGroup>
      </Show>
    </main>
  );
}

function ElementPanel(props: { group: Group }) {
  const run = useRun();
  const image = useImageX();
  const { info, value: pivot, camera } = image;
  const decoder = run.useDecoder();
  const [search, setSearch] = useSearchParams();
  const group = props.group;
  const reads = () => ({ x: image.read(), g: elementParam('g', search.g, group) });
  // A first g that visibly acts: the group's second figure element (a quarter turn, one step of C_n).
  const figures = group.figureElements();
  // g moves at every input (a drag's every pointer move) and the link follows at a walk; a g the
  // link changes to (Back, an edited address) is taken.
  const [g, setG] = createSignal<number[]>(untrack(() => reads().g.value) ?? figures[Math.min(1, figures.length - 1)]);
  createEffect(on(() => reads().g.value, (linked) => linked && !sameElement(linked, untrack(g)) && setG(linked), { defer: true }));
  let urlTimer: ReturnType<typeof setTimeout> | undefined;
  onCleanup(() => clearTimeout(urlTimer));
  const change = (next: number[]) => {
    // A pointer-up where the last move was would decode the same g again.
    if (next.every((v, i) => v === g()[i])) return;
    setG(next);
    clearTimeout(urlTimer);
    urlTimer = setTimeout(() => setSearch({ g: formatElementParam(next) }, { replace: true }), 250);
  };
  const [latency, setLatency] = createSignal<number | null>(null);
  /** g's image is on screen: the time since g changed (a measure for the benchmarks too). */
  const drawn = (since: number) => {
    const end = performance.now();
    setLatency(end - since);
    performance.measure('maga:element-to-image', { start: since, end, detail: { decoder: current(decoder)?.kind } });
  };
  const [live] = createResource(
    () => {
      const d = current(decoder);
      const x = pivot();
      return d && x !== undefined ? { d, x, g: g(), since: performance.now() } : false;
    },
    async (q) => {
      const [image] = await q.d.decode([q.g], q.x);
      return { image, g: q.g, since: q.since };
    },
  );
  const [orbit] = createResource(
    () => {
      const d = current(decoder);
      const x = pivot();
      return d && x !== undefined ? { d, x } : false;
    },
    async (q) => ({ elements: figures, images: await q.d.decode(figures, q.x) }),
  );
  const since = performance.now();
  const decodeError = () => shown(decoder.error) ?? shown(live.error);
  return (
    <>
      <p class="muted">
        The run's model takes a known element g of {group.name} and acts with ρ(g) on the varying part of x's latent: D(g, x) should show x {run.entry()?.action ?? 'acted on by g'}. Choose
        an image and move g.
      </p>
      <LinkProblems problems={problemsOf(reads().x, reads().g)} />
      <section class="pickers" aria-label="image">
        <image.Picker />
      </section>
      <section class="element-live" aria-label="x acted on by g">
        <div class="element-control">
          <button type="button" onClick={() => change(group.identity())}>
            Reset to e
          </button>
        </div>
        <Show when={decodeError() === undefined} fallback={<ErrorNote error={decodeError()} title="Decoding failed" />}>
          <Show when={current(live)} fallback={<Loading since={since}>Decoding…</Loading>}>
            {(l) => (
              <figure class="figure" data-testid="element-live" data-g={l().g.join(',')} data-sum={pixelSum(l().image.pixels)} classList={{ stale: live.loading }}>
                <ElementControl group={group} value={g()} onChange={change} label="g" camera={camera()}>
                  <ImageCanvas image={l().image} size={(info()?.imageSize ?? 32) >= 64 ? 256 : 192} label="D(g, x)" onDrawn={() => drawn(l().since)} />
                </ElementControl>
                <figcaption class="mono small">D(g, x), {group.formatElement(l().g)}</figcaption>
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
        <Show when={shown(orbit.error) === undefined} fallback={<ErrorNote error={orbit.error} title="Decoding failed" />}>
          <Show when={current(orbit)} fallback={<Loading since={since}>Decoding…</Loading>}>
            {(o) => (
              <Pending loading={orbit.loading} what="Decoding the orbit…">
                <div class="orbit" data-testid="orbit">
                  <For each={o().images}>
                    {(image, i) => (
                      <figure class="figure">
                        <ImageCanvas image={image} size={72} label={`D(g, x) at ${group.formatElement(o().elements[i()])}`} />
                        <figcaption class="mono small">{shortElement(group, o().elements[i()])}</figcaption>
                      </figure>
                    )}
                  </For>
                </div>
              </Pending>
            )}
          </Show>
        </Show>
      </section>
    </>
  );
}
