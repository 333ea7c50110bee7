// Reading a model configuration back from JSON: small checks that name the field, what it must
// be and what it was, shared by every model's parser in the registry.

export class ConfigError extends Error {}

export type Fields = Record<string, unknown>;

export function field(obj: Fields, path: string, name: string): unknown {
  if (!(name in obj)) throw new ConfigError(`config: missing ${path}${name}`);
  return obj[name];
}

export function positiveInt(obj: Fields, path: string, name: string): number {
  const v = field(obj, path, name);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new ConfigError(`config: ${path}${name} must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

export function nonNegative(obj: Fields, path: string, name: string): number {
  const v = field(obj, path, name);
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new ConfigError(`config: ${path}${name} must be a non-negative number, got ${JSON.stringify(v)}`);
  return v;
}

export function oneOf<T extends string>(obj: Fields, path: string, name: string, allowed: readonly T[]): T {
  const v = field(obj, path, name);
  if (typeof v !== 'string' || !allowed.includes(v as T)) throw new ConfigError(`config: ${path}${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}

export function object(v: unknown, path: string): Fields {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigError(`config: ${path || 'the configuration'} must be an object`);
  return v as Fields;
}

/** A list of integers (positive ones unless `allowZero`/`allowNegative`), of a given length if asked. */
export function intList(obj: Fields, path: string, name: string, options: { length?: number; min?: number } = {}): number[] {
  const v = field(obj, path, name);
  const min = options.min ?? 1;
  const ok = Array.isArray(v) && v.length > 0 && (options.length === undefined || v.length === options.length) && v.every((w) => typeof w === 'number' && Number.isInteger(w) && w >= min);
  if (!ok) {
    const count = options.length === undefined ? 'a non-empty list of' : `${options.length}`;
    throw new ConfigError(`config: ${path}${name} must be ${count} integers ≥ ${min}, got ${JSON.stringify(v)}`);
  }
  return v as number[];
}
