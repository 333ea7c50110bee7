// One loss term against the training step, drawn as SVG: axes with round ticks, a linear or log
// y scale, optional smoothing (the raw curve stays faint behind), and a cursor that follows the
// pointer or the arrow keys and reads out the value.
import { For, Show, createMemo, createSignal } from 'solid-js';
import { downsample, extent, formatNumber, linearScale, logScale, nearest, smooth, svgPath, tickLabels, type Point, type Series } from '../lib/curves.ts';

const WIDTH = 480;
const HEIGHT = 200;
const MARGIN = { left: 52, right: 12, top: 12, bottom: 28 };

/** One series against the step; `unit`: what its values are in, shown on the y axis. */
export function LossChart(props: { series: Series; log: boolean; smoothing: number; colour?: string; unit?: string }) {
  const raw = createMemo(() => downsample(props.series.points, 600));
  const smoothed = createMemo(() => downsample(smooth(props.series.points, props.smoothing), 600));
  const x = createMemo(() => {
    const pts = props.series.points;
    const lo = pts.length ? pts[0].x : 0;
    const hi = pts.length ? pts[pts.length - 1].x : 1;
    return linearScale([lo, hi], [MARGIN.left, WIDTH - MARGIN.right], true);
  });
  const y = createMemo(() => {
    const e = extent([props.series], props.log) ?? [0, 1];
    return (props.log ? logScale : linearScale)(e, [HEIGHT - MARGIN.bottom, MARGIN.top]);
  });
  const labelled = (ticks: number[]) => {
    const labels = tickLabels(ticks);
    return ticks.map((value, i) => ({ value, label: labels[i] }));
  };
  const yTicks = createMemo(() => labelled(y().ticks(5)));
  const xTicks = createMemo(() => labelled(x().ticks(5)));
  const [cursor, setCursor] = createSignal<Point | null>(null);
  const shown = () => (props.smoothing > 0 ? smoothed() : raw());
  const skipped = () => (props.log ? props.series.points.filter((p) => !(p.y > 0)).length : 0);

  const onPointer = (e: PointerEvent) => {
    const svg = e.currentTarget as SVGSVGElement;
    const rect = svg.getBoundingClientRect();
    const vx = ((e.clientX - rect.left) / rect.width) * WIDTH;
    const [d0, d1] = x().domain;
    const step = d0 + ((vx - MARGIN.left) / (WIDTH - MARGIN.left - MARGIN.right)) * (d1 - d0);
    setCursor(nearest(shown(), step));
  };
  const onKey = (e: KeyboardEvent) => {
    const pts = shown();
    if (!pts.length || (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight' && e.key !== 'Home' && e.key !== 'End')) return;
    e.preventDefault();
    const current = cursor();
    let i = current ? pts.indexOf(current) : pts.length - 1;
    if (e.key === 'ArrowLeft') i = Math.max(0, i - 1);
    if (e.key === 'ArrowRight') i = Math.min(pts.length - 1, i + 1);
    if (e.key === 'Home') i = 0;
    if (e.key === 'End') i = pts.length - 1;
    setCursor(pts[i]);
  };

  const last = () => props.series.points[props.series.points.length - 1];
  return (
    <figure class="chart" data-testid={`chart-${props.series.name}`}>
      <figcaption>
        <strong>{props.series.name}</strong>
        <Show when={props.unit}>
          <span class="muted small" data-testid="chart-unit">
            {' '}
            ({props.unit})
          </span>
        </Show>
        <span class="muted">
          {' '}
          <Show when={cursor()} fallback={last() ? `last ${formatNumber(last()!.y)} at step ${last()!.x}` : 'no data yet'}>
            {(c) => `${formatNumber(c().y)} at step ${c().x}`}
          </Show>
        </span>
      </figcaption>
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        tabindex="0"
        aria-label={`${props.series.name} against training step${props.log ? ', log scale' : ''}; use the arrow keys to read values`}
        onPointerMove={onPointer}
        onPointerLeave={() => setCursor(null)}
        onKeyDown={onKey}
        onBlur={() => setCursor(null)}
      >
        <g class="grid">
          <For each={yTicks()}>
            {(t) => (
              <g>
                <line x1={MARGIN.left} x2={WIDTH - MARGIN.right} y1={y()(t.value)} y2={y()(t.value)} />
                <text x={MARGIN.left - 6} y={y()(t.value)} text-anchor="end" dominant-baseline="middle">
                  {t.label}
                </text>
              </g>
            )}
          </For>
          <For each={xTicks()}>
            {(t) => (
              <text x={x()(t.value)} y={HEIGHT - MARGIN.bottom + 16} text-anchor="middle">
                {t.label}
              </text>
            )}
          </For>
          <line class="axis" x1={MARGIN.left} x2={WIDTH - MARGIN.right} y1={HEIGHT - MARGIN.bottom} y2={HEIGHT - MARGIN.bottom} />
          <line class="axis" x1={MARGIN.left} x2={MARGIN.left} y1={MARGIN.top} y2={HEIGHT - MARGIN.bottom} />
        </g>
        <Show when={props.smoothing > 0}>
          <path class="curve raw" d={svgPath(raw(), x(), y())} style={{ stroke: props.colour }} />
        </Show>
        <path class="curve" d={svgPath(shown(), x(), y())} style={{ stroke: props.colour }} />
        <Show when={cursor()}>
          {(c) => (
            <g class="cursor">
              <line x1={x()(c().x)} x2={x()(c().x)} y1={MARGIN.top} y2={HEIGHT - MARGIN.bottom} />
              <Show when={Number.isFinite(y()(c().y))}>
                <circle cx={x()(c().x)} cy={y()(c().y)} r={3.5} style={{ fill: props.colour }} />
              </Show>
            </g>
          )}
        </Show>
        <text class="axis-label" x={WIDTH - MARGIN.right} y={HEIGHT - 2} text-anchor="end">
          step
        </text>

      </svg>
      <Show when={skipped() > 0}>
        <p class="muted small">{skipped()} values ≤ 0 are not drawn on the log scale.</p>
      </Show>
    </figure>
  );
}
