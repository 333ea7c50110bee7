// A line chart as a standalone SVG file, for the results' test curves (a metric against images seen,
// one line per arm with its 95 % band over seeds). SVG rather than PNG: text stays sharp, the file
// is a few kilobytes, and markdown viewers show it like any image. Pure: a string out.

export interface CurvePoint {
  x: number;
  y: number;
  /** The band around y (e.g. a 95 % interval over seeds), when there is one. */
  lo?: number;
  hi?: number;
}

export interface CurveSeries {
  label: string;
  points: CurvePoint[];
}

export interface CurveChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: CurveSeries[];
  width?: number;
  height?: number;
}

// Colour-blind-safe categorical colours (Okabe–Ito).
const COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];

/** About `count` round tick values covering [lo, hi] (steps of 1, 2 or 5 × 10^k). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/** 1,200 → "1.2k", 52,000,000 → "52M"; small numbers as they are. */
export function formatTick(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (a >= 1e4) return `${Number((v / 1e3).toPrecision(3))}k`;
  return String(Number(v.toPrecision(4)));
}

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function curveSvg(chart: CurveChart): string {
  const width = chart.width ?? 640;
  const height = chart.height ?? 360;
  const legendWidth = 190;
  const m = { left: 64, right: legendWidth + 16, top: 36, bottom: 48 };
  const points = chart.series.flatMap((s) => s.points);
  const xs = points.map((p) => p.x);
  const ys = points.flatMap((p) => [p.y, p.lo ?? p.y, p.hi ?? p.y]).filter(Number.isFinite);
  const [x0, x1] = xs.length ? [Math.min(0, ...xs), Math.max(...xs)] : [0, 1];
  let [y0, y1] = ys.length ? [Math.min(...ys), Math.max(...ys)] : [0, 1];
  if (y1 === y0) [y0, y1] = [y0 - 1, y1 + 1];
  const pad = (y1 - y0) * 0.05;
  [y0, y1] = [y0 - pad, y1 + pad];
  const px = (x: number) => m.left + ((x - x0) / (x1 - x0 || 1)) * (width - m.left - m.right);
  const py = (y: number) => height - m.bottom - ((y - y0) / (y1 - y0)) * (height - m.top - m.bottom);
  const f = (v: number) => v.toFixed(1);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${m.left}" y="20" font-size="14" font-weight="bold">${escape(chart.title)}</text>`,
  ];
  for (const t of niceTicks(x0, x1)) {
    out.push(`<line x1="${f(px(t))}" y1="${m.top}" x2="${f(px(t))}" y2="${height - m.bottom}" stroke="#e5e7eb"/>`);
    out.push(`<text x="${f(px(t))}" y="${height - m.bottom + 16}" text-anchor="middle" fill="#374151">${formatTick(t)}</text>`);
  }
  for (const t of niceTicks(y0, y1)) {
    out.push(`<line x1="${m.left}" y1="${f(py(t))}" x2="${width - m.right}" y2="${f(py(t))}" stroke="#e5e7eb"/>`);
    out.push(`<text x="${m.left - 6}" y="${f(py(t) + 4)}" text-anchor="end" fill="#374151">${formatTick(t)}</text>`);
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${width - m.left - m.right}" height="${height - m.top - m.bottom}" fill="none" stroke="#9ca3af"/>`);
  out.push(`<text x="${(m.left + width - m.right) / 2}" y="${height - 12}" text-anchor="middle">${escape(chart.xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${(m.top + height - m.bottom) / 2}) rotate(-90)" text-anchor="middle">${escape(chart.yLabel)}</text>`);
  chart.series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    const banded = pts.filter((p) => p.lo !== undefined && p.hi !== undefined);
    if (banded.length > 1) {
      const upper = banded.map((p) => `${f(px(p.x))},${f(py(p.hi!))}`);
      const lower = banded.map((p) => `${f(px(p.x))},${f(py(p.lo!))}`).reverse();
      out.push(`<polygon points="${[...upper, ...lower].join(' ')}" fill="${colour}" fill-opacity="0.15" stroke="none"/>`);
    }
    if (pts.length > 1) out.push(`<polyline points="${pts.map((p) => `${f(px(p.x))},${f(py(p.y))}`).join(' ')}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    for (const p of pts) out.push(`<circle cx="${f(px(p.x))}" cy="${f(py(p.y))}" r="2.5" fill="${colour}"/>`);
    const ly = m.top + 8 + i * 18;
    out.push(`<line x1="${width - legendWidth}" y1="${ly}" x2="${width - legendWidth + 20}" y2="${ly}" stroke="${colour}" stroke-width="2"/>`);
    out.push(`<text x="${width - legendWidth + 26}" y="${ly + 4}">${escape(s.label)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
