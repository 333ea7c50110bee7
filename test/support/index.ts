// What the tests share (root tests, and packages' tests that run the CLI or the server): the CLI in
// a child process and `cli serve` on a free port (cli.ts), the API in this process and its answers
// (api.ts), temporary directories (tmp.ts), a seeded generator (random.ts), hand-made pair runs
// with the check of an exact resume (pair-runs.ts), and headless Chromium (browser.ts). The device
// guard and the numeric checks are @maga/tensor/testing's.
export * from './api.ts';
export * from './browser.ts';
export * from './cli.ts';
export * from './pair-runs.ts';
export * from './random.ts';
export * from './tmp.ts';
