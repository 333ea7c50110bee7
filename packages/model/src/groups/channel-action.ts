// ρ(g) on the channels of feature maps [N, C, h, w] (the latent-action model's skip maps, the flow
// baseline's varying flow channels): the first `invariant` channels are left as they are, the
// remaining C − invariant are acted on at every position by the group's channel action (2-D blocks
// rotated by R(k·θ) for SO(2) and C_n; 3-vectors rotated by R for SO(3)). A group action because it
// is ρ(g) ⊗ I on channels × positions.
import * as T from '@maga/tensor';
import type { GroupAction } from '../actions.ts';
import { Module } from '../nn/module.ts';
import type { Group, VectorAction } from './group.ts';
import { groupOf, type GroupConfig } from './registry.ts';

export class ChannelAction extends Module implements GroupAction {
  readonly vector: VectorAction;
  private readonly kind: Group;

  constructor(
    readonly group: GroupConfig,
    readonly channels: number,
    readonly invariant: number,
  ) {
    super();
    this.kind = groupOf(group);
    const varying = channels - invariant;
    const width = this.kind.channelWidth;
    if (!Number.isInteger(invariant) || invariant < 0 || varying < width || varying % width !== 0) {
      throw new Error(`channel action: ${channels} channels with ${invariant} invariant leave ${varying} varying, which must be a positive multiple of ${width} for ${this.kind.name}`);
    }
    this.vector = this.kind.channelAction(invariant, varying);
  }

  /** The invariant channels of a skip map of `channels` under `group` (Group.channelSplit). */
  static split(group: GroupConfig, channels: number): number {
    return groupOf(group).channelSplit(channels);
  }

  identity(batch: number): T.Tensor {
    return this.vector.identity(batch);
  }

  compose(g2: T.Tensor, g1: T.Tensor): T.Tensor {
    return this.vector.compose(g2, g1);
  }

  inverse(g: T.Tensor): T.Tensor {
    return this.vector.inverse(g);
  }

  act(g: T.Tensor, map: T.Tensor): T.Tensor {
    if (map.rank !== 4 || map.shape[1] !== this.channels) throw new Error(`channel action: maps must be [N, ${this.channels}, h, w], got ${T.describeShape(map.shape)}`);
    const [n, c, h, w] = map.shape;
    const rows = Math.max(n, g.shape[0]);
    const full = map.broadcastTo([rows, c, h, w]);
    if (this.kind.actOnMaps) return this.kind.actOnMaps(this.vector, g, full, this.invariant);
    // Every position's channel vector acted on by its sample's element.
    const vectors = T.permute(full, [0, 2, 3, 1]).reshape([rows * h * w, c]);
    const perPosition = g.reshape([-1, 1]).broadcastTo([rows, h * w]).reshape([rows * h * w]);
    const moved = this.vector.act(perPosition, vectors);
    return T.permute(moved.reshape([rows, h, w, c]), [0, 3, 1, 2]);
  }

  override dispose(): void {
    this.vector.dispose();
    super.dispose();
  }
}

