// The tests' seeded generator (mulberry32), written apart from the code under test (the data sets'
// Threefry streams), so that "random" inputs are the same on every run and a failure reproduces.

/** Uniforms in [0, 1) from a 32-bit seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform integer in {0, …, n − 1} from `random`. */
export const randomInt = (random: () => number, n: number) => Math.min(n - 1, Math.floor(random() * n));

/** `count` seeded integers in {0, …, n − 1} (with repeats). */
export function randomIntegers(count: number, n: number, seed: number): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => randomInt(random, n));
}
