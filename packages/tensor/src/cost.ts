// What one kernel call costs, for the roofline counters of the host and GPU backends: the
// floating-point operations it performs and the bytes it must move at the least (each input read
// once, each output written once). Products and convolutions count 2 per multiply-add, the
// Gauss–Jordan inverse its 2c³; every other kernel counts one operation per element it writes
// (a reduction, one per element it reads), since those are memory-bound and their exact
// arithmetic does not move them on the roofline. Copies count none.
import type { ConvGeometry } from './ops/conv-geometry.ts';

export interface KernelCost {
  flops: number;
  bytes: number;
}

const COPIES = new Set(['strided_copy', 'pad', 'concat', 'fill', 'iota', 'index_select', 'triangle']);

function product(shape: readonly number[] | undefined): number {
  let n = 1;
  for (const d of shape ?? []) n *= d;
  return n;
}

const convFlops = (g: ConvGeometry) => 2 * g.n * g.co * g.ho * g.wo * g.ci * g.kh * g.kw;

/** FLOPs and minimum bytes of `name` run with `params` on inputs and outputs of these lengths (elements). */
export function kernelCost(name: string, params: unknown, inputLengths: readonly number[], outputLengths: readonly number[], bytesPerElement: number): KernelCost {
  let read = 0;
  for (const n of inputLengths) read += n;
  let written = 0;
  for (const n of outputLengths) written += n;
  const bytes = (read + written) * bytesPerElement;
  const p = params as Record<string, unknown>;
  let flops: number;
  if (name === 'matmul') flops = 2 * (p.M as number) * (p.N as number) * (p.K as number) * product(p.batchShape as number[]);
  else if (name === 'conv2d' || name === 'conv2d_input_grad' || name === 'conv2d_weight_grad') flops = convFlops(p.g as ConvGeometry);
  else if (name === 'inverse') flops = 2 * (p.c as number) ** 3 * (p.batches as number);
  else if (name === 'reduce') flops = read;
  else if (COPIES.has(name) || name === 'random') flops = 0;
  else flops = written;
  return { flops, bytes };
}
