// A run's known group in words and in links: its name, an element written out, an element read
// from a link.
import type { RunGroup } from '../api.ts';
import { canonical, normalise, type Quaternion } from './arcball.ts';

/** A group whose elements are one number: SO(2) (an angle) or C_n (j ∈ [0, n)). */
export type NumberGroup = Exclude<RunGroup, { kind: 'so3' }>;
/** An element of the run's group in words: degrees for an angle, "j = 2 of C_4". */
export function formatElement(group: NumberGroup, g: number): string {
  if (group.kind === 'so2') return `θ = ${Math.round((g * 180) / Math.PI)}°`;
  return `j = ${g} (${g === 0 ? 'e' : `${((360 * g) / group.n).toFixed(0)}° / step ${g}`} of C_${group.n})`;
}

export const groupText = (group: RunGroup) => (group.kind === 'so2' ? 'SO(2)' : group.kind === 'so3' ? 'SO(3)' : `C_${group.n}`);

/** The largest |θ| in radians a link may give (the API refuses larger angles). */
export const MAX_ANGLE = 1000;

/** An element of a one-number group read from a link: an angle in radians (SO(2)) or j ∈ [0, n) (C_n); undefined when it is neither. */
export function parseElement(text: string, group: NumberGroup): number | undefined {
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(text)) return undefined;
  const v = Number(text);
  if (group.kind === 'so2') return Number.isFinite(v) && Math.abs(v) <= MAX_ANGLE ? v : undefined;
  return Number.isInteger(v) && v >= 0 && v < group.n ? v : undefined;
}

/** What `parseElement` takes, in words. */
export const elementExpectation = (group: NumberGroup) =>
  group.kind === 'so2' ? `an angle in radians within ±${MAX_ANGLE} (an element of SO(2))` : `an integer from 0 to ${group.n - 1} (an element of C_${group.n})`;

/**
 * A rotation read from a link, "w,x,y,z": four numbers of norm 1 within 1e-3 (a link's rounded
 * digits), normalised; undefined for anything else (a scaled quaternion is refused, not rescaled).
 */
export function parseRotation(text: string): Quaternion | undefined {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.length !== 4 || parts.some((s) => s === '')) return undefined;
  const q = parts.map(Number) as unknown as Quaternion;
  if (!q.every(Number.isFinite) || Math.abs(Math.hypot(...q) - 1) > 1e-3) return undefined;
  return canonical(normalise(q));
}

export const ROTATION_EXPECTATION = 'a unit quaternion w,x,y,z (an element of SO(3))';
