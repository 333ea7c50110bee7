// The ways the Recombination view can recombine images, as a small plug-in interface: each mode
// says whether a run supports it (and why not), and brings its own panel. MAGANet's "transfer a
// transformation"; "swap invariant and varying parts" for models whose latent has those parts
// (latent-action, flow-action: the registry's `latentParts` trait).
import type { Component } from 'solid-js';
import type { ModelTraits } from '../api.ts';
import { modelConfigCandidates } from '../lib/config.ts';

export interface LatentParts {
  /** Leading components the group leaves unchanged. */
  invariant: number;
  /** Components the group acts on. */
  varying: number;
}

export type Availability = { ok: true } | { ok: false; reason: string };

export interface RecombinationMode {
  id: string;
  label: string;
  /** What the mode does, in a sentence. */
  description: string;
  availability(run: { model: string; traits: ModelTraits | null; config: unknown }): Availability;
  panel: Component;
}

/**
 * The invariant/varying split of a run's latent, when its config declares one: `latentParts`
 * ({ invariant, varying }) or a rotation layout ({ invariant, frequencies }: two components per frequency).
 */
export function latentPartsOf(config: unknown): LatentParts | null {
  for (const c of modelConfigCandidates(config)) {
    const parts = c.latentParts as Partial<LatentParts> | undefined;
    if (parts && Number.isInteger(parts.invariant) && Number.isInteger(parts.varying)) return { invariant: parts.invariant!, varying: parts.varying! };
    // latent-action: `invariant` components, then `blocks` rotated pairs.
    if (c.model === 'latent-action' && Number.isInteger(c.invariant) && Number.isInteger(c.blocks)) return { invariant: c.invariant as number, varying: 2 * (c.blocks as number) };
    const layout = (c.action ?? c.layout) as { invariant?: unknown; frequencies?: unknown } | undefined;
    if (layout && Number.isInteger(layout.invariant) && Array.isArray(layout.frequencies)) {
      return { invariant: layout.invariant as number, varying: 2 * layout.frequencies.length };
    }
  }
  return null;
}

/** Modes in display order, given their panels (kept apart so this file stays free of JSX). */
export function recombinationModes(panels: { transfer: Component; swap: Component }): RecombinationMode[] {
  return [
    {
      id: 'transfer',
      label: 'Transfer a transformation',
      description: 'Take the transformation z from a pivot to a varying image and apply it to other pivots: D(z, target).',
      availability: ({ model, traits }) => (traits && traits.transfer !== 'none' ? { ok: true } : { ok: false, reason: `a ${traits?.label ?? model} run has no transformation to transfer` }),
      panel: panels.transfer,
    },
    {
      id: 'swap',
      label: 'Swap invariant and varying parts',
      description: 'Exchange the invariant and the varying parts of two images’ latents and decode both.',
      availability: ({ traits, config }) =>
        traits?.latentParts || latentPartsOf(config)
          ? { ok: true }
          : { ok: false, reason: 'this run’s latent has no invariant and varying parts; swapping needs a latent-action or flow-action run (Jin et al.)' },
      panel: panels.swap,
    },
  ];
}
