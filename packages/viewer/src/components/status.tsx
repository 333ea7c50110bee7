// Loading, error and status read-outs used by every view.
import { Show, createSignal, onCleanup, type JSX } from 'solid-js';
import type { RunStatus } from '../api.ts';

export function Loading(props: { children?: JSX.Element; since?: number }) {
  const [now, setNow] = createSignal(performance.now());
  const timer = setInterval(() => setNow(performance.now()), 500);
  onCleanup(() => clearInterval(timer));
  return (
    <div class="loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      <span>{props.children ?? 'Loading…'}</span>
      <Show when={props.since !== undefined && now() - props.since! > 1500}>
        <span class="muted"> ({((now() - props.since!) / 1000).toFixed(0)} s)</span>
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
