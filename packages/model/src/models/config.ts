// Reading a model configuration back from JSON: the field readers every model's parser in the
// registry shares, on the tool's one validation vocabulary (../validate.ts). Their errors are
// ValidationErrors (ConfigError is its name here) that say `config:`, the field, what it must be and
// what it was.
import { nonNegative as nonNegativeNumber, oneOf as oneOfChoices, positiveInt as positiveInteger, satisfying, ValidationError, within, type Check, type Fields } from '../validate.ts';

export { ValidationError as ConfigError, type Fields } from '../validate.ts';

export function field(obj: Fields, path: string, name: string): unknown {
  if (!(name in obj)) throw new ValidationError(`config: missing ${path}${name}`, `${path}${name}`);
  return obj[name];
}

/** Reads the field `name` of `obj` (at `path`) with `check`, its errors prefixed `config:`. */
function read<T>(obj: Fields, path: string, name: string, check: Check<T>): T {
  const v = field(obj, path, name);
  return within('config', () => check(v, `${path}${name}`));
}

export const positiveInt = (obj: Fields, path: string, name: string): number => read(obj, path, name, positiveInteger);

export const nonNegative = (obj: Fields, path: string, name: string): number => read(obj, path, name, nonNegativeNumber);

export const oneOf = <T extends string>(obj: Fields, path: string, name: string, allowed: readonly T[]): T => read(obj, path, name, oneOfChoices(allowed));

export function object(v: unknown, path: string): Fields {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ValidationError(`config: ${path || 'the configuration'} must be an object`, path.replace(/\.$/, ''));
  return v as Fields;
}

/** A non-empty list of integers ≥ `min` (default 1), of a given length if asked. */
export function intList(obj: Fields, path: string, name: string, options: { length?: number; min?: number } = {}): number[] {
  const min = options.min ?? 1;
  const count = options.length === undefined ? 'a non-empty list of' : `${options.length}`;
  const ok = (v: unknown) => Array.isArray(v) && v.length > 0 && (options.length === undefined || v.length === options.length) && v.every((w) => typeof w === 'number' && Number.isInteger(w) && w >= min);
  return read(obj, path, name, satisfying<number[]>(ok, `${count} integers ≥ ${min}`));
}
