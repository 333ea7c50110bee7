// Data parallelism inside one process, for the native CPU engine: a batch is split into shards,
// one per thread; each thread runs its shard's whole step (forward, backward) with single-threaded
// BLAS and oneDNN calls, and the gradients are summed once. It replaces the libraries' fork and
// join at every one of a step's ~1,800 small ops — which made a second thread slower than none,
// and collapsed under contention — by two meetings a step.
//
// How: the model's parameters and buffers move onto SharedArrayBuffers, which replicas of the model
// in worker threads (parallel-worker.ts) map; each worker has its own native backend (own pool, own
// oneDNN primitives, one library thread). The main thread computes the first shard itself while
// the workers compute theirs; a worker hands its gradients back through shared memory and its loss
// terms through a message, waking the main thread with Atomics (a futex: waiting costs no CPU).
// Noise is drawn through views of the caller's Rng (Rng.rows), so every shard gets the rows of
// noise the whole batch would have had, and the caller's stream moves on as for one thread: the
// losses equal one thread's to float32 reduction order. The optimizer runs on the main thread
// alone, on parameters the workers see.
//
// The number of shards is fixed when created (the backend's plan: native/threads.ts); how many of
// them run on threads of their own adapts (`ShardThreads`): every so often a few steps run with the
// main thread computing every shard itself, and the faster way is kept — the arithmetic is the same
// either way, so a run's losses do not depend on the choice.
import type { MessagePort } from 'node:worker_threads';
import * as T from '@maga/tensor';
import type { LossTerms, Model, TrainingBatch } from './models/model.ts';
import type { ModelConfig } from './models/registry.ts';

/** A shard's part of the batch: each tensor's rows (or the whole tensor where it is not per row), on the host. */
export interface ShardTensor {
  shape: number[];
  data: Float32Array;
}
export type ShardBatch = Record<string, ShardTensor | null>;

export type ShardJob =
  | { id: number; kind: 'train'; batch: ShardBatch; rng: { state: T.RngState; start: number; total: number }; scale: number; epoch: number }
  | { id: number; kind: 'predict'; batch: ShardBatch; epoch: number }
  | { id: number; kind: 'stop' };

export type ShardReply =
  | { id: number; terms: Record<string, number>; grads: boolean[] }
  | { id: number; logits: ShardTensor }
  | { id: number; error: string };

export interface ShardInit {
  config: ModelConfig;
  /** Parameters then buffers, by name, each on shared memory. */
  state: { name: string; buffer: SharedArrayBuffer }[];
  /** One gradient buffer per parameter (in `state`'s order), written by this worker. */
  grads: SharedArrayBuffer[];
  /** Int32 words: [0] job counter (main → worker), [1] done counter (worker → main), [2] ready. */
  control: SharedArrayBuffer;
  port: MessagePort;
}

/** Words of a worker's control block. */
export const JOB = 0;
export const DONE = 1;
export const READY = 2;

export interface DataParallelOptions {
  /** Shards (threads); default: the native backend's plan (MAGA_THREADS, else the cores). */
  threads?: number;
  /** Where the adaptive choice is said (default: stderr), once and again only when it changes; null says nothing. */
  announce?: ((line: string) => void) | null;
  /**
   * 'adapt' (default): shards on threads of their own unless that measures slower than the main
   * thread computing them all (ShardThreads); 'threads': always on their threads; 'main': always on
   * the main thread (the same arithmetic, for tests and for comparing).
   */
  schedule?: 'adapt' | 'threads' | 'main';
}

interface Shard {
  worker: Worker;
  control: Int32Array;
  port: MessagePort;
  grads: Float32Array[];
  jobs: number;
  /** Jobs posted whose answer was not read yet. */
  pending: number;
}

/** Rows [start, end) of each shard for a batch of `total` rows in `shards` parts. */
export function shardRanges(total: number, shards: number): [number, number][] {
  const count = Math.min(shards, total);
  const ranges: [number, number][] = [];
  for (let k = 0; k < count; k++) ranges.push([Math.floor((k * total) / count), Math.floor(((k + 1) * total) / count)]);
  return ranges;
}

/** The batch's size: the longest leading dimension of its tensors. */
function batchRows(batch: TrainingBatch): number {
  let rows = 0;
  for (const t of Object.values(batch)) if (t instanceof T.Tensor && t.rank > 0) rows = Math.max(rows, t.shape[0]);
  return rows;
}

/**
 * Splits a batch: tensors whose leading dimension is the batch's size give rows [start, end), the
 * others (a fixed pivot [1, …]) go whole to every shard.
 */
function shardOf(batch: TrainingBatch, rows: number, start: number, end: number, host: (t: T.Tensor) => Float32Array): ShardBatch {
  const out: ShardBatch = {};
  for (const [name, t] of Object.entries(batch)) {
    if (t === null || t === undefined) out[name] = null;
    else if (!(t instanceof T.Tensor)) throw new Error(`DataParallel: batch field '${name}' is not a tensor`);
    else if (t.rank > 0 && t.shape[0] === rows) {
      const per = t.size / rows;
      out[name] = { shape: [end - start, ...t.shape.slice(1)], data: host(t).slice(start * per, end * per) };
    } else out[name] = { shape: [...t.shape], data: host(t).slice() };
  }
  return out;
}

/** The main thread's own shard, as device tensors (slices of the batch). */
function localShard(batch: TrainingBatch, rows: number, end: number): TrainingBatch {
  const out: Record<string, T.Tensor | null> = {};
  for (const [name, t] of Object.entries(batch)) {
    if (!(t instanceof T.Tensor)) out[name] = t ?? null;
    else out[name] = t.rank > 0 && t.shape[0] === rows && end < rows ? T.slice(t, 0, 0, end) : t;
  }
  return out as unknown as TrainingBatch;
}

/**
 * Adapts how many shards run on threads of their own: every `period` steps, from step `offset` of
 * the period on (after the JIT's warm-up: a worker compiles the step's code on its own), it times
 * `probe` steps with the main thread computing every shard and `probe` with the workers,
 * alternately, keeps the faster, and announces the choice (once, then at each change). A choice
 * holds while the two differ by less than `margin`, so that noise does not make it flip.
 */
export class ShardThreads {
  private step = 0;
  private threaded = true;
  private trial: { threaded: number[]; alone: number[] } | null = null;
  private announced: boolean | null = null;

  constructor(
    private readonly shards: number,
    private readonly announce: ((line: string) => void) | null,
    private readonly period = 200,
    private readonly probe = 3,
    private readonly margin = 0.1,
    private readonly offset = 20,
  ) {}

  /** Steps before the first choice is made (the warm-up and the probe). */
  get firstChoiceAfter(): number {
    return this.offset + 2 * this.probe;
  }

  private probing(inPeriod: number): boolean {
    return inPeriod >= this.offset && inPeriod < this.offset + 2 * this.probe;
  }

  /** Whether this step runs its shards on threads of their own. */
  next(): boolean {
    const inPeriod = this.step % this.period;
    if (inPeriod === this.offset) this.trial = { threaded: [], alone: [] };
    if (this.trial && this.probing(inPeriod)) return (inPeriod - this.offset) % 2 === 0;
    return this.threaded;
  }

  /** Records the time of the step `next` chose for. */
  record(threaded: boolean, ms: number): void {
    const inPeriod = this.step % this.period;
    this.step++;
    if (!this.trial || !this.probing(inPeriod)) return;
    (threaded ? this.trial.threaded : this.trial.alone).push(ms);
    if (inPeriod < this.offset + 2 * this.probe - 1) return;
    const best = (xs: number[]) => Math.min(...xs);
    const [withThreads, alone] = [best(this.trial.threaded), best(this.trial.alone)];
    this.trial = null;
    if (this.threaded && alone < withThreads * (1 - this.margin)) this.threaded = false;
    else if (!this.threaded && withThreads < alone * (1 - this.margin)) this.threaded = true;
    if (this.announced !== this.threaded && this.announce) {
      const speed = `${this.shards} threads ${(alone / withThreads).toFixed(2)}× the speed of 1 (best of ${this.probe} steps each)`;
      this.announce(
        this.threaded
          ? `maga: data-parallel over ${this.shards} threads (${speed})`
          : `maga: the ${this.shards} shards on one thread: its threads slowed each other down (${speed}; other processes hold the cores?); measured again every ${this.period} steps`,
      );
      this.announced = this.threaded;
    }
  }

  /** The current choice, for tests and reports. */
  get usesThreads(): boolean {
    return this.threaded;
  }
}

export class DataParallel {
  private nextId = 1;
  private readonly parameters: T.Tensor[];
  private readonly adaptive: ShardThreads | null;
  private readonly schedule: 'adapt' | 'threads' | 'main';
  private disposed = false;

  private constructor(
    readonly model: Model,
    private readonly backend: T.NativeBackend,
    private readonly workers: Shard[],
    options: DataParallelOptions,
  ) {
    this.parameters = [...model.parameters().values()];
    const announce = options.announce === undefined ? (line: string) => console.error(line) : options.announce;
    this.schedule = options.schedule ?? 'adapt';
    this.adaptive = this.schedule === 'adapt' ? new ShardThreads(workers.length + 1, announce) : null;
  }

  /** Whether the shards run on threads of their own now (the schedule's current choice). */
  get usesThreads(): boolean {
    return this.schedule === 'main' ? false : (this.adaptive?.usesThreads ?? true);
  }

  /** Shards of every batch (the main thread's and the workers'). */
  get shards(): number {
    return this.workers.length + 1;
  }

  /**
   * Data parallelism for `model` on the current backend, or null where it does not apply: not the
   * native backend, or one thread.
   */
  static async create(model: Model, options: DataParallelOptions = {}): Promise<DataParallel | null> {
    const backend = T.backend();
    if (!(backend instanceof T.NativeBackend) || backend.float64) return null;
    const shards = options.threads ?? backend.plan.threads;
    if (!Number.isInteger(shards) || shards < 1) throw new Error(`DataParallel: threads must be a positive integer, got ${shards}`);
    if (shards === 1) return null;
    // Parameters first (their gradients come back), then buffers; every one on shared memory.
    const params = [...model.parameters()];
    const buffers = [...model.buffers()];
    const state = [...params, ...buffers].map(([name, t]) => ({ name, buffer: backend.share(t.storage('DataParallel')) }));
    // Not a literal `new Worker(new URL('…', import.meta.url))`: bundlers (the viewer's Vite build)
    // would bundle the worker, and it is for Bun only.
    const workerUrl = new URL(['.', 'parallel-worker.ts'].join('/'), import.meta.url).href;
    // node:worker_threads loaded here, not imported at the top: the viewer's bundle imports this
    // package for the browser, where the module does not exist (DataParallel is for Bun only).
    const threads = await import('node:worker_threads');
    const { MessageChannel } = threads;
    receiveMessageOnPort = threads.receiveMessageOnPort;
    const workers: Shard[] = [];
    try {
      for (let k = 1; k < shards; k++) {
        const grads = params.map(([, t]) => new SharedArrayBuffer(t.size * 4));
        const control = new SharedArrayBuffer(16);
        const channel = new MessageChannel();
        const worker = new Worker(workerUrl);
        // A run that forgets dispose() still exits: the workers do not hold the process open.
        (worker as Worker & { unref?: () => void }).unref?.();
        const init: ShardInit = { config: model.config as ModelConfig, state, grads, control, port: channel.port2 };
        worker.postMessage(init, [channel.port2 as unknown as Transferable]);
        workers.push({ worker, control: new Int32Array(control), port: channel.port1, grads: grads.map((g) => new Float32Array(g)), jobs: 0, pending: 0 });
      }
      for (const w of workers) await ready(w);
    } catch (e) {
      for (const w of workers) w.worker.terminate();
      throw e;
    }
    return new DataParallel(model, backend, workers, options);
  }

  /** One optimisation step on `batch` (as training.ts's trainStep), its shards computed in parallel. */
  trainStep(batch: TrainingBatch, optimizer: T.Optimizer, rng: T.Rng): Record<string, T.Tensor> {
    this.check();
    const rows = batchRows(batch);
    const ranges = shardRanges(rows, this.shards);
    const threaded = this.adaptive ? this.adaptive.next() : this.schedule === 'threads';
    const started = performance.now();
    const state = rng.state();
    const host = (t: T.Tensor) => this.hostArray(t);
    const epoch = this.epoch();
    this.backend.setSharded(true);
    try {
      // The workers' shards start first; the main thread then computes its own (and, when the
      // schedule keeps every shard on this thread, the others after it, on the same model).
      const remote = ranges.slice(1).map(([start, end], k) => ({ start, end, k }));
      const sent = threaded ? remote : [];
      for (const { start, end, k } of sent) {
        this.post(this.workers[k], { id: this.nextId++, kind: 'train', batch: shardOf(batch, rows, start, end, host), rng: { state, start, total: rows }, scale: (end - start) / rows, epoch });
      }
      const [, end0] = ranges[0];
      const terms = T.tidy(() => {
        const own = this.shardLoss(localShard(batch, rows, end0), rng.rows(0, rows), end0 / rows);
        const totals: Record<string, number> = {};
        for (const [name, t] of Object.entries(own)) totals[name] = this.hostArray(t)[0] * (end0 / rows);
        return totals;
      });
      // Shards not sent to a worker: computed here, one after another, with the same arithmetic.
      const local: { grads: (Float32Array | null)[]; terms: Record<string, number> }[] = [];
      for (const { start, end } of threaded ? [] : remote) local.push(this.localShardStep(batch, rows, start, end, state));
      const replies = sent.map(({ k }) => this.wait(this.workers[k]));
      // Gradients: the main shard's are in param.grad; each other shard's are added once.
      for (const [r, reply] of replies.entries()) {
        if (!('terms' in reply)) throw new Error('DataParallel: a worker answered a training step with no loss terms');
        this.addGradients(this.workers[sent[r].k].grads, reply.grads);
        for (const [name, v] of Object.entries(reply.terms)) terms[name] = (terms[name] ?? 0) + v;
      }
      for (const shard of local) {
        this.addGradients(shard.grads, shard.grads.map((g) => g !== null));
        for (const [name, v] of Object.entries(shard.terms)) terms[name] = (terms[name] ?? 0) + v;
      }
      optimizer.update();
      optimizer.zeroGrad();
      this.adaptive?.record(threaded, performance.now() - started);
      return Object.fromEntries(Object.entries(terms).map(([name, v]) => [name, T.tensor([v], [])]));
    } finally {
      this.drain();
      this.backend.setSharded(false);
    }
  }

  /** The model's deterministic logits for `batch` (as training.ts's reconstructLogits), its shards computed in parallel. */
  predictLogits(batch: TrainingBatch): T.Tensor {
    this.check();
    if (!this.usesThreads) return T.noGrad(() => T.tidy(() => this.model.predictLogits(batch)));
    const rows = batchRows(batch);
    const ranges = shardRanges(rows, this.shards);
    const host = (t: T.Tensor) => this.hostArray(t);
    const epoch = this.epoch();
    this.backend.setSharded(true);
    try {
      const sent = ranges.slice(1).map(([start, end], k) => {
        this.post(this.workers[k], { id: this.nextId++, kind: 'predict', batch: shardOf(batch, rows, start, end, host), epoch });
        return k;
      });
      const own = T.noGrad(() => T.tidy(() => this.model.predictLogits(localShard(batch, rows, ranges[0][1]))));
      const parts = [own];
      for (const k of sent) {
        const reply = this.wait(this.workers[k]);
        if (!('logits' in reply)) throw new Error('DataParallel: a worker answered a prediction with no logits');
        parts.push(T.tensor(reply.logits.data, reply.logits.shape));
      }
      return parts.length === 1 ? own : T.concat(parts, 0);
    } finally {
      this.drain();
      this.backend.setSharded(false);
    }
  }

  /** Stops the workers; the model keeps its parameters (on shared memory, which it now alone uses). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const w of this.workers) {
      try {
        this.post(w, { id: this.nextId++, kind: 'stop' });
      } catch {
        // A worker that already died needs no stop.
      }
      w.worker.terminate();
    }
  }

  /** After a failure on this thread: reads the answers still owed, so that the next step starts clean. */
  private drain(): void {
    for (const w of this.workers) {
      while (w.pending > 0) {
        try {
          this.wait(w);
        } catch {
          // Already failing: the first error is the one reported.
        }
      }
    }
  }

  private check(): void {
    if (this.disposed) throw new Error('DataParallel: used after dispose');
  }

  /** The loss of one shard, its backward with the shard's weight in the batch; returns its terms. */
  private shardLoss(batch: TrainingBatch, rng: T.Rng, weight: number): LossTerms {
    const terms = this.model.lossTerms(batch, rng);
    T.backward(weight === 1 ? terms.loss : terms.loss.mul(weight));
    return terms;
  }

  /** A worker's shard computed on this thread (the threads were slower): its gradients, kept apart, and terms. */
  private localShardStep(batch: TrainingBatch, rows: number, start: number, end: number, state: T.RngState): { grads: (Float32Array | null)[]; terms: Record<string, number> } {
    // The main shard's gradients are set aside so that this shard's accumulate alone.
    const saved = this.parameters.map((p) => p.grad);
    for (const p of this.parameters) p.grad = null;
    try {
      const weight = (end - start) / rows;
      const terms = T.tidy(() => {
        const part: Record<string, T.Tensor | null> = {};
        for (const [name, t] of Object.entries(batch)) part[name] = t instanceof T.Tensor && t.rank > 0 && t.shape[0] === rows ? T.slice(t, 0, start, end) : (t ?? null);
        const own = this.shardLoss(part as unknown as TrainingBatch, new T.Rng(0).restore(state).rows(start, rows), weight);
        const out: Record<string, number> = {};
        for (const [name, t] of Object.entries(own)) out[name] = this.hostArray(t)[0] * weight;
        return out;
      });
      const grads = this.parameters.map((p) => (p.grad ? this.hostArray(p.grad).slice() : null));
      return { grads, terms };
    } finally {
      this.parameters.forEach((p, i) => {
        p.grad?.dispose();
        p.grad = saved[i];
      });
    }
  }

  /** param.grad += the shard's gradient, for each parameter the shard has one for. */
  private addGradients(grads: readonly (Float32Array | null)[], has: readonly boolean[]): void {
    this.parameters.forEach((p, i) => {
      if (!has[i]) return;
      const g = grads[i]!;
      if (!p.grad) {
        p.grad = T.keep(T.tensor(g.slice(), p.shape));
        return;
      }
      const own = this.hostArray(p.grad);
      for (let j = 0; j < own.length; j++) own[j] += g[j];
      this.backend.touch(p.grad.storage('DataParallel'));
    });
  }

  /** A number that changes whenever a parameter or buffer was written: workers then drop what they kept from the old values. */
  private epoch(): number {
    let sum = 0;
    for (const p of this.parameters) sum += this.backend.engine.version(this.hostArray(p));
    return sum;
  }

  private hostArray(t: T.Tensor): Float32Array {
    return this.backend.array(t.storage('DataParallel')) as Float32Array;
  }

  private post(w: Shard, job: ShardJob): void {
    w.port.postMessage(job);
    w.jobs++;
    w.pending++;
    Atomics.store(w.control, JOB, w.jobs);
    Atomics.notify(w.control, JOB);
  }

  /** Blocks until the worker has answered its last job (futex wait), then reads the answer. */
  private wait(w: Shard): ShardReply {
    for (let done = Atomics.load(w.control, DONE); done !== w.jobs; done = Atomics.load(w.control, DONE)) Atomics.wait(w.control, DONE, done, 1000);
    const message = receiveMessageOnPort(w.port);
    if (!message) throw new Error('DataParallel: a worker finished a job without answering it');
    w.pending--;
    const reply = message.message as ShardReply;
    if ('error' in reply) throw new Error(`DataParallel: a shard's worker failed: ${reply.error}`);
    return reply;
  }
}

/** node:worker_threads' receiveMessageOnPort, set by the first DataParallel.create (loaded on demand). */
let receiveMessageOnPort: typeof import('node:worker_threads').receiveMessageOnPort;

/** Waits (up to 60 s) for a worker to say it has its replica. */
async function ready(w: Shard): Promise<void> {
  const started = performance.now();
  while (Atomics.load(w.control, READY) === 0) {
    const message = receiveMessageOnPort(w.port);
    if (message && 'error' in (message.message as ShardReply)) throw new Error(`DataParallel: a worker could not start: ${(message.message as { error: string }).error}`);
    if (performance.now() - started > 60_000) throw new Error('DataParallel: a worker did not start within 60 s');
    await new Promise((r) => setTimeout(r, 5));
  }
}
