// Loading, error and status read-outs used by every view.
import { A, useSearchParams } from '@solidjs/router';
import { For, Show, createEffect, createSignal, onCleanup, type JSX } from 'solid-js';
import type { RunStatus } from '../api.ts';
import type { LinkProblem } from '../lib/link.ts';

export function Loading(props: { children?: JSX.Element; since?: number }) {
  return (
    <div class="loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      <span>{props.children ?? 'Loading…'}</span> <Elapsed since={props.since ?? null} />
    </div>
  );
}

/** "(3 s)": the time since `since`, once it passes a second (work that takes longer says so). */
export function Elapsed(props: { since: number | null }) {
  const [now, setNow] = createSignal(performance.now());
  const timer = setInterval(() => setNow(performance.now()), 500);
  onCleanup(() => clearInterval(timer));
  const seconds = () => (props.since === null ? 0 : (now() - props.since) / 1000);
  return (
    <Show when={seconds() >= 1}>
      <span class="muted elapsed"> ({seconds().toFixed(0)} s)</span>
    </Show>
  );
}

/**
 * A result being replaced: while `loading`, the old result stays, dimmed, under an indicator
 * saying what is being computed and for how long. (Cancellation: the request it waits for is
 * aborted when a newer one replaces it; see lib/resource.ts.)
 */
export function Pending(props: { loading: boolean; what: JSX.Element; children: JSX.Element; testId?: string }) {
  const [since, setSince] = createSignal<number | null>(null);
  createEffect(() => setSince(props.loading ? performance.now() : null));
  return (
    <div class="pending" data-testid={props.testId} data-loading={props.loading ? 'true' : 'false'}>
      <div classList={{ stale: props.loading }} aria-busy={props.loading}>
        {props.children}
      </div>
      <Show when={props.loading}>
        <div class="pending-note" role="status" aria-live="polite">
          <span class="spinner" aria-hidden="true" /> {props.what} <Elapsed since={since()} />
        </div>
      </Show>
    </div>
  );
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function ErrorNote(props: { error: unknown; title?: string; retry?: () => void }) {
  return (
    <div class="error-note" role="alert">
      <strong>{props.title ?? 'Something went wrong'}</strong>
      <p>{messageOf(props.error)}</p>
      <Show when={props.retry}>
        <button type="button" onClick={() => props.retry!()}>
          Try again
        </button>
      </Show>
    </div>
  );
}

export function StatusBadge(props: { status: RunStatus | string }) {
  return <span class={`badge badge-${props.status}`}>{props.status}</span>;
}

export function Progress(props: { value: number; max: number; label?: string }) {
  const fraction = () => (props.max > 0 ? Math.min(1, Math.max(0, props.value / props.max)) : 0);
  return (
    <span class="progress" role="progressbar" aria-valuemin={0} aria-valuemax={props.max} aria-valuenow={props.value} aria-label={props.label ?? 'progress'}>
      <span class="progress-bar" style={{ width: `${(fraction() * 100).toFixed(1)}%` }} />
    </span>
  );
}

/**
 * A view that does not apply to this run (the traversal of a run whose g is known, the group laws
 * of a VAE…): why, and links to the views that do.
 */
export function NotForThisRun(props: { testId: string; children: JSX.Element; links: { href: string; label: string }[] }) {
  return (
    <div class="placeholder" data-testid={props.testId} role="note">
      <p>{props.children}</p>
      <p class="links">
        <For each={props.links}>
          {(link) => (
            <A href={link.href} class="button-link">
              {link.label}
            </A>
          )}
        </For>
      </p>
    </div>
  );
}

/**
 * What the view's link asked for and could not have: each refused parameter with its value and
 * what it takes; the view uses its default instead, and a button removes them from the link.
 */
export function LinkProblems(props: { problems: LinkProblem[] }) {
  const [, setSearch] = useSearchParams();
  const drop = (keys: string[]) => setSearch(Object.fromEntries(keys.map((k) => [k, undefined])), { replace: true });
  return (
    <Show when={props.problems.length > 0}>
      <div class="link-problems warn-note" role="alert" data-testid="link-problems">
        <strong>This link asks for what this view cannot show; it shows its defaults instead:</strong>
        <ul>
          <For each={props.problems}>
            {(p) => (
              <li>
                <code>
                  {p.key}={p.value}
                </code>{' '}
                is not {p.expected}
              </li>
            )}
          </For>
        </ul>
        <button type="button" onClick={() => drop(props.problems.map((p) => p.key))}>
          Remove {props.problems.length === 1 ? 'it' : 'them'} from the link
        </button>
      </div>
    </Show>
  );
}
