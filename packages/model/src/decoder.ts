// MAGANet's decoder, D(g, x) = ℓ⁻¹( f⁻¹( ρ(g)·f(ℓ(x)) ) ): a pixel image enters the flow through a
// fixed invertible map ℓ (the logit of a slightly squashed pixel), the group element acts on the
// flow latent, and the flow's inverse brings it back. Because f and ℓ are bijections and ρ is a
// homomorphism, D satisfies the group laws exactly (to float rounding): D(e, x) = x,
// D(g₂, D(g₁, x)) = D(g₂·g₁, x), D(g⁻¹, D(g, x)) = x. For training, f⁻¹(…) is read as logits.
import * as T from '@maga/tensor';
import type { GroupAction } from './actions.ts';
import type { Glow } from './flow/glow.ts';
import { Module } from './nn/module.ts';

/**
 * ℓ(x) = logit(ε + (1 − 2ε)·x): pixels in [0, 1] to the whole real line, invertibly. The squashed
 * pixel is kept inside float32's open unit interval, so pixels that ℓ⁻¹ rounded to its ends
 * (σ(y) is exactly 1 in float32 for y ≳ 17) map to large finite logits, not infinities; training
 * pixels in [0, 1] are never clamped.
 */
export function pixelsToLogits(x: T.Tensor, epsilon: number): T.Tensor {
  const p = x.mul(1 - 2 * epsilon).add(epsilon).clamp(1e-7, 1 - 6e-8);
  return p.log().sub(T.sub(1, p).log());
}

/** ℓ⁻¹(y) = (σ(y) − ε) / (1 − 2ε). */
export function logitsToPixels(y: T.Tensor, epsilon: number): T.Tensor {
  return T.sigmoid(y).sub(epsilon).div(1 - 2 * epsilon);
}

export class FlowDecoder extends Module {
  constructor(
    readonly flow: Glow,
    readonly action: GroupAction & Module,
    readonly epsilon: number,
  ) {
    super();
    if (!(epsilon > 0 && epsilon < 0.5)) throw new Error(`decoder: epsilon must be in (0, 0.5), got ${epsilon}`);
    this.child('flow', flow);
    this.child('action', action);
  }

  /** f(ℓ(x)): the flow latent of pixel images. */
  flowLatent(pixels: T.Tensor): T.Tensor {
    return this.flow.forward(pixelsToLogits(pixels, this.epsilon)).y;
  }

  /** f⁻¹(ρ(g)·f(ℓ(x))), read as Bernoulli logits (the training target's likelihood). */
  logits(g: T.Tensor, pivot: T.Tensor): T.Tensor {
    return this.actOnLogits(g, pixelsToLogits(pivot, this.epsilon));
  }

  /**
   * The action on images in ℓ-space, y ↦ f⁻¹(ρ(g)·f(y)). It is the same action as on pixels
   * (conjugated by the bijection ℓ), and the one to chain: σ saturates in float32, so a pixel
   * round trip between two actions would lose large logits.
   */
  actOnLogits(g: T.Tensor, logits: T.Tensor): T.Tensor {
    return this.flow.inverse(this.action.act(g, this.flow.forward(logits).y));
  }

  /** D(g, x) in pixel space. */
  decode(g: T.Tensor, pivot: T.Tensor): T.Tensor {
    return logitsToPixels(this.logits(g, pivot), this.epsilon);
  }
}
