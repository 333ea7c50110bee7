// Which runs can stand side by side (the latent map's "compare with"): those whose maps show the
// same images encoded the same way, so that points and colours mean the same in both.
import type { RunSummary } from '../api.ts';

/** Why run `b`'s map cannot stand beside run `a`'s, in words; null when it can. */
export function whyNotComparable(a: RunSummary, b: RunSummary): string | null {
  if (b.id === a.id) return 'it is this run';
  if (b.status === 'error') return 'its files cannot be read';
  if (b.dataset !== a.dataset) return `it trained on ${b.dataset}, not ${a.dataset}`;
  const [ga, gb] = [a.group?.name ?? null, b.group?.name ?? null];
  if (ga !== gb) return gb ? `its images are pairs under ${gb}${ga ? `, not ${ga}` : ''}` : `its model infers a code z, not a known element of ${ga}`;
  if ((b.traits?.element ?? null) !== (a.traits?.element ?? null)) return `its model's code is of another kind (${b.traits?.element ?? 'unknown'})`;
  return null;
}
