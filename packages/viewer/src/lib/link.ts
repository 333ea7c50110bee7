// What a view's link (its URL query) asked for and could not have: each parameter is read by a
// parser, and one that is present but refused becomes a problem the view shows, with the value,
// what was expected and a way to drop it; the view goes on with its default. Nothing is
// corrected silently and nothing throws.

export type Raw = string | string[] | undefined;

export interface LinkProblem {
  /** The query parameter, e.g. "g". */
  key: string;
  /** What the link holds. */
  value: string;
  /** What the parameter takes, in words. */
  expected: string;
}

/** The parameter's text: the first of repeated ones, trimmed; undefined when absent or empty. */
export const paramText = (raw: Raw): string | undefined => {
  const text = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  return text ? text : undefined;
};

/**
 * Reads one parameter: `value` is the parsed value, or undefined when the parameter is absent or
 * refused; `problem` says why a present one was refused.
 */
export function readParam<T>(key: string, raw: Raw, parse: (text: string) => T | undefined, expected: string): { value: T | undefined; problem: LinkProblem | null } {
  const text = paramText(raw);
  if (text === undefined) return { value: undefined, problem: null };
  const value = parse(text);
  return value === undefined ? { value, problem: { key, value: text.length > 60 ? `${text.slice(0, 57)}…` : text, expected } } : { value, problem: null };
}

/** The problems among some reads. */
export const problemsOf = (...reads: { problem: LinkProblem | null }[]): LinkProblem[] => reads.flatMap((r) => (r.problem ? [r.problem] : []));

/** Parses an image index below `count` (digits only). */
export const indexBelow =
  (count: number) =>
  (text: string): number | undefined =>
    /^\d+$/.test(text) && Number(text) < count ? Number(text) : undefined;

/** What `indexBelow(count)` takes, in words. */
export const indexExpectation = (count: number) => `an image index from 0 to ${(count - 1).toLocaleString('en-US')}`;
