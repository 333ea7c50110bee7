// "Latest wins, one in flight": while a decode runs, newer requests replace each other and only
// the newest runs next. Dragging a slider fires many input events; the GPU (or the server) sees
// at most one decode at a time and never works on a stale position.

export interface LatestOnly<A> {
  /** Asks for a run with these arguments; returns at once. */
  request(args: A): void;
  /** Whether a run is in flight. */
  busy(): boolean;
  /** Drops any pending request (an in-flight run still completes). */
  cancel(): void;
}

export function latestOnly<A>(run: (args: A) => Promise<void>, onError: (error: unknown) => void = () => {}): LatestOnly<A> {
  let running = false;
  let pending: { args: A } | null = null;

  const drain = async () => {
    running = true;
    while (pending) {
      const { args } = pending;
      pending = null;
      try {
        await run(args);
      } catch (error) {
        onError(error);
      }
    }
    running = false;
  };

  return {
    request(args) {
      pending = { args };
      if (!running) void drain();
    },
    busy: () => running,
    cancel() {
      pending = null;
    },
  };
}
