// The group laws of a run's decoder, shown and measured: D(0, x) = x (identity),
// D(z₂, D(z₁, x)) = D(z₁ + z₂, x) (composition), D(−z₁, D(z₁, x)) = x (inverse), with z₁ and z₂
// the transformations from x to two chosen images; for a known-group run the laws of ρ with two
// chosen elements g₁, g₂ (set with the group's own control, composed by the group): D(e, x) = x,
// D(g₂, D(g₁, x)) = D(g₂g₁, x), D(g₁⁻¹, D(g₁, x)) = x. Each
// law comes with its max pixel error, a verdict against the stated tolerance (lib/laws.ts, from
// what the model does), and a map of where the two sides differ, the three maps on one scale.
import { useSearchParams } from '@solidjs/router';
import { Show, createMemo, type JSX } from 'solid-js';
import { useDataset } from '../context.tsx';
import type { Decoder, GroupLawResult } from '../decoding/decoder.ts';
import { gradientCss, viridis } from '../lib/colors.ts';
import { absDiff, type Img } from '../lib/images.ts';
import { DATASET_SIZE, DEFAULT_PIVOT } from '../lib/params.ts';
import { indexBelow, indexExpectation, problemsOf, readParam } from '../lib/link.ts';
import { lawVerdict, lawsCaption, type LawsHold } from '../lib/laws.ts';
import { createLatestResource } from '../lib/resource.ts';
import { ImageCanvas } from '../components/images.tsx';
import { ImagePicker } from '../components/ImagePicker.tsx';
import type { Group } from '@maga/model';
import { WithRunGroup, useImageX } from '../components/pairs.tsx';
import { ElementControl } from '../components/element-controls.tsx';
import { elementParam, formatElementParam } from '../lib/groups.ts';
import { ErrorNote, LinkProblems, Loading, NotForThisRun, Pending } from '../components/status.tsx';
import { runHref } from '../lib/routes.ts';
import { shown, useRun } from './run-context.tsx';

const DEFAULT_A = 123_530;
const DEFAULT_B = 300_000;

export function GroupLawsView() {
  const run = useRun();
  const summary = () => run.detail().summary;
  return (
    <main class="page group-laws" aria-label="group laws">
      <Show
        when={summary().traits?.groupLaws ?? false}
        fallback={
          <NotForThisRun testId="group-laws-unavailable" links={[{ href: runHref(run.id(), '/traversal'), label: 'Open its traversal' }, { href: runHref(run.id()), label: 'Its overview' }]}>
            {summary().traits?.label ?? 'This model'}'s decoder takes a code, not a transformation of a pivot: it has no group action whose laws could be checked.
          </NotForThisRun>
        }
      >
        <Show when={summary().group} fallback={<LearnedGroupLaws />}>
          <WithRunGroup>{(group) => <KnownGroupLaws group={group} />}</WithRunGroup>
        </Show>
      </Show>
    </main>
  );
}

/** The laws' computation: newest inputs win, a superseded one is dropped. */
function useLaws<Q>(source: () => Q | false, compute: (d: Decoder, q: Q) => Promise<GroupLawResult>) {
  const run = useRun();
  const decoder = run.useDecoder();
  const [laws] = createLatestResource(
    () => {
      const d = decoder.error === undefined ? decoder.latest : undefined;
      const q = source();
      return d && q !== false ? { d, q } : false;
    },
    async ({ d, q }) => {
      if (!d.groupLaws) throw new Error(`a ${d.traits.label} run has no group action`);
      return { result: await compute(d, q), where: d.kind };
    },
  );
  return { decoder, laws };
}

/** MAGANet: a pivot x and the transformations z₁, z₂ from x to two chosen images. */
function LearnedGroupLaws() {
  const run = useRun();
  const dataset = useDataset();
  const [search, setSearch] = useSearchParams();
  const split = () => run.detail().summary.split ?? undefined;
  const reads = createMemo(() => ({
    pivot: readParam('pivot', search.pivot, indexBelow(DATASET_SIZE), indexExpectation(DATASET_SIZE)),
    a: readParam('a', search.a, indexBelow(DATASET_SIZE), indexExpectation(DATASET_SIZE)),
    b: readParam('b', search.b, indexBelow(DATASET_SIZE), indexExpectation(DATASET_SIZE)),
  }));
  const pivot = () => reads().pivot.value ?? (dataset.error === undefined ? dataset.latest?.fixedPivot : undefined) ?? DEFAULT_PIVOT;
  const a = () => reads().a.value ?? DEFAULT_A;
  const b = () => reads().b.value ?? DEFAULT_B;
  const { decoder, laws } = useLaws(
    () => ({ pivot: pivot(), a: a(), b: b() }),
    async (d, q) => {
      const [z1, z2] = await Promise.all([d.code(q.pivot, q.a), d.code(q.pivot, q.b)]);
      return d.groupLaws!(q.pivot, z1.z, z2.z);
    },
  );
  return (
    <>
      <LinkProblems problems={problemsOf(reads().pivot, reads().a, reads().b)} />
      <section class="pickers" aria-label="images">
        <ImagePicker label="Pivot" value={pivot()} onChange={(i) => setSearch({ pivot: i })} split={split()}>
          <span class="small">x</span>
        </ImagePicker>
        <ImagePicker label="First target" value={a()} onChange={(i) => setSearch({ a: i })} split={split()}>
          <span class="small">z₁ = E(target) − E(x)</span>
        </ImagePicker>
        <ImagePicker label="Second target" value={b()} onChange={(i) => setSearch({ b: i })} split={split()}>
          <span class="small">z₂ = E(target) − E(x)</span>
        </ImagePicker>
      </section>
      <LawsResult decoder={decoder} laws={laws} known={false} />
    </>
  );
}

/** The laws of ρ for a known-group run: an image x and two elements g₁, g₂, each with the group's control. */
function KnownGroupLaws(props: { group: Group }) {
  const image = useImageX();
  const { value: pivot, camera } = image;
  const [search, setSearch] = useSearchParams();
  const group = props.group;
  const reads = createMemo(() => ({ x: image.read(), g1: elementParam('g1', search.g1, group), g2: elementParam('g2', search.g2, group) }));
  // Two elements the group chooses to show it (a quarter and a half turn, one and two steps of C_n…).
  const figures = group.figureElements();
  const g1 = () => reads().g1.value ?? figures[Math.min(1, figures.length - 1)];
  const g2 = () => reads().g2.value ?? figures[Math.min(2, figures.length - 1)];
  const set = (key: 'g1' | 'g2') => (g: number[]) => setSearch({ [key]: formatElementParam(g) }, { replace: true });
  const { decoder, laws } = useLaws(
    () => {
      const x = pivot();
      return x === undefined ? false : { x, g1: g1(), g2: g2() };
    },
    (d, q) => d.groupLaws!(q.x, q.g1, q.g2),
  );
  return (
    <>
      <LinkProblems problems={problemsOf(reads().x, reads().g1, reads().g2)} />
      <section class="pickers" aria-label="image and group elements">
        <image.Picker />
        <div class="element-pair">
          <ElementControl group={group} value={g1()} onChange={set('g1')} label="g₁" testId={`element-g1`} camera={camera()} />
          <ElementControl group={group} value={g2()} onChange={set('g2')} label="g₂" testId={`element-g2`} camera={camera()} />
          <p class="muted small mono">g₂g₁: {group.formatElement(group.compose(g2(), g1()))}</p>
        </div>
      </section>
      <LawsResult decoder={decoder} laws={laws} known />
    </>
  );
}

type LawsResource = ReturnType<typeof useLaws>['laws'];

/** The decoder's and the laws' state: an error, the first computation, or the result (dimmed while a new one runs). */
function LawsResult(props: { decoder: ReturnType<ReturnType<typeof useRun>['useDecoder']>; laws: LawsResource; known: boolean }) {
  const run = useRun();
  const since = performance.now();
  const error = () => shown(props.decoder.error) ?? shown(props.laws.error);
  const hold = () => run.detail().summary.traits?.lawsHold ?? null;
  return (
    <Show when={error() === undefined} fallback={<ErrorNote error={error()} title="Could not check the group laws" />}>
      <Show when={props.laws.error === undefined && props.laws.latest} fallback={<Loading since={since}>Decoding…</Loading>}>
        {(l) => (
          <Pending loading={props.laws.loading} what="Decoding the laws for the new choice…">
            <Laws result={l().result} where={l().where} known={props.known} hold={hold()} />
          </Pending>
        )}
      </Show>
    </Show>
  );
}

/** The three laws' sides in the notation of the run's group element: a learned z (translations) or a known g. */
const NOTATION = {
  learned: { e: 'D(0, x)', sequential: 'D(z₂, D(z₁, x))', combined: 'D(z₁ + z₂, x)', roundTrip: 'D(−z₁, D(z₁, x))' },
  known: { e: 'D(e, x)', sequential: 'D(g₂, D(g₁, x))', combined: 'D(g₂g₁, x)', roundTrip: 'D(g₁⁻¹, D(g₁, x))' },
};

function Laws(props: { result: GroupLawResult; where: 'webgpu' | 'server'; known: boolean; hold: LawsHold }) {
  const r = () => props.result;
  const n = () => NOTATION[props.known ? 'known' : 'learned'];
  const pairs = createMemo(() => ({
    identity: absDiff(r().identity, r().input),
    composition: absDiff(r().sequential, r().combined),
    inverse: absDiff(r().roundTrip, r().input),
  }));
  // One scale for the three difference maps: the largest difference among them.
  const scaleMax = createMemo(() => {
    let max = 0;
    for (const d of Object.values(pairs())) for (const v of d.pixels) if (Number.isFinite(v) && v > max) max = v;
    return max;
  });
  return (
    <div class="laws-result" data-testid="laws" data-hold={props.hold ?? ''}>
      <p class="muted small" data-testid="laws-caption">
        Computed {props.where === 'webgpu' ? 'in this browser on WebGPU' : 'by the server'}; errors are max |Δpixel| over the image (pixels in [0, 1]). {lawsCaption(props.hold, props.known)}
      </p>
      <DifferenceScale max={scaleMax()} />
      <div class="laws">
        <Law name="identity" title="Identity" equation={`${n().e} = x`} error={r().identityError} hold={props.hold} diff={pairs().identity} scale={scaleMax()} left={[n().e, r().identity]} right={['x', r().input]} />
        <Law
          name="composition"
          title="Composition"
          equation={`${n().sequential} = ${n().combined}`}
          error={r().compositionError}
          hold={props.hold}
          diff={pairs().composition}
          scale={scaleMax()}
          left={[n().sequential, r().sequential]}
          right={[n().combined, r().combined]}
        />
        <Law name="inverse" title="Inverse" equation={`${n().roundTrip} = x`} error={r().inverseError} hold={props.hold} diff={pairs().inverse} scale={scaleMax()} left={[n().roundTrip, r().roundTrip]} right={['x', r().input]} />
      </div>
    </div>
  );
}

/** The colour bar of the difference maps: 0 to the largest difference of the three, on viridis. */
function DifferenceScale(props: { max: number }) {
  return (
    <div class="legend difference-scale" data-testid="difference-scale" data-max={props.max}>
      <span class="legend-title small">|difference|, one scale for the three maps</span>
      <span class="colour-bar-wrap">
        <span class="small mono">0</span>
        <span class="colour-bar" style={{ 'background-image': gradientCss(viridis) }} aria-hidden="true" />
        <span class="small mono">{props.max > 0 ? props.max.toExponential(2) : '0 (the sides are equal)'}</span>
      </span>
    </div>
  );
}

function Law(props: { name: string; title: string; equation: string; error: number; hold: LawsHold; diff: Img; scale: number; left: [string, Img]; right: [string, Img] }) {
  const verdict = () => lawVerdict(props.error, props.hold);
  const shownError = () => (Number.isFinite(props.error) ? props.error.toExponential(2) : `${props.error} (not finite)`);
  // Difference pixels on the shared scale (a zero scale: all equal, drawn dark).
  const scaled = createMemo(() => ({ ...props.diff, pixels: props.diff.pixels.map((v) => (props.scale > 0 && Number.isFinite(v) ? v / props.scale : 0)) }));
  const cell = (caption: JSX.Element, image: Img, label: string) => (
    <figure class="figure">
      <ImageCanvas image={image} size={96} label={label} />
      <figcaption class="mono small">{caption}</figcaption>
    </figure>
  );
  return (
    <article class="law" data-testid={`law-${props.name}`} data-error={props.error} data-verdict={verdict().level}>
      <h3>
        {props.title} <span class="mono muted small">{props.equation}</span>
      </h3>
      <div class="law-images">
        {cell(props.left[0], props.left[1], props.left[0])}
        <span class="law-eq" aria-hidden="true">
          {verdict().sign}
        </span>
        {cell(props.right[0], props.right[1], props.right[0])}
        <figure class="figure">
          <ImageCanvas image={scaled()} size={96} colour={viridis} label={`difference, on the shared scale 0 to ${props.scale.toExponential(2)}`} />
          <figcaption class="small">|difference|</figcaption>
        </figure>
      </div>
      <p classList={{ ok: verdict().ok, warn: !verdict().ok }} data-testid={`law-${props.name}-verdict`}>
        max error <strong data-testid={`law-${props.name}-error`}>{shownError()}</strong> — {verdict().text}
      </p>
    </article>
  );
}
