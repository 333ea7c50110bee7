// Convolutions through oneDNN (Debian's libdnnl2, the library PyTorch's CPU convolutions use),
// loaded with bun:ffi. Measured on a 2-core AVX-512 machine, the encoder's 32-channel 4×4 stride-2
// layer ran ~5× faster than im2col + OpenBLAS (which this environment pins to AVX2 kernels) and
// the im2col copies themselves cost as much as the GEMM. As in PyTorch, each primitive picks its
// own blocked memory layouts (format "any"), and our plain NCHW arrays are reordered in and out.
//
// Activations stay NCHW in our arrays. For layers with few channels the blocked layouts pad each
// pixel to a block of 16, so that Glow's 2- to 8-channel couplings and 1×1 convolutions spent more
// on padding and reorders than on arithmetic; `layoutFor` keeps those on plain NCHW descriptors
// (the rule and its measurements: docs/performance.md, bench:conv-layouts). Weights reordered
// into a primitive's layout are kept while their array's content version stands, so inference
// reorders each weight once, not at every call.
//
// Everything oneDNN returns is an opaque handle; descriptors are opaque byte buffers that its
// init functions fill (we never read their fields), so no struct layout is assumed beyond the
// documented dnnl_exec_arg_t {int arg; void *memory} and int64 dims arrays.
import type { ConvGeometry } from '../ops/conv-geometry.ts';
import type { Convolutions } from './engine.ts';

// Constants of oneDNN 2.x's C API (dnnl_types.h).
const F32 = 3;
const CPU = 1;
const TAG_ANY = 1;
const TAG_A = 2;
const TAG_ABCD = 5;
const FORWARD_TRAINING = 64;
const CONVOLUTION_DIRECT = 1;
const ELTWISE_RELU = 0x1f;
const STREAM_IN_ORDER = 1;
const QUERY_IMPL_INFO = 8;
const QUERY = { src: 129, diffSrc: 130, weights: 131, diffWeights: 132, dst: 133, diffDst: 134 } as const;
const ARG = { src: 1, dst: 17, weights: 33, bias: 41, diffSrc: 129, diffDst: 145, diffWeights: 161, from: 1, to: 17 } as const;
/** Bytes we reserve for one opaque descriptor: dnnl_memory_desc_t is < 1 KiB, dnnl_convolution_desc_t < 8 KiB. */
const MEMORY_DESC_BYTES = 2048;
const OP_DESC_BYTES = 16384;

/** An opaque oneDNN handle (engine, stream, primitive, memory) as bun:ffi passes pointers. */
type Handle = import('bun:ffi').Pointer;

/** How activations are laid out for a primitive: oneDNN's choice ('blocked', with reorders) or plain NCHW. */
export type Layout = 'blocked' | 'plain';
export type ConvPass = 'forward' | 'data' | 'weights';

/**
 * The layout of a layer's activations, by a rule measured on MAGANet's layers (one thread,
 * AVX-512; bench:conv-layouts, table in docs/performance.md): plain NCHW for 1×1 convolutions
 * (forward and data gradient at every width MAGANet has, 2 to 64 channels; the weight gradient
 * below 16) and for the data gradient of layers with fewer than 8 input or output channels;
 * oneDNN's blocked layouts everywhere else.
 */
export function layoutFor(pass: ConvPass, g: ConvGeometry): Layout {
  const pointwise = g.kh === 1 && g.kw === 1 && g.stride === 1 && g.pad === 0;
  const channels = Math.min(g.ci, g.co);
  if (pass === 'forward') return pointwise ? 'plain' : 'blocked';
  if (pass === 'weights') return pointwise && channels < 16 ? 'plain' : 'blocked';
  return pointwise || channels < 8 ? 'plain' : 'blocked';
}

export interface DnnlOptions {
  /** The content version of an array (bumped at every write): a weight reordered into a primitive's layout is reused while it stands. */
  version?: (a: Float32Array) => number;
  /** The OpenMP threads the next call runs with; primitives are compiled per count (0: not steered). */
  threads?: () => number;
  /** 'rule' (layoutFor, the default), or one layout for every layer (bench:conv-layouts compares them). */
  layouts?: 'rule' | Layout;
}

export const DNNL_HELP = 'install oneDNN (Debian/Ubuntu: apt-get install libdnnl2), or set MAGA_DNNL=/path/to/libdnnl.so';

export function dnnlCandidates(): string[] {
  const chosen = typeof process !== 'undefined' ? process.env?.MAGA_DNNL : undefined;
  if (chosen) return [chosen];
  return process.platform === 'darwin' ? ['libdnnl.3.dylib', 'libdnnl.2.dylib'] : ['libdnnl.so.2', 'libdnnl.so'];
}

/** Loads oneDNN and returns the convolution engine, or why it could not. */
export async function loadDnnl(options: DnnlOptions = {}): Promise<{ convolutions: Convolutions; path: string } | { error: string }> {
  const versionOf = options.version ?? null;
  const threadCount = options.threads ?? (() => 0);
  const layoutOf = (pass: ConvPass, g: ConvGeometry): Layout => (options.layouts === undefined || options.layouts === 'rule' ? layoutFor(pass, g) : options.layouts);
  if (typeof Bun === 'undefined') return { error: 'oneDNN needs Bun (bun:ffi)' };
  const specifier = 'bun:ffi';
  const ffi = (await import(/* @vite-ignore */ specifier)) as typeof import('bun:ffi');
  const { FFIType, dlopen, read, CString } = ffi;
  const P = FFIType.ptr;
  const I = FFIType.i32;
  const symbols = {
    dnnl_version: { args: [], returns: P },
    dnnl_engine_create: { args: [P, I, FFIType.u64], returns: I },
    dnnl_stream_create: { args: [P, P, FFIType.u32], returns: I },
    dnnl_memory_desc_init_by_tag: { args: [P, I, P, I, I], returns: I },
    dnnl_memory_desc_equal: { args: [P, P], returns: I },
    dnnl_memory_desc_get_size: { args: [P], returns: FFIType.u64 },
    dnnl_convolution_forward_desc_init: { args: [P, I, I, P, P, P, P, P, P, P], returns: I },
    dnnl_convolution_backward_data_desc_init: { args: [P, I, P, P, P, P, P, P], returns: I },
    dnnl_convolution_backward_weights_desc_init: { args: [P, I, P, P, P, P, P, P, P], returns: I },
    dnnl_primitive_desc_create: { args: [P, P, P, P, P], returns: I },
    dnnl_primitive_desc_query: { args: [P, I, I, P], returns: I },
    dnnl_primitive_desc_query_md: { args: [P, I, I], returns: P },
    dnnl_reorder_primitive_desc_create: { args: [P, P, P, P, P, P], returns: I },
    dnnl_primitive_create: { args: [P, P], returns: I },
    dnnl_primitive_execute: { args: [P, P, I, P], returns: I },
    dnnl_memory_create: { args: [P, P, P, P], returns: I },
    dnnl_memory_set_data_handle: { args: [P, P], returns: I },
    dnnl_stream_wait: { args: [P], returns: I },
    dnnl_primitive_attr_create: { args: [P], returns: I },
    dnnl_post_ops_create: { args: [P], returns: I },
    dnnl_post_ops_append_eltwise: { args: [P, FFIType.f32, I, FFIType.f32, FFIType.f32], returns: I },
    dnnl_primitive_attr_set_post_ops: { args: [P, P], returns: I },
  } as const;
  let lib: ReturnType<typeof dlopen<typeof symbols>> | null = null;
  const failures: string[] = [];
  let path = '';
  for (const candidate of dnnlCandidates()) {
    try {
      lib = dlopen(candidate, symbols);
      path = candidate;
      break;
    } catch (e) {
      failures.push(`${candidate}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    }
  }
  if (!lib) return { error: `oneDNN could not be loaded (${failures.join('; ')})` };
  const S = lib.symbols;
  const handle = new BigUint64Array(1);
  const call = (status: number, what: string) => {
    if (status !== 0) throw new Error(`oneDNN: ${what} failed with status ${status}`);
  };
  /** Runs a create function that writes a handle into its first argument; returns the handle. */
  const create = (what: string, f: (out: BigUint64Array) => number): Handle => {
    call(f(handle), what);
    return Number(handle[0]) as Handle;
  };
  const version = S.dnnl_version();
  if (!version) return { error: `${path}: dnnl_version returned nothing` };
  const major = read.i32(version, 0);
  if (major !== 2) return { error: `${path} is oneDNN ${major}.x; this engine speaks the 2.x C API` };
  const description = `oneDNN ${major}.${read.i32(version, 4)}.${read.i32(version, 8)}`;
  let engine: Handle;
  let stream: Handle;
  try {
    engine = create('engine', (out) => S.dnnl_engine_create(out, CPU, 0));
    stream = create('stream', (out) => S.dnnl_stream_create(out, engine, STREAM_IN_ORDER));
  } catch (e) {
    return { error: `${path}: ${(e as Error).message}` };
  }

  const dims = (values: readonly number[]) => {
    const d = new BigInt64Array(12);
    values.forEach((v, i) => (d[i] = BigInt(v)));
    return d;
  };
  const plainDesc = (shape: readonly number[]) => {
    const md = new Uint8Array(MEMORY_DESC_BYTES);
    call(S.dnnl_memory_desc_init_by_tag(md, shape.length, dims(shape), F32, shape.length === 1 ? TAG_A : TAG_ABCD), 'memory_desc_init_by_tag');
    return md;
  };
  const anyDesc = (shape: readonly number[]) => {
    const md = new Uint8Array(MEMORY_DESC_BYTES);
    call(S.dnnl_memory_desc_init_by_tag(md, shape.length, dims(shape), F32, TAG_ANY), 'memory_desc_init_by_tag');
    return md;
  };

  /**
   * One argument of a primitive: a plain user array, and — when the primitive chose another layout
   * — a buffer in that layout with the reorder between the two.
   */
  interface Binding {
    arg: number;
    user: Handle;
    inner: Handle;
    reorder: Handle | null;
    /** Elements of the blocked-layout buffer, lent from `blocked[slot]` at each execution. */
    elements: number;
    slot: number;
    output: boolean;
    /** Weights: their own blocked buffer, and which array at which version it holds. */
    kept: { buffer: Float32Array; from: Float32Array | null; version: number } | null;
  }

  // The blocked-layout copies live only while one primitive runs, and primitives run one at a
  // time, so all primitives share one buffer per argument position, grown to the largest asked
  // for. One buffer per primitive instead held 214 MiB at batch 64 (MAGANet: every layer's
  // geometry in forward, data and weight passes, for batch 64 and the pivot's batch 1).
  const blocked: Float32Array[] = [];
  const blockedBuffer = (slot: number, elements: number) => {
    if (!(blocked[slot]?.length >= elements)) blocked[slot] = new Float32Array(elements);
    return blocked[slot];
  };
  interface Compiled {
    primitive: Handle;
    bindings: Binding[];
    args: BigUint64Array;
    impl: string;
  }

  const reorderArgs = new BigUint64Array(4);
  const runReorder = (reorder: Handle, from: Handle, to: Handle) => {
    reorderArgs[0] = BigInt(ARG.from);
    reorderArgs[1] = BigInt(from);
    reorderArgs[2] = BigInt(ARG.to);
    reorderArgs[3] = BigInt(to);
    call(S.dnnl_primitive_execute(reorder, stream, 2, reorderArgs), 'reorder');
  };

  /** An argument of a primitive: what it is, how to query its layout (index 1 of weights is the bias), its plain shape. */
  interface Argument {
    arg: number;
    query: number;
    index?: number;
    shape: readonly number[];
    output: boolean;
    /** Weights, whose reordered copy is kept between calls. */
    weights?: boolean;
  }

  /** Primitive attributes with a relu applied to the output as it is written. */
  let reluAttributes: Handle | null = null;
  const reluAttr = (): Handle => {
    if (reluAttributes) return reluAttributes;
    const attr = create('primitive_attr_create', (out) => S.dnnl_primitive_attr_create(out));
    const postOps = create('post_ops_create', (out) => S.dnnl_post_ops_create(out));
    call(S.dnnl_post_ops_append_eltwise(postOps, 1, ELTWISE_RELU, 0, 0), 'post_ops_append_eltwise');
    call(S.dnnl_primitive_attr_set_post_ops(attr, postOps), 'primitive_attr_set_post_ops');
    return (reluAttributes = attr);
  };

  function compile(opDesc: Uint8Array, hint: Handle | null, args: Argument[], attr: Handle | null = null): Compiled & { pd: Handle } {
    const pd = create('primitive_desc_create', (out) => S.dnnl_primitive_desc_create(out, opDesc, attr, engine, hint));
    const primitive = create('primitive_create', (out) => S.dnnl_primitive_create(out, pd));
    const info = new BigUint64Array(1);
    S.dnnl_primitive_desc_query(pd, QUERY_IMPL_INFO, 0, info);
    const impl = info[0] ? String(new CString(Number(info[0]))) : 'unknown';
    const bindings = args.map(({ arg, query, index, shape, output, weights }, slot): Binding => {
      const chosen = S.dnnl_primitive_desc_query_md(pd, query, index ?? 0);
      if (!chosen) throw new Error(`oneDNN: no memory descriptor for argument ${arg}`);
      const plain = plainDesc(shape);
      const user = create('memory_create', (out) => S.dnnl_memory_create(out, plain, engine, null));
      if (S.dnnl_memory_desc_equal(plain, chosen)) return { arg, user, inner: user, reorder: null, elements: 0, slot, output, kept: null };
      const elements = Math.ceil(Number(S.dnnl_memory_desc_get_size(chosen)) / 4);
      // Created without a buffer: execute lends it the shared one.
      const inner = create('memory_create', (out) => S.dnnl_memory_create(out, chosen, engine, null));
      const reorderPd = output
        ? create('reorder_primitive_desc_create', (out) => S.dnnl_reorder_primitive_desc_create(out, chosen, engine, plain, engine, null))
        : create('reorder_primitive_desc_create', (out) => S.dnnl_reorder_primitive_desc_create(out, plain, engine, chosen, engine, null));
      const reorder = create('primitive_create', (out) => S.dnnl_primitive_create(out, reorderPd));
      const kept = weights && versionOf ? { buffer: new Float32Array(elements), from: null, version: -1 } : null;
      if (kept) call(S.dnnl_memory_set_data_handle(inner, kept.buffer), 'memory_set_data_handle');
      return { arg, user, inner, reorder, elements, slot, output, kept };
    });
    const execArgs = new BigUint64Array(2 * bindings.length);
    bindings.forEach((b, i) => {
      execArgs[2 * i] = BigInt(b.arg);
      execArgs[2 * i + 1] = BigInt(b.inner);
    });
    return { pd, primitive, bindings, args: execArgs, impl };
  }

  function execute(c: Compiled, arrays: readonly Float32Array[]): void {
    for (let i = 0; i < c.bindings.length; i++) {
      const b = c.bindings[i];
      const array = arrays[i];
      const kept = b.kept;
      if (kept) {
        // Weights already in this primitive's layout: reordered again only when they changed.
        const version = versionOf!(array);
        if (kept.from === array && kept.version === version) continue;
        call(S.dnnl_memory_set_data_handle(b.user, array), 'memory_set_data_handle');
        runReorder(b.reorder!, b.user, b.inner);
        kept.from = array;
        kept.version = version;
        continue;
      }
      call(S.dnnl_memory_set_data_handle(b.user, array), 'memory_set_data_handle');
      if (b.reorder === null) continue;
      call(S.dnnl_memory_set_data_handle(b.inner, blockedBuffer(b.slot, b.elements)), 'memory_set_data_handle');
      if (!b.output) runReorder(b.reorder, b.user, b.inner);
    }
    call(S.dnnl_primitive_execute(c.primitive, stream, c.bindings.length, c.args), 'convolution');
    for (const b of c.bindings) if (b.reorder !== null && b.output) runReorder(b.reorder, b.inner, b.user);
    call(S.dnnl_stream_wait(stream), 'stream_wait');
  }

  // Primitives are compiled once per geometry (oneDNN JIT-compiles kernels for each).
  const cache = new Map<string, Compiled & { pd: Handle }>();
  const keyOf = (kind: string, g: ConvGeometry, bias: boolean) => `${kind}|${g.n},${g.ci},${g.h},${g.w},${g.co},${g.kh},${g.kw},${g.stride},${g.pad},${bias}|${threadCount()}`;
  /** An activation's descriptor for `pass`: plain NCHW, or 'any' for the primitive to choose. */
  const activation = (pass: ConvPass, g: ConvGeometry, shape: readonly number[]) => (layoutOf(pass, g) === 'plain' ? plainDesc(shape) : anyDesc(shape));
  const shapes = (g: ConvGeometry) => ({ x: [g.n, g.ci, g.h, g.w], w: [g.co, g.ci, g.kh, g.kw], y: [g.n, g.co, g.ho, g.wo] });
  const geometry = (g: ConvGeometry) => ({ strides: dims([g.stride, g.stride]), padL: dims([g.pad, g.pad]), padR: dims([padRight(g.h, g.kh, g.stride, g.pad, g.ho), padRight(g.w, g.kw, g.stride, g.pad, g.wo)]) });

  function forwardPrimitive(g: ConvGeometry, bias: boolean, relu = false, pass: ConvPass = 'forward') {
    const key = `${keyOf('forward', g, bias)}${relu ? '|relu' : ''}|${pass}`;
    let c = cache.get(key);
    if (!c) {
      const s = shapes(g);
      const { strides, padL, padR } = geometry(g);
      const desc = new Uint8Array(OP_DESC_BYTES);
      call(S.dnnl_convolution_forward_desc_init(desc, FORWARD_TRAINING, CONVOLUTION_DIRECT, activation(pass, g, s.x), anyDesc(s.w), bias ? plainDesc([g.co]) : null, activation(pass, g, s.y), strides, padL, padR), 'convolution_forward_desc_init');
      const args = [
        { arg: ARG.src, query: QUERY.src, shape: s.x, output: false },
        { arg: ARG.weights, query: QUERY.weights, shape: s.w, output: false, weights: true },
        ...(bias ? [{ arg: ARG.bias, query: QUERY.weights, index: 1, shape: [g.co], output: false }] : []),
        { arg: ARG.dst, query: QUERY.dst, shape: s.y, output: true },
      ];
      c = compile(desc, null, args, relu ? reluAttr() : null);
      cache.set(key, c);
    }
    return c;
  }

  const convolutions: Convolutions = {
    description,
    forward(x, w, bias, y, g, relu = false) {
      const c = forwardPrimitive(g, bias !== null, relu);
      execute(c, bias ? [x, w, bias, y] : [x, w, y]);
    },
    backwardData(dy, w, dx, g) {
      const key = keyOf('data', g, false);
      let c = cache.get(key);
      if (!c) {
        const s = shapes(g);
        const { strides, padL, padR } = geometry(g);
        const desc = new Uint8Array(OP_DESC_BYTES);
        call(S.dnnl_convolution_backward_data_desc_init(desc, CONVOLUTION_DIRECT, activation('data', g, s.x), anyDesc(s.w), activation('data', g, s.y), strides, padL, padR), 'convolution_backward_data_desc_init');
        c = compile(desc, forwardPrimitive(g, false, false, 'data').pd, [
          { arg: ARG.diffDst, query: QUERY.diffDst, shape: s.y, output: false },
          { arg: ARG.weights, query: QUERY.weights, shape: s.w, output: false, weights: true },
          { arg: ARG.diffSrc, query: QUERY.diffSrc, shape: s.x, output: true },
        ]);
        cache.set(key, c);
      }
      execute(c, [dy, w, dx]);
    },
    backwardWeights(x, dy, dw, g) {
      const key = keyOf('weights', g, false);
      let c = cache.get(key);
      if (!c) {
        const s = shapes(g);
        const { strides, padL, padR } = geometry(g);
        const desc = new Uint8Array(OP_DESC_BYTES);
        call(S.dnnl_convolution_backward_weights_desc_init(desc, CONVOLUTION_DIRECT, activation('weights', g, s.x), anyDesc(s.w), null, activation('weights', g, s.y), strides, padL, padR), 'convolution_backward_weights_desc_init');
        c = compile(desc, forwardPrimitive(g, false, false, 'weights').pd, [
          { arg: ARG.src, query: QUERY.src, shape: s.x, output: false },
          { arg: ARG.diffDst, query: QUERY.diffDst, shape: s.y, output: false },
          { arg: ARG.diffWeights, query: QUERY.diffWeights, shape: s.w, output: true },
        ]);
        cache.set(key, c);
      }
      execute(c, [x, dy, dw]);
    },
  };
  return { convolutions, path };
}

/** Padding on the bottom/right that oneDNN wants: what the output size uses of the input, minus the input. */
function padRight(input: number, kernel: number, stride: number, pad: number, output: number): number {
  return (output - 1) * stride + kernel - input - pad;
}

