// What the server answers besides a value's ValidationError (@maga/model's readers, which every
// input is read with: schemas.ts): an HttpError carries its own status — 404 for what does not
// exist, 413/415 for a body that cannot be read, 500/503 for a run or server that cannot serve.
import type { Check } from '@maga/model';

export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: 404 | 413 | 415 | 500 | 503,
    message: string,
  ) {
    super(message);
  }
}

/** Runs a check on a whole request part ('body', 'query', 'path'). */
export function parse<T>(check: Check<T>, value: unknown, at: string): T {
  return check(value, at);
}
