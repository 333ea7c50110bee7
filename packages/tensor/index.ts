// @maga/tensor: float32 tensors on WebGPU (or the cpu reference backend), reverse-mode autodiff,
// optimizers. This file is the package's whole public API.
export type { Backend, BackendStats, FloatArray, GpuTraits, Kernel, KernelTime, Storage, WgslProgram } from './src/backend.ts';
export type { NativeEngine } from './src/native/engine.ts';
export { CpuBackend } from './src/cpu.ts';
export { WebGpuBackend } from './src/webgpu.ts';
export { NativeBackend, type NativeOptions } from './src/native.ts';
export { BACKEND_CHOICES, BLAS_HELP, WEBGPU_HELP, hostThreads, init, lastChoice, nativeBackend, webgpuBackend, type BackendChoice, type BackendReport, type InitOptions } from './src/init.ts';
import './src/methods.ts';
export { Tensor, apply, assign, backend, hasBackend, isChecked, isGradEnabled, keep, noGrad, record, setBackend, setChecked, tensor, tidy, withBackend, type Backward } from './src/tensor.ts';
export { backward, grad, valueAndGrad, zeroGrad } from './src/autodiff.ts';
export { arange, eye, full, fullLike, ones, onesLike, zeros, zerosLike } from './src/ops/creation.ts';
export {
  abs, add, clamp, cos, div, equal, exp, floor, greater, greaterEqual, leakyRelu, lessEqual, log, logSigmoid, maximum, minimum, mul, multiplyAdd, neg, pow, relu, sigmoid, sign, sin, softplus, sqrt, square, sub, tanh,
} from './src/ops/elementwise.ts';
export { max, mean, sum, sumTo } from './src/ops/reduce.ts';
export { broadcastTo, concat, copyInto, flatten, indexSelect, pad, permute, reshape, slice, split, squeeze2d, transpose, unsqueeze2d } from './src/ops/movement.ts';
export { linear, matmul } from './src/ops/matmul.ts';
export { describeShape, sizeOf } from './src/shape.ts';
export { conv2d, convTranspose2d, type Conv2dOptions, type ConvOptions, type ConvTransposeOptions } from './src/ops/conv.ts';
export { QUARTER_TURN_TOLERANCE, rotate2d } from './src/ops/rotate.ts';
export { bceWithLogits, gaussianKl, l1, mse, type Reduction } from './src/ops/loss.ts';
export { Optimizer, adam, adamw, clipScale, globalNorm, sgd, type OptimizerKind, type OptimizerOptions, type OptimizerState } from './src/optim.ts';
export { Rng, threefry2x32, type RngState } from './src/ops/random.ts';
export { inverse, logAbsDet, lu, triangularSolve, type TriangularSolveOptions } from './src/ops/linalg.ts';
