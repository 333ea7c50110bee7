// copy-x: the prediction that needs nothing, D(g, x) = x — "x copied", the floor every model of a pair
// data set must clear (issue 24's 3-D target: latent-action ≥ 3 dB above it). Any pair data set and
// any known group (SO(2), C_n, SO(3)); no parameters, so `cli train` writes and evaluates its run at
// once (registry trait `trainable: false`), and `experiments` tables list it like any model. The
// trivial action keeps every group law exactly: each image is x.
import { field, type Fields } from './config.ts';
import { parseGroup } from '../groups/registry.ts';
import { knownGroupTraits } from './model.ts';
import { imageBaselineClass, type ImageAction, type PixelActionConfig } from './pixel-action.ts';

/** The data set's group: only the size of its elements matters (x is returned whatever g is). */
export type CopyXConfig = PixelActionConfig<'copy-x'>;

export const COPY_X_ACTION: ImageAction = {
  traits: knownGroupTraits('x copied', { latentParts: false, lawsHold: 'pixels' }),
  planeOnly: false,
  needs: 'returns its image x',
  act: (g, x) => x.broadcastTo([Math.max(x.shape[0], g.shape[0]), ...x.shape.slice(1)]).mul(1),
};

export const CopyX = imageBaselineClass<CopyXConfig>(COPY_X_ACTION);

export function parseCopyX(c: Fields, { imageSize, channels }: { imageSize: number; channels: number }): CopyXConfig {
  return { model: 'copy-x', imageSize, channels, group: parseGroup(field(c, '', 'group')) };
}
