// The baseline of Winter, Bertolini, Le, Noé, Clevert (NeurIPS 2022), "Unsupervised learning of group
// invariant and equivariant representations", as its public code does it for SO(2) (Bayer-Group/giae,
// giae/so2; ../shared/papers/latent-action-notes.md): an encoder gives an invariant embedding and a
// rotation ψ(x); a decoder draws the canonical image from the embedding alone; the canonical image
// is turned in pixel space. With a known g (our pairs), D(g, x) = R_{θ_g + ψ(x)}·dec(emb(x)).
//
// The simplification (docs/latent-action.md says why): giae's encoder is an SO(2)-steerable CNN
// (e2cnn, scalar and vector fields). Here a plain CNN φ is made C_K-equivariant by averaging over
// the orbit of K turned copies of x (K = `orbit`, 4 by default: quarter turns, which rotate2d does
// as exact index permutations):
//   emb(x) = (1/K) Σ_k e(x_k),   v(x) = (1/K) Σ_k R(2πk/K)·u(x_k),   x_k = R_{−2πk/K}·x,
// with (e, u) = φ(x). emb is exactly invariant and v exactly equivariant under the K turns
// (emb(R_{2πm/K}x) = emb(x), v(R_{2πm/K}x) = R(2πm/K)·v(x), by re-indexing the sum), and ψ(x) =
// atan2(v). Between the K turns equivariance is learned, not built in, as with any CNN.
// The decoder: a linear map to w₃×(S/8)², three transposed convolutions (4×4, stride 2) up to S×S,
// a sigmoid (giae: upsampling ×2 four times to 32×32 and a crop to 28×28; our digits are padded to
// 32×32, so no crop). The turn: rotate2d (bilinear, zero outside, differentiable in the angle, so ψ
// learns from the loss). Loss: squared error summed per image, as giae's MSE.
//
// A data-space method: the block of rotated-blocked-mnist turns with the digit.
import * as T from '@maga/tensor';
import { Conv2d, ConvTranspose2d, Linear } from '../nn/layers.ts';
import { ConfigError, field, intList, positiveInt, type Fields } from './config.ts';
import { elements, groupLabelOf, parseGroup, turnsImagePlane, type GroupConfig } from '../groups/registry.ts';
import { planeAngles } from './latent-action.ts';
import { knownGroupTraits, pairBatch, type Encoding, type LossTerms, type ModelTraits, type PreparedDecoder, type TrainingBatch } from './model.ts';
import { checkImages, PixelActionModel, pixelActionDefaults } from './pixel-action.ts';

export interface WinterConfig {
  model: 'winter';
  /** Side of the square images (divisible by 8). */
  imageSize: number;
  channels: number;
  /** SO(2) or C_n: the group whose element turns the image plane (frequencies are not used). */
  group: GroupConfig;
  /** Channels of the encoder's three stride-2 convolutions; the decoder mirrors them. */
  widths: number[];
  /** Size of the invariant embedding (giae: 32). */
  embedding: number;
  /** K: the encoder is averaged over K turns of x by 2π/K (4: exact quarter turns). */
  orbit: number;
}

export const WINTER_DEFAULTS: WinterConfig = {
  ...pixelActionDefaults('winter'),
  widths: [32, 64, 64],
  embedding: 32,
  orbit: 4,
};

export const WINTER_TRAITS: ModelTraits = knownGroupTraits('Winter et al.', { latentParts: false, lawsHold: 'latent' });

/** What the encoder says about an image: the invariant embedding and the equivariant 2-vector (ψ = its angle). */
export interface WinterCode {
  embedding: T.Tensor;
  /** v(x) [N, 2]; ψ(x) = atan2(v₁, v₀). */
  direction: T.Tensor;
}

export class Winter extends PixelActionModel<WinterConfig, WinterCode> {
  readonly traits = WINTER_TRAITS;
  readonly convs: Conv2d[] = [];
  readonly head: Linear;
  readonly fc: Linear;
  readonly ups: ConvTranspose2d[] = [];
  readonly base: number;

  constructor(config: WinterConfig, rng: T.Rng) {
    super(config, { planeOnly: true });
    const { imageSize, channels, widths, embedding } = config;
    if (imageSize % 8 !== 0) throw new Error(`winter: image size ${imageSize} must be divisible by 8 (three stride-2 convolutions)`);
    if (widths.length !== 3) throw new Error(`winter: widths must be 3 channel counts, got [${widths.join(', ')}]`);
    this.base = imageSize / 8;
    widths.forEach((w, i) => this.convs.push(this.child(`conv${i + 1}`, new Conv2d(i === 0 ? channels : widths[i - 1], w, 4, rng, { stride: 2, padding: 1 }))));
    this.head = this.child('head', new Linear(widths[2] * this.base * this.base, embedding + 2, rng));
    this.fc = this.child('fc', new Linear(embedding, widths[2] * this.base * this.base, rng));
    const ups: [number, number][] = [
      [widths[2], widths[1]],
      [widths[1], widths[0]],
      [widths[0], channels],
    ];
    ups.forEach(([from, to], i) => this.ups.push(this.child(`up${i + 1}`, new ConvTranspose2d(from, to, 4, rng, { stride: 2, padding: 1 }))));
  }

  /** φ(x): (e, u) [N, embedding + 2], a plain CNN. */
  private features(x: T.Tensor): T.Tensor {
    let h = x;
    for (const conv of this.convs) h = conv.forward(h, { relu: true });
    return this.head.forward(h.flatten(1));
  }

  /** The orbit-averaged encoder: emb invariant and v equivariant under the K turns (exactly). */
  encodeCode(x: T.Tensor): WinterCode {
    checkImages(this.config, x);
    const n = x.shape[0];
    const k = this.config.orbit;
    const turns = Array.from({ length: k }, (_, i) => (2 * Math.PI * i) / k);
    // All K copies in one batch: copy i is x turned by −2πi/K.
    const copies = T.rotate2d(T.concat(turns.map(() => x), 0), T.tensor(Float32Array.from(turns.flatMap((t) => Array(n).fill(-t)))));
    const f = this.features(copies).reshape([k, n, this.config.embedding + 2]);
    const embedding = T.mean(T.slice(f, 2, 0, this.config.embedding), 0);
    const u = T.slice(f, 2, this.config.embedding); // [K, N, 2]
    // Σ_i R(2πi/K)·u_i: rows (cos, −sin; sin, cos) of each turn.
    const cos = T.tensor(Float32Array.from(turns.flatMap((t) => Array(n).fill(Math.cos(t)))), [k, n, 1]);
    const sin = T.tensor(Float32Array.from(turns.flatMap((t) => Array(n).fill(Math.sin(t)))), [k, n, 1]);
    const [u0, u1] = [T.slice(u, 2, 0, 1), T.slice(u, 2, 1, 2)];
    const turned = T.concat([u0.mul(cos).sub(u1.mul(sin)), u0.mul(sin).add(u1.mul(cos))], 2);
    return { embedding, direction: T.mean(turned, 0) };
  }

  /** ψ(x) [N]: the angle of v(x). */
  angle(code: WinterCode): T.Tensor {
    const [v0, v1] = [T.slice(code.direction, 1, 0, 1), T.slice(code.direction, 1, 1, 2)];
    return atan2(v1, v0).reshape([code.direction.shape[0]]);
  }

  /** The canonical image dec(emb) in [0, 1], [N, C, S, S]. */
  canonical(code: WinterCode): T.Tensor {
    const [, , w3] = this.config.widths;
    let h = this.fc.forward(code.embedding).relu().reshape([code.embedding.shape[0], w3, this.base, this.base]);
    h = this.ups[0].forward(h).relu();
    h = this.ups[1].forward(h).relu();
    return T.sigmoid(this.ups[2].forward(h));
  }

  /** D(g, x) = R_{θ_g + ψ(x)}·dec(emb(x)) (a single x or g broadcasts). */
  decodeWith(g: T.Tensor, code: WinterCode): T.Tensor {
    const image = this.canonical(code);
    const rows = Math.max(image.shape[0], g.shape[0]);
    const angle = planeAngles(this.config.group, g).broadcastTo([rows]).add(this.angle(code).broadcastTo([rows]));
    return T.rotate2d(image.broadcastTo([rows, ...image.shape.slice(1)]), angle);
  }

  lossTerms(batch: TrainingBatch): LossTerms {
    const { x, gx, g } = pairBatch(batch, 'winter');
    const reconstruction = T.sum(T.square(this.decodeWith(g, this.encodeCode(x)).sub(gx))).div(x.shape[0]);
    return { loss: reconstruction, reconstruction };
  }

  /** The invariant embedding followed by v(x) (the latent the viewer's map shows). */
  encode(x: T.Tensor): Encoding {
    const code = this.encodeCode(x);
    return { mu: T.concat([code.embedding, code.direction], 1), logVar: null };
  }

  prepare(pivot: T.Tensor | null): PreparedDecoder {
    if (!pivot) throw new Error('winter decodes R_{θ+ψ(x)}·dec(emb(x)): an image x is needed');
    const code = this.encodeCode(pivot);
    const kept = [T.keep(code.embedding), T.keep(code.direction)];
    return {
      decode: (z) => this.decodeWith(elements(this.config.group, z), code),
      dispose: () => kept.forEach((t) => t.dispose()),
    };
  }

  // The group laws (the base's, measured): re-encoding the decoded image; for the K turns the
  // encoder's equivariance makes D(g₂, E(D(g₁, x))) = D(g₂g₁, x) and the round trip exact up to
  // float rounding.
}

/**
 * atan2(y, x) elementwise, differentiable, from ops the tensor core has (it has no atan): the
 * half-angle form θ = 2·arctan(y / (r + x)), r = |(x, y)|, smooth everywhere but on the negative
 * x axis, where t = y / (r + x) grows without bound and arctan's reciprocal branch takes over.
 */
export function atan2(y: T.Tensor, x: T.Tensor): T.Tensor {
  const r = T.sqrt(x.mul(x).add(y.mul(y)).add(1e-24));
  return arctan(y.div(r.add(x).add(1e-30))).mul(2);
}

/** arctan(t) elementwise: a polynomial on |t| ≤ 1, arctan(t) = sign(t)·π/2 − arctan(1/t) beyond. */
export function arctan(t: T.Tensor): T.Tensor {
  const big = T.greater(T.abs(t), T.fullLike(t, 1)); // 1 where |t| > 1 (no gradient)
  const small = T.sub(1, big);
  const safe = t.mul(big).add(small); // t where |t| > 1, else 1: a divisor that is never 0
  const s = t.mul(small).add(T.div(1, safe).mul(big)); // |s| ≤ 1
  const core = polyArctan(s);
  return core.mul(small).add(T.sign(t).mul(Math.PI / 2).sub(core).mul(big));
}

// arctan s = s·(1 + a₂s² + … + a₁₆s¹⁶) on [−1, 1], |error| ≤ 2e-8 (Abramowitz & Stegun 4.4.49).
const ARCTAN = [1, -0.3333314528, 0.1999355085, -0.1420889944, 0.1065626393, -0.07528964, 0.0429096138, -0.0161657367, 0.0028662257];
function polyArctan(s: T.Tensor): T.Tensor {
  const s2 = s.mul(s);
  let p = T.fullLike(s, ARCTAN[ARCTAN.length - 1]);
  for (let i = ARCTAN.length - 2; i >= 0; i--) p = p.mul(s2).add(ARCTAN[i]);
  return s.mul(p);
}

export function parseWinter(c: Fields, { imageSize, channels }: { imageSize: number; channels: number }): WinterConfig {
  if (imageSize % 8 !== 0) throw new ConfigError(`config: imageSize must be divisible by 8 for winter (three stride-2 convolutions), got ${imageSize}`);
  const group = parseGroup(field(c, '', 'group'));
  if (!turnsImagePlane(group)) throw new ConfigError(`config: winter takes the groups so2 and cyclic (turns of the image plane), not ${groupLabelOf(group)}`);
  return {
    model: 'winter',
    imageSize,
    channels,
    group,
    widths: intList(c, '', 'widths', { length: 3 }),
    embedding: positiveInt(c, '', 'embedding'),
    orbit: positiveInt(c, '', 'orbit'),
  };
}
