import { describe, expect, test } from 'bun:test';
import { FLOAT32_ROUNDING, LAW_TOLERANCE, lawVerdict, lawsCaption } from '../src/lib/laws.ts';
import { whyNotComparable } from '../src/lib/compare.ts';
import { COPY_X_ACTION, MAGANET_TRAITS, LATENT_ACTION_TRAITS, ROTATE_X_ACTION, VAE_TRAITS, WINTER_TRAITS } from '@maga/model';
import type { RunSummary } from '../src/api.ts';

describe('group-law verdicts and captions, from what the model does', () => {
  test('a flow model: at float32 rounding, within the tolerance, or not; each naming its bound', () => {
    expect(FLOAT32_ROUNDING).toBeCloseTo(7.63e-6, 8);
    const rounding = lawVerdict(1.7e-6, 'flow');
    expect([rounding.level, rounding.sign, rounding.ok]).toEqual(['rounding', '=', true]);
    expect(rounding.text).toContain('float32 rounding (≤ 7.6e-6)');
    // The 2.73e-4: within 1e-3, and said to be the flow's round trip, not "float precision".
    const roundTrip = lawVerdict(2.73e-4, 'flow');
    expect([roundTrip.level, roundTrip.sign, roundTrip.ok]).toEqual(['tolerance', '≈', true]);
    expect(roundTrip.text).toContain('within 1.0e-3');
    expect(roundTrip.text).not.toContain('precision');
    expect(lawVerdict(LAW_TOLERANCE, 'flow').level).toBe('tolerance');
    const fails = lawVerdict(2e-3, 'flow');
    expect([fails.level, fails.sign, fails.ok]).toEqual(['fails', '≠', false]);
    expect(fails.text).toBe('does not hold within 1.0e-3');
    expect(lawVerdict(NaN, 'flow').ok).toBe(false);
    expect(lawVerdict(Infinity, 'latent').ok).toBe(false);
  });

  test('a latent model: no verdict on images, whatever the error', () => {
    for (const e of [0, 1e-7, 0.5]) {
      const v = lawVerdict(e, 'latent');
      expect([v.level, v.sign]).toEqual(['measured', 'vs']);
    }
    expect(lawsCaption('latent', true)).toContain('re-encodes');
    expect(lawsCaption('flow', false)).toContain('ℓ-space');
    expect(lawsCaption('flow', false)).not.toContain('pixel space');
    // The registry says which is which.
    expect(MAGANET_TRAITS.lawsHold).toBe('flow');
    expect(LATENT_ACTION_TRAITS.lawsHold).toBe('latent');
  });

  test('a model with no latent (rotate-x, copy-x): exact at float32 rounding, else measured with no tolerance claimed', () => {
    const exact = lawVerdict(0, 'pixels');
    expect([exact.level, exact.sign, exact.ok]).toEqual(['rounding', '=', true]);
    // A bilinear turn composed with another is off by far more than the flow's tolerance: no claim, not a failure.
    for (const e of [2e-4, 0.3]) {
      const v = lawVerdict(e, 'pixels');
      expect([v.level, v.sign, v.ok]).toEqual(['measured', 'vs', true]);
      expect(v.text).toContain('no tolerance claimed');
    }
    expect(lawVerdict(NaN, 'pixels').ok).toBe(false);
    expect(lawsCaption('pixels', true)).toContain('no latent');
    expect(lawsCaption('pixels', true)).not.toContain('ℓ-space');
    expect([ROTATE_X_ACTION.traits.lawsHold, COPY_X_ACTION.traits.lawsHold, WINTER_TRAITS.lawsHold]).toEqual(['pixels', 'pixels', 'latent']);
  });
});

describe('runs to compare', () => {
  const run = (id: string, over: Partial<RunSummary>): RunSummary => ({
    id,
    model: 'maganet',
    traits: MAGANET_TRAITS,
    codeDim: 10,
    dataset: 'dsprites',
    split: 'to-range',
    group: null,
    step: 1,
    steps: 1,
    status: 'done',
    metrics: null,
    updatedAt: '',
    ...over,
  });
  const maganet = run('m', {});
  test('same data set and kind only, each other run with its reason', () => {
    expect(whyNotComparable(maganet, run('v', { model: 'vae', traits: VAE_TRAITS, split: 'to-element' }))).toBeNull();
    expect(whyNotComparable(maganet, maganet)).toBe('it is this run');
    expect(whyNotComparable(maganet, run('e', { status: 'error' }))).toBe('its files cannot be read');
    const rot = run('r', { model: 'latent-action', traits: LATENT_ACTION_TRAITS, dataset: 'rotated-mnist', split: null, group: { kind: 'so2', label: 'so2', name: 'SO(2)' } });
    expect(whyNotComparable(maganet, rot)).toBe('it trained on rotated-mnist, not dsprites');
    expect(whyNotComparable(rot, run('c', { ...rot, id: 'c', group: { kind: 'cyclic', n: 4, label: 'c4', name: 'C_4' } }))).toBe('its images are pairs under C_4, not SO(2)');
    expect(whyNotComparable(rot, run('s', { ...rot, id: 's' }))).toBeNull();
  });
});
