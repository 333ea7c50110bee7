// Reading values that come from outside: a config.json, an HTTP body or query, an experiment
// table, a command-line flag. One vocabulary for the whole tool: small composable readers that
// return the value typed or throw a ValidationError whose message names where the value was, what
// it must be and what it was (`training.lr must be a positive number, got 0`), and whose `path`
// says where. The server answers a ValidationError with 400, the CLI with exit code 2, and a run
// directory's reader puts its file's name in front (RunError).

/** A value that is not what its reader expected; `path` names where it was (`z[0][3]`, `data.group`, `--limit`). */
export class ValidationError extends Error {
  override name = 'ValidationError';
  constructor(
    message: string,
    readonly path = '',
  ) {
    super(message);
  }

  /** The same error with a context in front of its message: `config.json: …`, `experiment x: …`. */
  within(context: string): ValidationError {
    return new ValidationError(`${context}: ${this.message}`, this.path);
  }
}

/** Reads `value` found at `at` (a path for messages) as a T, or throws a ValidationError. */
export type Check<T> = (value: unknown, at: string) => T;
export type Checked<C> = C extends Check<infer T> ? T : never;

/** A value as an error message shows it (JSON, but numbers such as Infinity kept readable). */
export function show(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

/** `${at} must be ${expected}, got ${value}`. */
export const invalid = (at: string, expected: string, value: unknown) => new ValidationError(`${at} must be ${expected}, got ${show(value)}`, at);

/** A reader from a test and the words for what passes it. */
export const satisfying =
  <T>(ok: (value: unknown) => boolean, expected: string): Check<T> =>
  (v, at) => {
    if (!ok(v)) throw invalid(at, expected, v);
    return v as T;
  };

/** Runs `read`, putting `context` in front of the message of a ValidationError it throws. */
export function within<T>(context: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    throw e instanceof ValidationError ? e.within(context) : e;
  }
}

// ---- numbers --------------------------------------------------------------------------------------

export const isPositiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
export const isNonNegativeInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
export const isNonNegative = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

export const positiveInt: Check<number> = satisfying(isPositiveInt, 'a positive integer');
export const nonNegativeInt: Check<number> = satisfying(isNonNegativeInt, 'a non-negative integer');
export const nonNegative: Check<number> = satisfying(isNonNegative, 'a non-negative number');
export const positive: Check<number> = satisfying((v) => isNonNegative(v) && v > 0, 'a positive number');

export const integer = (min: number, max: number): Check<number> => satisfying((v) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max, `an integer in [${min}, ${max}]`);

export const finite = (min: number, max: number, exclusiveMin = false): Check<number> =>
  satisfying((v) => typeof v === 'number' && Number.isFinite(v) && (exclusiveMin ? v > min : v >= min) && v <= max, `a finite number in ${exclusiveMin ? '(' : '['}${min}, ${max}]`);

/** A query-string integer: digits only, then the integer check. */
export const integerText =
  (min: number, max: number): Check<number> =>
  (v, at) => {
    if (typeof v !== 'string' || !/^-?[0-9]{1,16}$/.test(v)) throw invalid(at, `an integer in [${min}, ${max}]`, v);
    return integer(min, max)(Number(v), at);
  };

// ---- other values ---------------------------------------------------------------------------------

export const boolean: Check<boolean> = satisfying((v) => typeof v === 'boolean', 'true or false');
export const string: Check<string> = satisfying((v) => typeof v === 'string', 'a string');

export const oneOf = <C extends string>(choices: readonly C[]): Check<C> => satisfying((v) => typeof v === 'string' && (choices as readonly string[]).includes(v), `one of ${choices.join(', ')}`);

export const list =
  <T>(item: Check<T>, min: number, max: number, options: { unique?: boolean } = {}): Check<T[]> =>
  (v, at) => {
    if (!Array.isArray(v)) throw invalid(at, 'an array', v);
    if (v.length < min || v.length > max) throw new ValidationError(`${at} must hold ${min === max ? min : `${min} to ${max}`} items, got ${v.length}`, at);
    const items = v.map((x, i) => item(x, `${at}[${i}]`));
    if (options.unique && new Set(items).size !== items.length) throw new ValidationError(`${at} must not repeat an item`, at);
    return items;
  };

/** Absent (undefined) becomes `fallback`; null is not absent. */
export const optional =
  <T, F extends T | undefined>(check: Check<T>, fallback: F): Check<T | F> =>
  (v, at) =>
    v === undefined ? fallback : check(v, at);

export type Fields = Record<string, unknown>;
export const isRecord = (v: unknown): v is Fields => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Any JSON object, its fields unread. */
export const record: Check<Fields> = satisfying(isRecord, 'an object');

type Shape = Record<string, Check<unknown>>;

/**
 * A JSON object with exactly these fields, each read by its check; a key it does not name is
 * refused, so that a misspelt option never silently falls back to a default. A top-level part
 * (`body`, `query`) does not prefix its fields' paths.
 */
export const object =
  <S extends Shape>(shape: S): Check<{ [K in keyof S]: Checked<S[K]> }> =>
  (v, at) => {
    if (!isRecord(v)) throw invalid(at, 'a JSON object', v);
    const top = at === 'body' || at === 'query';
    for (const key of Object.keys(v)) {
      if (!Object.hasOwn(shape, key)) throw new ValidationError(`${top ? '' : `${at}.`}${key} is not accepted here (accepted: ${Object.keys(shape).join(', ')})`, top ? key : `${at}.${key}`);
    }
    const out: Record<string, unknown> = {};
    for (const [key, check] of Object.entries(shape)) out[key] = check(v[key], top ? key : `${at}.${key}`);
    return out as { [K in keyof S]: Checked<S[K]> };
  };
