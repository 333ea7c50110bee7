// The list of runs: model, data, progress, status and headline metrics, refreshed while any run trains.
import { A } from '@solidjs/router';
import { For, Show, createEffect, createResource, onCleanup } from 'solid-js';
import { useApi } from '../context.tsx';
import { divergenceText, headlineMetrics, timeAgo } from '../lib/format.ts';
import { METRIC_INFO, formatMetricValue } from '../lib/metrics.ts';
import { ErrorNote, Loading, Progress, StatusBadge } from '../components/status.tsx';

const POLL_MS = 3000;

export function RunsPage() {
  const api = useApi();
  const since = performance.now();
  const [runs, { refetch }] = createResource(() => api.runs());
  createEffect(() => {
    if (runs.latest?.some((r) => r.status === 'training')) {
      const timer = setInterval(refetch, POLL_MS);
      onCleanup(() => clearInterval(timer));
    }
  });
  return (
    <main class="page" aria-labelledby="runs-title">
      <h1 id="runs-title">Runs</h1>
      <Show when={!(runs.error && !runs.latest)} fallback={<ErrorNote error={runs.error} title="Could not list the runs" retry={refetch} />}>
        <Show when={runs.latest} fallback={<Loading since={since}>Loading runs…</Loading>}>
          {(list) => (
            <Show when={list().length > 0} fallback={<EmptyRuns />}>
              <div class="table-wrap">
                <table class="runs-table" data-testid="runs-table">
                  <thead>
                    <tr>
                      <th scope="col">Run</th>
                      <th scope="col">Model</th>
                      <th scope="col">Data</th>
                      <th scope="col">Step</th>
                      <th scope="col">Status</th>
                      <th scope="col">Metrics</th>
                      <th scope="col">Updated</th>
                    </tr>
                  </thead>
                  <tbody>
                    <For each={list()}>
                      {(run) => (
                        <tr>
                          <th scope="row">
                            <A href={`/runs/${encodeURIComponent(run.id)}`}>{run.id}</A>
                          </th>
                          <td>{run.model}</td>
                          <td>
                            {run.dataset} <span class="muted">/ {run.split ?? (run.group?.name ?? '')}</span>
                          </td>
                          <td class="num">
                            {run.step.toLocaleString('en-US')} / {run.steps?.toLocaleString('en-US') ?? '?'}
                            <Show when={run.steps !== null}>
                              <Progress value={run.step} max={run.steps!} label={`${run.id} progress`} />
                            </Show>
                          </td>
                          <td>
                            <StatusBadge status={run.status} />
                            <Show
                              when={run.divergence}
                              fallback={
                                <Show when={run.error}>
                                  <div class="error-text small">{run.error}</div>
                                </Show>
                              }
                            >
                              {(d) => (
                                <div class="error-text small" title={run.error}>
                                  {divergenceText(d())}
                                </div>
                              )}
                            </Show>
                          </td>
                          <td>
                            <Show when={headlineMetrics(run.metrics).length > 0} fallback={<span class="muted">not evaluated</span>}>
                              <dl class="inline-metrics">
                                <For each={headlineMetrics(run.metrics)}>
                                  {(m) => (
                                    <div>
                                      <dt title={METRIC_INFO[m.key]?.description}>{METRIC_INFO[m.key]?.label ?? m.key}</dt>
                                      <dd>{formatMetricValue(m.key, m.value)}</dd>
                                    </div>
                                  )}
                                </For>
                              </dl>
                            </Show>
                          </td>
                          <td class="muted" title={run.updatedAt}>
                            {timeAgo(run.updatedAt)}
                          </td>
                        </tr>
                      )}
                    </For>
                  </tbody>
                </table>
              </div>
            </Show>
          )}
        </Show>
      </Show>
    </main>
  );
}

function EmptyRuns() {
  return (
    <div class="empty">
      <p>No runs in this runs directory yet. Train one:</p>
      <pre>bun run cli train --preset tiny --out runs/tiny</pre>
    </div>
  );
}
