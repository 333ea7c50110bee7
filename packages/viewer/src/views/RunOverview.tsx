// A run's loss curves (one chart per term, log scale and smoothing on demand; they grow while the
// run trains), its test curves (--eval-every), its evaluation metrics, throughput and configuration.
import { For, Show, createMemo, createSignal } from 'solid-js';
import { CATEGORICAL, toCss } from '../lib/colors.ts';
import { seriesFromLog } from '../lib/curves.ts';
import { METRIC_INFO, formatMetricValue, readMetrics, termUnit } from '../lib/metrics.ts';
import { EvalChart, evalMetrics } from '../components/EvalChart.tsx';
import { LossChart } from '../components/LossChart.tsx';
import { useRun } from './run-context.tsx';

export function RunOverview() {
  const run = useRun();
  const [log, setLog] = createSignal(false);
  const [smoothing, setSmoothing] = createSignal(0);
  const losses = createMemo(() => seriesFromLog(run.detail()?.log ?? []));
  const throughput = createMemo(() => seriesFromLog(run.detail()?.log ?? [], { losses: false }).filter((s) => s.name === 'imagesPerSecond' || s.name === 'lr'));
  const metrics = createMemo(() => readMetrics(run.detail().metrics));
  const evals = createMemo(() => run.detail().eval ?? []);
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
            <For each={losses()}>{(s, i) => <LossChart series={s} log={log()} smoothing={smoothing()} colour={toCss(CATEGORICAL[i() % CATEGORICAL.length])} unit={termUnit(s.name)} />}</For>
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
          when={metrics()}
          fallback={
            <p class="muted">
              Not evaluated yet: <code>bun run cli eval {run.id()}</code>
            </p>
          }
        >
          {(m) => (
            <div class="evaluation" data-testid="metrics">
              <p class="muted small">
                {run.detail().summary.traits?.element === 'known'
                  ? 'D(g, x) against g·x on a fixed, seeded set of pairs (the model sees x and g only)'
                  : 'The reconstruction against the image it reconstructs, on a seeded sample of each part of the split (test: held out from training)'}
                {m().count !== null ? `, ${m().count!.toLocaleString('en-US')} images per part` : ''}
                {m().step !== null ? `, at step ${m().step!.toLocaleString('en-US')}` : ''}
                {m().evaluatedAt ? ` (${new Date(m().evaluatedAt!).toLocaleString('en-GB')})` : ''}.
              </p>
              <div class="table-scroll">
              <table class="metrics-table" data-testid="metrics-table">
                <thead>
                  <tr>
                    <th scope="col">metric</th>
                    <For each={m().parts}>{(p) => <th scope="col">{p.part}</th>}</For>
                    <th scope="col">what it is</th>
                  </tr>
                </thead>
                <tbody>
                  <For each={m().keys}>
                    {(key) => (
                      <tr data-metric={key}>
                        <th scope="row">{METRIC_INFO[key]?.label ?? key}</th>
                        <For each={m().parts}>{(p) => <td class="num">{p.values[key] === undefined ? '–' : formatMetricValue(key, p.values[key])}</td>}</For>
                        <td class="muted small">
                          {METRIC_INFO[key]?.description ?? ''}
                          {METRIC_INFO[key]?.better ? ` (${METRIC_INFO[key].better} is better)` : ''}
                        </td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
              </div>
              <div class="bucket-tables">
              <For each={m().parts.filter((p) => p.buckets.length > 0)}>
                {(p) => (
                  <table class="metrics-table buckets" data-testid={`buckets-${p.part}`}>
                    <caption>
                      {p.part}, per bucket of g <span class="muted small">(the group element's range in each bucket)</span>
                    </caption>
                    <thead>
                      <tr>
                        <th scope="col">g</th>
                        <For each={m().bucketKeys}>{(key) => <th scope="col" title={METRIC_INFO[key]?.description}>{METRIC_INFO[key]?.label ?? key}</th>}</For>
                      </tr>
                    </thead>
                    <tbody>
                      <For each={p.buckets}>
                        {(b) => (
                          <tr data-bucket={b.name}>
                            <th scope="row">{b.name}</th>
                            <For each={m().bucketKeys}>{(key) => <td class="num">{b.values[key] === undefined ? '–' : formatMetricValue(key, b.values[key])}</td>}</For>
                          </tr>
                        )}
                      </For>
                    </tbody>
                  </table>
                )}
              </For>
              </div>
            </div>
          )}
        </Show>
      </section>
      <Show when={throughput().length > 0}>
        <section aria-labelledby="throughput-title">
          <h2 id="throughput-title">Throughput and learning rate</h2>
          <div class="charts">
            <For each={throughput()}>{(s) => <LossChart series={s} log={false} smoothing={0} colour="#6b7280" unit={termUnit(s.name)} />}</For>
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
