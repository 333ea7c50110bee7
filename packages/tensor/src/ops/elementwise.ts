// Elementwise ops. Each one is a row of the table below: its cpu scalar function, its WGSL
// expression, and its derivative, so all elementwise gradients can be audited in one place.
// Binary ops broadcast (NumPy rules); their backward sums the gradient back to each input's shape.
import { WORKGROUP_1D, bindings, f32Bits, f32Literal, grid1dCounts, gridIndex, uniformDeclaration, uniformFloat, uniformWord, type Kernel } from '../backend.ts';
import { collapse, decodeWgsl } from '../indexing.ts';
import { broadcastShapes, broadcastStrides, shapesEqual } from '../shape.ts';
import { Tensor, apply } from '../tensor.ts';
import { sumToRaw } from './reduce-kernel.ts';

type Consts = readonly number[];
type CpuUnary = (x: number, c: Consts) => number;
type CpuBinary = (a: number, b: number, c: Consts) => number;
type CpuTernary = (a: number, b: number, d: number, c: Consts) => number;
/** Builds a WGSL expression from operand names and constant literals. */
type WgslExpr = (v: readonly string[], c: readonly string[], raw: Consts) => string;

export interface MapParams {
  /** Output shape after merging dimensions that are contiguous for every operand. */
  dims: number[];
  /** Per operand, its strides over `dims` (0 where broadcast). */
  strides: number[][];
  /** True when every operand is read at the output's own index. */
  direct: boolean;
  n: number;
  c: number[];
}

function mapParams(outShape: readonly number[], inputs: readonly Tensor[], c: number[]): MapParams {
  const n = outShape.reduce((a, b) => a * b, 1);
  let direct = true;
  for (const t of inputs) direct &&= shapesEqual(t.shape, outShape);
  if (direct) return { dims: [n], strides: inputs.map(() => [1]), direct, n, c };
  const { dims, strides } = collapse(outShape, inputs.map((t) => broadcastStrides(t.shape, outShape)));
  return { dims, strides, direct, n, c };
}

/** Offsets of output element `i` in each operand (cpu side). */
function offsets(i: number, p: MapParams, into: number[]): void {
  into.fill(0);
  let rest = i;
  for (let d = p.dims.length - 1; d >= 0; d--) {
    const q = rest % p.dims[d];
    rest = (rest - q) / p.dims[d];
    for (let k = 0; k < into.length; k++) into[k] += q * p.strides[k][d];
  }
}

/** An elementwise kernel's scalar function: the cpu loop applies it; an engine may compile its own loop around it. */
export interface ScalarMap {
  readonly arity: 1 | 2 | 3;
  readonly scalar: CpuUnary | CpuBinary | CpuTernary;
}

const scalarMaps = new Map<string, ScalarMap>();

/** The scalar function of the elementwise kernel named `name`, or undefined for any other kernel. */
export function scalarMap(name: string): ScalarMap | undefined {
  return scalarMaps.get(name);
}

/**
 * One kernel per (op, operand layout): sizes, strides and constants travel as uniform words, so a
 * single compiled pipeline serves every shape. `bake` puts the constants into the code instead,
 * for ops whose code depends on their value (pow picks x·x for p = 2).
 */
function mapKernel(name: string, arity: 1 | 2 | 3, cpu: CpuUnary | CpuBinary | CpuTernary, wgsl: WgslExpr, bake = false): Kernel<MapParams> {
  if (scalarMaps.has(name)) throw new Error(`elementwise kernel '${name}' is defined twice`);
  scalarMaps.set(name, { arity, scalar: cpu });
  return {
    name,
    key: (p) => `${p.direct ? 'direct' : `rank${p.dims.length}`}|${p.c.length}${bake ? `|${p.c.join(',')}` : ''}`,
    uniforms: (p) => [p.n, ...(p.direct ? [] : [...p.dims, ...p.strides.flat()]), ...p.c.map(f32Bits)],
    workgroups: (p, traits) => grid1dCounts(p.n, traits),
    cpu: (inputs, [out], p) => {
      const c = p.c;
      if (arity === 1) {
        const f = cpu as CpuUnary;
        const a = inputs[0];
        if (p.direct) for (let i = 0; i < p.n; i++) out[i] = f(a[i], c);
        else {
          const o = [0];
          for (let i = 0; i < p.n; i++) {
            offsets(i, p, o);
            out[i] = f(a[o[0]], c);
          }
        }
      } else if (arity === 3) {
        const f = cpu as CpuTernary;
        const [a, b, d] = inputs;
        const o = [0, 0, 0];
        for (let i = 0; i < p.n; i++) {
          if (p.direct) o.fill(i);
          else offsets(i, p, o);
          out[i] = f(a[o[0]], b[o[1]], d[o[2]], c);
        }
      } else {
        const f = cpu as CpuBinary;
        const [a, b] = inputs;
        if (p.direct) for (let i = 0; i < p.n; i++) out[i] = f(a[i], b[i], c);
        else {
          const o = [0, 0];
          for (let i = 0; i < p.n; i++) {
            offsets(i, p, o);
            out[i] = f(a[o[0]], b[o[1]], c);
          }
        }
      }
    },
    wgsl: (p, traits) => {
      const names = ['a', 'b', 'd'].slice(0, arity);
      const rank = p.direct ? 0 : p.dims.length;
      const dim = (d: number) => uniformWord(1 + d);
      const stride = (k: number, d: number) => uniformWord(1 + rank + k * rank + d);
      const constBase = 1 + rank * (1 + arity);
      const consts = p.c.map((v, i) => (bake ? f32Literal(v) : uniformFloat(constBase + i)));
      const reads = p.direct
        ? names.map((v) => `let ${v}v = ${v}[i];`)
        : names.map((v, k) => `${decodeWgsl('i', Array.from({ length: rank }, (_, d) => dim(d)), Array.from({ length: rank }, (_, d) => stride(k, d)), `${v}i`)}\n  let ${v}v = ${v}[${v}i];`);
      return {
        code: `${bindings(names, ['out'])}
${uniformDeclaration(arity + 1, constBase + p.c.length)}
@compute @workgroup_size(${WORKGROUP_1D}) fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = ${gridIndex(traits)};
  if (i >= ${uniformWord(0)}) { return; }
  ${reads.join('\n  ')}
  out[i] = ${wgsl(names.map((v) => `${v}v`), consts, p.c)};
}`,
      };
    },
  };
}

// ---- builders -------------------------------------------------------------------------------

type UnaryGrad = (x: Tensor, y: Tensor, g: Tensor, c: Consts) => Tensor;

function unary(name: string, cpu: CpuUnary, wgsl: (x: string, c: readonly string[], raw: Consts) => string, grad?: UnaryGrad, bake = false) {
  const kernel = mapKernel(name, 1, cpu, (v, c, raw) => wgsl(v[0], c, raw), bake);
  return (x: Tensor, ...c: number[]): Tensor =>
    apply(name, [x], x.shape, kernel, mapParams(x.shape, [x], c), grad && ((g, y) => [grad(x, y, g, c)]));
}

/** A non-differentiable binary map (used inside backward rules, and for comparisons). */
function binaryMap(name: string, cpu: CpuBinary, wgsl: (a: string, b: string, c: readonly string[], raw: Consts) => string, bake = false) {
  const kernel = mapKernel(name, 2, cpu, (v, c, raw) => wgsl(v[0], v[1], c, raw), bake);
  return (a: Tensor, b: Tensor, ...c: number[]): Tensor => {
    const shape = broadcastShapes(name, a.shape, b.shape);
    return apply(name, [a, b], shape, kernel, mapParams(shape, [a, b], c));
  };
}

type BinaryGrad = (a: Tensor, b: Tensor, y: Tensor, g: Tensor) => [Tensor | null, Tensor | null];

function binary(name: string, cpu: CpuBinary, wgsl: (a: string, b: string) => string, grad: BinaryGrad) {
  const kernel = mapKernel(name, 2, cpu, (v) => wgsl(v[0], v[1]));
  return (a: Tensor, b: Tensor): Tensor => {
    const shape = broadcastShapes(name, a.shape, b.shape);
    return apply(name, [a, b], shape, kernel, mapParams(shape, [a, b], []), (g, y) => {
      const [ga, gb] = grad(a, b, y, g);
      return [ga && sumToRaw(ga, a.shape), gb && sumToRaw(gb, b.shape)];
    });
  };
}

// ---- fused helpers for backward rules (not differentiable themselves) -------------------------

const mulMap = binaryMap('mul_nograd', (a, b) => a * b, (a, b) => `${a} * ${b}`);
const reluGrad = binaryMap('relu_grad', (x, g) => (x > 0 ? g : 0), (x, g) => `select(0.0, ${g}, ${x} > 0.0)`);
const leakyReluGrad = binaryMap('leaky_relu_grad', (x, g, c) => (x > 0 ? g : g * c[0]), (x, g, c) => `select(${g} * ${c[0]}, ${g}, ${x} > 0.0)`);
const sigmoidGrad = binaryMap('sigmoid_grad', (y, g) => g * y * (1 - y), (y, g) => `${g} * ${y} * (1.0 - ${y})`);
const tanhGrad = binaryMap('tanh_grad', (y, g) => g * (1 - y * y), (y, g) => `${g} * (1.0 - ${y} * ${y})`);
const sqrtGrad = binaryMap('sqrt_grad', (y, g) => (0.5 * g) / y, (y, g) => `0.5 * ${g} / ${y}`);
const absGrad = binaryMap('abs_grad', (x, g) => g * Math.sign(x), (x, g) => `${g} * sign(${x})`);
const clampGrad = binaryMap('clamp_grad', (x, g, c) => (x >= c[0] && x <= c[1] ? g : 0), (x, g, c) => `select(0.0, ${g}, ${x} >= ${c[0]} && ${x} <= ${c[1]})`);
const powGrad = binaryMap('pow_grad', (x, g, c) => g * c[0] * powNumber(x, c[0] - 1), (x, g, c, raw) => `${g} * ${c[0]} * ${powLiteral(x, raw[0] - 1)}`, true);
// d/dx softplus(x) = sigmoid(x); d/dx logSigmoid(x) = sigmoid(-x).
const softplusGrad = binaryMap('softplus_grad', (x, g) => g * sigmoidNumber(x), (x, g) => `${g} * ${sigmoidWgsl(x)}`);
const logSigmoidGrad = binaryMap('log_sigmoid_grad', (x, g) => g * sigmoidNumber(-x), (x, g) => `${g} * ${sigmoidWgsl(`(-${x})`)}`);

function sigmoidNumber(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

function sigmoidWgsl(x: string): string {
  return `select(exp(${x}) / (1.0 + exp(${x})), 1.0 / (1.0 + exp(-${x})), ${x} >= 0.0)`;
}

/** x^p with integer p also defined for negative x (WGSL's pow is not). */
function powNumber(x: number, p: number): number {
  return Number.isInteger(p) ? x ** p : Math.pow(x, p);
}

/** WGSL for x^p; integer p is defined for negative x too, unlike WGSL's pow. */
function powLiteral(x: string, p: number): string {
  if (p === 0) return '1.0';
  if (p === 1) return x;
  if (p === 2) return `(${x} * ${x})`;
  if (p === 3) return `(${x} * ${x} * ${x})`;
  if (p === -1) return `(1.0 / ${x})`;
  if (p === 0.5) return `sqrt(${x})`;
  if (Number.isInteger(p)) {
    const odd = Math.abs(p) % 2 === 1;
    const magnitude = `pow(abs(${x}), ${f32Literal(p)})`;
    return odd ? `(sign(${x}) * ${magnitude})` : magnitude;
  }
  return `pow(${x}, ${f32Literal(p)})`;
}

// ---- unary ops ------------------------------------------------------------------------------

export const neg = unary('neg', (x) => -x, (x) => `-${x}`, (_x, _y, g) => neg(g));
export const exp = unary('exp', Math.exp, (x) => `exp(${x})`, (_x, y, g) => mulMap(g, y));
export const log = unary('log', Math.log, (x) => `log(${x})`, (x, _y, g) => div(g, x));
export const sqrt = unary('sqrt', Math.sqrt, (x) => `sqrt(${x})`, (_x, y, g) => sqrtGrad(y, g));
export const abs = unary('abs', Math.abs, (x) => `abs(${x})`, (x, _y, g) => absGrad(x, g));
export const relu = unary('relu', (x) => (x > 0 ? x : 0), (x) => `max(${x}, 0.0)`, (x, _y, g) => reluGrad(x, g));
const leakyReluOp = unary('leakyRelu', (x, c) => (x > 0 ? x : c[0] * x), (x, c) => `select(${c[0]} * ${x}, ${x}, ${x} > 0.0)`, (x, _y, g, c) => leakyReluGrad(x, g, c[0]));
export const leakyRelu = (x: Tensor, slope = 0.01) => leakyReluOp(x, slope);
export const sigmoid = unary('sigmoid', sigmoidNumber, sigmoidWgsl, (_x, y, g) => sigmoidGrad(y, g));
// tanh of |x| > 15 is ±1 in float32; clamping keeps implementations that evaluate exp(2x) finite.
export const tanh = unary('tanh', Math.tanh, (x) => `tanh(clamp(${x}, -15.0, 15.0))`, (_x, y, g) => tanhGrad(y, g));
/** log(1 + e^x), computed without overflow. */
export const softplus = unary(
  'softplus',
  (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))),
  (x) => `(max(${x}, 0.0) + log(1.0 + exp(-abs(${x}))))`,
  (x, _y, g) => softplusGrad(x, g),
);
/** log σ(x) = -softplus(-x), computed without overflow. */
export const logSigmoid = unary(
  'logSigmoid',
  (x) => Math.min(x, 0) - Math.log1p(Math.exp(-Math.abs(x))),
  (x) => `(min(${x}, 0.0) - log(1.0 + exp(-abs(${x}))))`,
  (x, _y, g) => logSigmoidGrad(x, g),
);
export const sin = unary('sin', Math.sin, (x) => `sin(${x})`, (x, _y, g) => mulMap(g, cos(x)));
export const cos = unary('cos', Math.cos, (x) => `cos(${x})`, (x, _y, g) => neg(mulMap(g, sin(x))));
/** ⌊x⌋; piecewise constant, so not differentiated. */
export const floor = unary('floor', Math.floor, (x) => `floor(${x})`);
/** sign(x) ∈ {-1, 0, 1}; its derivative is zero almost everywhere and it is not differentiated. */
export const sign = unary('sign', Math.sign, (x) => `sign(${x})`);

const clampOp = unary('clamp', (x, c) => Math.min(Math.max(x, c[0]), c[1]), (x, c) => `clamp(${x}, ${c[0]}, ${c[1]})`, (x, _y, g, c) => clampGrad(x, g, c[0], c[1]));
export function clamp(x: Tensor, lo: number, hi: number): Tensor {
  if (!(lo <= hi)) throw new Error(`clamp: lower bound ${lo} is above upper bound ${hi}`);
  return clampOp(x, lo, hi);
}

const powOp = unary('pow', (x, c) => powNumber(x, c[0]), (x, _c, raw) => powLiteral(x, raw[0]), (x, _y, g, c) => powGrad(x, g, c[0]), true);
/** x^p for a constant exponent p (integer p is defined for negative x). */
export const pow = (x: Tensor, p: number) => powOp(x, p);
export const square = (x: Tensor) => powOp(x, 2);

// Scalar constants travel as uniform words: a new constant compiles nothing.
const addScalar = unary('addScalar', (x, c) => x + c[0], (x, c) => `${x} + ${c[0]}`, (_x, _y, g) => g);
const mulScalar = unary('mulScalar', (x, c) => x * c[0], (x, c) => `${x} * ${c[0]}`, (_x, _y, g, c) => mulScalar(g, c[0]));
const rsubScalar = unary('rsubScalar', (x, c) => c[0] - x, (x, c) => `${c[0]} - ${x}`, (_x, _y, g) => neg(g));
const rdivScalar = unary('rdivScalar', (x, c) => c[0] / x, (x, c) => `${c[0]} / ${x}`, (x, y, g) => neg(div(mulMap(g, y), x)));

// ---- binary ops (broadcasting) --------------------------------------------------------------

const addTensors = binary('add', (a, b) => a + b, (a, b) => `${a} + ${b}`, (_a, _b, _y, g) => [g, g]);
const subTensors = binary('sub', (a, b) => a - b, (a, b) => `${a} - ${b}`, (_a, _b, _y, g) => [g, neg(g)]);
const mulTensors = binary('mul', (a, b) => a * b, (a, b) => `${a} * ${b}`, (a, b, _y, g) => [
  a.requiresGrad ? mulMap(g, b) : null,
  b.requiresGrad ? mulMap(g, a) : null,
]);
const divTensors = binary('div', (a, b) => a / b, (a, b) => `${a} / ${b}`, (a, b, y, g) => {
  const ga = a.requiresGrad ? div(g, b) : null;
  return [ga, b.requiresGrad ? neg(div(mulMap(g, y), b)) : null];
});
const maximumTensors = binary('maximum', (a, b) => Math.max(a, b), (a, b) => `max(${a}, ${b})`, (a, b, _y, g) => [
  mulMap(g, greaterEqual(a, b)),
  mulMap(g, greater(b, a)),
]);
const minimumTensors = binary('minimum', (a, b) => Math.min(a, b), (a, b) => `min(${a}, ${b})`, (a, b, _y, g) => [
  mulMap(g, lessEqual(a, b)),
  mulMap(g, greater(a, b)),
]);

export function add(a: Tensor, b: Tensor | number): Tensor {
  return typeof b === 'number' ? addScalar(a, b) : addTensors(a, b);
}
export function sub(a: Tensor | number, b: Tensor | number): Tensor {
  if (typeof a === 'number') return typeof b === 'number' ? bothNumbers('sub') : rsubScalar(b, a);
  return typeof b === 'number' ? addScalar(a, -b) : subTensors(a, b);
}
export function mul(a: Tensor, b: Tensor | number): Tensor {
  return typeof b === 'number' ? mulScalar(a, b) : mulTensors(a, b);
}
export function div(a: Tensor | number, b: Tensor | number): Tensor {
  if (typeof a === 'number') return typeof b === 'number' ? bothNumbers('div') : rdivScalar(b, a);
  return typeof b === 'number' ? mulScalar(a, 1 / b) : divTensors(a, b);
}
export const maximum = (a: Tensor, b: Tensor) => maximumTensors(a, b);

const multiplyAddKernel = mapKernel('multiply_add', 3, ((x, s, t) => x * s + t) as CpuTernary, (v) => `${v[0]} * ${v[1]} + ${v[2]}`);

/**
 * x·scale + shift in one pass, the three broadcast together (ActNorm's per-channel affine map
 * over a batch reads and writes the batch once, not twice).
 */
export function multiplyAdd(x: Tensor, scale: Tensor, shift: Tensor): Tensor {
  const shape = broadcastShapes('multiplyAdd', broadcastShapes('multiplyAdd', x.shape, scale.shape), shift.shape);
  return apply('multiplyAdd', [x, scale, shift], shape, multiplyAddKernel, mapParams(shape, [x, scale, shift], []), (g) => [
    x.requiresGrad ? sumToRaw(mulMap(g, scale), x.shape) : null,
    scale.requiresGrad ? sumToRaw(mulMap(g, x), scale.shape) : null,
    shift.requiresGrad ? sumToRaw(g, shift.shape) : null,
  ]);
}
export const minimum = (a: Tensor, b: Tensor) => minimumTensors(a, b);

function bothNumbers(op: string): never {
  throw new Error(`${op}: at least one operand must be a tensor`);
}

// ---- comparisons (1 or 0; not differentiable) -----------------------------------------------

export const greater = binaryMap('greater', (a, b) => (a > b ? 1 : 0), (a, b) => `select(0.0, 1.0, ${a} > ${b})`);
export const greaterEqual = binaryMap('greaterEqual', (a, b) => (a >= b ? 1 : 0), (a, b) => `select(0.0, 1.0, ${a} >= ${b})`);
export const lessEqual = binaryMap('lessEqual', (a, b) => (a <= b ? 1 : 0), (a, b) => `select(0.0, 1.0, ${a} <= ${b})`);
export const equal = binaryMap('equal', (a, b) => (a === b ? 1 : 0), (a, b) => `select(0.0, 1.0, ${a} == ${b})`);

/** g where x > 0, else 0 (not differentiable): for backward rules of ops with a fused relu. */
export const reluGradRaw = (x: Tensor, g: Tensor) => reluGrad(x, g);

/** Builds a fused, non-differentiable binary kernel; for backward rules and losses in other op files. */
export const fusedBinary = binaryMap;

export { sigmoidNumber, sigmoidWgsl };
