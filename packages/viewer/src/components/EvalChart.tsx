// A run's test curve: one evaluation metric on the fixed test sample (solid) and train sample
// (dashed) against the images seen so far, from eval.jsonl (`cli train --eval-every N`). It shows
// when generalisation appears, not only where training ends: the gap between the two lines is
// what the held-out combinations cost.
import { For, Show, createMemo } from 'solid-js';
import type { EvalLine } from '../api.ts';
import { formatNumber, linearScale, svgPath, type Point } from '../lib/curves.ts';

const WIDTH = 480;
const HEIGHT = 200;
const MARGIN = { left: 52, right: 12, top: 12, bottom: 28 };

/** The metrics every line has for both parts, the headline first (bce for dSprites runs, psnr for pair runs). */
export function evalMetrics(lines: readonly EvalLine[]): string[] {
  const order = ['bce', 'psnr', 'ssim', 'mse', 'msssim'];
  const names = Object.keys(lines[0]?.test ?? {}).filter((k) => lines.every((l) => Number.isFinite(l.test[k]) && Number.isFinite(l.train[k])));
  return names.sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99) || a.localeCompare(b));
}

export function EvalChart(props: { lines: readonly EvalLine[]; metric: string; colour?: string }) {
  const series = createMemo(() => {
    const part = (key: 'test' | 'train'): Point[] => props.lines.map((l) => ({ x: l.images, y: l[key][props.metric] })).filter((p) => Number.isFinite(p.y));
    return { test: part('test'), train: part('train') };
  });
  const x = createMemo(() => linearScale([0, Math.max(1, ...props.lines.map((l) => l.images))], [MARGIN.left, WIDTH - MARGIN.right]));
  const y = createMemo(() => {
    const ys = [...series().test, ...series().train].map((p) => p.y);
    const [lo, hi] = ys.length ? [Math.min(...ys), Math.max(...ys)] : [0, 1];
    const pad = (hi - lo) * 0.05;
    return linearScale([lo - pad, hi + pad], [HEIGHT - MARGIN.bottom, MARGIN.top]);
  });
  const last = () => props.lines[props.lines.length - 1];
  return (
    <figure class="chart" data-testid={`eval-${props.metric}`}>
      <figcaption>
        <strong>{props.metric}</strong>
        <span class="muted">
          {' '}
          <Show when={last()} fallback="no evaluations yet">
            {(l) => `test ${formatNumber(l().test[props.metric])}, train ${formatNumber(l().train[props.metric])} after ${formatNumber(l().images)} images (step ${l().step})`}
          </Show>
        </span>
      </figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={`${props.metric} on the test sample (solid) and the train sample (dashed) against images seen`}>
        <g class="grid">
          <For each={y().ticks(5)}>
            {(t) => (
              <g>
                <line x1={MARGIN.left} x2={WIDTH - MARGIN.right} y1={y()(t)} y2={y()(t)} />
                <text x={MARGIN.left - 6} y={y()(t)} text-anchor="end" dominant-baseline="middle">
                  {formatNumber(t)}
                </text>
              </g>
            )}
          </For>
          <For each={x().ticks(5)}>
            {(t) => (
              <text x={x()(t)} y={HEIGHT - MARGIN.bottom + 16} text-anchor="middle">
                {formatNumber(t)}
              </text>
            )}
          </For>
          <line class="axis" x1={MARGIN.left} x2={WIDTH - MARGIN.right} y1={HEIGHT - MARGIN.bottom} y2={HEIGHT - MARGIN.bottom} />
          <line class="axis" x1={MARGIN.left} x2={MARGIN.left} y1={MARGIN.top} y2={HEIGHT - MARGIN.bottom} />
        </g>
        <path class="curve" data-part="train" d={svgPath(series().train, x(), y())} style={{ stroke: props.colour, 'stroke-dasharray': '5 4' }} />
        <path class="curve" data-part="test" d={svgPath(series().test, x(), y())} style={{ stroke: props.colour }} />
        <text class="axis-label" x={WIDTH - MARGIN.right} y={HEIGHT - 2} text-anchor="end">
          images seen — test solid, train dashed
        </text>
      </svg>
    </figure>
  );
}
