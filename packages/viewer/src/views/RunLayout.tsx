// The frame of one run's pages: its name and status, tabs for the views (each its own URL), and
// the indicator saying where decoding happens.
import { A, useParams, useSearchParams, type RouteSectionProps } from '@solidjs/router';
import { For, Show, createEffect, createResource, on, onCleanup } from 'solid-js';
import type { RunGroup } from '../api.ts';
import { useApi } from '../context.tsx';
import { DECODER_CHOICES, type DecoderChoice } from '../decoding/open.ts';
import { divergenceText } from '../lib/format.ts';
import { parseChoice } from '../lib/params.ts';
import { ErrorNote, Loading, StatusBadge } from '../components/status.tsx';
import { RunContext, createRunState, useRun } from './run-context.tsx';

const POLL_MS = 2000;

export const RUN_TABS = [
  { path: '', label: 'Overview' },
  { path: '/traversal', label: 'Traversal' },
  { path: '/recombination', label: 'Recombination' },
  { path: '/group-laws', label: 'Group laws' },
  { path: '/map', label: 'Latent map' },
] as const;

/** A known-group run's views: its group element g takes the traversal's place (its code is g itself). */
export const PAIR_RUN_TABS = [
  { path: '', label: 'Overview' },
  { path: '/element', label: 'Group element' },
  { path: '/recombination', label: 'Recombination' },
  { path: '/group-laws', label: 'Group laws' },
  { path: '/map', label: 'Latent map' },
] as const;

export function RunLayout(props: RouteSectionProps) {
  const api = useApi();
  const params = useParams<{ id: string }>();
  const [search] = useSearchParams();
  const since = performance.now();
  const [detail, { refetch }] = createResource(() => params.id, (id) => api.run(id));
  createEffect(() => {
    if (detail.latest?.summary.status === 'training') {
      const timer = setInterval(refetch, POLL_MS);
      onCleanup(() => clearInterval(timer));
    }
  });
  const linkedChoice = () => (search.decoder ? parseChoice(search.decoder, DECODER_CHOICES, 'auto') : null);
  const state = createRunState(() => params.id, () => detail.latest, linkedChoice());
  // A link that names the decoder (?decoder=server) chooses it for this visit, without storing it.
  createEffect(on(linkedChoice, (c) => c && c !== state.choice() && state.setChoice(c, { remember: false }), { defer: true }));
  const base = () => `/runs/${encodeURIComponent(params.id)}`;
  return (
    <RunContext.Provider value={state}>
      <div class="run-header">
        <div class="run-title">
          <A href="/runs" class="muted">
            Runs
          </A>
          <span class="muted" aria-hidden="true">
            /
          </span>
          <h1>{params.id}</h1>
          <Show when={detail.latest}>
            {(d) => (
              <span class="run-facts">
                <StatusBadge status={d().summary.status} />
                <Show when={d().summary.divergence}>
                  {(div) => (
                    <span class="error-text small" title={d().summary.error}>
                      {divergenceText(div())}
                    </span>
                  )}
                </Show>
                <span class="muted">
                  {d().summary.model} · {d().summary.dataset}/{d().summary.split ?? groupLabel(d().summary.group)} · step {d().summary.step.toLocaleString('en-US')} of{' '}
                  {d().summary.steps.toLocaleString('en-US')}
                </span>
              </span>
            )}
          </Show>
        </div>
        <nav class="tabs" aria-label="run views">
          <For each={detail.latest?.summary.group ? PAIR_RUN_TABS : RUN_TABS}>
            {(tab) => (
              <A href={`${base()}${tab.path}`} end={tab.path === ''} activeClass="active">
                {tab.label}
              </A>
            )}
          </For>
        </nav>
        <DecoderIndicator />
      </div>
      <Show when={!(detail.error && !detail.latest)} fallback={<ErrorNote error={detail.error} title={`Could not load run ${params.id}`} retry={refetch} />}>
        <Show when={detail.latest} fallback={<Loading since={since}>Loading run…</Loading>}>
          {props.children}
        </Show>
      </Show>
    </RunContext.Provider>
  );
}

const groupLabel = (group: RunGroup | null | undefined) => (!group ? '' : group.kind === 'so2' ? 'SO(2)' : group.kind === 'so3' ? 'SO(3)' : `C_${group.n}`);

/** Where decoding happens, and the choice between the browser and the server. */
function DecoderIndicator() {
  const run = useRun();
  return (
    <Show when={run.decoderWanted()}>
      <DecoderStatus />
    </Show>
  );
}

function DecoderStatus() {
  const run = useRun();
  const decoder = run.useDecoder();
  return (
    <div class="decoder-indicator" role="status" aria-live="polite" data-testid="decoder-indicator" data-decoder={decoder.loading ? 'loading' : decoder.error ? 'error' : (decoder()?.kind ?? '')}>
      <Show
        when={!decoder.loading}
        fallback={
          <span>
            <span class="spinner" aria-hidden="true" /> preparing the decoder{run.decoderStage() ? `: ${run.decoderStage()}` : '…'}
          </span>
        }
      >
        <Show when={!decoder.error} fallback={<span class="error-text">decoder failed: {String((decoder.error as Error)?.message ?? decoder.error)}</span>}>
          <span class={`dot dot-${decoder()?.kind}`} aria-hidden="true" />
          <span data-testid="decoder-label">{decoder()?.label}</span>
          <Show when={decoder()?.note}>
            <span class="muted small"> ({decoder()?.note})</span>
          </Show>
          <Show when={decoder()?.kind === 'webgpu' && (run.detail()?.summary.step ?? 0) > (run.decoderStep() ?? Infinity)}>
            <button type="button" class="small" onClick={() => run.reloadDecoder()}>
              Load the newer checkpoint (run at step {run.detail()?.summary.step.toLocaleString('en-US')})
            </button>
          </Show>
        </Show>
      </Show>
      <label class="small">
        <span class="visually-hidden">decode</span>
        <select value={run.choice()} onChange={(e) => run.setChoice(e.currentTarget.value as DecoderChoice)} aria-label="where to decode">
          <option value="auto">in the browser when possible</option>
          <option value="server">on the server</option>
        </select>
      </label>
    </div>
  );
}
