// Latent group actions (Jin, Shrivastava, Fletcher, NeurIPS 2024), reconstructed from the paper's
// description (its code is not public; docs/latent-action.md gives every choice and the measurement
// that decided it):
//   E: x ↦ (z, skips): three stride-2 convolutions to tokens (the h×w positions of the last
//      feature map, with a learned position embedding), one self-attention layer over those
//      tokens (learned Q, K, V), and a linear map to the latent z = (invariant, varying);
//   ρ(g) acts on the varying part of z by block-diagonal R(k·θ) (SO(2), or C_n as its subgroup),
//      the invariant part untouched, and on the encoder's skip feature maps as `skips` says: the
//      first half of each map's channels invariant, the other half turned with g — in position
//      ('spatial': the maps rotated in the image plane by g's angle), in channel pairs
//      ('channels': R(k·θ) at every position, positions unmoved), or not passed on ('invariant');
//      so the decoder sees no skip feature that g has not acted on;
//   D: (ρ(g)·z, ρ(g)·skips) ↦ logits of g·x, transposed convolutions with the acted skips
//      concatenated at each scale.
// Trained on pairs (x, g·x) with g known, per image:
//   BCE(D(ρ(g)E(x)), g·x) + β_identity·BCE(D(E(x)), x)
//   + β_equivariance·‖ρ(g)·z(x) − sg[z(g·x)]‖² (relative: over sg[‖z(g·x)‖²], so shrinking z cannot lower it)
//   + β_skip·Σ_maps ‖ρ(g)·s(x) − sg[s(g·x)]‖² / sg[‖s(g·x)‖²] (the skip maps' consistency)
// (or MSE for the two reconstruction terms). At test time it sees x and g only.
import * as T from '@maga/tensor';
import { Conv2d, ConvTranspose2d, Linear } from '../nn/layers.ts';
import { Module } from '../nn/module.ts';
import { SelfAttention } from '../nn/attention.ts';
import { ConfigError, field, intList, nonNegative, oneOf, positiveInt, type Fields } from './config.ts';
import { ChannelAction } from '../groups/channel-action.ts';
import type { VectorAction } from '../groups/group.ts';
import { elements, elementSize, groupName, parseGroup, planeAngles as planeAnglesOf, turnsImagePlane, varyingSize, vectorAction, type GroupConfig } from '../groups/registry.ts';
import { knownGroupTraits, measuredGroupLaws, pairBatch, type Encoding, type GroupLawImages, type LossTerms, type Model, type ModelTraits, type PreparedDecoder, type TrainingBatch } from './model.ts';

export interface LatentActionConfig {
  model: 'latent-action';
  /** Side of the square images (divisible by 8: three stride-2 convolutions). */
  imageSize: number;
  channels: number;
  group: GroupConfig;
  /** Channels of the encoder's three convolutions (the decoder mirrors them); each even. */
  widths: number[];
  /** Width of the attention's queries, keys and values. */
  headDim: number;
  /** Size of the latent's invariant part. */
  invariant: number;
  /**
   * Blocks of the varying part: 2-D blocks (SO(2), C_n; block b at frequency group.frequencies[b mod
   * length]) or, for SO(3), blocks of 2ℓ + 1 with ℓ = group.degrees[b mod length].
   */
  blocks: number;
  /**
   * Skip connections from the encoder's first two feature maps, and how g acts on them (SKIP_MODES):
   * 'none' (the paper's ablation without skips), 'channels', 'invariant' or 'spatial'.
   */
  skips: SkipMode;
  /** The reconstruction loss: Bernoulli (BCE with logits) or squared error, summed per image. */
  reconstruction: 'bce' | 'mse';
  /** Weight of the reconstruction at g = e, D(E(x)) against x. */
  betaIdentity: number;
  /** Weight of the latent equivariance term ‖ρ(g)·z(x) − z(g·x)‖² (z(g·x) without gradient). */
  betaEquivariance: number;
  /**
   * The equivariance term's scale: 'relative' divides it by the batch's mean ‖z(g·x)‖² (no gradient),
   * so that it is unchanged when the encoder rescales z; 'absolute' is the plain squared error, which
   * an encoder lowers by shrinking z (the version before issue 24).
   */
  equivarianceScale: 'relative' | 'absolute';
  /** Weight of the skip maps' consistency ‖ρ(g)·s(x) − sg[s(g·x)]‖² / sg[‖s(g·x)‖²], summed over the maps. */
  betaSkip: number;
}

/**
 * How g reaches the skip maps. In every mode the first half of a map's channels is invariant
 * (passed on as it is) and the decoder sees nothing of x that g has not acted on:
 *   - 'none': no skip connections (the paper's ablation);
 *   - 'channels': the other half in 2-D channel pairs rotated by R(k·θ) at every position
 *     (SO(3): 3-vectors rotated by R), positions unmoved — the version before issue 24, which lets
 *     the decoder read x's layout from where the features are;
 *   - 'invariant': only the invariant half is passed on;
 *   - 'spatial': the other half turned in the image plane by g's angle (rotate2d: bilinear, exact
 *     for quarter turns), so that x's features arrive where g moves them. Only for groups that
 *     turn the image plane (the MNIST sets' SO(2) and C_n), never for contrast or SO(3).
 */
export const SKIP_MODES = ['none', 'channels', 'invariant', 'spatial'] as const;
export type SkipMode = (typeof SKIP_MODES)[number];

export const LATENT_ACTION_DEFAULTS: LatentActionConfig = {
  model: 'latent-action',
  imageSize: 32,
  channels: 1,
  group: { kind: 'so2', frequencies: [1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 4, 4] },
  widths: [32, 64, 64],
  headDim: 32,
  invariant: 32,
  blocks: 16,
  skips: 'channels',
  reconstruction: 'bce',
  betaIdentity: 1,
  betaEquivariance: 1,
  equivarianceScale: 'absolute',
  betaSkip: 0,
};

export const LATENT_ACTION_TRAITS: ModelTraits = knownGroupTraits('latent-action', { latentParts: true, lawsHold: 'latent' });

/** The encoder's output: the latent and the skip feature maps (finest first). */
export interface LatentCode {
  z: T.Tensor;
  skips: T.Tensor[];
}

/** The decoder: transposed convolutions up from the latent, with (acted) skip maps concatenated at each scale. */
export class SkipDecoder extends Module {
  readonly fc: Linear;
  readonly ups: ConvTranspose2d[] = [];
  readonly merges: Conv2d[] = [];
  readonly base: number;

  constructor(
    readonly config: Pick<LatentActionConfig, 'imageSize' | 'channels' | 'widths'> & {
      latentSize: number;
      /** Channels of the acted skip maps at S/2 and S/4 (finest first), or none: no skip connections. */
      skipChannels: readonly number[];
    },
    rng: T.Rng,
  ) {
    super();
    const [w1, w2, w3] = config.widths;
    if (config.skipChannels.length !== 0 && config.skipChannels.length !== 2) throw new Error(`skip decoder: skipChannels must list the channels of 2 maps (S/2, S/4) or none, got [${config.skipChannels.join(', ')}]`);
    this.base = config.imageSize / 8;
    this.fc = this.child('fc', new Linear(config.latentSize, w3 * this.base * this.base, rng));
    const stages = [
      [w3, w2],
      [w2, w1],
    ];
    stages.forEach(([from, to], i) => {
      this.ups.push(this.child(`up${i + 1}`, new ConvTranspose2d(from, to, 4, rng, { stride: 2, padding: 1 })));
      if (this.hasSkips) this.merges.push(this.child(`merge${i + 1}`, new Conv2d(to + config.skipChannels[1 - i], to, 3, rng, { padding: 1 })));
    });
    this.ups.push(this.child('up3', new ConvTranspose2d(w1, config.channels, 4, rng, { stride: 2, padding: 1 })));
  }

  get hasSkips(): boolean {
    return this.config.skipChannels.length > 0;
  }

  /** Logits [N, C, S, S] from a latent [N, latentSize] and skip maps (finest first; ignored without skips). */
  forward(z: T.Tensor, skips: T.Tensor[]): T.Tensor {
    const [, , w3] = this.config.widths;
    let h = this.fc.forward(z).relu().reshape([z.shape[0], w3, this.base, this.base]);
    for (let i = 0; i < 2; i++) {
      h = this.ups[i].forward(h).relu();
      if (this.hasSkips) {
        const skip = skips[1 - i]; // coarsest skip first on the way up
        const channels = this.config.skipChannels[1 - i];
        if (!skip || skip.shape[1] !== channels || skip.shape[2] !== h.shape[2]) {
          throw new Error(`skip decoder: stage ${i + 1} needs a skip map of ${channels} channels at ${h.shape[2]}×${h.shape[3]}, got ${skip ? T.describeShape(skip.shape) : 'none'}`);
        }
        h = this.merges[i].forward(T.concat([h, skip.broadcastTo([h.shape[0], ...skip.shape.slice(1)])], 1)).relu();
      }
    }
    return this.ups[2].forward(h);
  }
}

/** g's angle in the image plane [N]: θ for SO(2), 2πj/n for C_n (the digit sets' rotations); the group says (Group.planeTurn). */
export const planeAngles = (group: GroupConfig, g: T.Tensor): T.Tensor => planeAnglesOf(group, g, "skips 'spatial'");

/**
 * ρ(g) on one skip map [N, C, h, w] as `mode` says (SKIP_MODES): the first `invariant` channels
 * as they are, the rest turned with g in position ('spatial') or in channel pairs ('channels'),
 * or dropped ('invariant'). `output` is what the decoder receives.
 */
export class SkipAction {
  readonly invariant: number;
  /** Channels handed to the decoder. */
  readonly output: number;
  private readonly channelAction: ChannelAction | null;

  constructor(
    readonly group: GroupConfig,
    readonly mode: Exclude<SkipMode, 'none'>,
    readonly channels: number,
  ) {
    this.invariant = ChannelAction.split(group, channels);
    this.channelAction = mode === 'channels' ? new ChannelAction(group, channels, this.invariant) : null;
    if (mode === 'spatial' && !turnsImagePlane(group)) throw new Error(`latent-action: skips 'spatial' turns the skip maps in the image plane, which ${groupName(group)} does not do (use 'channels', 'invariant' or 'none')`);
    this.output = mode === 'invariant' ? this.invariant : channels;
  }

  /** The acted map, rows max(N, g's); a map or g of 1 row broadcasts. */
  act(g: T.Tensor, map: T.Tensor): T.Tensor {
    if (map.rank !== 4 || map.shape[1] !== this.channels) throw new Error(`skip action: maps must be [N, ${this.channels}, h, w], got ${T.describeShape(map.shape)}`);
    if (this.mode === 'channels') return this.channelAction!.act(g, map);
    const kept = T.slice(map, 1, 0, this.invariant);
    if (this.mode === 'invariant') return kept;
    const [n, c, h, w] = map.shape;
    const rows = Math.max(n, g.shape[0]);
    const angles = planeAngles(this.group, g).broadcastTo([rows]);
    const turned = T.rotate2d(T.slice(map, 1, this.invariant).broadcastTo([rows, c - this.invariant, h, w]), angles);
    return T.concat([kept.broadcastTo([rows, this.invariant, h, w]), turned], 1);
  }

  /** What the decoder receives at g = e: the map itself, or its invariant channels ('invariant'). */
  atIdentity(map: T.Tensor): T.Tensor {
    return this.mode === 'invariant' ? T.slice(map, 1, 0, this.invariant) : map;
  }

  /** The map's channels that g does not act on (the consistency and swap compare these as they are). */
  invariantPart(map: T.Tensor): T.Tensor {
    return T.slice(map, 1, 0, this.invariant);
  }

  /**
   * Where the consistency ‖ρ(g)·s(x) − s(g·x)‖² is measured [1, 1, h, w]: for 'spatial', the disc
   * inscribed in the map (outside it a turned map is zero-filled corners, not features); else everywhere.
   */
  consistencyMask(h: number, w: number): T.Tensor | null {
    if (this.mode !== 'spatial') return null;
    const mask = new Float32Array(h * w);
    const radius = Math.min(h, w) / 2;
    for (let r = 0; r < h; r++) for (let q = 0; q < w; q++) mask[r * w + q] = Math.hypot(q + 0.5 - w / 2, r + 0.5 - h / 2) <= radius - 0.5 ? 1 : 0;
    return T.tensor(mask, [1, 1, h, w]);
  }

  dispose(): void {
    this.channelAction?.dispose();
  }
}

/**
 * ‖a − b‖² summed per sample and averaged over the batch, divided by the batch's mean ‖b‖² when
 * `relative` (b carries no gradient here; so the value does not change when a and b are rescaled
 * together — an encoder cannot lower it by shrinking its output).
 */
export function squaredError(a: T.Tensor, b: T.Tensor, relative: boolean): T.Tensor {
  const n = Math.max(a.shape[0], b.shape[0]);
  const error = T.sum(T.square(a.sub(b))).div(n);
  if (!relative) return error;
  const scale = T.noGrad(() => T.sum(T.square(b)).div(n).add(1e-8));
  return error.div(scale);
}

export class LatentAction extends Module implements Model {
  readonly traits = LATENT_ACTION_TRAITS;
  readonly pivots = 'none' as const;
  /** Numbers per group element: 1 (an angle, a step j) or 4 (an SO(3) quaternion). */
  readonly codeDim: number;
  readonly convs: Conv2d[] = [];
  readonly position: T.Tensor;
  readonly attention: SelfAttention;
  readonly toLatent: Linear;
  readonly decoder: SkipDecoder;
  /** ρ on the latent: identity on the invariant part, R(k·θ) blocks (or SO(3)'s D^ℓ(R)) on the varying part. */
  readonly action: VectorAction;
  /** ρ on each skip map (none without skips), finest first. */
  readonly skipActions: SkipAction[];
  readonly latentSize: number;
  private readonly tokens: number;

  constructor(
    readonly config: LatentActionConfig,
    rng: T.Rng,
  ) {
    super();
    const { imageSize, channels, widths, headDim, invariant, blocks, group } = config;
    if (imageSize % 8 !== 0) throw new Error(`latent-action: image size ${imageSize} must be divisible by 8 (three stride-2 convolutions)`);
    if (widths.length !== 3 || widths.some((w) => w % 2 !== 0)) throw new Error(`latent-action: widths must be 3 even channel counts, got [${widths.join(', ')}]`);
    widths.forEach((w, i) => this.convs.push(this.child(`conv${i + 1}`, new Conv2d(i === 0 ? channels : widths[i - 1], w, 4, rng, { stride: 2, padding: 1 }))));
    this.tokens = (imageSize / 8) ** 2;
    this.position = this.parameter('position', rng.normal([1, this.tokens, widths[2]]).mul(0.1));
    this.attention = this.child('attention', new SelfAttention(widths[2], headDim, rng));
    this.codeDim = elementSize(group);
    this.latentSize = invariant + varyingSize(group, blocks);
    this.toLatent = this.child('toLatent', new Linear(this.tokens * widths[2], this.latentSize, rng));
    const skips = config.skips;
    this.skipActions = skips === 'none' ? [] : widths.slice(0, 2).map((w) => new SkipAction(group, skips, w));
    this.decoder = this.child('decoder', new SkipDecoder({ imageSize, channels, widths, latentSize: this.latentSize, skipChannels: this.skipActions.map((a) => a.output) }, rng));
    this.action = vectorAction(group, invariant, blocks);
  }

  /** E(x): the latent [N, invariant + varying] and the skip maps at S/2 and S/4. */
  encodeAll(x: T.Tensor): LatentCode {
    const { channels, imageSize } = this.config;
    if (x.rank !== 4 || x.shape[1] !== channels || x.shape[2] !== imageSize || x.shape[3] !== imageSize) {
      throw new Error(`latent-action: images must be [N, ${channels}, ${imageSize}, ${imageSize}], got ${T.describeShape(x.shape)}`);
    }
    const skips: T.Tensor[] = [];
    let h = x;
    this.convs.forEach((conv, i) => {
      h = conv.forward(h).relu();
      if (i < 2 && this.config.skips !== 'none') skips.push(h);
    });
    const [n, c] = h.shape;
    const tokens = T.permute(h.reshape([n, c, this.tokens]), [0, 2, 1]).add(this.position); // [N, L, C]
    const attended = this.attention.forward(tokens);
    return { z: this.toLatent.forward(attended.reshape([n, this.tokens * c])), skips };
  }

  /** ρ(g)·(z, skips) for elements g [N] (SO(3): [N, 4]; or one element broadcast). */
  act(g: T.Tensor, code: LatentCode): LatentCode {
    return { z: this.action.act(g, code.z), skips: code.skips.map((s, i) => this.skipActions[i].act(g, s)) };
  }

  /** D(ρ(g)·E(x)) as logits. */
  transformLogits(g: T.Tensor, code: LatentCode): T.Tensor {
    const acted = this.act(g, code);
    return this.decoder.forward(acted.z, acted.skips);
  }

  private reconstructionLoss(logits: T.Tensor, target: T.Tensor): T.Tensor {
    const n = target.shape[0];
    if (this.config.reconstruction === 'bce') return T.bceWithLogits(logits, target, 'sum').div(n);
    return T.mse(T.sigmoid(logits), target, 'sum').div(n);
  }

  // ---- the Model interface ----------------------------------------------------------------

  initializeFromData(): void {}

  lossTerms(batch: TrainingBatch): LossTerms {
    const { x, gx, g } = pairBatch(batch, 'latent-action');
    const code = this.encodeAll(x);
    const acted = this.act(g, code);
    // One decoder pass for both reconstructions: D(ρ(g)E(x)) and D(E(x)).
    const both = this.decoder.forward(
      T.concat([acted.z, code.z], 0),
      acted.skips.map((s, i) => T.concat([s, this.skipActions[i].atIdentity(code.skips[i])], 0)),
    );
    const [transformed, identityLogits] = T.split(both, 2, 0);
    const reconstruction = this.reconstructionLoss(transformed, gx);
    const identity = this.reconstructionLoss(identityLogits, x);
    const target = T.noGrad(() => this.encodeAll(gx));
    const equivariance = squaredError(acted.z, target.z, this.config.equivarianceScale === 'relative');
    let loss = reconstruction.add(identity.mul(this.config.betaIdentity)).add(equivariance.mul(this.config.betaEquivariance));
    const terms: Record<string, T.Tensor> = { reconstruction, identity, equivariance };
    if (this.skipActions.length > 0) {
      const skip = this.skipConsistency(acted.skips, target.skips);
      terms.skipConsistency = skip;
      if (this.config.betaSkip > 0) loss = loss.add(skip.mul(this.config.betaSkip));
    }
    return { loss, ...terms };
  }

  /**
   * Σ over the skip maps of ‖ρ(g)·s(x) − sg[s(g·x)]‖² / sg[‖s(g·x)‖²] (batch means), given the acted
   * maps ρ(g)·s(x) and the maps of g·x; ρ(g) is the skip action ('invariant': the invariant
   * channels, which g leaves alone; 'spatial': inside the inscribed disc).
   */
  skipConsistency(actedMapsOfX: T.Tensor[], mapsOfGx: T.Tensor[]): T.Tensor {
    let total: T.Tensor | null = null;
    this.skipActions.forEach((action, i) => {
      const acted = actedMapsOfX[i];
      const target = action.mode === 'invariant' ? action.invariantPart(mapsOfGx[i]) : mapsOfGx[i];
      const [, , h, w] = target.shape;
      const mask = action.consistencyMask(h, w);
      const term = mask ? squaredError(acted.mul(mask), target.mul(mask), true) : squaredError(acted, target, true);
      total = total ? total.add(term) : term;
    });
    return total!;
  }

  predictLogits(batch: TrainingBatch): T.Tensor {
    const { x, g } = pairBatch(batch, 'latent-action');
    return this.transformLogits(g, this.encodeAll(x));
  }

  encode(x: T.Tensor): Encoding {
    return { mu: this.encodeAll(x).z, logVar: null };
  }

  /** A known g is not inferred: each image's code is the identity element (x is the image acted on). */
  code(x: T.Tensor): T.Tensor {
    return this.action.identity(x.shape[0]).reshape([-1, this.codeDim]);
  }

  prepare(pivot: T.Tensor | null): PreparedDecoder {
    if (!pivot) throw new Error('latent-action decodes D(ρ(g)·E(x)): an image x is needed');
    const code = this.encodeAll(pivot);
    const kept = [code.z, ...code.skips].map((t) => T.keep(t));
    return {
      decode: (z) => T.sigmoid(this.transformLogits(elements(this.config.group, z), code)),
      dispose: () => kept.forEach((t) => t.dispose()),
    };
  }

  /**
   * The laws on images, measured, not exact: D(e, x) against x; D(g₂, D(g₁, x)) (re-encoding the
   * decoded image) against D(g₂g₁, x); D(g₁⁻¹, D(g₁, x)) against x. In the latent ρ obeys them
   * exactly; on images they hold as far as the autoencoder is exact.
   */
  groupLaws(pivot: T.Tensor, z1: T.Tensor, z2: T.Tensor): GroupLawImages {
    const [g1, g2] = [elements(this.config.group, z1), elements(this.config.group, z2)];
    return measuredGroupLaws(this.action, pivot, g1, g2, (x) => this.encodeAll(x), (g, code) => T.sigmoid(this.transformLogits(g, code)));
  }

  latentParts(): { invariant: number; varying: number } {
    return { invariant: this.config.invariant, varying: this.latentSize - this.config.invariant };
  }

  /** D at g = e of (invariant parts of a, varying parts of b): the latent's and each skip map's channels alike. */
  swapParts(invariantFrom: T.Tensor, varyingFrom: T.Tensor): T.Tensor {
    const [a, b] = [this.encodeAll(invariantFrom), this.encodeAll(varyingFrom)];
    const mix = (u: T.Tensor, v: T.Tensor, invariant: number) => T.concat([T.slice(u, 1, 0, invariant), T.slice(v, 1, invariant)], 1);
    const z = mix(a.z, b.z, this.config.invariant);
    const skips = a.skips.map((s, i) => mix(s, b.skips[i], this.skipActions[i].invariant));
    const e = this.action.identity(z.shape[0]);
    return T.sigmoid(this.decoder.forward(z, skips.map((s, i) => this.skipActions[i].act(e, s))));
  }

  override dispose(): void {
    this.action.dispose();
    for (const a of this.skipActions) a.dispose();
    super.dispose();
  }
}

/** The fields of a latent-action configuration read back from JSON, checked. */
export function parseLatentAction(c: Fields, { imageSize, channels }: { imageSize: number; channels: number }): LatentActionConfig {
  if (imageSize % 8 !== 0) throw new ConfigError(`config: imageSize must be divisible by 8 for latent-action (three stride-2 convolutions), got ${imageSize}`);
  const widths = intList(c, '', 'widths', { length: 3 });
  if (widths.some((w) => w % 2 !== 0)) throw new ConfigError(`config: widths must be even (half of each skip map's channels are acted on in pairs), got ${JSON.stringify(widths)}`);
  // Runs written before issue 24 say skips: true (channel pairs, positions unmoved) or false.
  const rawSkips = field(c, '', 'skips');
  const skips: SkipMode = rawSkips === true ? 'channels' : rawSkips === false ? 'none' : oneOf(c, '', 'skips', SKIP_MODES);
  const invariant = field(c, '', 'invariant');
  if (typeof invariant !== 'number' || !Number.isInteger(invariant) || invariant < 0) throw new ConfigError(`config: invariant must be a non-negative integer, got ${JSON.stringify(invariant)}`);
  const group = parseGroup(field(c, '', 'group'));
  if (skips === 'spatial' && !turnsImagePlane(group)) throw new ConfigError(`config: skips 'spatial' turns the skip maps in the image plane, which ${groupName(group)} does not do (use channels, invariant or none)`);
  return {
    model: 'latent-action',
    imageSize,
    channels,
    group,
    widths,
    headDim: positiveInt(c, '', 'headDim'),
    invariant,
    blocks: positiveInt(c, '', 'blocks'),
    skips,
    reconstruction: oneOf(c, '', 'reconstruction', ['bce', 'mse'] as const),
    betaIdentity: nonNegative(c, '', 'betaIdentity'),
    betaEquivariance: nonNegative(c, '', 'betaEquivariance'),
    // Absent in runs written before issue 24, which trained with the absolute term and no skip consistency.
    equivarianceScale: 'equivarianceScale' in c ? oneOf(c, '', 'equivarianceScale', ['relative', 'absolute'] as const) : 'absolute',
    betaSkip: 'betaSkip' in c ? nonNegative(c, '', 'betaSkip') : 0,
  };
}
