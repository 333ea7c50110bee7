// The data-space baseline on the same pairs: MAGANet's exact-group-law decoder given the true group
// element instead of a learned one, D(g, x) = ℓ⁻¹( f⁻¹( ρ(g)·f(ℓ(x)) ) ) with f a Glow flow
// (flow/glow.ts) and ℓ the squashed-pixel logit (decoder.ts). ρ(g) acts on the flow latent
// u = f(ℓ(x)) [N, C·4^L, S/2^L, S/2^L] channel-wise: its first C·4^L − `varying` channels are
// invariant, the last `varying` form 2-D blocks rotated by R(k·θ) at every position (C_n: θ = 2πj/n).
// Since f and ℓ are bijections and ρ a homomorphism, D obeys the group laws exactly (to float
// rounding). Trained with BCE(D(g, x), g·x) summed per image; D(e, x) = x needs no term of its own.
import * as T from '@maga/tensor';
import { FlowDecoder, logitsToPixels } from '../decoder.ts';
import { Glow, type CouplingKind } from '../flow/glow.ts';
import { Module } from '../nn/module.ts';
import { ConfigError, field, nonNegative, object, oneOf, positiveInt, type Fields } from './config.ts';
import { ChannelAction } from '../groups/channel-action.ts';
import { elements, elementSize, groupOf, parseGroup, type GroupConfig } from '../groups/registry.ts';
import { knownGroupTraits, pairBatch, type Encoding, type GroupLawImages, type LossTerms, type Model, type ModelTraits, type PreparedDecoder, type TrainingBatch } from './model.ts';

export interface FlowActionConfig {
  model: 'flow-action';
  imageSize: number;
  channels: number;
  group: GroupConfig;
  glow: { levels: number; steps: number; coupling: CouplingKind; hidden: number | 'half' };
  /** Squashing of pixels before the logit, ℓ(x) = logit(ε + (1 − 2ε)x). */
  epsilon: number;
  /** Channels of the flow latent that ρ(g) acts on (even; the last ones), the rest invariant. */
  varying: number;
}

export const FLOW_ACTION_DEFAULTS: FlowActionConfig = {
  model: 'flow-action',
  imageSize: 32,
  channels: 1,
  group: { kind: 'so2', frequencies: [1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 4, 4] },
  glow: { levels: 3, steps: 3, coupling: 'additive', hidden: 'half' },
  epsilon: 1e-3,
  varying: 32,
};

export const FLOW_ACTION_TRAITS: ModelTraits = knownGroupTraits('flow-action', { latentParts: true, lawsHold: 'flow' });

/** Channels of the flow latent: C·4^levels. */
export const flowChannels = (config: Pick<FlowActionConfig, 'channels' | 'glow'>) => config.channels * 4 ** config.glow.levels;

export class FlowAction extends Module implements Model {
  readonly traits = FLOW_ACTION_TRAITS;
  readonly pivots = 'none' as const;
  readonly codeDim: number;

  private constructor(
    readonly config: FlowActionConfig,
    readonly decoder: FlowDecoder,
    readonly action: ChannelAction,
  ) {
    super();
    this.codeDim = elementSize(config.group);
    this.child('decoder', decoder);
  }

  static async create(config: FlowActionConfig, rng: T.Rng): Promise<FlowAction> {
    const { imageSize, channels, glow } = config;
    if (imageSize % 2 ** glow.levels !== 0) throw new Error(`flow-action: image size ${imageSize} is not divisible by 2^levels = ${2 ** glow.levels}`);
    const c = flowChannels(config);
    if (config.varying > c) throw new Error(`flow-action: varying = ${config.varying} channels, but the flow latent has only ${c} (C·4^levels)`);
    const action = new ChannelAction(config.group, c, c - config.varying);
    const flow = await Glow.create({ channels, ...glow }, rng);
    return new FlowAction(config, new FlowDecoder(flow, action, config.epsilon), action);
  }

  /** D(g, x) as logits (f⁻¹(ρ(g)·f(ℓ(x))) read as Bernoulli logits). */
  transformLogits(g: T.Tensor, x: T.Tensor): T.Tensor {
    return this.decoder.logits(g, x);
  }

  // ---- the Model interface ----------------------------------------------------------------

  /** ActNorm starts from the statistics of the first training batch's x. */
  initializeFromData(batch: TrainingBatch): void {
    const { x } = pairBatch(batch, 'flow-action');
    T.noGrad(() => T.tidy(() => void this.decoder.flowLatent(x)));
  }

  lossTerms(batch: TrainingBatch): LossTerms {
    const { x, gx, g } = pairBatch(batch, 'flow-action');
    const reconstruction = T.bceWithLogits(this.transformLogits(g, x), gx, 'sum').div(x.shape[0]);
    return { loss: reconstruction, reconstruction };
  }

  predictLogits(batch: TrainingBatch): T.Tensor {
    const { x, g } = pairBatch(batch, 'flow-action');
    return this.transformLogits(g, x);
  }

  /** The flow latent f(ℓ(x)), flattened. */
  encode(x: T.Tensor): Encoding {
    return { mu: this.decoder.flowLatent(x).flatten(1), logVar: null };
  }

  code(x: T.Tensor): T.Tensor {
    return this.action.identity(x.shape[0]).reshape([-1, 1]);
  }

  prepare(pivot: T.Tensor | null): PreparedDecoder {
    if (!pivot) throw new Error('flow-action decodes f⁻¹(ρ(g)·f(ℓ(x))): an image x is needed');
    const { decoder } = this;
    const u = T.keep(decoder.flowLatent(pivot));
    return {
      decode: (z) => logitsToPixels(decoder.flow.inverse(this.action.act(elements(this.config.group, z), u)), this.config.epsilon),
      dispose: () => u.dispose(),
    };
  }

  /** Exact laws: chained actions compose in ℓ-space (FlowDecoder.actOnLogits), where the group acts exactly. */
  groupLaws(pivot: T.Tensor, z1: T.Tensor, z2: T.Tensor): GroupLawImages {
    const [g1, g2] = [elements(this.config.group, z1), elements(this.config.group, z2)];
    const { decoder, action } = this;
    const pixels = (logits: T.Tensor) => logitsToPixels(logits, this.config.epsilon);
    const once = decoder.logits(g1, pivot);
    return {
      input: pivot,
      identity: decoder.decode(action.identity(1), pivot),
      sequential: pixels(decoder.actOnLogits(g2, once)),
      combined: decoder.decode(action.compose(g2, g1), pivot),
      roundTrip: pixels(decoder.actOnLogits(action.inverse(g1), once)),
    };
  }

  /** f⁻¹ of the invariant channels of f(ℓ(a)) with the varying channels of f(ℓ(b)), in pixels. */
  swapParts(invariantFrom: T.Tensor, varyingFrom: T.Tensor): T.Tensor {
    const [u, v] = [this.decoder.flowLatent(invariantFrom), this.decoder.flowLatent(varyingFrom)];
    const split = this.action.invariant;
    const mixed = T.concat([T.slice(u, 1, 0, split), T.slice(v, 1, split)], 1);
    return logitsToPixels(this.decoder.flow.inverse(mixed), this.config.epsilon);
  }

  latentParts(): { invariant: number; varying: number } {
    const c = flowChannels(this.config);
    const positions = (this.config.imageSize / 2 ** this.config.glow.levels) ** 2;
    return { invariant: (c - this.config.varying) * positions, varying: this.config.varying * positions };
  }
}

/** The fields of a flow-action configuration read back from JSON, checked. */
export function parseFlowAction(c: Fields, { imageSize, channels }: { imageSize: number; channels: number }): FlowActionConfig {
  const glow = object(field(c, '', 'glow'), 'glow');
  const hidden = field(glow, 'glow.', 'hidden');
  if (hidden !== 'half' && (typeof hidden !== 'number' || !Number.isInteger(hidden) || hidden < 1)) {
    throw new ConfigError(`config: glow.hidden must be a positive integer or "half", got ${JSON.stringify(hidden)}`);
  }
  const levels = positiveInt(glow, 'glow.', 'levels');
  if (imageSize % 2 ** levels !== 0) throw new ConfigError(`config: imageSize ${imageSize} is not divisible by 2^glow.levels = ${2 ** levels}`);
  const epsilon = nonNegative(c, '', 'epsilon');
  if (!(epsilon > 0 && epsilon < 0.5)) throw new ConfigError(`config: epsilon must be in (0, 0.5), got ${epsilon}`);
  const varying = positiveInt(c, '', 'varying');
  const available = channels * 4 ** levels;
  if (varying % 2 !== 0 || varying > available) throw new ConfigError(`config: varying must be an even number of flow-latent channels, at most C·4^levels = ${available}, got ${varying}`);
  const group = parseGroup(field(c, '', 'group'));
  // The varying flow channels are acted on in pairs: a group whose channel blocks are wider (SO(3)'s 3-vectors) does not fit.
  if (groupOf(group).channelWidth !== 2) {
    throw new ConfigError(`config: flow-action takes the groups so2 and cyclic, not ${group.kind}: its varying flow channels come in 2-D blocks (docs/latent-action.md says why SO(3) is left to latent-action)`);
  }
  return {
    model: 'flow-action',
    imageSize,
    channels,
    group,
    glow: { levels, steps: positiveInt(glow, 'glow.', 'steps'), coupling: oneOf(glow, 'glow.', 'coupling', ['additive', 'affine'] as const), hidden: hidden as number | 'half' },
    epsilon,
    varying,
  };
}
