// The fixed list of small bugs that `bun run test:mutations` puts, one at a time, into a temporary
// copy of the tree; the tests named beside each must fail for it. A mutation replaces the one
// occurrence of `find` in `file` by `replace` (the runner refuses a `find` that is missing or not
// unique, so a moved or rewritten file shows here as a stale entry to update, never as a pass).
// `backends` lists the suites that must fail among those named [cpu], [native], … — it shows that
// the conformance suite on both CPU backends catches a wrong formula in each op family.

export interface Mutation {
  /** What the bug is, in a few words. */
  name: string;
  /** The op family or part of the code it breaks. */
  family: string;
  /** Path from the repository root. */
  file: string;
  find: string;
  replace: string;
  /** Test files (from the root) run against the mutated copy. */
  tests: string[];
  /** Only the tests whose names match (bun test -t), where the files hold much else. */
  filter?: string;
  /** Backend suites that must have a failing test: 'cpu', 'native', 'native im2col', 'webgpu'. */
  backends?: string[];
}

const TENSOR = 'packages/tensor';
const MODEL = 'packages/model';
const GROUPS = `${MODEL}/src/groups`;

export const MUTATIONS: Mutation[] = [
  // The brief's six kinds of bug.
  {
    name: 'a sign in a backward rule: conv2d weight gradient negated',
    family: 'autodiff',
    file: `${TENSOR}/src/ops/conv.ts`,
    find: 'weight.requiresGrad ? convWeightGrad(x, dy, g) : null,',
    replace: 'weight.requiresGrad ? convWeightGrad(x, dy, g).neg() : null,',
    tests: [`${TENSOR}/test/conv.test.ts`],
    backends: ['cpu', 'native'],
  },
  {
    name: 'a constant in SSIM: k1 = 0.02 instead of 0.01',
    family: 'metrics',
    file: `${MODEL}/src/metrics.ts`,
    find: 'k1 = 0.01,',
    replace: 'k1 = 0.02,',
    tests: [`${MODEL}/test/metrics.test.ts`],
    filter: 'ssim',
  },
  {
    name: 'a frequency: SO(2) and C_n rotate every block at frequency 1, whatever the configuration',
    family: 'group actions',
    file: `${MODEL}/src/actions.ts`,
    find: 'this.frequencies = T.keep(T.tensor(layout.frequencies, [1, layout.frequencies.length]));',
    replace: 'this.frequencies = T.keep(T.tensor(layout.frequencies.map(() => 1), [1, layout.frequencies.length]));',
    tests: [`${MODEL}/test/group-actions.test.ts`],
    backends: ['cpu', 'native'],
  },
  {
    name: 'a scale in an activation: tanh(x)·1.01 in its scalar function',
    family: 'elementwise',
    file: `${TENSOR}/src/ops/elementwise.ts`,
    find: "export const tanh = unary('tanh', Math.tanh,",
    replace: "export const tanh = unary('tanh', (x) => 1.01 * Math.tanh(x),",
    tests: [`${TENSOR}/test/elementwise.test.ts`],
    filter: 'tanh',
    backends: ['cpu', 'native'],
  },
  {
    name: 'an off-by-one in a stride: im2col reads rows with stride s + 1',
    family: 'conv2d',
    file: `${TENSOR}/src/ops/conv-geometry.ts`,
    find: 'const ih = oh * stride - pad + dh;\n          if (ih < 0 || ih >= h) continue;\n          const src = xBase + ih * width;',
    replace: 'const ih = oh * (stride + 1) - pad + dh;\n          if (ih < 0 || ih >= h) continue;\n          const src = xBase + ih * width;',
    tests: [`${TENSOR}/test/conv.test.ts`],
    backends: ['cpu', 'native im2col'],
  },
  {
    name: 'the composition order in a group law: SO(3) composes q₁·q₂ instead of q₂·q₁',
    family: 'group actions',
    file: `${MODEL}/src/so3-action.ts`,
    find: 'const [aw, ax, ay, az] = T.split(q2, 4, 1);\n    const [bw, bx, by, bz] = T.split(q1, 4, 1);',
    replace: 'const [aw, ax, ay, az] = T.split(q1, 4, 1);\n    const [bw, bx, by, bz] = T.split(q2, 4, 1);',
    tests: [`${MODEL}/test/so3-action.test.ts`],
  },
  {
    name: 'C_n inverse not wrapped into {0, …, n−1}',
    family: 'group actions',
    file: `${MODEL}/src/actions.ts`,
    find: 'return this.wrap(g.neg());',
    replace: 'return g.neg();',
    tests: [`${MODEL}/test/group-actions.test.ts`],
  },
  {
    name: "C_n's law on host elements: the inverse of j is j",
    family: 'group actions',
    file: `${GROUPS}/cyclic.ts`,
    find: 'return [this.wrap(-g[0])];',
    replace: 'return [this.wrap(g[0])];',
    tests: [`${MODEL}/test/group-actions.test.ts`],
  },
  // One wrong formula per op family, where the cpu and native backends share the code; where they
  // do not, one mutation in each backend's own loop.
  {
    name: 'reductions (cpu loop): max keeps the smaller value',
    family: 'reductions',
    file: `${TENSOR}/src/ops/reduce-kernel.ts`,
    find: 'v > acc || Number.isNaN(v) ? v : acc',
    replace: 'v < acc || Number.isNaN(v) ? v : acc',
    tests: [`${TENSOR}/test/ops.test.ts`],
    filter: 'reductions',
    backends: ['cpu'],
  },
  {
    name: 'reductions (native loop): a summed row drops its last element',
    family: 'reductions',
    file: `${TENSOR}/src/native/loops.ts`,
    find: 'for (let j = 0; j < inner; j++) s += x[p + j];',
    replace: 'for (let j = 0; j < inner - 1; j++) s += x[p + j];',
    tests: [`${TENSOR}/test/ops.test.ts`],
    filter: 'reductions',
    backends: ['native'],
  },
  {
    name: 'movement: squeeze2d interleaves the 2×2 phases in the wrong order',
    family: 'movement',
    file: `${TENSOR}/src/ops/movement.ts`,
    find: 'const t = permute(reshape(x, [n, c, h / 2, 2, w / 2, 2]), [0, 1, 3, 5, 2, 4]);',
    replace: 'const t = permute(reshape(x, [n, c, h / 2, 2, w / 2, 2]), [0, 1, 5, 3, 2, 4]);',
    tests: [`${TENSOR}/test/ops.test.ts`],
    filter: 'movement',
    backends: ['cpu', 'native'],
  },
  {
    name: 'matmul (cpu loop): products accumulated with the wrong sign',
    family: 'matmul',
    file: `${TENSOR}/src/ops/matmul.ts`,
    find: 'for (let n = 0; n < N; n++) row[n] += av * b[base + n];',
    replace: 'for (let n = 0; n < N; n++) row[n] -= av * b[base + n];',
    tests: [`${TENSOR}/test/ops.test.ts`],
    filter: 'matmul',
    backends: ['cpu'],
  },
  {
    name: 'matmul (native, BLAS): alpha = −1',
    family: 'matmul',
    file: `${TENSOR}/src/native/kernels.ts`,
    find: 'engine.gemm(p.transA, p.transB, M, N, K, 1, a, aOff,',
    replace: 'engine.gemm(p.transA, p.transB, M, N, K, -1, a, aOff,',
    tests: [`${TENSOR}/test/ops.test.ts`],
    filter: 'matmul',
    backends: ['native'],
  },
  {
    name: 'conv2d (cpu loop): the bias is dropped',
    family: 'conv2d',
    file: `${TENSOR}/src/ops/conv.ts`,
    find: 'row.fill(bias ? bias[co] : 0);',
    replace: 'row.fill(0);',
    tests: [`${TENSOR}/test/conv.test.ts`],
    backends: ['cpu'],
  },
  {
    name: 'conv2d (native, oneDNN): the fused relu applied when not asked for, and not when asked',
    family: 'conv2d',
    file: `${TENSOR}/src/native/conv.ts`,
    find: 'y as Float32Array, g, relu);',
    replace: 'y as Float32Array, g, !relu);',
    tests: [`${TENSOR}/test/conv.test.ts`],
    backends: ['native'],
  },
  {
    name: 'losses: BCE with logits uses x·(1 − t) for x·t',
    family: 'losses',
    file: `${TENSOR}/src/ops/loss.ts`,
    find: '(x, t) => Math.max(x, 0) - x * t + Math.log1p(Math.exp(-Math.abs(x))),',
    replace: '(x, t) => Math.max(x, 0) - x * (1 - t) + Math.log1p(Math.exp(-Math.abs(x))),',
    tests: [`${TENSOR}/test/ops.test.ts`],
    filter: 'loss',
    backends: ['cpu', 'native'],
  },
  {
    name: 'linalg: log|det| sums log|pivot| of all but the last pivot',
    family: 'linalg',
    file: `${TENSOR}/src/ops/linalg.ts`,
    find: 'sum += Math.log(Math.abs(pivot));',
    replace: 'if (k < c - 1) sum += Math.log(Math.abs(pivot));',
    tests: [`${TENSOR}/test/linalg.test.ts`],
    backends: ['cpu', 'native'],
  },
  {
    name: 'linalg (native): Gauss–Jordan scales the pivot row of the inverse but its first entry',
    family: 'linalg',
    file: `${TENSOR}/src/native/kernels.ts`,
    find: 'for (let j = 0; j < c; j++) v[rk + j] *= scale;',
    replace: 'for (let j = 1; j < c; j++) v[rk + j] *= scale;',
    tests: [`${TENSOR}/test/linalg.test.ts`],
    backends: ['native'],
  },
  {
    name: 'creation: arange counts from 1',
    family: 'creation',
    file: `${TENSOR}/src/ops/creation.ts`,
    find: "out[i] = p.kind === 'arange' ? i :",
    replace: "out[i] = p.kind === 'arange' ? i + 1 :",
    tests: [`${TENSOR}/test/ops.test.ts`],
    filter: 'creation',
    backends: ['cpu', 'native'],
  },
  {
    name: 'random: a Threefry rotation constant (13 → 14)',
    family: 'random',
    file: `${TENSOR}/src/ops/random.ts`,
    find: 'const ROTATIONS = [13, 15, 26, 6, 17, 29, 16, 24];',
    replace: 'const ROTATIONS = [14, 15, 26, 6, 17, 29, 16, 24];',
    tests: [`${TENSOR}/test/random.test.ts`],
  },
  {
    name: 'flow layers: ActNorm inverse adds the bias back instead of subtracting it',
    family: 'flow layers',
    file: `${MODEL}/src/flow/glow.ts`,
    find: 'return T.multiplyAdd(y, this.logScale.neg().exp(), this.bias.neg());',
    replace: 'return T.multiplyAdd(y, this.logScale.neg().exp(), this.bias);',
    tests: [`${MODEL}/test/layers.test.ts`],
    backends: ['cpu', 'native'],
  },
];
