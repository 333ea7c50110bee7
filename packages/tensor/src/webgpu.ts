// The webgpu backend: runs each kernel's WGSL on a WebGPU device — Dawn (the `webgpu` npm package)
// under Bun, `navigator.gpu` in a browser. Work is recorded into one command encoder and submitted
// in batches; nothing is read back unless asked; buffers come from a size-class pool and go back to
// it when a tensor is freed; pipelines are cached by (kernel, params).
import type { Backend, BackendStats, FloatArray, GpuTraits, Kernel, KernelTime, Storage } from './backend.ts';
import { kernelCost } from './cost.ts';

/** Kept at module level on purpose: if Dawn's GPU object is collected while a device lives, the process crashes. */
let dawnGpu: GPU | null = null;

async function getGpu(): Promise<GPU | null> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return nav.gpu;
  if (dawnGpu) return dawnGpu;
  const isBrowser = typeof (globalThis as { window?: unknown }).window !== 'undefined';
  if (isBrowser) return null;
  // A variable specifier keeps bundlers from pulling Dawn into browser builds.
  const specifier = 'webgpu';
  const dawn = (await import(/* @vite-ignore */ specifier)) as { create(flags: string[]): GPU; globals: Record<string, unknown> };
  Object.assign(globalThis, dawn.globals);
  dawnGpu = dawn.create([]);
  return dawnGpu;
}

/** Human-readable adapter identity, e.g. `llvmpipe: Mesa 25.0.7 (LLVM 15.0.6) [mesa, software]`. */
function describeAdapter(info: GPUAdapterInfo): string {
  const parts = [info.vendor, info.architecture].filter(Boolean).join(', ');
  const name = info.description || info.device || 'unknown adapter';
  return `webgpu (${name}${parts ? ` [${parts}]` : ''})`;
}

function isCpuLike(info: GPUAdapterInfo): boolean {
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`;
  return /llvmpipe|lavapipe|swiftshader|software/i.test(text) || (info as { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
}

class GpuStorage implements Storage {
  constructor(
    public buffer: GPUBuffer | null,
    readonly length: number,
    readonly capacity: number,
  ) {}
}

/** Pool size classes: 256-byte minimum, then 8 classes per power of two (at most 12.5 % slack). */
function sizeClass(bytes: number): number {
  const b = Math.max(256, bytes);
  const pow = 2 ** Math.floor(Math.log2(b));
  const step = Math.max(256, pow / 8);
  return Math.ceil(b / step) * step;
}

/** Binding sizes are padded to 16 bytes so kernels may view a buffer as vec4s. */
function bindingBytes(length: number): number {
  return Math.max(16, Math.ceil((length * 4) / 16) * 16);
}

interface CachedPipeline {
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
}

const NO_BAD_OP = 0xffffffff;
/** Uniform words of one recording (the uniform binding limit is 64 KiB; larger recordings flush early). */
const UNIFORM_BYTES = 65536;
/** Submit after this many recorded dispatches, so the device works while JS records more. */
const DISPATCHES_PER_SUBMIT = 128;

export interface WebGpuOptions {
  powerPreference?: GPUPowerPreference;
}

export class WebGpuBackend implements Backend {
  readonly kind = 'webgpu' as const;
  readonly float64 = false;
  readonly description: string;
  readonly traits: GpuTraits;

  private readonly pool = new Map<number, GPUBuffer[]>();
  private readonly stagingPool = new Map<number, GPUBuffer[]>();
  private readonly pipelines = new Map<string, CachedPipeline>();
  private readonly layouts = new Map<string, { group: GPUBindGroupLayout; pipeline: GPUPipelineLayout }>();
  private encoder: GPUCommandEncoder | null = null;
  /** Which recording (encoder generation) last bound each buffer; a write to one it binds must wait. */
  private readonly lastUse = new WeakMap<GPUBuffer, number>();
  private generation = 0;
  // Uniform words of shape-generic kernels for the current recording, uploaded once before submit.
  private readonly uniformBuffer: GPUBuffer;
  private readonly uniformWords = new Uint32Array(UNIFORM_BYTES / 4);
  private uniformUsed = 0;
  private readonly uniformAlign: number;
  private pass: GPUComputePassEncoder | null = null;
  private pendingDispatches = 0;
  private counters = { live: 0, liveBytes: 0, pooled: 0, pooledBytes: 0, dispatches: 0, submits: 0 };
  private deviceError: string | null = null;
  private destroyed = false;
  /** Roofline counters (cost.ts), while countCosts is on. */
  private costCounters: { flops: number; bytes: number } | null = null;
  private readonly costTotals = { flops: 0, bytes: 0 };

  // Profiling: each dispatch in its own pass, with timestamps written around it.
  private profiling: { querySet: GPUQuerySet; resolve: GPUBuffer; names: string[]; totals: Map<string, { ms: number; count: number }> } | null = null;

  // Checked mode: a one-word buffer holding the sequence number of the first op whose output was not finite.
  private checkFlag: GPUBuffer | null = null;
  private checkDescriptions: (() => string)[] = [];

  private constructor(
    readonly device: GPUDevice,
    readonly adapterInfo: GPUAdapterInfo,
  ) {
    this.description = describeAdapter(adapterInfo);
    this.uniformAlign = Math.max(16, device.limits.minUniformBufferOffsetAlignment);
    this.uniformBuffer = device.createBuffer({ size: UNIFORM_BYTES, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.traits = {
      cpuLike: isCpuLike(adapterInfo),
      maxWorkgroupInvocations: device.limits.maxComputeInvocationsPerWorkgroup,
      maxWorkgroupsPerDimension: device.limits.maxComputeWorkgroupsPerDimension,
      maxStorageBuffersPerStage: device.limits.maxStorageBuffersPerShaderStage,
    };
    device.addEventListener('uncapturederror', (event) => {
      const message = (event as GPUUncapturedErrorEvent).error?.message ?? String(event);
      if (!this.deviceError) this.deviceError = message;
      console.error(`webgpu: device error: ${message}`);
    });
    void device.lost.then((info) => {
      if (!this.destroyed) {
        this.deviceError ??= `device lost (${info.reason}): ${info.message}`;
        console.error(`webgpu: ${this.deviceError}`);
      }
    });
  }

  /**
   * The adapter this environment would give, without creating a device: its description and
   * whether it is a software implementation (lavapipe, SwiftShader). Null when there is none.
   */
  static async probe(options: WebGpuOptions = {}): Promise<{ description: string; software: boolean } | null> {
    const gpu = await getGpu();
    if (!gpu) return null;
    const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
    if (!adapter) return null;
    return { description: describeAdapter(adapter.info), software: isCpuLike(adapter.info) };
  }

  /** Returns null (never throws) when this environment has no WebGPU adapter. */
  static async create(options: WebGpuOptions = {}): Promise<WebGpuBackend | null> {
    const gpu = await getGpu();
    if (!gpu) return null;
    const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
    if (!adapter) return null;
    const want = [
      'maxStorageBufferBindingSize',
      'maxBufferSize',
      'maxStorageBuffersPerShaderStage',
      'maxComputeInvocationsPerWorkgroup',
      'maxComputeWorkgroupSizeX',
      'maxComputeWorkgroupSizeY',
      'maxComputeWorkgroupStorageSize',
    ] as const;
    const requiredLimits: Record<string, number> = {};
    for (const name of want) requiredLimits[name] = adapter.limits[name];
    // Timestamp queries power the opt-in kernel profiler (startProfile, `bench:model --profile`); optional.
    const requiredFeatures: GPUFeatureName[] = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
    const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
    return new WebGpuBackend(device, adapter.info);
  }

  // ---- memory -------------------------------------------------------------------------------

  alloc(length: number): Storage {
    const capacity = sizeClass(length * 4);
    const free = this.pool.get(capacity);
    let buffer = free?.pop();
    if (buffer) {
      this.counters.pooled--;
      this.counters.pooledBytes -= capacity;
    } else {
      buffer = this.device.createBuffer({
        size: capacity,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      });
    }
    this.counters.live++;
    this.counters.liveBytes += capacity;
    return new GpuStorage(buffer, length, capacity);
  }

  release(storage: Storage): void {
    const s = storage as GpuStorage;
    if (!s.buffer) throw new Error('webgpu backend: buffer released twice');
    // Safe while recorded work still uses it: every later use is ordered after that work on the queue.
    let free = this.pool.get(s.capacity);
    if (!free) this.pool.set(s.capacity, (free = []));
    free.push(s.buffer);
    s.buffer = null;
    this.counters.live--;
    this.counters.liveBytes -= s.capacity;
    this.counters.pooled++;
    this.counters.pooledBytes += s.capacity;
  }

  /** Gives pooled buffers back to the driver. */
  trimPool(): void {
    for (const buffers of this.pool.values()) for (const b of buffers) b.destroy();
    this.pool.clear();
    this.counters.pooled = 0;
    this.counters.pooledBytes = 0;
  }

  private buffer(storage: Storage): GPUBuffer {
    const b = (storage as GpuStorage).buffer;
    if (!b) throw new Error('webgpu backend: buffer used after release');
    return b;
  }

  write(storage: Storage, data: ArrayLike<number>): void {
    if (data.length !== storage.length) throw new Error(`webgpu backend: write of ${data.length} values into a buffer of ${storage.length}`);
    // queue.writeBuffer runs before any command buffer submitted later: if work recorded but not yet
    // submitted uses this (pooled, reused) buffer, submit that work first.
    const buffer = this.buffer(storage);
    if (this.lastUse.get(buffer) === this.generation) this.flush();
    const array = data instanceof Float32Array ? data : Float32Array.from(data);
    this.device.queue.writeBuffer(buffer, 0, array.buffer, array.byteOffset, array.byteLength);
  }

  async read(storage: Storage): Promise<FloatArray> {
    this.throwIfBroken();
    const bytes = bindingBytes(storage.length);
    const size = sizeClass(bytes);
    const staging = this.stagingPool.get(size)?.pop() ?? this.device.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    this.endPass();
    this.commandEncoder().copyBufferToBuffer(this.buffer(storage), 0, staging, 0, Math.min(bytes, (storage as GpuStorage).capacity));
    this.flush();
    await staging.mapAsync(GPUMapMode.READ);
    const result = new Float32Array(staging.getMappedRange(0, storage.length * 4).slice(0));
    staging.unmap();
    let free = this.stagingPool.get(size);
    if (!free) this.stagingPool.set(size, (free = []));
    free.push(staging);
    await this.verifyChecks();
    this.throwIfBroken();
    return result;
  }

  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    await this.verifyChecks();
    this.throwIfBroken();
  }

  private throwIfBroken(): void {
    if (this.deviceError) throw new Error(`webgpu: ${this.deviceError}`);
  }

  // ---- execution ----------------------------------------------------------------------------

  private commandEncoder(): GPUCommandEncoder {
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    return this.encoder;
  }

  private computePass(): GPUComputePassEncoder {
    if (!this.pass) this.pass = this.commandEncoder().beginComputePass();
    return this.pass;
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }

  /** Submits everything recorded so far. */
  flush(): void {
    // Profiling timestamps must be resolved before their query slots are reused.
    if (this.profiling && this.profiling.names.length > 0) {
      void this.collectProfile();
      return;
    }
    this.flushWithoutProfile();
  }

  private flushWithoutProfile(): void {
    this.endPass();
    if (this.encoder) {
      if (this.uniformUsed > 0) {
        // Ordered after every earlier submission on the queue, so it never changes words in use.
        this.device.queue.writeBuffer(this.uniformBuffer, 0, this.uniformWords.buffer, 0, this.uniformUsed);
        this.uniformUsed = 0;
      }
      this.device.queue.submit([this.encoder.finish()]);
      this.encoder = null;
      this.pendingDispatches = 0;
      this.generation++;
      this.counters.submits++;
    }
  }

  private layoutFor(inputs: number, outputs: number, uniforms = false): { group: GPUBindGroupLayout; pipeline: GPUPipelineLayout } {
    const key = `${inputs}/${outputs}/${uniforms}`;
    let layout = this.layouts.get(key);
    if (!layout) {
      const entries: GPUBindGroupLayoutEntry[] = [];
      for (let i = 0; i < inputs + outputs; i++) {
        entries.push({ binding: i, visibility: GPUShaderStage.COMPUTE, buffer: { type: i < inputs ? 'read-only-storage' : 'storage' } });
      }
      if (uniforms) entries.push({ binding: inputs + outputs, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' } });
      const group = this.device.createBindGroupLayout({ entries });
      layout = { group, pipeline: this.device.createPipelineLayout({ bindGroupLayouts: [group] }) };
      this.layouts.set(key, layout);
    }
    return layout;
  }

  private pipelineFor<P>(kernel: Kernel<P>, params: P, inputs: number, outputs: number): CachedPipeline {
    const key = `${kernel.name}|${inputs}|${outputs}|${kernel.key(params)}`;
    let cached = this.pipelines.get(key);
    if (!cached) {
      const program = kernel.wgsl(params, this.traits);
      const layout = this.layoutFor(inputs, outputs, kernel.uniforms !== undefined);
      const module = this.device.createShaderModule({ code: program.code, label: kernel.name });
      const pipeline = this.device.createComputePipeline({ layout: layout.pipeline, compute: { module, entryPoint: 'main' }, label: kernel.name });
      cached = { pipeline, layout: layout.group };
      this.pipelines.set(key, cached);
    }
    return cached;
  }

  run<P>(kernel: Kernel<P>, inputs: readonly Storage[], outputs: readonly Storage[], params: P): void {
    if (inputs.length + outputs.length > this.traits.maxStorageBuffersPerStage) {
      throw new Error(`webgpu backend: kernel ${kernel.name} binds ${inputs.length + outputs.length} buffers; this adapter allows ${this.traits.maxStorageBuffersPerStage}`);
    }
    const cached = this.pipelineFor(kernel, params, inputs.length, outputs.length);
    const { pipeline, layout } = cached;
    const workgroups = kernel.workgroups(params, this.traits);
    if (workgroups[0] * workgroups[1] * workgroups[2] === 0) return;
    const entries: GPUBindGroupEntry[] = [];
    let binding = 0;
    for (const s of [...inputs, ...outputs]) {
      const buffer = this.buffer(s);
      this.lastUse.set(buffer, this.generation);
      entries.push({ binding: binding++, resource: { buffer, size: bindingBytes(s.length) } });
    }
    if (kernel.uniforms) {
      const words = kernel.uniforms(params);
      const bytes = Math.max(16, Math.ceil((words.length * 4) / 16) * 16);
      if (this.uniformUsed + bytes > UNIFORM_BYTES) this.flush();
      const offset = this.uniformUsed;
      this.uniformWords.set(words, offset / 4);
      this.uniformUsed = Math.ceil((offset + bytes) / this.uniformAlign) * this.uniformAlign;
      entries.push({ binding, resource: { buffer: this.uniformBuffer, offset, size: bytes } });
    }
    const group = this.device.createBindGroup({ layout, entries });
    const pass = this.profiling ? this.profiledPass(kernel.name) : this.computePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(workgroups[0], workgroups[1], workgroups[2]);
    if (this.profiling) this.endPass();
    this.counters.dispatches++;
    if (this.costCounters) {
      const cost = kernelCost(kernel.name, params, inputs.map((x) => x.length), outputs.map((x) => x.length), 4);
      this.costTotals.flops += cost.flops;
      this.costTotals.bytes += cost.bytes;
    }
    if (++this.pendingDispatches >= DISPATCHES_PER_SUBMIT) this.flush();
  }

  /** Counts FLOPs and bytes of every dispatch from now on (cost.ts; as the native backend's). */
  countCosts(on = true): void {
    this.costCounters = on ? this.costTotals : null;
  }

  /** The roofline counters since creation (while counting was on). */
  costs(): { flops: number; bytes: number } {
    return { ...this.costTotals };
  }

  // ---- profiling ----------------------------------------------------------------------------

  /** Starts timing every kernel launch on the device (slower: one pass per launch); needs timestamp-query. */
  startProfile(): void {
    if (!this.device.features.has('timestamp-query')) throw new Error('webgpu: this adapter has no timestamp-query feature; cannot profile');
    this.flush();
    const capacity = 2 * 1024;
    this.profiling = {
      querySet: this.device.createQuerySet({ type: 'timestamp', count: capacity }),
      resolve: this.device.createBuffer({ size: capacity * 8, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC }),
      names: [],
      totals: new Map(),
    };
  }

  private profiledPass(name: string): GPUComputePassEncoder {
    const p = this.profiling!;
    if (2 * (p.names.length + 1) > p.querySet.count) this.flush();
    this.endPass();
    const index = p.names.length;
    p.names.push(name);
    this.pass = this.commandEncoder().beginComputePass({ timestampWrites: { querySet: p.querySet, beginningOfPassWriteIndex: 2 * index, endOfPassWriteIndex: 2 * index + 1 } });
    return this.pass;
  }

  /** Reads the timestamps recorded since the last collection into the per-kernel totals. */
  private async collectProfile(): Promise<void> {
    const p = this.profiling;
    if (!p || p.names.length === 0) return;
    const count = p.names.length * 2;
    const staging = this.device.createBuffer({ size: count * 8, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    this.endPass();
    const encoder = this.commandEncoder();
    encoder.resolveQuerySet(p.querySet, 0, count, p.resolve, 0);
    encoder.copyBufferToBuffer(p.resolve, 0, staging, 0, count * 8);
    const names = p.names;
    p.names = [];
    this.flushWithoutProfile();
    await staging.mapAsync(GPUMapMode.READ);
    const times = new BigUint64Array(staging.getMappedRange().slice(0));
    staging.unmap();
    staging.destroy();
    names.forEach((name, i) => {
      const ms = Number(times[2 * i + 1] - times[2 * i]) / 1e6;
      const t = p.totals.get(name) ?? { ms: 0, count: 0 };
      t.ms += ms;
      t.count++;
      p.totals.set(name, t);
    });
  }

  /** Stops profiling and returns device milliseconds and launch counts per kernel, largest first. */
  async stopProfile(): Promise<KernelTime[]> {
    await this.collectProfile();
    const p = this.profiling;
    if (!p) return [];
    this.profiling = null;
    p.querySet.destroy();
    p.resolve.destroy();
    return [...p.totals].map(([kernel, t]) => ({ kernel, ...t })).sort((a, b) => b.ms - a.ms);
  }

  // ---- checked mode -------------------------------------------------------------------------

  check(storage: Storage, describe: () => string): void {
    if (!this.checkFlag) {
      this.checkFlag = this.device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
      this.flush();
      this.device.queue.writeBuffer(this.checkFlag, 0, new Uint32Array([NO_BAD_OP, 0, 0, 0]));
    }
    const sequence = this.checkDescriptions.length;
    this.checkDescriptions.push(describe);
    const n = storage.length;
    const groups = Math.min(Math.ceil(n / 64), 1024);
    const code = `
@group(0) @binding(0) var<storage, read> values: array<u32>;
@group(0) @binding(1) var<storage, read_write> flag: atomic<u32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) gid: vec3u) {
  for (var i = gid.x; i < ${n}u; i += ${groups * 64}u) {
    if ((values[i] & 0x7f800000u) == 0x7f800000u) { atomicMin(&flag, ${sequence}u); return; }
  }
}`;
    // Checked mode is for debugging; one pipeline per (size, sequence) is acceptable there.
    const module = this.device.createShaderModule({ code });
    const layout = this.layoutFor(1, 1);
    const pipeline = this.device.createComputePipeline({ layout: layout.pipeline, compute: { module, entryPoint: 'main' } });
    const group = this.device.createBindGroup({
      layout: layout.group,
      entries: [
        { binding: 0, resource: { buffer: this.buffer(storage), size: bindingBytes(n) } },
        { binding: 1, resource: { buffer: this.checkFlag, size: 16 } },
      ],
    });
    const pass = this.computePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(groups);
    this.lastUse.set(this.buffer(storage), this.generation);
  }

  private async verifyChecks(): Promise<void> {
    if (!this.checkFlag || this.checkDescriptions.length === 0) return;
    const staging = this.device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    this.endPass();
    this.commandEncoder().copyBufferToBuffer(this.checkFlag, 0, staging, 0, 16);
    this.flush();
    await staging.mapAsync(GPUMapMode.READ);
    const bad = new Uint32Array(staging.getMappedRange().slice(0))[0];
    staging.unmap();
    staging.destroy();
    const descriptions = this.checkDescriptions;
    this.checkDescriptions = [];
    if (bad !== NO_BAD_OP) {
      this.device.queue.writeBuffer(this.checkFlag, 0, new Uint32Array([NO_BAD_OP, 0, 0, 0]));
      throw new Error(`checked mode: ${descriptions[bad]?.() ?? `op #${bad}`} produced a NaN or Inf`);
    }
  }

  // ---- bookkeeping --------------------------------------------------------------------------

  stats(): BackendStats {
    const c = this.counters;
    return {
      liveBuffers: c.live,
      liveBytes: c.liveBytes,
      pooledBuffers: c.pooled,
      pooledBytes: c.pooledBytes,
      dispatches: c.dispatches,
      submits: c.submits,
      pipelines: this.pipelines.size,
    };
  }

  destroy(): void {
    if (this.destroyed) return;
    this.flush();
    this.destroyed = true;
    this.trimPool();
    for (const buffers of this.stagingPool.values()) for (const b of buffers) b.destroy();
    this.stagingPool.clear();
    this.checkFlag?.destroy();
    this.uniformBuffer.destroy();
    this.device.destroy();
  }
}
