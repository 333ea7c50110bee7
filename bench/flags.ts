// The benches' command-line flags: `--name value`, with errors that name the bench and the flag.
// One reader for every bench, so a missing value (`--steps` at the end, or followed by another
// flag) is an error everywhere rather than NaN in one bench and a message in another.

export interface BenchFlags {
  /** The value after `--name`, else `fallback`. */
  flag(name: string, fallback: string): string;
  /** A positive integer flag. */
  positiveInt(name: string, fallback: string): number;
  /** A comma-separated list of positive integers. */
  positiveList(name: string, fallback: string): number[];
  /** A finite number flag. */
  number(name: string, fallback: string): number;
}

export function benchFlags(bench: string, argv: readonly string[] = process.argv): BenchFlags {
  const flag = (name: string, fallback: string): string => {
    const i = argv.indexOf(`--${name}`);
    if (i < 0) return fallback;
    const value = argv[i + 1];
    if (value === undefined || value.startsWith('--')) throw new Error(`${bench}: --${name} needs a value`);
    return value;
  };
  const positive = (name: string, text: string, what: string): number => {
    const v = Number(text);
    if (!Number.isInteger(v) || v < 1) throw new Error(`${bench}: --${name} must ${what}, got '${text}'`);
    return v;
  };
  return {
    flag,
    positiveInt: (name, fallback) => positive(name, flag(name, fallback), 'be a positive integer'),
    positiveList: (name, fallback) =>
      flag(name, fallback)
        .split(',')
        .map((s) => positive(name, s, 'list positive integers')),
    number: (name, fallback) => {
      const text = flag(name, fallback);
      const v = Number(text);
      if (!Number.isFinite(v)) throw new Error(`${bench}: --${name} must be a number, got '${text}'`);
      return v;
    },
  };
}
