// One request at a time on the device. Tensor scopes and the backend's command recording are
// process-wide state: two computations interleaved at their `await`s would free each other's
// intermediates. Every use of a model goes through this queue, in arrival order.
export class GpuQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  /** Runs `task` after every task queued before it; its result or error is the caller's. */
  run<T>(task: () => Promise<T>): Promise<T> {
    this.waiting++;
    const result = this.tail.then(task);
    this.tail = result.then(
      () => this.waiting--,
      () => this.waiting--,
    );
    return result;
  }

  /** Tasks queued or running. */
  get length(): number {
    return this.waiting;
  }
}
