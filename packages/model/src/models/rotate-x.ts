// rotate-x: the bound every data-space method meets, with no model at all. D(g, x) = R_g·x, the
// known g applied to x's pixels by the data sets' own rotation (rotate2d: bilinear, zero outside,
// about the image centre, exact index permutations for quarter turns — so under C₄ it is the data
// set's rotation of x bit for bit). For the SO(2) and C_n digit sets, where g turns the image plane;
// not for contrast (g changes intensities) or the 3-D sets (g turns an object in space).
//
// What it cannot do is what the issue is about: it turns the fixed block of rotated-blocked-mnist
// with the digit, and it cannot show the part of the digit that x's block hid. No parameters:
// "training" it is writing its run directory (registry trait `trainable: false`).
import * as T from '@maga/tensor';
import { ConfigError, field, type Fields } from './config.ts';
import { groupLabelOf, parseGroup, turnsImagePlane } from '../groups/registry.ts';
import { planeAngles } from './latent-action.ts';
import { knownGroupTraits } from './model.ts';
import { checkImages, imageBaselineClass, type ImageAction, type PixelActionConfig } from './pixel-action.ts';

/** SO(2) or C_n, the group whose element turns the image plane (frequencies are not used). */
export type RotateXConfig = PixelActionConfig<'rotate-x'>;

/**
 * R_g·x: each image turned by its element's angle (a single x or g broadcasts). The laws on images
 * are exact under C₄ (index permutations); under SO(2) two bilinear resamplings against one.
 */
export const ROTATE_X_ACTION: ImageAction = {
  traits: knownGroupTraits('rotate-x', { latentParts: false, lawsHold: 'pixels' }),
  planeOnly: true,
  needs: 'turns an image x',
  act(g, x, config) {
    checkImages(config, x);
    const rows = Math.max(x.shape[0], g.shape[0]);
    return T.rotate2d(x.broadcastTo([rows, ...x.shape.slice(1)]), planeAngles(config.group, g).broadcastTo([rows]));
  },
};

export const RotateX = imageBaselineClass<RotateXConfig>(ROTATE_X_ACTION);

export function parseRotateX(c: Fields, { imageSize, channels }: { imageSize: number; channels: number }): RotateXConfig {
  const group = parseGroup(field(c, '', 'group'));
  if (!turnsImagePlane(group)) throw new ConfigError(`config: rotate-x takes the groups so2 and cyclic (turns of the image plane), not ${groupLabelOf(group)}`);
  return { model: 'rotate-x', imageSize, channels, group };
}
