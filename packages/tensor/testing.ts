// @maga/tensor/testing: what every package's tests share — the backends a suite runs on and the one
// guard for tests that need a device (testing/backends.ts), the numeric checks: closeness,
// conformance to an expected result, finite-difference gradients (testing/numeric.ts), and float64
// reference loops written apart from the kernels (testing/reference.ts, as `ref`). A subpath of its
// own rather than part of index.ts because it imports bun:test and starts every backend at load:
// the viewer's bundle and the CLI must never load it.
export { backends, cpu, describeEachBackend, native, reference, testDevice, webgpu, type TestDevice } from './testing/backends.ts';
export {
  expectClose,
  expectConforms,
  expectGradientsConform,
  gradCheck,
  gradCheckParameters,
  gradientWeights,
  input,
  lazy,
  maxAbsDiff,
  maxDifference,
  randomValues,
  type Expected,
  type Input,
} from './testing/numeric.ts';
export * as ref from './testing/reference.ts';
