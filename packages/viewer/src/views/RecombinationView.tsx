// Recombination: apply the transformation between one pair of images to other pivots (MAGANet),
// and — for models whose latent has invariant and varying parts — swap those parts between two
// images. Modes plug in through recombination-modes.ts.
import { useSearchParams } from '@solidjs/router';
import { For, Show, createMemo, createResource } from 'solid-js';
import { scopedApi } from '../api.ts';
import { useApi, useDataset } from '../context.tsx';
import { formatVector } from '../lib/format.ts';
import { decodeImage, maxAbsDiff, psnr } from '../lib/images.ts';
import { indexBelow, indexExpectation, problemsOf, readParam } from '../lib/link.ts';
import { DATASET_SIZE, DEFAULT_PIVOT, DEFAULT_VARYING, formatList, parseIndexListText } from '../lib/params.ts';
import { createLatestResource, current } from '../lib/resource.ts';
import { DatasetImage, ImageCanvas, ImageTable } from '../components/images.tsx';
import { ImageChooser, ImagePicker } from '../components/ImagePicker.tsx';
import { ErrorNote, LinkProblems, Loading, Pending } from '../components/status.tsx';
import { RunImage } from '../components/pairs.tsx';
import { recombinationModes, latentPartsOf } from './recombination-modes.ts';
import { shown, useRun } from './run-context.tsx';

const MAX_TARGETS = 12;

export function RecombinationView() {
  const run = useRun();
  const [search, setSearch] = useSearchParams();
  const modes = recombinationModes({ transfer: TransferPanel, swap: SwapPanel });
  const facts = () => ({ model: run.detail()?.summary.model ?? '', traits: run.detail()?.summary.traits ?? null, config: run.detail()?.config });
  // Without a mode in the link, the first one this run can do.
  const firstMode = createMemo(() => (modes.find((m) => m.availability(facts()).ok) ?? modes[0]).id);
  const modeRead = createMemo(() => readParam('mode', search.mode, (t) => modes.find((m) => m.id === t)?.id, `one of ${modes.map((m) => m.id).join(', ')}`));
  const mode = () => modeRead().value ?? firstMode();
  return (
    <main class="page recombination" aria-label="recombination">
      <LinkProblems problems={problemsOf(modeRead())} />
      <div class="segmented mode-tabs" role="group" aria-label="recombination mode">
        <For each={modes}>
          {(m) => (
            <button type="button" aria-pressed={mode() === m.id} onClick={() => setSearch({ mode: m.id === firstMode() ? undefined : m.id })}>
              {m.label}
            </button>
          )}
        </For>
      </div>
      <For each={modes}>
        {(m) => (
          <Show when={mode() === m.id}>
            <p class="muted">{m.description}</p>
            {(() => {
              const available = m.availability(facts());
              return available.ok ? (
                <m.panel />
              ) : (
                <div class="placeholder" data-testid={`mode-unavailable-${m.id}`}>
                  <strong>Not available for this run.</strong> <span>{available.reason}.</span>
                </div>
              );
            })()}
          </Show>
        )}
      </For>
    </main>
  );
}

function TransferPanel() {
  const run = useRun();
  const api = useApi();
  const dataset = useDataset();
  const decoder = run.useDecoder();
  const [search, setSearch] = useSearchParams();
  // Whether the transformation acts on the targets, D(z, target), or is a VAE's latent arithmetic.
  const isMaganet = () => run.detail()?.summary.traits?.transfer === 'action';
  const split = () => run.detail()?.summary.split ?? undefined;
  const reads = createMemo(() => ({
    pivot: readParam('pivot', search.pivot, indexBelow(DATASET_SIZE), indexExpectation(DATASET_SIZE)),
    varying: readParam('varying', search.varying, indexBelow(DATASET_SIZE), indexExpectation(DATASET_SIZE)),
    targets: readParam('targets', search.targets, (t) => parseIndexListText(t, DATASET_SIZE, MAX_TARGETS), `up to ${MAX_TARGETS} image indices from 0 to ${(DATASET_SIZE - 1).toLocaleString('en-US')}, separated by commas`),
  }));
  const pivot = createMemo(() => reads().pivot.value ?? current(dataset)?.fixedPivot ?? DEFAULT_PIVOT);
  const varying = createMemo(() => reads().varying.value ?? DEFAULT_VARYING);
  const chosenTargets = createMemo(() => (reads().targets.value ?? []).join(','));
  // Without targets in the URL, start from a few test images of the run's split.
  const [defaultTargets] = createResource(
    () => (chosenTargets() === '' ? { split: split() } : false),
    async (q) => (await api.samples({ split: q.split, part: 'test', count: 6, seed: 7 })).map((x) => x.index),
  );
  const targets = createMemo(() => (chosenTargets() ? chosenTargets().split(',').map(Number) : (current(defaultTargets) ?? [])));
  const setTargets = (list: number[]) => setSearch({ targets: formatList(list.slice(0, MAX_TARGETS)) });

  const since = performance.now();
  const [result] = createLatestResource(
    () => {
      const d = current(decoder);
      const list = targets();
      return d && list.length ? { d, pivot: pivot(), varying: varying(), targets: list } : false;
    },
    // The source pivot goes first: D(z, pivot) is the reconstruction of the varying image, measured against it.
    async (q, signal) => {
      const [r, truth] = await Promise.all([q.d.transfer({ pivot: q.pivot, varying: q.varying }, [q.pivot, ...q.targets]), scopedApi(api, signal).image(q.varying)]);
      const source = r.images[0];
      const varyingImage = decodeImage(truth.image);
      return { z: r.z, source, images: r.images.slice(1), targets: q.targets, fit: { psnr: psnr(source, varyingImage), max: maxAbsDiff(source, varyingImage) } };
    },
  );
  return (
    <>
      <LinkProblems problems={problemsOf(reads().pivot, reads().varying, reads().targets)} />
      <section class="pickers" aria-label="source pair">
        <ImagePicker label="Pivot" value={pivot()} onChange={(i) => setSearch({ pivot: i })} split={split()} />
        <ImagePicker label="Varying" value={varying()} onChange={(i) => setSearch({ varying: i })} split={split()} />
      </section>
      <Show when={current(result)}>
        {(r) => (
          <p class="muted small mono">
            z = {isMaganet() ? 'E(varying) − E(pivot)' : 'μ(varying) − μ(pivot)'} = {formatVector(r().z)}
          </p>
        )}
      </Show>
      <section aria-labelledby="targets-title">
        <div class="section-head">
          <h2 id="targets-title">Applied to other pivots</h2>
          <div class="controls">
            <ImageChooser label="Add a target…" split={split()} onChoose={(i) => setTargets([...targets().filter((t) => t !== i), i])} />
          </div>
        </div>
        <Show when={shown(decoder.error) === undefined && shown(result.error) === undefined} fallback={<ErrorNote error={shown(decoder.error) ?? result.error} title="Recombination failed" />}>
          <Show when={targets().length > 0} fallback={defaultTargets.loading ? <Loading>Choosing targets…</Loading> : <p class="muted">Add a target image.</p>}>
            <Pending loading={result.loading && !!current(result)} what={`Decoding ${targets().length + 1} images…`}>
            <div class="table-wrap">
              <table class="recombination-grid" data-testid="recombination-grid">
                <tbody>
                  <tr>
                    <th scope="row">target</th>
                    <td class="source-cell">
                      <DatasetImage index={pivot()} size={72} label="source pivot" />
                      <span class="muted small">source pivot</span>
                    </td>
                    <For each={targets()}>
                      {(t) => (
                        <td>
                          <DatasetImage index={t} size={72} label={`target ${t}`} />
                          <button type="button" class="link small" aria-label={`remove target ${t}`} onClick={() => setTargets(targets().filter((x) => x !== t))}>
                            remove
                          </button>
                        </td>
                      )}
                    </For>
                  </tr>
                  <tr>
                    <th scope="row">{isMaganet() ? 'D(z, target)' : 'dec(μ(target) + z)'}</th>
                    <td class="source-cell" data-testid="transfer-source">
                      <ImageCanvas image={current(result)?.source} size={72} label="source pair reconstructed" />
                      <Show when={current(result)?.fit}>
                        {(fit) => (
                          <span class="muted small fit" data-testid="transfer-fit" data-psnr={fit().psnr} data-max={fit().max} title="D(z, pivot) against the varying image: PSNR (pixels in [0, 1]) and the largest pixel difference">
                            vs varying: {Number.isFinite(fit().psnr) ? `${fit().psnr.toFixed(1)} dB` : 'equal'}, max |Δ| {fit().max.toFixed(2)}
                          </span>
                        )}
                      </Show>
                    </td>
                    <Show
                      when={current(result) && current(result)!.targets.join() === targets().join()}
                      fallback={
                        <td colSpan={targets().length}>
                          <Loading since={since}>Decoding…</Loading>
                        </td>
                      }
                    >
                      <For each={current(result)!.images}>
                        {(image, i) => (
                          <td>
                            <ImageCanvas image={image} size={72} label={`target ${targets()[i()]} transformed`} />
                          </td>
                        )}
                      </For>
                    </Show>
                  </tr>
                </tbody>
              </table>
            </div>
            </Pending>
          </Show>
        </Show>
      </section>
    </>
  );
}

/**
 * Swapping latent parts: for a few images of the run, the grid of D(invariant part of row image,
 * varying part of column image). Its diagonal is each image's own reconstruction; along a row the
 * invariant content (the digit, the anatomy) should stay and the varying one (the angle, the
 * contrast) follow the column.
 */
function SwapPanel() {
  const run = useRun();
  const parts = () => latentPartsOf(run.detail()?.config);
  return (
    <Show
      when={run.detail()?.summary.group}
      fallback={
        <div class="placeholder">
          <p>
            This run declares {parts()?.invariant} invariant and {parts()?.varying} varying latent components, but its images are not a known-group data set: the
            swap needs a latent-action or flow-action run.
          </p>
        </div>
      }
    >
      <SwapGrid />
    </Show>
  );
}

const SWAP_IMAGES = 4;

function SwapGrid() {
  const run = useRun();
  const api = useApi();
  const decoder = run.useDecoder();
  const [search, setSearch] = useSearchParams();
  const seedRead = createMemo(() => readParam('seed', search.seed, indexBelow(2 ** 31), 'a whole number from 0 to 2³¹ − 1'));
  const seed = () => seedRead().value ?? 0;
  const [images] = createResource(
    () => ({ id: run.id(), seed: seed() }),
    async (q) => (await api.runSamples(q.id, { part: 'test', count: SWAP_IMAGES, seed: q.seed })).map((s) => s.index),
  );
  const since = performance.now();
  const [grid] = createResource(
    () => {
      const d = current(decoder);
      const list = current(images);
      return d && list ? { d, list } : false;
    },
    async ({ d, list }) => {
      if (!d.swap) throw new Error(`a ${d.traits.label} run's latent has no invariant and varying parts`);
      const pairs = list.flatMap((a) => list.map((b) => [a, b] as [number, number]));
      const { aWithB } = await d.swap(pairs);
      return { list, cells: list.map((_, i) => aWithB.slice(i * list.length, (i + 1) * list.length)) };
    },
  );
  return (
    <section aria-labelledby="swap-title">
      <LinkProblems problems={problemsOf(seedRead())} />
      <div class="section-head">
        <h2 id="swap-title">Invariant part of the row, varying part of the column</h2>
        <Show when={run.entry()}>
          {(entry) => (
            <p class="muted small">
              Along a row the invariant part should keep which of the {entry().sources} it is, and the varying part follow its column: what g changes (x {entry().action}).
            </p>
          )}
        </Show>
        <div class="controls">
          <button type="button" onClick={() => setSearch({ seed: seed() + 1 })}>
            Other images
          </button>
        </div>
      </div>
      <Show
        when={[decoder.error, grid.error, images.error].every((e) => shown(e) === undefined)}
        fallback={<ErrorNote error={shown(decoder.error) ?? shown(grid.error) ?? images.error} title="Swapping failed" />}
      >
        <Show when={current(grid)} fallback={<Loading since={since}>Decoding…</Loading>}>
          {(g) => (
            <Pending loading={grid.loading} what={`Decoding the ${SWAP_IMAGES} × ${SWAP_IMAGES} swaps…`}>
            <ImageTable
              class="recombination-grid"
              testId="swap-grid"
              head={
                <>
                  <th scope="col" class="muted small">
                    invariant ↓ · varying →
                  </th>
                  <For each={g().list}>
                    {(b) => (
                      <th scope="col">
                        <RunImage run={run.id()} index={b} size={64} label={`column image ${b}`} />
                      </th>
                    )}
                  </For>
                </>
              }
              rows={g().cells}
              rowHead={(i) => <RunImage run={run.id()} index={g().list[i]} size={64} label={`row image ${g().list[i]}`} />}
              label={(i, j) => `invariant part of ${g().list[i]}, varying part of ${g().list[j]}`}
              size={64}
            />
            </Pending>
          )}
        </Show>
      </Show>
    </section>
  );
}
