// Module parameters and optimizer state as safetensors bytes (see checkpoint.ts for the format):
// names are the modules' dotted names, so a checkpoint loads into PyTorch modules of the same
// structure; optimizer moments are stored as `m.<name>` / `v.<name>` with the step in metadata.
import * as T from '@maga/tensor';
import { CheckpointError, checkParameters, decodeSafetensors, encodeSafetensors, type CheckpointTensor } from './checkpoint.ts';
import type { Module } from './nn/module.ts';

/** Every parameter and buffer of `module`, read back from the device, as safetensors bytes. */
export async function encodeModule(module: Module, metadata: Record<string, string> = {}): Promise<Uint8Array> {
  const tensors: Record<string, CheckpointTensor> = {};
  for (const [name, t] of module.state()) tensors[name] = { shape: [...t.shape], data: await t.data() };
  return encodeSafetensors(tensors, { format: 'pt', ...metadata });
}

/**
 * Loads safetensors bytes into `module`: every name must be present with the module's shape and
 * nothing else may be there; otherwise a CheckpointError lists every difference and nothing is
 * changed.
 */
export function loadModule(module: Module, bytes: Uint8Array): Record<string, string> {
  const { tensors, metadata } = decodeSafetensors(bytes);
  const state = module.state();
  const expected: Record<string, number[]> = {};
  for (const [name, t] of state) expected[name] = [...t.shape];
  checkParameters(tensors, expected);
  for (const [name, t] of state) T.assign(t, tensors[name].data);
  module.onLoaded();
  return metadata;
}

export async function encodeOptimizer(optimizer: T.Optimizer): Promise<Uint8Array> {
  const state = await optimizer.exportState();
  const tensors: Record<string, CheckpointTensor> = {};
  for (const [name, slots] of Object.entries(state.slots)) {
    for (const [slot, data] of Object.entries(slots)) tensors[`${slot}.${name}`] = { shape: [data.length], data };
  }
  return encodeSafetensors(tensors, { kind: state.kind, step: String(state.step), options: JSON.stringify(state.options) });
}

export function loadOptimizer(optimizer: T.Optimizer, bytes: Uint8Array): void {
  const { tensors, metadata } = decodeSafetensors(bytes);
  const step = Number(metadata.step);
  if (metadata.kind !== optimizer.kind) throw new CheckpointError(`optimizer state is for '${metadata.kind}', the run uses '${optimizer.kind}'`);
  if (!Number.isInteger(step) || step < 0) throw new CheckpointError(`optimizer state has an invalid step '${metadata.step}'`);
  const slots: T.OptimizerState['slots'] = {};
  for (const [key, t] of Object.entries(tensors)) {
    const dot = key.indexOf('.');
    if (dot < 0) throw new CheckpointError(`optimizer state has an unexpected entry '${key}'`);
    const [slot, name] = [key.slice(0, dot), key.slice(dot + 1)];
    (slots[name] ??= {})[slot] = t.data;
  }
  try {
    optimizer.importState({ kind: optimizer.kind, step, options: optimizer.options, slots });
  } catch (e) {
    throw new CheckpointError(`optimizer state does not fit this model: ${(e as Error).message}`);
  }
}
