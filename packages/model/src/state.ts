// Module parameters and optimizer state as safetensors bytes (see checkpoint.ts for the format):
// names are the modules' dotted names, so a checkpoint loads into PyTorch modules of the same
// structure; optimizer moments are stored as `m.<name>` / `v.<name>` with the step in metadata.
import * as T from '@maga/tensor';
import { CheckpointError, checkParameters, decodeSafetensors, encodeSafetensors, type CheckpointTensor } from './checkpoint.ts';
import { CHECKSUM_KEY, findNonFinite, NonFiniteError, tensorsChecksum, verifyChecksum } from './integrity.ts';
import type { Module } from './nn/module.ts';

export interface LoadOptions {
  /** Load tensors holding NaN or ±Inf instead of refusing them (to inspect a diverged run). */
  allowNonFinite?: boolean;
}

/** The checks every load makes before it changes anything: checksum, then finite values. */
function checkValues(tensors: Record<string, CheckpointTensor>, metadata: Record<string, string>, what: string, options: LoadOptions): void {
  verifyChecksum(tensors, metadata);
  if (options.allowNonFinite) return;
  const found = findNonFinite(tensors);
  if (found) throw new NonFiniteError(found, what);
}

/** Every parameter and buffer of `module`, read back from the device, as safetensors bytes. */
export async function encodeModule(module: Module, metadata: Record<string, string> = {}): Promise<Uint8Array> {
  const tensors: Record<string, CheckpointTensor> = {};
  for (const [name, t] of module.state()) tensors[name] = { shape: [...t.shape], data: await t.data() };
  return encodeSafetensors(tensors, { format: 'pt', ...metadata, [CHECKSUM_KEY]: tensorsChecksum(tensors) });
}

/**
 * Loads safetensors bytes into `module`: every name must be present with the module's shape and
 * nothing else may be there, the values must match the file's checksum and be finite (unless
 * `allowNonFinite`); otherwise a CheckpointError says what is wrong and nothing is changed.
 */
export function loadModule(module: Module, bytes: Uint8Array, options: LoadOptions = {}): Record<string, string> {
  const { tensors, metadata } = decodeSafetensors(bytes);
  const state = module.state();
  const expected: Record<string, number[]> = {};
  for (const [name, t] of state) expected[name] = [...t.shape];
  checkParameters(tensors, expected);
  checkValues(tensors, metadata, 'parameter', options);
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
  return encodeSafetensors(tensors, { kind: state.kind, step: String(state.step), options: JSON.stringify(state.options), [CHECKSUM_KEY]: tensorsChecksum(tensors) });
}

/** The moment slots an optimizer of each kind keeps per parameter (as optim.ts exports them). */
const SLOTS: Record<T.Optimizer['kind'], (options: T.Optimizer['options']) => string[]> = {
  sgd: (options) => (options.momentum > 0 ? ['m'] : []),
  adam: () => ['m', 'v'],
  adamw: () => ['m', 'v'],
};

/**
 * Loads optimizer state saved by encodeOptimizer. Each entry must be a moment slot of the
 * optimizer's kind for one of `parameters` (the module the optimizer was made for) with that
 * parameter's size, every slot of a parameter present together. These checks all run before
 * anything is assigned, so a refused file leaves the optimizer as it was. (A parameter with no
 * moments keeps zeros: one that never received a gradient is saved that way.)
 */
export function loadOptimizer(optimizer: T.Optimizer, bytes: Uint8Array, options: LoadOptions & { parameters?: Map<string, T.Tensor> } = {}): void {
  const { tensors, metadata } = decodeSafetensors(bytes);
  const step = Number(metadata.step);
  if (metadata.kind !== optimizer.kind) throw new CheckpointError(`optimizer state is for '${metadata.kind}', the run uses '${optimizer.kind}'`);
  if (!/^\d+$/.test(metadata.step ?? '') || !Number.isSafeInteger(step)) throw new CheckpointError(`optimizer state has an invalid step '${metadata.step}'`);
  const slotNames = SLOTS[optimizer.kind](optimizer.options);
  const byParameter = new Map<string, Set<string>>();
  for (const [key, t] of Object.entries(tensors)) {
    const dot = key.indexOf('.');
    const [slot, name] = dot < 0 ? ['', key] : [key.slice(0, dot), key.slice(dot + 1)];
    if (!slotNames.includes(slot)) throw new CheckpointError(`optimizer state has an unexpected entry '${key}' (expected ${slotNames.map((s) => `${s}.<parameter>`).join(' or ') || 'no entries'})`);
    if (options.parameters) {
      const p = options.parameters.get(name);
      if (!p) throw new CheckpointError(`optimizer state has moments for '${name}', which is not a parameter of this model`);
      if (t.shape.length !== 1 || t.shape[0] !== p.size) throw new CheckpointError(`optimizer state: '${key}' has shape [${t.shape.join(',')}], parameter ${name} has ${p.size} values`);
    }
    let present = byParameter.get(name);
    if (!present) byParameter.set(name, (present = new Set()));
    present.add(slot);
  }
  for (const [name, present] of byParameter) {
    const missing = slotNames.filter((slot) => !present.has(slot));
    if (missing.length > 0) throw new CheckpointError(`optimizer state for '${name}' lacks ${missing.map((s) => `'${s}.${name}'`).join(' and ')}`);
  }
  checkValues(tensors, metadata, 'optimizer moment', options);
  // No prototype: a parameter called `__proto__` must be an ordinary key here.
  const slots: T.OptimizerState['slots'] = Object.create(null);
  for (const [key, t] of Object.entries(tensors)) {
    const dot = key.indexOf('.');
    const [slot, name] = [key.slice(0, dot), key.slice(dot + 1)];
    (slots[name] ??= {})[slot] = t.data;
  }
  try {
    optimizer.importState({ kind: optimizer.kind, step, options: optimizer.options, slots });
  } catch (e) {
    throw new CheckpointError(`optimizer state does not fit this model: ${(e as Error).message}`);
  }
}
