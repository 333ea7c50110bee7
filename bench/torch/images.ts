// The dSprites batches a benchmark run consumes, written once as a safetensors file that our child
// processes and the PyTorch twin both read: a fixed pivot [1, 1, 64, 64] and `count` batches of
// varying images, cycled by the runs. Shared by bench:torch and bench:gpu.
import * as fs from 'node:fs';
import { Sampler, dsprites, encodeSafetensors } from '@maga/model';

export const IMAGE = 64;

export function writeImages(file: string, batch: number, count: number): void {
  const sampler = new Sampler({ split: 'to-range', part: 'train', batchSize: batch, pivots: 'fixed', seed: 0 });
  const indices = new Int32Array(count * batch);
  let pivot: ArrayLike<number> = new Int32Array(0);
  for (let i = 0; i < count; i++) {
    const b = sampler.next();
    indices.set(b.varying, i * batch);
    pivot = b.pivot;
  }
  fs.writeFileSync(
    file,
    encodeSafetensors({
      pivot: { shape: [1, 1, IMAGE, IMAGE], data: dsprites.renderBatch(pivot) },
      varying: { shape: [indices.length, 1, IMAGE, IMAGE], data: dsprites.renderBatch(indices) },
    }),
  );
}
