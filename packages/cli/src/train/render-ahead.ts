// Render ahead: the rendered 3-D sets (objects3d, planes-sky) draw their pairs on the host, which
// took 18–20 % of a training step's wall time when done in line (bench:objects3d-train, batches of
// 32 and 64). A worker renders the next batch while the current step runs, so a step waits only on
// what rendering takes beyond the step. The order of batches is the sampler's, unchanged: the specs
// (source, pose, g) are drawn here in the sampler's seeded order and only the drawing of their
// pixels moves, so a run's batches, and its resumes, are those of the serial loop.
import type { GroupPairBatch, PairBatchSampler, SamplerState } from '@maga/model';
import type { RenderReply, RenderRequest } from './render-worker.ts';

/** Bun's Worker: the DOM's, with Node's ref()/unref() (the DOM typings lack them). */
type BunWorker = Worker & { ref(): void; unref(): void };

interface Pending {
  id: number;
  /** The sampler's state before this batch's specs were drawn: what state() reports while it is in flight. */
  before: SamplerState;
  batch: Promise<GroupPairBatch>;
}

/** Batches of a rendered pair set's sampler, each rendered in a worker while the previous one trains. */
export class RenderAhead {
  private readonly worker: BunWorker;
  private readonly waiting = new Map<number, { resolve: (b: GroupPairBatch) => void; reject: (e: Error) => void }>();
  private pending: Pending | null = null;
  private nextId = 0;
  private failure: Error | null = null;
  private closed = false;

  constructor(
    private readonly sampler: PairBatchSampler,
    /** The data set and group the worker opens (`objects3d`, `so3`). */
    private readonly dataset: { name: string; group: string },
  ) {
    this.worker = new Worker(new URL('./render-worker.ts', import.meta.url).href) as BunWorker;
    this.worker.onmessage = (event: MessageEvent<RenderReply>) => {
      const reply = event.data;
      const waiter = this.waiting.get(reply.id);
      if (!waiter) return;
      this.waiting.delete(reply.id);
      this.refWhileWaiting();
      if ('error' in reply) waiter.reject(new Error(`rendering a batch of ${this.dataset.name} in the render-ahead worker: ${reply.error}`));
      else waiter.resolve(reply.batch);
    };
    this.worker.onerror = (event: ErrorEvent) => {
      this.fail(new Error(`the render-ahead worker of ${this.dataset.name} failed: ${event.message}`));
    };
    this.refWhileWaiting();
  }

  /** The next batch, in the sampler's order; the one after it starts rendering before this returns. */
  async next(): Promise<GroupPairBatch> {
    if (this.closed) throw new Error(`render-ahead of ${this.dataset.name}: next() after close()`);
    const current = this.pending ?? this.request();
    const batch = await current.batch;
    this.pending = this.request();
    return batch;
  }

  /** The state after the batches next() has returned (a batch rendering ahead is not counted). */
  state(): SamplerState {
    return this.pending ? this.pending.before : this.sampler.state();
  }

  /** Continues from `state`: a batch rendering ahead is dropped (its reply is ignored). */
  restore(state: SamplerState): void {
    this.sampler.restore(state);
    this.drop();
  }

  /** Stops the worker; pending batches are dropped. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.drop();
    for (const waiter of this.waiting.values()) waiter.reject(new Error(`render-ahead of ${this.dataset.name} was closed`));
    this.waiting.clear();
    this.worker.terminate();
  }

  private request(): Pending {
    if (this.failure) throw this.failure;
    const before = this.sampler.state();
    const specs = this.sampler.nextSpecs();
    const id = this.nextId++;
    const batch = new Promise<GroupPairBatch>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    // A failure before next() awaits it is reported there, not as an unhandled rejection.
    batch.catch(() => {});
    const message: RenderRequest = { id, name: this.dataset.name, group: this.dataset.group, specs };
    this.worker.postMessage(message);
    this.refWhileWaiting();
    return { id, before, batch };
  }

  private drop(): void {
    if (!this.pending) return;
    // Its reply may still come: with no waiter left it is ignored.
    this.waiting.delete(this.pending.id);
    this.pending = null;
    this.refWhileWaiting();
  }

  private fail(error: Error): void {
    this.failure = error;
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
    this.refWhileWaiting();
  }

  // The worker holds the process open only while a batch is awaited: an idle one (a run that
  // stopped on an error before close()) never keeps it from exiting.
  private refWhileWaiting(): void {
    if (this.closed) return;
    if (this.waiting.size > 0) this.worker.ref();
    else this.worker.unref();
  }
}
