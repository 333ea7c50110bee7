// The latent map: the server's 3-D UMAP of encoded test and train images as a scatter you can
// rotate and zoom, coloured by a chosen factor, with the image under the pointer; a second run
// (e.g. the β-VAE) side by side for comparison, as in the blog's figures.
import { useSearchParams } from '@solidjs/router';
import { For, Show, createMemo, createResource, createSignal } from 'solid-js';
import type { Embedding, PairFactorInfo } from '../api.ts';
import { CATEGORICAL, cyclic, toCss, viridis, type Rgb } from '../lib/colors.ts';
import { RunImage, describePairFactors, usePairDataset } from '../components/pairs.tsx';
import { useApi, useDataset } from '../context.tsx';
import { scaleFor, type ColourScale } from '../lib/colors.ts';
import { FACTOR_LABELS, FACTOR_NAMES, colourValue, describeFactors, type FactorName } from '../lib/factors.ts';
import { formatMs } from '../lib/format.ts';
import { parseChoice, parseCount, parseFactorName, isRunId } from '../lib/params.ts';
import { normalisePoints } from '../lib/projection.ts';
import { ColourLegend } from '../components/ColourLegend.tsx';
import { DatasetImage } from '../components/images.tsx';
import { Scatter, preloadWebgl, type RendererChoice } from '../components/Scatter.tsx';
import { ErrorNote, Loading } from '../components/status.tsx';
import { useRun } from './run-context.tsx';

const PARTS = ['all', 'test', 'train'] as const;
type PartFilter = (typeof PARTS)[number];
const COUNTS = [500, 1000, 2000, 5000];
const RENDERERS: readonly RendererChoice[] = ['auto', 'webgl', 'canvas'];

export function LatentMapView() {
  const run = useRun();
  return (
    <Show when={run.detail()?.summary.group} fallback={<DspritesLatentMap />}>
      <Show when={run.id()} keyed>
        <PairLatentMap />
      </Show>
    </Show>
  );
}

function DspritesLatentMap() {
  const run = useRun();
  const api = useApi();
  const dataset = useDataset();
  const [search, setSearch] = useSearchParams();
  const factor = createMemo(() => parseFactorName(search.colour, 'shape'));
  const part = createMemo(() => parseChoice(search.part, PARTS, 'all'));
  const count = createMemo(() => parseCount(search.count, 2000, 10, 5000));
  const compare = createMemo(() => (isRunId(search.compare) && search.compare !== run.id() ? (search.compare as string) : ''));
  const renderer = createMemo(() => parseChoice(search.renderer, RENDERERS, 'auto'));
  const [runs] = createResource(() => api.runs());
  if (renderer() !== 'canvas') preloadWebgl();

  // The same scale for both panels: from the dataset's grid when known.
  const scale = createMemo<ColourScale | null>(() => {
    const grid = dataset()?.factors;
    return grid ? scaleFor(factor(), grid[factor()] as (string | number)[]) : null;
  });

  return (
    <main class="page latent-map" aria-label="latent map">
      <div class="controls map-controls">
        <label>
          colour by{' '}
          <select value={factor()} onChange={(e) => setSearch({ colour: e.currentTarget.value }, { replace: true })}>
            <For each={FACTOR_NAMES}>{(name) => <option value={name}>{FACTOR_LABELS[name]}</option>}</For>
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
          <select value={count()} onChange={(e) => setSearch({ count: e.currentTarget.value })}>
            <For each={[...new Set([...COUNTS, count()])].sort((a, b) => a - b)}>{(n) => <option value={n}>{n.toLocaleString('en-US')}</option>}</For>
          </select>
        </label>
        <label>
          compare with{' '}
          <select value={compare()} onChange={(e) => setSearch({ compare: e.currentTarget.value || undefined })}>
            <option value="">no other run</option>
            <For each={(runs() ?? []).filter((r) => r.id !== run.id() && r.status !== 'error')}>
              {(r) => (
                <option value={r.id} selected={r.id === compare()}>
                  {r.id} ({r.model})
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
      <Show when={scale()}>{(s) => <ColourLegend scale={s()} />}</Show>
      <div class="map-panels" classList={{ pair: !!compare() }}>
        <MapPanel runId={run.id()} count={count()} factor={factor()} part={part()} scale={scale()} renderer={renderer()} />
        <Show when={compare()} keyed>
          {(other) => <MapPanel runId={other} count={count()} factor={factor()} part={part()} scale={scale()} renderer={renderer()} />}
        </Show>
      </div>
    </main>
  );
}

function MapPanel(props: { runId: string; count: number; factor: FactorName; part: PartFilter; scale: ColourScale | null; renderer: RendererChoice }) {
  const api = useApi();
  const [requestedAt, setRequestedAt] = createSignal(performance.now());
  const [embedding] = createResource(
    () => ({ id: props.runId, count: props.count }),
    async ({ id, count }) => {
      setRequestedAt(performance.now());
      const [e, detail] = await Promise.all([api.embedding(id, { count }), api.run(id)]);
      return { embedding: e, model: detail.summary.model, arrivedAt: performance.now() };
    },
  );
  const [timing, setTiming] = createSignal<{ ms: number; kind: string } | null>(null);
  const [hover, setHover] = createSignal<{ i: number; x: number; y: number } | null>(null);

  const shown = createMemo(() => {
    const e = embedding.latest?.embedding;
    if (!e) return null;
    const keep = e.points.map((_, i) => props.part === 'all' || e.part[i] === props.part);
    const indices = keep.flatMap((k, i) => (k ? [i] : []));
    return { e, indices };
  });
  const positions = createMemo(() => {
    const e = embedding.latest?.embedding;
    return e ? normalisePoints(e.points) : new Float32Array(0);
  });
  const data = createMemo(() => {
    const s = shown();
    if (!s) return { positions: new Float32Array(0), colours: new Float32Array(0) };
    const all = positions();
    const pos = new Float32Array(s.indices.length * 3);
    const colours = new Float32Array(s.indices.length * 3);
    const scale = props.scale ?? fallbackScale(s.e, props.factor);
    s.indices.forEach((i, k) => {
      pos.set(all.subarray(i * 3, i * 3 + 3), k * 3);
      const rgb = scale.colour(colourValue(s.e.factors[i], props.factor));
      colours.set([rgb[0] / 255, rgb[1] / 255, rgb[2] / 255], k * 3);
    });
    return { positions: pos, colours };
  });
  const onFirstRender = (kind: string, mountedAt: number) => {
    const arrived = embedding.latest?.arrivedAt;
    if (arrived === undefined) return;
    const start = Math.max(arrived, mountedAt);
    const end = performance.now();
    setTiming({ ms: end - start, kind });
    performance.measure('maga:map-first-render', { start, end, detail: { points: shown()?.indices.length, renderer: kind } });
  };
  const hovered = () => {
    const h = hover();
    const s = shown();
    if (!h || !s) return null;
    const i = s.indices[h.i];
    return i === undefined ? null : { ...h, index: s.e.indices[i], factors: s.e.factors[i], part: s.e.part[i] };
  };
  return (
    <section class="map-panel" aria-label={`latent map of ${props.runId}`} data-testid="map-panel" data-points={shown()?.indices.length ?? 0} data-first-render-ms={timing()?.ms}>
      <h2>
        {props.runId} <span class="muted small">{embedding.latest?.model}</span>
      </h2>
      <Show when={!embedding.error} fallback={<ErrorNote error={embedding.error} title="Could not compute the embedding" />}>
        <Show
          when={embedding.latest}
          fallback={
            <Loading since={requestedAt()}>
              Encoding {props.count.toLocaleString('en-US')} images and computing their 3-D UMAP on the server (the first time per run and step)…
            </Loading>
          }
        >
          <Show when={props.renderer} keyed>
            {(renderer) => {
              // A new renderer draws afresh: time its first frame from now.
              const mountedAt = performance.now();
              setTiming(null);
              return (
                <Scatter
                  data={data()}
                  label={`3-D UMAP of ${props.runId}'s latents coloured by ${FACTOR_LABELS[props.factor]}`}
                  renderer={renderer}
                  onHover={(i, x, y) => setHover(i === null ? null : { i, x, y })}
                  onFirstRender={(kind) => onFirstRender(kind, mountedAt)}
                >
                  <Show when={hovered()}>
                    {(h) => (
                      <div class="hover-card" style={{ left: `${h().x + 14}px`, top: `${h().y + 14}px` }} role="tooltip" data-testid="hover-card">
                        <DatasetImage index={h().index} size={64} label={`image ${h().index}`} />
                        <div class="small">
                          #{h().index} ({h().part})
                          <br />
                          {describeFactors(h().factors)}
                        </div>
                      </div>
                    )}
                  </Show>
                </Scatter>
              );
            }}
          </Show>
          <p class="muted small">
            {shown()?.indices.length.toLocaleString('en-US')} points
            <Show when={timing()}>{(t) => ` · first frame ${formatMs(t().ms)} after the data arrived (${t().kind === 'webgl' ? 'WebGL' : '2-D canvas'})`}</Show>
          </p>
        </Show>
      </Show>
    </section>
  );
}

/** A colour per value of one of a pair run's factors: classes (digit, setting) by swatch, angles round the wheel, ids on viridis. */
function pairColour(factor: PairFactorInfo, count: number): (v: number) => Rgb {
  if (factor.kind === 'class') return (v) => CATEGORICAL[v % CATEGORICAL.length];
  if (factor.kind === 'angle') return (v) => cyclic(v / (2 * Math.PI));
  // A pose's quaternion components lie in [−1, 1].
  if (factor.kind === 'quaternion') return (v) => viridis((v + 1) / 2);
  return (v) => viridis(count > 1 ? v / (count - 1) : 0);
}

/**
 * The latent map of a known-group run: the server's UMAP of the encoder's latent E(x) for test and
 * train images of its data set, coloured by one of the data set's factors (digit, angle, index; or
 * phantom, setting).
 */
function PairLatentMap() {
  const run = useRun();
  const api = useApi();
  const info = usePairDataset();
  const [search, setSearch] = useSearchParams();
  const factors = () => info()?.factors ?? [];
  const factor = createMemo(() => {
    const list = factors();
    const named = list.find((f) => f.name === search.colour);
    return named ?? list.find((f) => f.kind === 'class') ?? list[0];
  });
  const part = createMemo(() => parseChoice(search.part, PARTS, 'all'));
  const count = createMemo(() => parseCount(search.count, 1000, 10, 5000));
  const renderer = createMemo(() => parseChoice(search.renderer, RENDERERS, 'auto'));
  if (renderer() !== 'canvas') preloadWebgl();
  const [requestedAt, setRequestedAt] = createSignal(performance.now());
  const [embedding] = createResource(
    () => ({ id: run.id(), count: count() }),
    async ({ id, count }) => {
      setRequestedAt(performance.now());
      return api.embedding(id, { count });
    },
  );
  const [hover, setHover] = createSignal<{ i: number; x: number; y: number } | null>(null);
  const shown = createMemo(() => {
    const e = embedding.latest;
    if (!e) return null;
    const indices = e.points.flatMap((_, i) => (part() === 'all' || e.part[i] === part() ? [i] : []));
    return { e, indices, factors: e.factors as unknown as Record<string, number>[] };
  });
  const positions = createMemo(() => (embedding.latest ? normalisePoints(embedding.latest.points) : new Float32Array(0)));
  const data = createMemo(() => {
    const s = shown();
    const f = factor();
    if (!s || !f) return { positions: new Float32Array(0), colours: new Float32Array(0) };
    const all = positions();
    const pos = new Float32Array(s.indices.length * 3);
    const colours = new Float32Array(s.indices.length * 3);
    const colour = pairColour(f, f.kind === 'id' ? (info()?.sources ?? 1) : 0);
    s.indices.forEach((i, k) => {
      pos.set(all.subarray(i * 3, i * 3 + 3), k * 3);
      const rgb = colour(s.factors[i][f.name]);
      colours.set([rgb[0] / 255, rgb[1] / 255, rgb[2] / 255], k * 3);
    });
    return { positions: pos, colours };
  });
  const hovered = () => {
    const h = hover();
    const s = shown();
    if (!h || !s) return null;
    const i = s.indices[h.i];
    return i === undefined ? null : { ...h, index: s.e.indices[i], factors: s.factors[i], part: s.e.part[i] };
  };
  return (
    <main class="page latent-map" aria-label="latent map">
      <div class="controls map-controls">
        <label>
          colour by{' '}
          <select value={factor()?.name ?? ''} onChange={(e) => setSearch({ colour: e.currentTarget.value }, { replace: true })} data-testid="colour-by">
            <For each={factors()}>{(f) => <option value={f.name}>{f.name}</option>}</For>
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
          <select value={count()} onChange={(e) => setSearch({ count: e.currentTarget.value })}>
            <For each={[...new Set([...COUNTS, count()])].sort((a, b) => a - b)}>{(n) => <option value={n}>{n.toLocaleString('en-US')}</option>}</For>
          </select>
        </label>
      </div>
      <Show when={factor()}>
        {(f) => (
          <div class="legend" data-testid="legend">
            <span class="legend-title">{f().name}</span>
            <span class="muted small">{f().description}</span>
            <Show when={f().kind === 'class' && f().classes}>
              {(classes) => (
                <ul class="swatches">
                  <For each={classes()}>
                    {(label, i) => (
                      <li>
                        <span class="swatch" style={{ background: toCss(CATEGORICAL[i() % CATEGORICAL.length]) }} aria-hidden="true" />
                        {label}
                      </li>
                    )}
                  </For>
                </ul>
              )}
            </Show>
          </div>
        )}
      </Show>
      <section class="map-panel" aria-label={`latent map of ${run.id()}`} data-testid="map-panel" data-points={shown()?.indices.length ?? 0}>
        <Show when={!embedding.error} fallback={<ErrorNote error={embedding.error} title="Could not compute the embedding" />}>
          <Show when={embedding.latest} fallback={<Loading since={requestedAt()}>Encoding {count().toLocaleString('en-US')} images and computing their 3-D UMAP on the server…</Loading>}>
            <Scatter data={data()} label={`3-D UMAP of ${run.id()}'s latents E(x) coloured by ${factor()?.name ?? ''}`} renderer={renderer()} onHover={(i, x, y) => setHover(i === null ? null : { i, x, y })}>
              <Show when={hovered()}>
                {(h) => (
                  <div class="hover-card" style={{ left: `${h().x + 14}px`, top: `${h().y + 14}px` }} role="tooltip" data-testid="hover-card">
                    <RunImage run={run.id()} index={h().index} size={64} label={`image ${h().index}`} />
                    <div class="small">
                      #{h().index} ({h().part})
                      <br />
                      {describePairFactors(info(), h().factors)}
                    </div>
                  </div>
                )}
              </Show>
            </Scatter>
            <p class="muted small">{shown()?.indices.length.toLocaleString('en-US')} points</p>
          </Show>
        </Show>
      </section>
    </main>
  );
}

/** A scale from the embedding's own factor values, before the dataset description arrives. */
function fallbackScale(e: Embedding, factor: FactorName): ColourScale {
  const values = factor === 'shape' ? [...new Set(e.factors.map((f) => f.shape))] : e.factors.map((f) => f[factor]);
  return scaleFor(factor, values as (string | number)[]);
}
