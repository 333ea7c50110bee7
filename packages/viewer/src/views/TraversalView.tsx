// Latent traversal: choose a pivot and a varying image; see the pivot, the varying image and its
// reconstruction D(z, pivot); move one slider per latent component within ±2 of its value and
// watch the decode follow (one decode in flight, the newest position next); and the grid of the
// blog's figure, one row per component.
import { useSearchParams } from '@solidjs/router';
import { For, Index, Show, createEffect, createMemo, createResource, createSignal, on, onCleanup, untrack } from 'solid-js';
import { useApi, useDataset } from '../context.tsx';
import { offsetCode, type Decoder } from '../decoding/decoder.ts';
import { serverDecoder } from '../decoding/server.ts';
import { fixed, formatMs, formatVector } from '../lib/format.ts';
import { maxAbsDiff, type Img } from '../lib/images.ts';
import { DATASET_SIZE, DEFAULT_PIVOT, DEFAULT_VARYING, formatOffsets, parseOffsetsText } from '../lib/params.ts';
import { indexBelow, indexExpectation, problemsOf, readParam } from '../lib/link.ts';
import { latestOnly } from '../lib/schedule.ts';
import { DatasetImage, Figure, ImageCanvas, ImageTable } from '../components/images.tsx';
import { ImagePicker } from '../components/ImagePicker.tsx';
import { ErrorNote, LinkProblems, Loading, NotForThisRun, Pending, messageOf } from '../components/status.tsx';
import { runHref } from '../lib/routes.ts';
import { shown, useRun } from './run-context.tsx';
import { createLatestResource, current } from '../lib/resource.ts';

const RANGE = 2;
const MAX_GRID_STEPS = 15;

export function TraversalView() {
  const run = useRun();
  return (
    <Show
      when={run.detail().summary.traits?.element !== 'known'}
      fallback={
        <main class="page traversal" aria-label="latent traversal">
          <NotForThisRun testId="traversal-unavailable" links={[{ href: runHref(run.id(), '/element'), label: 'Open its group element view' }]}>
            A {run.detail().summary.traits?.label} run takes a known group element g with each image, not a code inferred from images: there is no code to traverse. Its
            group element view moves g.
          </NotForThisRun>
        </main>
      }
    >
      <Traversal />
    </Show>
  );
}

function Traversal() {
  const run = useRun();
  const dataset = useDataset();
  const decoder = run.useDecoder();
  const [search, setSearch] = useSearchParams();
  // A decoder that acts on a pivot image shows and lets one choose it; a VAE's decodes a code alone.
  const isMaganet = () => run.detail()?.summary.traits?.pivot ?? false;
  const reads = createMemo(() => ({
    pivot: readParam('pivot', search.pivot, indexBelow(DATASET_SIZE), indexExpectation(DATASET_SIZE)),
    varying: readParam('varying', search.varying, indexBelow(DATASET_SIZE), indexExpectation(DATASET_SIZE)),
    offsets: readParam('offsets', search.offsets, (t) => parseOffsetsText(t, RANGE), `numbers within ±${RANGE}, one per latent component, separated by commas`),
    grid: readParam('grid', search.grid, (t) => (/^\d+$/.test(t) && (Number(t) === 0 || (Number(t) >= 2 && Number(t) <= MAX_GRID_STEPS)) ? Number(t) : undefined), `0 (no grid) or a number of steps from 2 to ${MAX_GRID_STEPS}`),
  }));
  const pivot = createMemo(() => reads().pivot.value ?? current(dataset)?.fixedPivot ?? (dataset.error ? DEFAULT_PIVOT : undefined));
  const varying = createMemo(() => reads().varying.value ?? DEFAULT_VARYING);
  const split = () => run.detail()?.summary.split ?? undefined;

  const [code] = createResource(
    () => {
      const d = current(decoder);
      const p = pivot();
      return d && p !== undefined ? { d, pivot: p, varying: varying() } : false;
    },
    ({ d, pivot, varying }) => d.code(pivot, varying),
  );

  // Slider offsets from the base code; read from the URL once, so a shared link opens where it was left.
  const [offsets, setOffsets] = createSignal<number[]>([]);
  createEffect(
    on(
      () => current(decoder)?.latentDim,
      (dim) => dim && setOffsets(Array.from({ length: dim }, (_, i) => untrack(() => reads().offsets.value)?.[i] ?? 0)),
    ),
  );
  const saveOffsets = () => setSearch({ offsets: formatOffsets(offsets()) || undefined }, { replace: true });
  const resetOffsets = () => {
    setOffsets((o) => o.map(() => 0));
    saveOffsets();
  };

  const choose = (which: 'pivot' | 'varying', index: number) => {
    setOffsets((o) => o.map(() => 0));
    setSearch({ [which]: index, offsets: undefined });
  };

  // The live decode: latest wins, one in flight.
  const [live, setLive] = createSignal<{ image: Img; inputAt: number | null } | undefined>();
  const [liveError, setLiveError] = createSignal<unknown>(null);
  const [latency, setLatency] = createSignal<number | null>(null);
  const [busy, setBusy] = createSignal(false);
  let lastInputAt: number | null = null;
  const scheduler = latestOnly<{ d: Decoder; z: number[]; pivot: number; inputAt: number | null }>(
    async (job) => {
      setBusy(true);
      try {
        const [image] = await job.d.decode([job.z], job.pivot);
        setLiveError(null);
        setLive({ image, inputAt: job.inputAt });
      } finally {
        setBusy(false);
      }
    },
    (e) => setLiveError(e),
  );
  onCleanup(() => scheduler.cancel());
  createEffect(
    on([() => code.latest, offsets, decoder, pivot] as const, ([base, deltas, d, p]) => {
      if (!base || !d || p === undefined || deltas.length !== base.z.length) return;
      if (deltas.every((v) => v === 0)) {
        scheduler.cancel();
        setLive({ image: base.image, inputAt: null });
        return;
      }
      scheduler.request({ d, z: offsetCode(base.z, deltas), pivot: p, inputAt: lastInputAt });
      lastInputAt = null;
    }),
  );
  const onDrawn = () => {
    const inputAt = live()?.inputAt;
    if (inputAt == null) return;
    const end = performance.now();
    setLatency(end - inputAt);
    performance.measure('maga:slider-to-image', { start: inputAt, end, detail: { decoder: current(decoder)?.kind } });
  };
  const z = () => (code.latest ? offsetCode(code.latest.z, offsets()) : []);

  const [gridSteps, setGridSteps] = createSignal(untrack(() => reads().grid.value) ?? 0);
  const showGrid = (steps: number) => {
    setGridSteps(steps);
    setSearch({ grid: steps || undefined }, { replace: true });
  };

  return (
    <main class="page traversal" aria-label="latent traversal">
      <LinkProblems problems={problemsOf(reads().pivot, reads().varying, reads().offsets, reads().grid)} />
      <section class="pickers" aria-label="images">
        <Show when={isMaganet()}>
          <ImagePicker label="Pivot" value={pivot() ?? DEFAULT_PIVOT} onChange={(i) => choose('pivot', i)} split={split()} />
        </Show>
        <ImagePicker label={isMaganet() ? 'Varying' : 'Image'} value={varying()} onChange={(i) => choose('varying', i)} split={split()} />
      </section>

      <Show when={!decoder.error} fallback={<ErrorNote error={decoder.error} title="The decoder could not be prepared" />}>
        <Show when={current(decoder)} fallback={<Loading>Preparing the decoder{run.decoderStage() ? `: ${run.decoderStage()}` : '…'}</Loading>}>
          <section class="traversal-main" aria-label="decoding">
            <div class="images-column">
              <div class="trio">
                <Show when={isMaganet()}>
                  <Figure caption="pivot x">
                    <DatasetImage index={pivot() ?? DEFAULT_PIVOT} size={112} label="pivot image" />
                  </Figure>
                </Show>
                <Figure caption={isMaganet() ? 'varying' : 'image'}>
                  <DatasetImage index={varying()} size={112} label="varying image" />
                </Figure>
                <Figure caption={isMaganet() ? 'reconstruction D(z, x)' : 'reconstruction'}>
                  <Show when={!code.error} fallback={<ErrorNote error={code.error} title="Encoding failed" />}>
                    <ImageCanvas image={code.latest?.image} label="reconstruction" size={112} />
                  </Show>
                </Figure>
              </div>
              <div class="live-panel">
                <Figure caption={isMaganet() ? 'D(z + Δ, x), live' : 'decode(z + Δ), live'}>
                  <ImageCanvas image={live()?.image} label="live decode" size={224} onDrawn={onDrawn} class="live-image" />
                </Figure>
                <p class="muted small" aria-live="polite" data-testid="latency">
                  {busy() ? 'decoding…' : latency() !== null ? `last update ${formatMs(latency()!)} from input to image` : 'move a slider'}
                </p>
                <Show when={liveError()}>
                  <ErrorNote error={liveError()} title="Decoding failed" />
                </Show>
              </div>
            </div>
            <div class="sliders" role="group" aria-label="latent components">
              <div class="row gap">
                <strong>z</strong>
                <span class="muted small mono">{formatVector(z())}</span>
                <button type="button" onClick={resetOffsets} disabled={offsets().every((v) => v === 0)}>
                  Reset
                </button>
              </div>
              <Show when={code.latest} fallback={<Loading>Encoding…</Loading>}>
                {(base) => (
                  <Index each={base().z}>
                    {(value, i) => (
                      <label class="slider-row">
                        <span class="mono">z{i}</span>
                        <input
                          type="range"
                          min={value() - RANGE}
                          max={value() + RANGE}
                          step={0.02}
                          value={value() + (offsets()[i] ?? 0)}
                          aria-label={`latent component ${i}`}
                          aria-valuetext={`${fixed(value() + (offsets()[i] ?? 0))} (base ${fixed(value())})`}
                          data-testid={`slider-${i}`}
                          onInput={(e) => {
                            lastInputAt = e.timeStamp;
                            const v = Number(e.currentTarget.value) - value();
                            setOffsets((o) => o.map((x, k) => (k === i ? v : x)));
                          }}
                          onChange={saveOffsets}
                        />
                        <span class="mono small slider-value">{fixed(value() + (offsets()[i] ?? 0))}</span>
                      </label>
                    )}
                  </Index>
                )}
              </Show>
            </div>
          </section>
          <Show when={current(decoder)?.kind === 'webgpu' && code.latest}>
            <ServerCheck z={z()} pivot={pivot() ?? DEFAULT_PIVOT} varying={varying()} live={live()?.image} base={code.latest!} />
          </Show>
          <section class="grid-section" aria-labelledby="grid-title">
            <div class="section-head">
              <h2 id="grid-title">Traversal grid</h2>
              <div class="controls">
                <label>
                  steps{' '}
                  <select value={gridSteps() || 9} onChange={(e) => showGrid(Number(e.currentTarget.value))}>
                    <For each={[5, 7, 9, 11]}>{(n) => <option value={n}>{n}</option>}</For>
                  </select>
                </label>
                <Show
                  when={gridSteps() > 0}
                  fallback={
                    <button type="button" onClick={() => showGrid(9)}>
                      Show the grid
                    </button>
                  }
                >
                  <button type="button" onClick={() => showGrid(0)}>
                    Hide
                  </button>
                </Show>
              </div>
            </div>
            <Show when={gridSteps() > 0 && pivot() !== undefined}>
              <TraversalGrid decoder={current(decoder)!} pivot={pivot()!} varying={varying()} steps={gridSteps()} />
            </Show>
          </section>
        </Show>
      </Show>
    </main>
  );
}

/** Each latent component swept within ±2 of its value, the others fixed: one row per component. */
function TraversalGrid(props: { decoder: Decoder; pivot: number; varying: number; steps: number }) {
  const since = performance.now();
  const [grid] = createLatestResource(
    () => ({ d: props.decoder, pivot: props.pivot, varying: props.varying, steps: props.steps }),
    (q) => q.d.traverse(q.pivot, q.varying, RANGE, q.steps),
  );
  const what = () => `Decoding the grid, ${props.decoder.latentDim} components × ${props.steps} steps…`;
  return (
    <Show when={shown(grid.error) === undefined} fallback={<ErrorNote error={grid.error} title="The traversal grid failed" />}>
      <Show when={current(grid)} fallback={<Loading since={since}>{what()}</Loading>}>
        {(g) => (
          <Pending loading={grid.loading} what={what()} testId="grid-pending">
            <ImageTable
              class="traversal-grid"
              testId="traversal-grid"
              style={{ '--steps': g().values[0]?.length ?? props.steps }}
              head={
                <>
                  <th scope="col">component</th>
                  <For each={g().values[0] ?? []}>{(_, j) => <th scope="col">{fixed(-RANGE + (2 * RANGE * j()) / Math.max(1, (g().values[0]?.length ?? 1) - 1), 1)}</th>}</For>
                </>
              }
              rows={g().images}
              rowHeadClass="mono"
              rowHead={(i) => (
                <>
                  z{i} <span class="muted small">{fixed(g().z[i])}</span>
                </>
              )}
              label={(i, j) => `z${i} = ${fixed(g().values[i][j])}`}
              size={112}
              fluid
            />
          </Pending>
        )}
      </Show>
    </Show>
  );
}

/** Decodes the same code on the server and reports how far the browser's result is from it. */
function ServerCheck(props: { z: number[]; pivot: number; varying: number; live: Img | undefined; base: { z: number[]; image: Img } }) {
  const api = useApi();
  const run = useRun();
  const [result, setResult] = createSignal<{ dz: number; dReconstruction: number; dLive: number } | null>(null);
  const [error, setError] = createSignal<unknown>(null);
  const [busy, setBusy] = createSignal(false);
  // A result speaks of the images it compared: forget it when they change.
  createEffect(on([() => props.pivot, () => props.varying], () => setResult(null), { defer: true }));
  const check = async () => {
    setBusy(true);
    setError(null);
    try {
      const { summary } = run.detail()!;
      if (!summary.traits || summary.model === null) throw new Error(`the server does not know this run's model (${summary.model ?? 'unreadable config'})`);
      const server = serverDecoder(api, run.id(), { model: summary.model, traits: summary.traits, latentDim: props.z.length });
      const { z, live, base } = props;
      const code = await server.code(props.pivot, props.varying);
      const [decoded] = await server.decode([z], props.pivot);
      const dz = Math.max(...code.z.map((v, k) => Math.abs(v - base.z[k])));
      setResult({ dz, dReconstruction: maxAbsDiff(code.image, base.image), dLive: live ? maxAbsDiff(decoded, live) : NaN });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="server-check" aria-label="agreement with the server" data-testid="server-check">
      <button type="button" onClick={check} disabled={busy()}>
        {busy() ? 'Comparing…' : 'Compare with the server'}
      </button>
      <Show when={result()}>
        {(r) => (
          <span data-testid="server-check-result" data-dz={r().dz} data-dlive={r().dLive} data-drecon={r().dReconstruction}>
            max |Δz| {r().dz.toExponential(1)}, max |Δpixel| reconstruction {r().dReconstruction.toExponential(1)}, live {Number.isNaN(r().dLive) ? '–' : r().dLive.toExponential(1)}{' '}
            (server vs browser)
          </span>
        )}
      </Show>
      <Show when={error()}>
        <span class="error-text">{messageOf(error())}</span>
      </Show>
    </section>
  );
}
