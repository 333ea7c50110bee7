// The frame of one run's pages: its name and status, tabs for the views (each its own URL), and
// the indicator saying where decoding happens.
import { A, useParams, useSearchParams, type RouteSectionProps } from '@solidjs/router';
import { For, Show, createEffect, createMemo, createResource, on, onCleanup, type JSX } from 'solid-js';
import { ApiError, type RunDetail, type RunSummary } from '../api.ts';
import { ApiProvider, useApi } from '../context.tsx';
import { DECODER_CHOICES, type DecoderChoice } from '../decoding/open.ts';
import { divergenceText } from '../lib/format.ts';
import { problemsOf, readParam } from '../lib/link.ts';
import { Elapsed, LinkProblems, Loading, StatusBadge, messageOf } from '../components/status.tsx';
import { RunContext, createRunState, useRun } from './run-context.tsx';
import { current } from '../lib/resource.ts';
import { isRunId } from '../lib/params.ts';
import { recombinationModes } from './recombination-modes.ts';

const POLL_MS = 2000;
/** Below this fraction of its steps a run is "far from done", and its page says what to expect. */
const FAR_FROM_DONE = 0.25;

export const RUN_TABS = [
  { path: '', label: 'Overview' },
  { path: '/traversal', label: 'Traversal' },
  { path: '/recombination', label: 'Recombination' },
  { path: '/group-laws', label: 'Group laws' },
  { path: '/map', label: 'Latent map' },
] as const;

/**
 * Why a view shows this run nothing of its own, in words (the view itself says so too, with a way
 * on); null where it applies. The menu marks such a view instead of hiding it, so a shared link to it
 * still explains itself.
 */
export function whyNotForRun(path: string, detail: RunDetail): string | null {
  const traits = detail.summary.traits;
  const label = traits?.label ?? detail.summary.model ?? 'this';
  if (!traits) return null;
  if (path === '/group-laws' && !traits.groupLaws) return `a ${label} run's decoder has no group action whose laws could be checked`;
  if (path === '/recombination') {
    const facts = { model: detail.summary.model ?? '', traits, config: detail.config };
    const refusals = recombinationModes({ transfer: () => null, swap: () => null }).map((m) => m.availability(facts));
    if (refusals.every((a) => !a.ok)) return refusals.map((a) => (a.ok ? '' : a.reason)).join('; ');
  }
  return null;
}

/** A known-group run's views: its group element g takes the traversal's place (its code is g itself). */
export const PAIR_RUN_TABS = [
  { path: '', label: 'Overview' },
  { path: '/element', label: 'Group element' },
  { path: '/recombination', label: 'Recombination' },
  { path: '/group-laws', label: 'Group laws' },
  { path: '/map', label: 'Latent map' },
] as const;

export function RunLayout(props: RouteSectionProps) {
  const params = useParams<{ id: string }>();
  // Keyed on the run: opening another run (a link, an edited address, Back) disposes this run's
  // page — its decoder, its requests, its views — before the other run's page reads anything.
  return (
    <Show when={params.id} keyed>
      {(id) => <RunPage id={id}>{props.children}</RunPage>}
    </Show>
  );
}

function RunPage(props: { id: string; children?: JSX.Element }) {
  const api = useApi();
  const [search] = useSearchParams();
  const since = performance.now();
  const id = props.id;
  // An address whose id cannot name a run (a NUL, a slash, 200 characters) is answered here, as the
  // server would answer it (400), without a request.
  const [detail, { refetch }] = createResource(() =>
    isRunId(id) ? api.run(id) : Promise.reject(new ApiError(`'${String(id).slice(0, 60)}' is not a run id: letters, digits, '.', '_' and '-', starting with a letter or digit, at most 128`, 400)),
  );
  createEffect(() => {
    if (detail.error === undefined && detail.latest?.summary.status === 'training') {
      const timer = setInterval(refetch, POLL_MS);
      onCleanup(() => clearInterval(timer));
    }
  });
  const choiceRead = createMemo(() => readParam('decoder', search.decoder, (t) => DECODER_CHOICES.find((c) => c === t), `where to decode: ${DECODER_CHOICES.join(' or ')}`));
  const linkedChoice = () => choiceRead().value ?? null;
  const loaded = () => (detail.error === undefined ? detail.latest : undefined) ?? lastDetail;
  // Polls that fail keep the last details on screen (the error shows beside them).
  let lastDetail: RunDetail | undefined;
  createEffect(() => {
    if (detail.error === undefined && detail.latest) lastDetail = detail.latest;
  });
  const state = createRunState(api, id, loaded, linkedChoice());
  // A link that names the decoder (?decoder=server) chooses it for this visit, without storing it.
  createEffect(on(linkedChoice, (c) => c && c !== state.choice() && state.setChoice(c, { remember: false }), { defer: true }));
  const base = `/runs/${encodeURIComponent(id)}`;
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
          <h1>{id}</h1>
          <Show when={loaded()}>
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
                  {d().summary.model} · {d().summary.dataset}/{d().summary.split ?? d().summary.group?.name ?? ''} · step {d().summary.step.toLocaleString('en-US')} of{' '}
                  {d().summary.steps?.toLocaleString('en-US') ?? '?'}
                </span>
              </span>
            )}
          </Show>
        </div>
        <Show when={loaded()}>
          {(d) => (
            <nav class="tabs" aria-label="run views">
              <For each={d().summary.traits?.element === 'known' ? PAIR_RUN_TABS : RUN_TABS}>
                {(tab) => {
                  const why = () => whyNotForRun(tab.path, d());
                  return (
                    <A href={`${base}${tab.path}`} end={tab.path === ''} activeClass="active" classList={{ unavailable: why() !== null }} title={why() ?? undefined} data-unavailable={why() ?? undefined}>
                      {tab.label}
                      <Show when={why()}>
                        <span class="visually-hidden"> (not for this run: {why()})</span>
                      </Show>
                    </A>
                  );
                }}
              </For>
            </nav>
          )}
        </Show>
        <DecoderIndicator />
        <LinkProblems problems={problemsOf(choiceRead())} />
        <Show when={loaded()}>{(d) => <TrainingNote summary={d().summary} />}</Show>
      </div>
      <Show when={loaded()} fallback={detail.error !== undefined ? <RunMissing id={id} error={detail.error} retry={refetch} /> : <Loading since={since}>Loading run…</Loading>}>
        <ApiProvider api={state.api}>{props.children}</ApiProvider>
      </Show>
    </RunContext.Provider>
  );
}

/** The page of a run that cannot be shown: unknown, unreadable, or the server down; with a way back. */
function RunMissing(props: { id: string; error: unknown; retry: () => void }) {
  // 404: no such run; 400: an id that cannot name one. Trying again would not help either.
  const notFound = () => [400, 404].includes((props.error as { status?: number })?.status ?? 0);
  return (
    <main class="page">
      <div class="error-note" role="alert" data-testid="run-missing">
        <strong>{notFound() ? `There is no run '${props.id}' on this server` : `Could not load run '${props.id}'`}</strong>
        <p>{messageOf(props.error)}</p>
        <p>
          <A href="/runs">See the runs this server has</A>
          <Show when={!notFound()}>
            {' '}
            or{' '}
            <button type="button" onClick={() => props.retry()}>
              try again
            </button>
          </Show>
        </p>
      </div>
    </main>
  );
}

/**
 * A note on a run far from the end of its training: its decodes may be noise or flat grey, and
 * that is the run, not the viewer.
 */
function TrainingNote(props: { summary: RunSummary }) {
  const fraction = () => (props.summary.steps ? props.summary.step / props.summary.steps : 1);
  return (
    <Show when={fraction() < FAR_FROM_DONE}>
      <p class="warn small training-note" data-testid="training-note">
        Step {props.summary.step.toLocaleString('en-US')} of {props.summary.steps?.toLocaleString('en-US')} ({(100 * fraction()).toFixed(fraction() < 0.01 ? 1 : 0)} % trained): expect
        noise or flat grey images from its decoder until it trains further.
      </p>
    </Show>
  );
}

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
    <div class="decoder-indicator" role="status" aria-live="polite" data-testid="decoder-indicator" data-decoder={decoder.loading ? 'loading' : decoder.error ? 'error' : (current(decoder)?.kind ?? '')}>
      <Show
        when={!decoder.loading}
        fallback={
          <span>
            <span class="spinner" aria-hidden="true" /> preparing the decoder{run.decoderStage() ? `: ${run.decoderStage()}` : '…'} <Elapsed since={run.decoderSince()} />
          </span>
        }
      >
        <Show when={!decoder.error} fallback={<span class="error-text">decoder failed: {String((decoder.error as Error)?.message ?? decoder.error)}</span>}>
          <span class={`dot dot-${current(decoder)?.kind}`} aria-hidden="true" />
          <span data-testid="decoder-label">{current(decoder)?.label}</span>
          <Show when={current(decoder)?.note}>
            <span class="muted small"> ({current(decoder)?.note})</span>
          </Show>
          <Show when={current(decoder)?.kind === 'webgpu' && (run.detail()?.summary.step ?? 0) > (run.decoderStep() ?? Infinity)}>
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
