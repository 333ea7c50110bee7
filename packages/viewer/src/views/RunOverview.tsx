// A run's loss curves (one chart per term, log scale and smoothing on demand; they grow while the
// run trains), its test curves (--eval-every), its evaluation metrics, throughput and configuration.
import { For, Show, createMemo, createSignal } from 'solid-js';
import { CATEGORICAL, toCss } from '../lib/colors.ts';
import { seriesFromLog } from '../lib/curves.ts';
import { flattenMetrics, formatMetric, groupMetrics } from '../lib/format.ts';
import { EvalChart, evalMetrics } from '../components/EvalChart.tsx';
import { LossChart } from '../components/LossChart.tsx';
import { useRun } from './run-context.tsx';

export function RunOverview() {
  const run = useRun();
  const [log, setLog] = createSignal(false);
  const [smoothing, setSmoothing] = createSignal(0);
  const losses = createMemo(() => seriesFromLog(run.detail()?.log ?? []));
  const throughput = createMemo(() => seriesFromLog(run.detail()?.log ?? [], { losses: false }).filter((s) => s.name === 'imagesPerSecond' || s.name === 'lr'));
  const metrics = createMemo(() => groupMetrics(flattenMetrics(run.detail()?.metrics ?? null)));
  const evals = createMemo(() => run.detail()?.eval ?? []);
  return (
    <main class="page" aria-label="run overview">
      <section aria-labelledby="curves-title">
        <div class="section-head">
          <h2 id="curves-title">Loss curves</h2>
          <div class="controls">
            <label>
              <input type="checkbox" checked={log()} onChange={(e) => setLog(e.currentTarget.checked)} /> log scale
            </label>
            <label>
              smoothing{' '}
              <select value={smoothing()} onChange={(e) => setSmoothing(Number(e.currentTarget.value))}>
                <option value={0}>none</option>
                <option value={0.6}>0.6</option>
                <option value={0.9}>0.9</option>
                <option value={0.99}>0.99</option>
              </select>
            </label>
            <Show when={run.detail()?.summary.status === 'training'}>
              <span class="live" role="status">
                <span class="dot dot-live" aria-hidden="true" /> updating while the run trains
              </span>
            </Show>
          </div>
        </div>
        <Show when={losses().length > 0} fallback={<p class="muted">The run has logged no losses yet.</p>}>
          <div class="charts">
            <For each={losses()}>{(s, i) => <LossChart series={s} log={log()} smoothing={smoothing()} colour={toCss(CATEGORICAL[i() % CATEGORICAL.length])} />}</For>
          </div>
        </Show>
      </section>
      <Show when={evals().length > 0}>
        <section aria-labelledby="eval-title">
          <h2 id="eval-title">Test curves</h2>
          <div class="charts">
            <For each={evalMetrics(evals())}>{(m, i) => <EvalChart lines={evals()} metric={m} colour={toCss(CATEGORICAL[i() % CATEGORICAL.length])} />}</For>
          </div>
        </section>
      </Show>
      <section aria-labelledby="metrics-title">
        <h2 id="metrics-title">Evaluation</h2>
        <Show
          when={metrics().length > 0}
          fallback={
            <p class="muted">
              Not evaluated yet: <code>bun run cli eval {run.id()}</code>
            </p>
          }
        >
          <div class="metric-groups" data-testid="metrics">
            <For each={metrics()}>
              {(group) => (
                <table class="metrics-table">
                  <Show when={group.group}>
                    <caption>{group.group}</caption>
                  </Show>
                  <tbody>
                    <For each={group.rows}>
                      {(row) => (
                        <tr>
                          <th scope="row">{row.key}</th>
                          <td class="num">{formatMetric(row.key, row.value)}</td>
                        </tr>
                      )}
                    </For>
                  </tbody>
                </table>
              )}
            </For>
          </div>
        </Show>
      </section>
      <Show when={throughput().length > 0}>
        <section aria-labelledby="throughput-title">
          <h2 id="throughput-title">Throughput and learning rate</h2>
          <div class="charts">
            <For each={throughput()}>{(s) => <LossChart series={s} log={false} smoothing={0} colour="#6b7280" />}</For>
          </div>
        </section>
      </Show>
      <section>
        <details>
          <summary>Configuration</summary>
          <pre class="config">{JSON.stringify(run.detail()?.config ?? {}, null, 2)}</pre>
        </details>
      </section>
    </main>
  );
}
