// The training loop's guard against divergence: loss terms it has already read (at a logging
// step) and every checkpoint it is about to write are checked for NaN and ±Inf, so a run that
// blows up stops with its last good checkpoint intact instead of overwriting it with NaN weights.
// Nothing here reads from the device: the values come from the log's reading or from the bytes
// the checkpoint save read back anyway.
import { decodeSafetensors, findNonFinite, type NonFinite } from '@maga/model';
import { RunError, type Divergence, type RunConfig } from '../run/rundir.ts';

/** Training stopped at a non-finite value; `divergence` says where, the message what to try. */
export class DivergenceError extends RunError {
  override name = 'DivergenceError';
  constructor(
    readonly divergence: Divergence,
    message: string,
  ) {
    super(message);
  }
}

/** The first loss term (in the order given) whose value is not finite. */
export function nonFiniteTerm(values: Record<string, number>): { term: string; value: number } | null {
  for (const [term, value] of Object.entries(values)) if (!Number.isFinite(value)) return { term, value };
  return null;
}

/** The first non-finite value in checkpoint bytes about to be written: `parameter x` or `optimizer moment m.x`. */
export function nonFiniteInCheckpoint(model: Uint8Array, optimizer: Uint8Array): { term: string; value: number; found: NonFinite } | null {
  for (const [what, bytes] of [['parameter', model], ['optimizer moment', optimizer]] as const) {
    const found = findNonFinite(decodeSafetensors(bytes).tensors);
    if (found) return { term: `${what} ${found.tensor}`, value: found.value, found };
  }
  return null;
}

/** The checked mode's error (`checked mode: OP(INPUTS) -> SHAPE produced VALUE at ...`) as a term, value and where. */
export function checkedModeFailure(error: unknown): { term: string; value: number | null; detail: string } | null {
  const message = error instanceof Error ? error.message : '';
  const match = /^checked mode: (.+?) produced (NaN|-?Infinity|a NaN or Inf)(.*)$/s.exec(message);
  if (!match) return null;
  return { term: `op ${match[1]}`, value: match[2] === 'a NaN or Inf' ? null : Number(match[2]), detail: `checked mode: the first op whose output is not finite${match[3]}` };
}

/**
 * The error for a run that diverged at `step`: what was not finite, that the last good
 * checkpoint is kept, and what to try next.
 */
export function divergenceError(dir: string, config: RunConfig, step: number, term: string, value: number | null, checkpointStep: number | null, detail = '', checked = false): DivergenceError {
  const shown = value === null ? 'NaN or Inf' : String(value);
  const divergence: Divergence = { step, term, value: shown, checkpointStep };
  const { lr, clipNorm } = config.training;
  const clip = clipNorm > 0 ? `a tighter --clip (this run: ${clipNorm})` : '--clip 1 (this run clips nothing)';
  const retry = `bun run cli train --resume ${dir} --lr ${Number((lr / 10).toPrecision(3))}${clipNorm > 0 ? '' : ' --clip 1'}`;
  const kept = checkpointStep === null ? 'No checkpoint had been saved yet.' : `The checkpoint of step ${checkpointStep} is kept as it was.`;
  const next = checkpointStep === null ? `Start again with a lower --lr (this run: ${lr}) or ${clip}` : `Try a lower --lr (this run: ${lr}) or ${clip}, e.g. ${retry}`;
  return new DivergenceError(divergence, `training diverged at step ${step}: ${term} is ${shown}${detail ? ` (${detail})` : ''}. ${kept} ${next}${checked ? '' : '; --check-numerics names the first op that goes non-finite'}.`);
}
