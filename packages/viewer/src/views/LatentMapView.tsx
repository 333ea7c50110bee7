// The latent map: the server's 3-D UMAP of encoded test and train images as a scatter you can
// rotate and zoom, coloured by one of the run's factors (the digit, the angle, the shape…), with
// the image under the pointer; and a second run of the same data set and kind side by side (e.g.
// the β-VAE beside MAGANet, as in the blog's figures), on the same colour scale.
//
// A new number of points is computed on the server (UMAP of up to 5,000 codes can take half a
// minute): the old map stays, dimmed, under an indicator with the time so far, and a request that
// a newer one replaces is aborted.
import { useSearchParams } from '@solidjs/router';
import { For, Show, createMemo, createResource, createSignal } from 'solid-js';
import { scopedApi, type Embedding } from '../api.ts';
import { useApi } from '../context.tsx';
import { ColourLegend } from '../components/ColourLegend.tsx';
import { RunImage } from '../components/pairs.tsx';
import { whyNotComparable } from '../lib/compare.ts';
import { Scatter, preloadWebgl, type RendererChoice } from '../components/Scatter.tsx';
import { ErrorNote, LinkProblems, Loading, Pending } from '../components/status.tsx';
import { formatMs } from '../lib/format.ts';
import { problemsOf, readParam } from '../lib/link.ts';
import { describeImage, factorScale, mapFactors, type FactorScale, type MapFactor } from '../lib/map-factors.ts';
import { isRunId } from '../lib/params.ts';
import { normalisePoints } from '../lib/projection.ts';
import { createLatestResource } from '../lib/resource.ts';
import { shown, useRun } from './run-context.tsx';

const PARTS = ['all', 'test', 'train'] as const;
type PartFilter = (typeof PARTS)[number];
const COUNTS = [500, 1000, 2000, 5000];
const [MIN_COUNT, MAX_COUNT, DEFAULT_COUNT] = [10, 5000, 1000];
const RENDERERS = ['auto', 'webgl', 'canvas'] as const;

/** One panel's embedding: fetched per run and count; a newer request aborts the older one. */
function useEmbedding(id: () => string | null, count: () => number) {
  const api = useApi();
  return createLatestResource(
    () => {
      const runId = id();
      return runId ? { id: runId, count: count() } : false;
    },
    async (q, signal) => ({ ...q, embedding: await scopedApi(api, signal).embedding(q.id, { count: q.count }), arrivedAt: performance.now() }),
  );
}

type EmbeddingResource = ReturnType<typeof useEmbedding>[0];

export function LatentMapView() {
  const run = useRun();
  const api = useApi();
  const [search, setSearch] = useSearchParams();
  const factors = createMemo<MapFactor[]>(() => (run.dataset.error === undefined && run.dataset.latest ? mapFactors(run.dataset.latest) : []));
  const [runs] = createResource(() => api.runs());
  const summary = () => run.detail().summary;
  const others = createMemo(() => (runs.error === undefined ? (runs.latest ?? []) : []).filter((r) => r.id !== run.id()));
  const offered = createMemo(() => others().filter((r) => whyNotComparable(summary(), r) === null));
  const absent = createMemo(() => others().flatMap((r) => (whyNotComparable(summary(), r) ? [{ id: r.id, model: r.model, why: whyNotComparable(summary(), r)! }] : [])));

  // The link's choices, each refused with a message when it cannot be had.
  const colourRead = createMemo(() =>
    factors().length ? readParam('colour', search.colour, (t) => factors().find((f) => f.name === t), `one of this run's factors (${factors().map((f) => f.name).join(', ')})`) : { value: undefined, problem: null },
  );
  const partRead = createMemo(() => readParam('part', search.part, (t) => (PARTS as readonly string[]).includes(t) ? (t as PartFilter) : undefined, 'all, test or train'));
  const countRead = createMemo(() =>
    readParam('count', search.count, (t) => (/^\d+$/.test(t) && Number(t) >= MIN_COUNT && Number(t) <= MAX_COUNT ? Number(t) : undefined), `a whole number of points from ${MIN_COUNT} to ${MAX_COUNT.toLocaleString('en-US')}`),
  );
  const rendererRead = createMemo(() => readParam('renderer', search.renderer, (t) => ((RENDERERS as readonly string[]).includes(t) ? (t as RendererChoice) : undefined), 'auto, webgl or canvas'));
  const compareRead = createMemo(() =>
    readParam(
      'compare',
      search.compare,
      (t) => {
        // Until the list arrives, a well-formed id is taken on trust (its panel says if it fails).
        if (!isRunId(t)) return undefined;
        if (runs.error !== undefined || !runs.latest) return t;
        const other = runs.latest.find((r) => r.id === t);
        return other && !whyNotComparable(summary(), other) ? t : undefined;
      },
      compareExpectation(),
    ),
  );
  function compareExpectation() {
    const other = (runs.error === undefined ? runs.latest : undefined)?.find((r) => r.id === String(search.compare));
    const why = other && whyNotComparable(summary(), other);
    return why ? `a run to compare with: ${why}` : `a run of this server with the same data set and kind (${summary().dataset}${summary().group ? `, ${summary().group!.name}` : ''})`;
  }
  const problems = () => problemsOf(colourRead(), partRead(), countRead(), rendererRead(), compareRead());

  const factor = createMemo(() => colourRead().value ?? factors().find((f) => f.kind === 'class') ?? factors()[0]);
  const part = () => partRead().value ?? 'all';
  const count = () => countRead().value ?? DEFAULT_COUNT;
  const renderer = () => rendererRead().value ?? 'auto';
  const compare = () => compareRead().value ?? null;
  if (renderer() !== 'canvas') preloadWebgl();

  const [main] = useEmbedding(() => run.id(), count);
  const [second] = useEmbedding(compare, count);
  // One scale for both panels, over the values both show.
  const scale = createMemo<FactorScale | null>(() => {
    const f = factor();
    if (!f) return null;
    const values = [main, second].flatMap((e) => (e.error === undefined && e.latest ? e.latest.embedding.factors.map((p) => f.value(p )) : []));
    return factorScale(f, values);
  });

  return (
    <main class="page latent-map" aria-label="latent map">
      <LinkProblems problems={problems()} />
      <div class="controls map-controls">
        <label>
          colour by{' '}
          <select value={factor()?.name ?? ''} onChange={(e) => setSearch({ colour: e.currentTarget.value }, { replace: true })} data-testid="colour-by">
            <For each={factors()}>
              {(f) => (
                <option value={f.name} selected={f.name === factor()?.name}>
                  {f.label}
                </option>
              )}
            </For>
          </select>
        </label>
        <label>
          images{' '}
          <select value={part()} onChange={(e) => setSearch({ part: e.currentTarget.value === 'all' ? undefined : e.currentTarget.value }, { replace: true })}>
            <option value="all">test and train</option>
            <option value="test">test only</option>
            <option value="train">train only</option>
          </select>
        </label>
        <label>
          points{' '}
          <select value={count()} onChange={(e) => setSearch({ count: e.currentTarget.value })} data-testid="point-count">
            <For each={[...new Set([...COUNTS, count()])].sort((a, b) => a - b)}>{(n) => <option value={n}>{n.toLocaleString('en-US')}</option>}</For>
          </select>
        </label>
        <label>
          compare with{' '}
          <select value={compare() ?? ''} onChange={(e) => setSearch({ compare: e.currentTarget.value || undefined })} data-testid="compare-with">
            <option value="">no other run</option>
            <For each={offered()}>
              {(r) => (
                <option value={r.id} selected={r.id === compare()}>
                  {r.id} ({r.traits?.label ?? r.model})
                </option>
              )}
            </For>
          </select>
        </label>
        <label>
          renderer{' '}
          <select value={renderer()} onChange={(e) => setSearch({ renderer: e.currentTarget.value === 'auto' ? undefined : e.currentTarget.value })}>
            <option value="auto">WebGL when available</option>
            <option value="canvas">2-D canvas</option>
          </select>
        </label>
      </div>
      <Show when={absent().length > 0}>
        <details class="small muted absent-runs" data-testid="compare-absent">
          <summary>
            {absent().length} other run{absent().length === 1 ? ' is' : 's are'} not offered for comparison
          </summary>
          <p>A map beside this one must show the same images (the same data set and group) encoded the same way, so that points and colours mean the same.</p>
          <ul>
            <For each={absent()}>
              {(r) => (
                <li>
                  {r.id} ({r.model}): {r.why}
                </li>
              )}
            </For>
          </ul>
        </details>
      </Show>
      <Show when={run.dataset.error === undefined} fallback={<ErrorNote error={run.dataset.error} title="Could not load the run's data set" />}>
        <Show when={scale()} fallback={<Loading>Loading the run's data set…</Loading>}>
          {(s) => (
            <>
              <ColourLegend scale={s()} />
              <div class="map-panels" classList={{ pair: !!compare() }}>
                <MapPanel runId={run.id()} embedding={main} count={count()} factors={factors()} scale={s()} part={part()} renderer={renderer()} model={summary().traits?.label ?? summary().model ?? ''} />
                <Show when={compare()} keyed>
                  {(other) => (
                    <MapPanel
                      runId={other}
                      embedding={second}
                      count={count()}
                      factors={factors()}
                      scale={s()}
                      part={part()}
                      renderer={renderer()}
                      model={(runs.error === undefined ? runs.latest : undefined)?.find((r) => r.id === other)?.traits?.label ?? ''}
                    />
                  )}
                </Show>
              </div>
            </>
          )}
        </Show>
      </Show>
    </main>
  );
}

function MapPanel(props: { runId: string; embedding: EmbeddingResource; count: number; factors: MapFactor[]; scale: FactorScale; part: PartFilter; renderer: RendererChoice; model: string }) {
  const since = performance.now();
  const [timing, setTiming] = createSignal<{ ms: number; kind: string } | null>(null);
  const [hover, setHover] = createSignal<{ i: number; x: number; y: number } | null>(null);
  const latest = () => (props.embedding.error === undefined ? props.embedding.latest : undefined);
  const loading = () => props.embedding.loading;

  const shownPoints = createMemo(() => {
    const l = latest();
    if (!l) return null;
    const e: Embedding = l.embedding;
    const indices = e.points.flatMap((_, i) => (props.part === 'all' || e.part[i] === props.part ? [i] : []));
    return { e, indices, count: l.count };
  });
  const positions = createMemo(() => {
    const l = latest();
    return l ? normalisePoints(l.embedding.points) : new Float32Array(0);
  });
  const data = createMemo(() => {
    const s = shownPoints();
    if (!s) return { positions: new Float32Array(0), colours: new Float32Array(0) };
    const all = positions();
    const pos = new Float32Array(s.indices.length * 3);
    const colours = new Float32Array(s.indices.length * 3);
    const { factor, colour } = props.scale;
    s.indices.forEach((i, k) => {
      pos.set(all.subarray(i * 3, i * 3 + 3), k * 3);
      const rgb = colour(factor.value(s.e.factors[i] ));
      colours.set([rgb[0] / 255, rgb[1] / 255, rgb[2] / 255], k * 3);
    });
    return { positions: pos, colours };
  });
  const onFirstRender = (kind: string, mountedAt: number) => {
    const arrived = latest()?.arrivedAt;
    if (arrived === undefined) return;
    const start = Math.max(arrived, mountedAt);
    const end = performance.now();
    setTiming({ ms: end - start, kind });
    performance.measure('maga:map-first-render', { start, end, detail: { points: shownPoints()?.indices.length, renderer: kind } });
  };
  const hovered = () => {
    const h = hover();
    const s = shownPoints();
    if (!h || !s) return null;
    const i = s.indices[h.i];
    return i === undefined ? null : { ...h, index: s.e.indices[i], factors: s.e.factors[i] , part: s.e.part[i] };
  };
  const computing = () => `Encoding ${props.count.toLocaleString('en-US')} images of ${props.runId} and computing their 3-D UMAP on the server (the first time per run and step)…`;
  return (
    <section
      class="map-panel"
      aria-label={`latent map of ${props.runId}`}
      data-testid="map-panel"
      data-run={props.runId}
      data-points={shownPoints()?.indices.length ?? 0}
      data-loading={loading() ? 'true' : 'false'}
      data-first-render-ms={timing()?.ms}
    >
      <h2>
        {props.runId} <span class="muted small">{props.model}</span>
      </h2>
      <Show when={shown(props.embedding.error) === undefined} fallback={<ErrorNote error={props.embedding.error} title={`Could not compute the embedding of ${props.runId}`} />}>
        <Show when={shownPoints()} fallback={<Loading since={since}>{computing()}</Loading>}>
          {(s) => (
            <Pending loading={loading()} what={computing()} testId="map-pending">
              <Show when={props.renderer} keyed>
                {(renderer) => {
                  // A new renderer draws afresh: time its first frame from now.
                  const mountedAt = performance.now();
                  setTiming(null);
                  return (
                    <Scatter
                      data={data()}
                      label={`3-D UMAP of ${props.runId}'s latents coloured by ${props.scale.factor.label}`}
                      renderer={renderer}
                      onHover={(i, x, y) => setHover(i === null ? null : { i, x, y })}
                      onFirstRender={(kind) => onFirstRender(kind, mountedAt)}
                    >
                      <Show when={hovered()}>
                        {(h) => (
                          <div class="hover-card" style={{ left: `${h().x + 14}px`, top: `${h().y + 14}px` }} role="tooltip" data-testid="hover-card">
                            <RunImage run={props.runId} index={h().index} size={64} label={`image ${h().index}`} />
                            <div class="small">
                              #{h().index} ({h().part})
                              <br />
                              {describeImage(props.factors, h().factors)}
                            </div>
                          </div>
                        )}
                      </Show>
                    </Scatter>
                  );
                }}
              </Show>
              <p class="muted small" data-testid="map-status">
                {s().indices.length.toLocaleString('en-US')} points shown
                {s().count !== props.count ? ` (of an embedding of ${s().count.toLocaleString('en-US')}; ${props.count.toLocaleString('en-US')} are being computed)` : ''}
                <Show when={timing()}>{(t) => ` · first frame ${formatMs(t().ms)} after the data arrived (${t().kind === 'webgl' ? 'WebGL' : '2-D canvas'})`}</Show>
              </p>
            </Pending>
          )}
        </Show>
      </Show>
    </section>
  );
}
