// Checks for what arrives over HTTP: a handful of composable validators that either return the
// value typed or throw an HttpError (400) naming the field, what it must be, and what it was.
// Unknown keys are refused too, so a misspelt option never silently falls back to a default.

export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: 400 | 404 | 413 | 415 | 500 | 503,
    message: string,
  ) {
    super(message);
  }
}

export type Check<T> = (value: unknown, at: string) => T;
export type Checked<C> = C extends Check<infer T> ? T : never;

const bad = (message: string) => new HttpError(400, message);

/** A value as an error message shows it (JSON, but numbers such as Infinity kept readable). */
export function show(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

export const integer =
  (min: number, max: number): Check<number> =>
  (v, at) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw bad(`${at} must be an integer in [${min}, ${max}], got ${show(v)}`);
    return v;
  };

export const finite =
  (min: number, max: number, exclusiveMin = false): Check<number> =>
  (v, at) => {
    const ok = typeof v === 'number' && Number.isFinite(v) && (exclusiveMin ? v > min : v >= min) && v <= max;
    if (!ok) throw bad(`${at} must be a finite number in ${exclusiveMin ? '(' : '['}${min}, ${max}], got ${show(v)}`);
    return v as number;
  };

export const oneOf =
  <C extends string>(choices: readonly C[]): Check<C> =>
  (v, at) => {
    if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) throw bad(`${at} must be one of ${choices.join(', ')}, got ${show(v)}`);
    return v as C;
  };

export const list =
  <T>(item: Check<T>, min: number, max: number, options: { unique?: boolean } = {}): Check<T[]> =>
  (v, at) => {
    if (!Array.isArray(v)) throw bad(`${at} must be an array, got ${show(v)}`);
    if (v.length < min || v.length > max) throw bad(`${at} must hold ${min === max ? min : `${min} to ${max}`} items, got ${v.length}`);
    const items = v.map((x, i) => item(x, `${at}[${i}]`));
    if (options.unique && new Set(items).size !== items.length) throw bad(`${at} must not repeat an item`);
    return items;
  };

/** Absent (undefined) becomes `fallback`; null is not absent. */
export const optional =
  <T, F extends T | undefined>(check: Check<T>, fallback: F): Check<T | F> =>
  (v, at) =>
    v === undefined ? fallback : check(v, at);

type Shape = Record<string, Check<unknown>>;

export const object =
  <S extends Shape>(shape: S): Check<{ [K in keyof S]: Checked<S[K]> }> =>
  (v, at) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(`${at} must be a JSON object, got ${show(v)}`);
    const record = v as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (!Object.hasOwn(shape, key)) throw bad(`${at === 'body' || at === 'query' ? '' : `${at}.`}${key} is not accepted here (accepted: ${Object.keys(shape).join(', ')})`);
    }
    const out: Record<string, unknown> = {};
    for (const [key, check] of Object.entries(shape)) out[key] = check(record[key], at === 'body' || at === 'query' ? key : `${at}.${key}`);
    return out as { [K in keyof S]: Checked<S[K]> };
  };

/** A query-string integer: digits only, then the integer check. */
export const integerText =
  (min: number, max: number): Check<number> =>
  (v, at) => {
    if (typeof v !== 'string' || !/^-?[0-9]{1,16}$/.test(v)) throw bad(`${at} must be an integer in [${min}, ${max}], got ${show(v)}`);
    return integer(min, max)(Number(v), at);
  };

/** Runs a check on a whole request part ('body', 'query', 'path'). */
export function parse<T>(check: Check<T>, value: unknown, at: string): T {
  return check(value, at);
}
