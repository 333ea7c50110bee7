// Where a run's config.json keeps the model's architecture: the file holds the model configuration
// together with data, training and version fields, either at its top level or under a key.

/** Objects that may be the model configuration, most likely first. */
export function modelConfigCandidates(config: unknown): Record<string, unknown>[] {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) return [];
  const c = config as Record<string, unknown>;
  const out: Record<string, unknown>[] = [c];
  for (const key of ['model', 'modelConfig', 'architecture', 'config']) {
    const v = c[key];
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) out.push(v as Record<string, unknown>);
  }
  return out;
}
