// Seeded host-side random numbers for the data sets: a stream of uniform doubles addressed by a
// (key, counter) pair through @maga/tensor's Threefry-2x32, so that a phantom, an epoch's group
// elements or an evaluation set follow from their seeds alone, with no generator state to carry,
// and are the same on every machine. (Rng's tensors would need a backend; these never do.)
import { threefry2x32 } from '@maga/tensor';

const TWO_POW_32 = 2 ** 32;

/** A uniform stream in [0, 1) keyed by two 32-bit words; draw i uses counter `start + i`. */
export class UniformStream {
  private counter: number;

  constructor(
    private readonly k0: number,
    private readonly k1: number,
    start = 0,
  ) {
    this.counter = start;
  }

  /** Uniform in [0, 1), 53 random bits from the two output words of one counter. */
  next(): number {
    const c = this.counter++;
    const [w0, w1] = threefry2x32(this.k0 >>> 0, this.k1 >>> 0, c >>> 0, Math.floor(c / TWO_POW_32) >>> 0);
    return (w0 * 2097152 + (w1 >>> 11)) / 9007199254740992;
  }

  /** Uniform in [lo, hi). */
  between(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** A uniform integer in {0, …, n − 1}. */
  integer(n: number): number {
    return Math.min(n - 1, Math.floor(this.next() * n));
  }
}
