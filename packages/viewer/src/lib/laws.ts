// What the group-laws view says of a measured error, from what the model does (its registry
// traits' `lawsHold`): a verdict against a stated tolerance, and the sentence saying where the
// laws are exact. Pure, so that the words are tested apart from the page.
import type { ModelTraits } from '@maga/model';

/**
 * The tolerance the laws are held to in float32, as max |Δpixel| (pixels in [0, 1]): the flow's
 * float32 round trip leaves up to a few 1e-4 on soft pixels of a trained MAGANet
 * (docs/group-laws.md measures it; 1e-12 in float64).
 */
export const LAW_TOLERANCE = 1e-3;

/**
 * Errors up to this are float32 rounding itself: 64 steps of float32 at 1 (2⁻¹⁷ ≈ 7.6e-6), what a
 * chain of a few dozen float32 operations leaves on a pixel. Above it, and up to the tolerance, is
 * the flow's round trip.
 */
export const FLOAT32_ROUNDING = 2 ** -17;

export type LawsHold = ModelTraits['lawsHold'];

export interface Verdict {
  /** 'rounding': at float32 rounding; 'tolerance': within the tolerance; 'fails': beyond it; 'measured': no claim (the laws are not tested on images). */
  level: 'rounding' | 'tolerance' | 'fails' | 'measured';
  /** The sign between the two sides: '=', '≈', '≠', or 'vs' where no claim is made. */
  sign: '=' | '≈' | '≠' | 'vs';
  /** The verdict in words, naming the tolerance it is held to. */
  text: string;
  ok: boolean;
}

const sci = (v: number) => v.toExponential(1);

/** The verdict on one law's max |Δpixel|, for a model whose laws hold as `hold` says. */
export function lawVerdict(error: number, hold: LawsHold): Verdict {
  if (!Number.isFinite(error)) return { level: 'fails', sign: '≠', text: `the error is not finite (${error}): the decode overflowed`, ok: false };
  if (hold === 'latent') {
    return { level: 'measured', sign: 'vs', text: 'a measure of reconstruction: ρ’s laws hold exactly on the latent, not tested on images', ok: true };
  }
  if (error <= FLOAT32_ROUNDING) return { level: 'rounding', sign: '=', text: `holds at float32 rounding (≤ ${sci(FLOAT32_ROUNDING)})`, ok: true };
  if (hold === 'pixels') {
    return { level: 'measured', sign: 'vs', text: `the image operation's own error (resampling between pixels, corners turned out of the frame), above float32 rounding (${sci(FLOAT32_ROUNDING)}): measured, no tolerance claimed`, ok: true };
  }
  if (error <= LAW_TOLERANCE) return { level: 'tolerance', sign: '≈', text: `holds within ${sci(LAW_TOLERANCE)}: the flow’s float32 round trip, above float32 rounding (${sci(FLOAT32_ROUNDING)})`, ok: true };
  return { level: 'fails', sign: '≠', text: `does not hold within ${sci(LAW_TOLERANCE)}`, ok: false };
}

/** Where the laws hold exactly and what the images measure, in a sentence or two, by what the model does. */
export function lawsCaption(hold: LawsHold, known: boolean): string {
  const chained = known ? 'D(g₂, D(g₁, x))' : 'D(z₂, D(z₁, x))';
  if (hold === 'flow') {
    return (
      `The actions are chained in ℓ-space, on logits, never through pixels: ${chained} applies the second element to the first decode's logits. ` +
      `In exact arithmetic every law holds exactly; what remains is the flow's float32 round trip f(f⁻¹(v)), a few 1e-4 on soft pixels of a trained run ` +
      `(1e-12 in float64: docs/group-laws.md). Verdicts: at float32 rounding up to ${sci(FLOAT32_ROUNDING)}, within the tolerance up to ${sci(LAW_TOLERANCE)}.`
    );
  }
  if (hold === 'latent') {
    return (
      `ρ(g) acts on the latent, where it is a representation: there the laws hold exactly, by construction. These images are decodes, and ${chained} ` +
      `re-encodes the first decode before acting again, so their differences measure how well the model reconstructs, not ρ: no verdict is given on them.`
    );
  }
  if (hold === 'pixels') {
    return (
      `This model has no latent: D(g, x) is an operation on the images themselves (x turned by g's angle in pixel space, or x copied). ` +
      `The laws are that operation's: exact where it is exact (the identity, a copy, quarter turns, which move whole pixels), otherwise off by ` +
      `the resampling between pixels and by the corners a turn moves out of the frame. Verdicts: at float32 rounding up to ${sci(FLOAT32_ROUNDING)}; above it the error is measured, with no tolerance claimed.`
    );
  }
  return 'This model has no group laws.';
}
