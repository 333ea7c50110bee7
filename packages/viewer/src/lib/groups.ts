// A run's group element in a link: read with the group's own check (packages/model's Group),
// written as its numbers. The viewer names no kind of group here.
import type { Group } from '@maga/model';
import { paramText, type LinkProblem, type Raw } from './link.ts';

/** The largest |number| a link's element may hold: the API refuses larger codes (an angle of 1000 rad is 159 turns). */
export const MAX_ELEMENT_NUMBER = 1000;

/** An element for a link: its numbers, comma-separated, to 6 decimals (a quaternion's rounding stays within the unit tolerance). */
export const formatElementParam = (g: readonly number[]) => g.map((v) => String(Number(v.toFixed(6)))).join(',');

/** Whether two elements are the same to a link's rounding. */
export const sameElement = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) <= 1e-6);

/**
 * An element of `group` from a link's parameter: its numbers, checked by the group (an angle, j of
 * C_n, a unit quaternion, each within ±MAX_ELEMENT_NUMBER); absent gives no value, refused a
 * problem naming the value and the group's own words for what it takes.
 */
export function elementParam(key: string, raw: Raw, group: Group): { value: number[] | undefined; problem: LinkProblem | null } {
  const text = paramText(raw);
  if (text === undefined) return { value: undefined, problem: null };
  const numbers = text.split(',').map((t) => (/^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i.test(t) ? Number(t) : NaN));
  try {
    if (numbers.length !== group.elementSize || numbers.some((v) => !Number.isFinite(v) || Math.abs(v) > MAX_ELEMENT_NUMBER)) throw new Error('not an element');
    return { value: group.parseElement(group.elementSize === 1 ? numbers[0] : numbers, key, MAX_ELEMENT_NUMBER), problem: null };
  } catch {
    const shown = text.length > 60 ? `${text.slice(0, 57)}…` : text;
    return { value: undefined, problem: { key, value: shown, expected: `${group.elementText} (an element of ${group.name}), written as ${group.elementSize === 1 ? 'one number' : `${group.elementSize} numbers separated by commas`}` } };
  }
}
