// A shard's worker (parallel.ts): a replica of the model whose parameters and buffers are the main
// thread's, on shared memory, computed on its own native backend with one library thread. It waits
// on a futex for a job, reads it from its port, computes its shard (a training step's loss and
// gradients, or a prediction), writes gradients to shared memory, answers on the port and wakes the
// main thread.
import { receiveMessageOnPort } from 'node:worker_threads';
import * as T from '@maga/tensor';
import type { TrainingBatch } from './models/model.ts';
import { createModel } from './models/registry.ts';
import { DONE, JOB, READY, type ShardBatch, type ShardInit, type ShardJob, type ShardReply } from './parallel.ts';

declare const self: Worker;

function upload(batch: ShardBatch): TrainingBatch {
  const out: Record<string, T.Tensor | null> = {};
  for (const [name, part] of Object.entries(batch)) out[name] = part ? T.tensor(part.data, part.shape) : null;
  return out as unknown as TrainingBatch;
}

async function serve(init: ShardInit): Promise<void> {
  const { port } = init;
  const control = new Int32Array(init.control);
  const created = await T.NativeBackend.create({ shard: true, threads: 1 });
  if ('error' in created) throw new Error(created.error);
  const backend = created;
  T.setBackend(backend);
  const model = await createModel(init.config, 0);
  const named = [...model.parameters(), ...model.buffers()];
  const names = named.map(([name]) => name).join(', ');
  if (names !== init.state.map((s) => s.name).join(', ')) throw new Error(`the replica's parameters and buffers (${names}) are not the model's`);
  const tensors = named.map(([, t]) => t);
  tensors.forEach((t, i) => backend.bindShared(t.storage('replica'), init.state[i].buffer));
  model.onLoaded();
  const params = [...model.parameters().values()];
  const grads = init.grads.map((g) => new Float32Array(g));
  let epoch = -1;
  Atomics.store(control, READY, 1);

  let seen = 0;
  for (;;) {
    for (let job = Atomics.load(control, JOB); job === seen; job = Atomics.load(control, JOB)) Atomics.wait(control, JOB, seen);
    seen = Atomics.load(control, JOB);
    const message = receiveMessageOnPort(port);
    const job = message?.message as ShardJob | undefined;
    let reply: ShardReply;
    if (!job) reply = { id: -1, error: 'woken with no job on the port' };
    else if (job.kind === 'stop') return;
    else {
      try {
        // The main thread wrote the parameters since the last job: nothing kept from before holds.
        if (job.epoch !== epoch) for (const t of tensors) backend.touch(t.storage('replica'));
        epoch = job.epoch;
        if (job.kind === 'train') {
          const terms = T.tidy(() => {
            const rng = new T.Rng(0).restore(job.rng.state).rows(job.rng.start, job.rng.total);
            const own = model.lossTerms(upload(job.batch), rng);
            T.backward(job.scale === 1 ? own.loss : own.loss.mul(job.scale));
            const out: Record<string, number> = {};
            for (const [name, t] of Object.entries(own)) out[name] = backend.array(t.storage('replica'))[0] * job.scale;
            return out;
          });
          const has = params.map((p, i) => {
            if (!p.grad) return false;
            grads[i].set(backend.array(p.grad.storage('replica')));
            return true;
          });
          T.zeroGrad(params);
          reply = { id: job.id, terms, grads: has };
        } else {
          const logits = T.noGrad(() => T.tidy(() => model.predictLogits(upload(job.batch))));
          reply = { id: job.id, logits: { shape: [...logits.shape], data: backend.array(logits.storage('replica')).slice() as Float32Array } };
          logits.dispose();
        }
      } catch (e) {
        T.zeroGrad(params);
        reply = { id: job.id, error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
      }
    }
    port.postMessage(reply);
    Atomics.store(control, DONE, seen);
    Atomics.notify(control, DONE);
  }
}

self.onmessage = (event: MessageEvent<ShardInit>) => {
  serve(event.data).catch((e: unknown) => {
    event.data.port.postMessage({ id: 0, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  });
};
