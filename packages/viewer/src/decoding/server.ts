// Decoding through the server's API: every request goes to `/api/runs/:id/…`.
import type { Api, GroupElement } from '../api.ts';
import { decodeImage, type Img } from '../lib/images.ts';
import type { Decoder } from './decoder.ts';

/** A measured error as sent: NaN or ±Infinity reach JSON as null. */
const errorValue = (v: unknown): number => (typeof v === 'number' ? v : NaN);

export function serverDecoder(api: Api, runId: string, facts: Pick<Decoder, 'model' | 'traits' | 'latentDim'>, note?: string): Decoder {
  const { model, traits, latentDim } = facts;
  // A known-g run's decode takes the elements g (one number when the group's elements are one, else
  // the row: a unit quaternion for SO(3)), a learned-z run's the codes z.
  const known = traits.element === 'known';
  const element = (z: number[]): GroupElement => (z.length === 1 ? z[0] : z);
  const decodeAll = (zs: number[][], pivot: number) =>
    (known ? api.act(runId, { pivot, g: zs.map(element) }) : api.decode(runId, { pivot, z: zs })).then((images) => images.map(decodeImage));
  return {
    run: runId,
    kind: 'server',
    label: 'decoding via the server',
    note,
    model,
    traits,
    latentDim,
    async code(pivot, varying) {
      const r = await api.reconstruct(runId, { pivot, indices: [varying] });
      return { z: r.z[0], image: decodeImage(r.images[0]) };
    },
    decode: decodeAll,
    async traverse(pivot, varying, range, steps) {
      const r = await api.traverse(runId, { pivot, index: varying, range, steps });
      return { z: r.z, values: r.values, images: r.images.map((row) => row.map(decodeImage)) };
    },
    async transfer(source, targets) {
      if (traits.transfer === 'action') {
        const r = await api.recombine(runId, { source, targets });
        return { z: r.z, images: r.images.map(decodeImage) };
      }
      if (traits.transfer !== 'arithmetic') throw new Error(`a ${traits.label} run has no transformation to transfer`);
      // The API recombines runs whose decoder acts on images; for a VAE do its latent arithmetic here.
      const { mu } = await api.encode(runId, [source.pivot, source.varying, ...targets]);
      const z = mu[1].map((v, k) => v - mu[0][k]);
      const images: Img[] = await decodeAll(
        mu.slice(2).map((m) => m.map((v, k) => v + z[k])),
        source.pivot,
      );
      return { z, images };
    },
    groupLaws:
      traits.groupLaws
        ? async (pivot, z1, z2) => {
            const r = await (known ? api.groupLawsOf(runId, { pivot, g1: element(z1), g2: element(z2) }) : api.groupLaws(runId, { pivot, z1, z2 }));
            return {
              input: decodeImage(r.identity.input),
              identity: decodeImage(r.identity.output),
              identityError: errorValue(r.identity.maxError),
              sequential: decodeImage(r.composition.sequential),
              combined: decodeImage(r.composition.combined),
              compositionError: errorValue(r.composition.maxError),
              roundTrip: decodeImage(r.inverse.roundTrip),
              inverseError: errorValue(r.inverse.maxError),
            };
          }
        : undefined,
    swap: traits.latentParts
      ? async (pairs) => {
          const r = await api.swap(runId, pairs);
          return { aWithB: r.aWithB.map(decodeImage), bWithA: r.bWithA.map(decodeImage) };
        }
      : undefined,
    dispose() {},
  };
}
