// Tensors, the runtime that owns the current backend, scopes that free intermediates
// deterministically, and `apply`: the one place where an op runs its kernel and records the
// backward rule that autodiff will call.
import type { Backend, FloatArray, Kernel, Storage } from './backend.ts';
import { describeShape, sizeOf } from './shape.ts';

/** A backward rule: given the gradient of the output (and the output), the gradients of the inputs. */
export type Backward = (gradOutput: Tensor, output: Tensor) => (Tensor | null)[];

export interface GradNode {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  readonly backward: Backward;
}

/** Reference-counted storage, so views (reshape) can share memory with their source. */
class Memory {
  refs = 1;
  constructor(
    readonly backend: Backend,
    readonly storage: Storage,
  ) {}
  retain(): void {
    this.refs++;
  }
  drop(): void {
    if (--this.refs === 0) this.backend.release(this.storage);
  }
}

// ---- runtime state --------------------------------------------------------------------------

let currentBackend: Backend | null = null;
let gradEnabled = true;
let checked = typeof process !== 'undefined' && process.env?.MAGA_CHECK === '1';
let nextId = 1;

/** The backend new tensors are created on. */
export function backend(): Backend {
  if (!currentBackend) throw new Error('no backend selected: call `await init()` (or setBackend) before creating tensors');
  return currentBackend;
}

export function setBackend(b: Backend): void {
  currentBackend = b;
}

export function hasBackend(): boolean {
  return currentBackend !== null;
}

/** Runs `fn` with `b` as the current backend (tests use this to run one case on each backend). */
export function withBackend<T>(b: Backend, fn: () => T): T {
  const previous = currentBackend;
  currentBackend = b;
  try {
    const result = fn();
    if (result instanceof Promise) {
      return result.finally(() => (currentBackend = previous)) as T;
    }
    currentBackend = previous;
    return result;
  } catch (e) {
    currentBackend = previous;
    throw e;
  }
}

/** Checked mode: every op's output is tested for NaN/Inf; the first offender is reported by name and shapes. */
export function setChecked(on: boolean): void {
  checked = on;
}

export function isChecked(): boolean {
  return checked;
}

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs `fn` without recording anything for autodiff (inference). */
export function noGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    const result = fn();
    if (result instanceof Promise) return result.finally(() => (gradEnabled = previous)) as T;
    gradEnabled = previous;
    return result;
  } catch (e) {
    gradEnabled = previous;
    throw e;
  }
}

// ---- scopes ---------------------------------------------------------------------------------

type Scope = Set<Tensor>;
const scopes: Scope[] = [];

/** Tensors reachable in a scope's result: a tensor, or arrays/objects of them. */
function collectTensors(value: unknown, into: Set<Tensor>, depth = 0): void {
  if (depth > 8 || value === null || typeof value !== 'object') return;
  if (value instanceof Tensor) {
    into.add(value);
  } else if (Array.isArray(value)) {
    for (const v of value) collectTensors(v, into, depth + 1);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collectTensors(v, into, depth + 1);
  }
}

function closeScope(scope: Scope, result: unknown): void {
  const keep = new Set<Tensor>();
  collectTensors(result, keep);
  const index = scopes.lastIndexOf(scope);
  if (index !== scopes.length - 1) throw new Error('scopes closed out of order: an async tidy overlapped another');
  scopes.pop();
  const parent = scopes[scopes.length - 1];
  for (const t of scope) {
    if (keep.has(t)) parent?.add(t);
    else if (!t.kept) t.dispose();
  }
}

/**
 * Runs `fn` and frees every tensor created inside it, except what it returns (a tensor, or arrays
 * and plain objects of tensors) and tensors marked with `keep`. Returned tensors move to the
 * enclosing scope. An async `fn` is allowed when scopes do not overlap in time.
 */
export function tidy<T>(fn: () => T): T {
  const scope: Scope = new Set();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    closeScope(scope, undefined);
    throw e;
  }
  if (result instanceof Promise) {
    return result.then(
      (value) => {
        closeScope(scope, value);
        return value;
      },
      (error) => {
        closeScope(scope, undefined);
        throw error;
      },
    ) as T;
  }
  closeScope(scope, result);
  return result;
}

/** Exempts tensors from scope cleanup (parameters, caches); they are freed only by `dispose`. */
export function keep<T extends Tensor>(t: T): T {
  t.kept = true;
  for (const s of scopes) s.delete(t);
  return t;
}

// ---- the tensor -----------------------------------------------------------------------------

export class Tensor {
  readonly id = nextId++;
  readonly shape: readonly number[];
  readonly size: number;
  readonly backend: Backend;
  /** Gradient accumulated by `backward()` on a leaf that requires it. Owned by this tensor. */
  grad: Tensor | null = null;
  requiresGrad = false;
  node: GradNode | null = null;
  kept = false;
  /** A name for error messages and checkpoints (parameters have one). */
  name: string | undefined;
  private memory: Memory | null;

  constructor(shape: readonly number[], memory: Memory) {
    // A copy, readonly by type (Object.freeze made every op's tensor ~25% slower to create in JSC).
    this.shape = [...shape];
    this.size = sizeOf(shape);
    this.backend = memory.backend;
    this.memory = memory;
    scopes[scopes.length - 1]?.add(this);
  }

  /** A new tensor of `shape` with fresh (uninitialised) storage on `b`. */
  static empty(shape: readonly number[], b: Backend = backend()): Tensor {
    const size = sizeOf(shape);
    return new Tensor(shape, new Memory(b, b.alloc(size)));
  }

  get rank(): number {
    return this.shape.length;
  }

  get disposed(): boolean {
    return this.memory === null;
  }

  /** The backend storage; throws a clear error after dispose. */
  storage(op = 'use'): Storage {
    if (!this.memory) throw new Error(`${op}: tensor #${this.id}${this.name ? ` (${this.name})` : ''} of shape ${describeShape(this.shape)} was used after dispose`);
    return this.memory.storage;
  }

  /** A view with another shape over the same memory (no copy). */
  view(shape: readonly number[]): Tensor {
    const m = this.memory;
    if (!m) throw new Error(`reshape: tensor #${this.id} of shape ${describeShape(this.shape)} was used after dispose`);
    m.retain();
    return new Tensor(shape, m);
  }

  dispose(): void {
    if (!this.memory) return;
    this.memory.drop();
    this.memory = null;
    this.node = null;
    if (this.grad) {
      this.grad.dispose();
      this.grad = null;
    }
    for (const s of scopes) s.delete(this);
  }

  /** Marks this tensor as a leaf that autodiff computes gradients for. */
  requireGrad(on = true): this {
    this.requiresGrad = on;
    return this;
  }

  async data(): Promise<Float32Array> {
    const values = await this.backend.read(this.storage('data'));
    return values instanceof Float32Array ? values : Float32Array.from(values);
  }

  /** The values in float64 (exact on the float64 cpu reference backend). */
  async data64(): Promise<Float64Array> {
    const values = await this.backend.read(this.storage('data64'));
    return values instanceof Float64Array ? values : Float64Array.from(values);
  }

  async item(): Promise<number> {
    if (this.size !== 1) throw new Error(`item: expected a tensor with one element, got shape ${describeShape(this.shape)}`);
    return (await this.data())[0];
  }

  /** Nested arrays, for printing and tests. */
  async array(): Promise<unknown> {
    const values = await this.data();
    const build = (dim: number, offset: number): unknown => {
      if (dim === this.shape.length) return values[offset];
      const stride = sizeOf(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim] }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  toString(): string {
    return `Tensor#${this.id}${this.name ? `(${this.name})` : ''} ${describeShape(this.shape)} on ${this.backend.kind}`;
  }
}

// ---- running ops ----------------------------------------------------------------------------

/** Checks that all inputs are alive and on one backend; returns it. */
export function commonBackend(op: string, inputs: readonly Tensor[]): Backend {
  const b = inputs[0]?.backend ?? backend();
  for (const t of inputs) {
    t.storage(op);
    if (t.backend !== b) throw new Error(`${op}: inputs live on different backends (${b.kind} and ${t.backend.kind})`);
  }
  return b;
}

/** Records `backward` for `output` when autodiff is on and an input needs gradients. */
export function record(op: string, output: Tensor, inputs: readonly Tensor[], backward: Backward): Tensor {
  if (gradEnabled && inputs.some((t) => t.requiresGrad)) {
    output.requiresGrad = true;
    output.node = { op, inputs, backward };
  }
  return output;
}

function checkOutput(op: string, output: Tensor, inputs: readonly Tensor[]): void {
  if (!checked) return;
  // Inputs that are parameters carry their names: the layer an op belongs to.
  const describe = () => `${op}(${inputs.map((t) => (t.name ? `${t.name} ${describeShape(t.shape)}` : describeShape(t.shape))).join(', ')}) -> ${describeShape(output.shape)}`;
  output.backend.check(output.storage(op), describe);
}

/**
 * Runs `kernel` on the inputs into a new tensor of `shape` and records `backward` for autodiff.
 * This is how every op is built.
 */
export function apply<P>(op: string, inputs: readonly Tensor[], shape: readonly number[], kernel: Kernel<P>, params: P, backward?: Backward): Tensor {
  const b = commonBackend(op, inputs);
  const output = Tensor.empty(shape, b);
  if (output.size > 0) {
    const storages: Storage[] = new Array(inputs.length);
    for (let i = 0; i < inputs.length; i++) storages[i] = inputs[i].storage(op);
    b.run(kernel, storages, [output.storage(op)], params);
  }
  checkOutput(op, output, inputs);
  return backward ? record(op, output, inputs, backward) : output;
}

/** Like `apply` for kernels with several outputs (no autodiff: callers record what they need). */
export function applyMulti<P>(op: string, inputs: readonly Tensor[], shapes: readonly (readonly number[])[], kernel: Kernel<P>, params: P): Tensor[] {
  const b = commonBackend(op, inputs);
  const outputs = shapes.map((s) => Tensor.empty(s, b));
  if (outputs.every((o) => o.size === 0)) return outputs;
  b.run(kernel, inputs.map((t) => t.storage(op)), outputs.map((t) => t.storage(op)), params);
  for (const o of outputs) checkOutput(op, o, inputs);
  return outputs;
}

// ---- creating tensors -----------------------------------------------------------------------

/** A tensor from host values (numbers, typed array or nested arrays) with an optional shape. */
export function tensor(values: ArrayLike<number> | number | unknown[], shape?: readonly number[], b: Backend = backend()): Tensor {
  let flat: ArrayLike<number>;
  let inferred: number[];
  if (typeof values === 'number') {
    flat = [values];
    inferred = [];
  } else if (Array.isArray(values) && values.some((v) => Array.isArray(v))) {
    inferred = [];
    for (let v: unknown = values; Array.isArray(v); v = v[0]) inferred.push(v.length);
    flat = (values as unknown[]).flat(Infinity) as number[];
  } else {
    flat = values as ArrayLike<number>;
    inferred = [flat.length];
  }
  const finalShape = shape ?? inferred;
  if (sizeOf(finalShape) !== flat.length) {
    throw new Error(`tensor: ${flat.length} values do not fill shape ${describeShape(finalShape)} (${sizeOf(finalShape)} elements)`);
  }
  const t = Tensor.empty(finalShape, b);
  if (t.size > 0) b.write(t.storage('tensor'), flat);
  return t;
}

/** Copies host values into an existing tensor's storage (parameters, optimizer state). */
export function assign(target: Tensor, values: ArrayLike<number> | FloatArray): void {
  if (values.length !== target.size) {
    throw new Error(`assign: ${values.length} values for tensor ${target.name ?? `#${target.id}`} of shape ${describeShape(target.shape)}`);
  }
  target.backend.write(target.storage('assign'), values);
}
