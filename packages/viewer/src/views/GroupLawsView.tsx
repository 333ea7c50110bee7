// The group laws of MAGANet's decoder, shown and measured: D(0, x) = x (identity),
// D(z₂, D(z₁, x)) = D(z₁ + z₂, x) (composition), D(−z₁, D(z₁, x)) = x (inverse), with z₁ and
// z₂ the transformations from x to two chosen images; for a known-group run the laws of ρ with
// two chosen elements g₁, g₂: D(e, x) = x, D(g₂, D(g₁, x)) = D(g₂g₁, x), D(g₁⁻¹, D(g₁, x)) = x. Each comes with its max pixel error and a
// heat map of where the two sides differ.
import { useSearchParams } from '@solidjs/router';
import { Show, createMemo, createResource, type JSX } from 'solid-js';
import { useDataset } from '../context.tsx';
import type { GroupLawResult } from '../decoding/decoder.ts';
import { viridis } from '../lib/colors.ts';
import { absDiff, maxAbsDiff, type Img } from '../lib/images.ts';
import { DEFAULT_PIVOT, parseIndex } from '../lib/params.ts';
import { ImageCanvas } from '../components/images.tsx';
import { ImagePicker } from '../components/ImagePicker.tsx';
import { ElementControl, PairImagePicker, formatElement, parseElement, usePairDataset, type NumberGroup } from '../components/pairs.tsx';
import { Arcball, AxesGizmo, formatRotation } from '../components/rotation.tsx';
import { canonical, formatQuaternion, fromAxisAngle, multiply, normalise, parseQuaternion, type Quaternion } from '../lib/arcball.ts';
import { ErrorNote, Loading, NotForThisRun } from '../components/status.tsx';
import { runHref } from '../lib/routes.ts';
import { useRun } from './run-context.tsx';

/** Errors below this hold "to float precision" (pixels are in [0, 1]). */
const TOLERANCE = 1e-3;
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
        <Show when={summary().group} keyed fallback={<GroupLaws />}>
          {(group) => (group.kind === 'so3' ? <RotationGroupLaws /> : <PairGroupLaws group={group} />)}
        </Show>
      </Show>
    </main>
  );
}

function GroupLaws() {
  const run = useRun();
  const dataset = useDataset();
  const decoder = run.useDecoder();
  const [search, setSearch] = useSearchParams();
  const split = () => run.detail()?.summary.split ?? undefined;
  const pivot = createMemo(() => parseIndex(search.pivot) ?? dataset()?.fixedPivot ?? DEFAULT_PIVOT);
  const a = createMemo(() => parseIndex(search.a) ?? DEFAULT_A);
  const b = createMemo(() => parseIndex(search.b) ?? DEFAULT_B);
  const since = performance.now();
  const [laws] = createResource(
    () => {
      const d = decoder();
      return d ? { d, pivot: pivot(), a: a(), b: b() } : false;
    },
    async ({ d, pivot, a, b }) => {
      if (!d.groupLaws) throw new Error('this run has no group action');
      const [z1, z2] = await Promise.all([d.code(pivot, a), d.code(pivot, b)]);
      return { result: await d.groupLaws(pivot, z1.z, z2.z), where: d.kind };
    },
  );
  return (
    <>
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
      <Show when={!decoder.error && !laws.error} fallback={<ErrorNote error={decoder.error ?? laws.error} title="Could not check the group laws" />}>
        <Show when={laws.latest} fallback={<Loading since={since}>Decoding…</Loading>}>
          {(l) => <Laws result={l().result} where={l().where} stale={laws.loading} />}
        </Show>
      </Show>
    </>
  );
}

/** The three laws' sides in the notation of the run's group element: a learned z (translations) or a known g. */
const NOTATION = {
  learned: { e: 'D(0, x)', sequential: 'D(z₂, D(z₁, x))', combined: 'D(z₁ + z₂, x)', roundTrip: 'D(−z₁, D(z₁, x))' },
  known: { e: 'D(e, x)', sequential: 'D(g₂, D(g₁, x))', combined: 'D(g₂g₁, x)', roundTrip: 'D(g₁⁻¹, D(g₁, x))' },
};

function Laws(props: { result: GroupLawResult; where: 'webgpu' | 'server'; stale: boolean; known?: boolean }) {
  const r = () => props.result;
  const n = () => NOTATION[props.known ? 'known' : 'learned'];
  return (
    <div classList={{ stale: props.stale }}>
      <p class="muted small">
        Computed {props.where === 'webgpu' ? 'in this browser on WebGPU' : 'by the server'}; errors are max |Δpixel| over the image (pixels in [0, 1]).{' '}
        {props.known
          ? 'ρ obeys the laws exactly on the latent; on images they hold as far as the model reconstructs: D(g₂, D(g₁, x)) re-encodes the decoded image.'
          : "Composition and inverse pass through pixel space: where the flow's logits are large, float32 saturates σ and the laws hold only approximately."}
      </p>
      <div class="laws">
        <Law name="identity" title="Identity" equation={`${n().e} = x`} error={r().identityError} left={[n().e, r().identity]} right={['x', r().input]} />
        <Law
          name="composition"
          title="Composition"
          equation={`${n().sequential} = ${n().combined}`}
          error={r().compositionError}
          left={[n().sequential, r().sequential]}
          right={[n().combined, r().combined]}
        />
        <Law name="inverse" title="Inverse" equation={`${n().roundTrip} = x`} error={r().inverseError} left={[n().roundTrip, r().roundTrip]} right={['x', r().input]} />
      </div>
    </div>
  );
}

/** The laws of ρ for a known-group run: an image x of its data set and two elements g₁, g₂. */
function PairGroupLaws(props: { group: NumberGroup }) {
  const run = useRun();
  const info = usePairDataset();
  const decoder = run.useDecoder();
  const [search, setSearch] = useSearchParams();
  const pivot = createMemo(() => parseIndex(search.x, info()?.count) ?? info()?.fixedPivot);
  const so2 = props.group.kind === 'so2';
  const g1 = createMemo(() => parseElement(search.g1, props.group, so2 ? Math.PI / 3 : 1));
  const g2 = createMemo(() => parseElement(search.g2, props.group, so2 ? Math.PI / 2 : props.group.kind === 'cyclic' ? Math.min(2, props.group.n - 1) : 1));
  const set = (key: 'g1' | 'g2') => (value: number) => setSearch({ [key]: so2 ? value.toFixed(4) : value }, { replace: true });
  const since = performance.now();
  const [laws] = createResource(
    () => {
      const d = decoder();
      const x = pivot();
      return d && x !== undefined ? { d, x, g1: g1(), g2: g2() } : false;
    },
    async ({ d, x, g1, g2 }) => {
      if (!d.groupLaws) throw new Error('this run has no group action');
      return { result: await d.groupLaws(x, [g1], [g2]), where: d.kind };
    },
  );
  return (
    <>
      <section class="pickers" aria-label="image and group elements">
        <Show when={info()} fallback={info.error ? <ErrorNote error={info.error} title="Could not load the run's data set" /> : <Loading since={since}>Loading the data set…</Loading>}>
          {(data) => (
            <PairImagePicker run={run.id()} info={data()} label="Image" value={pivot()!} onChange={(i) => setSearch({ x: i })}>
              <span class="small">x</span>
            </PairImagePicker>
          )}
        </Show>
        <div class="element-pair">
          <ElementControl group={props.group} value={g1()} onChange={set('g1')} label="g₁" testId="element-g1" />
          <ElementControl group={props.group} value={g2()} onChange={set('g2')} label="g₂" testId="element-g2" />
          <p class="muted small mono">g₂g₁: {formatElement(props.group, props.group.kind === 'so2' ? g1() + g2() : (g1() + g2()) % props.group.n)}</p>
        </div>
      </section>
      <Show when={!decoder.error && !laws.error} fallback={<ErrorNote error={decoder.error ?? laws.error} title="Could not check the group laws" />}>
        <Show when={laws.latest} fallback={<Loading since={since}>Decoding…</Loading>}>
          {(l) => <Laws result={l().result} where={l().where} stale={laws.loading} known />}
        </Show>
      </Show>
    </>
  );
}

/** The laws of ρ for an SO(3) run: an image x and two rotations g₁, g₂, each set on its own arcball. */
function RotationGroupLaws() {
  const run = useRun();
  const info = usePairDataset();
  const decoder = run.useDecoder();
  const [search, setSearch] = useSearchParams();
  const pivot = createMemo(() => parseIndex(search.x, info()?.count) ?? info()?.fixedPivot);
  const camera = () => info()?.camera as Quaternion | undefined;
  const text = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
  const g1 = createMemo(() => parseQuaternion(text(search.g1)) ?? canonical(fromAxisAngle([0, 1, 0], Math.PI / 2)));
  const g2 = createMemo(() => parseQuaternion(text(search.g2)) ?? canonical(fromAxisAngle([1, 0, 0], Math.PI / 3)));
  const set = (key: 'g1' | 'g2') => (q: Quaternion) => setSearch({ [key]: formatQuaternion(q, 6) }, { replace: true });
  const since = performance.now();
  const [laws] = createResource(
    () => {
      const d = decoder();
      const x = pivot();
      return d && x !== undefined ? { d, x, g1: g1(), g2: g2() } : false;
    },
    async ({ d, x, g1, g2 }) => {
      if (!d.groupLaws) throw new Error('this run has no group action');
      return { result: await d.groupLaws(x, [...g1], [...g2]), where: d.kind };
    },
  );
  const control = (label: string, value: Quaternion, onChange: (q: Quaternion) => void, testId: string) => (
    <div class="element-control rotation-control">
      <span>{label}</span>
      <Arcball value={value} onChange={onChange} camera={camera()} label={label} testId={testId}>
        <AxesGizmo value={value} camera={camera()} size={88} />
      </Arcball>
      <span class="mono small">{formatRotation(value)}</span>
    </div>
  );
  return (
    <>
      <section class="pickers" aria-label="image and group elements">
        <Show when={info()} fallback={info.error ? <ErrorNote error={info.error} title="Could not load the run's data set" /> : <Loading since={since}>Loading the data set…</Loading>}>
          {(data) => (
            <PairImagePicker run={run.id()} info={data()} label="Image" value={pivot()!} onChange={(i) => setSearch({ x: i })}>
              <span class="small">x</span>
            </PairImagePicker>
          )}
        </Show>
        <div class="element-pair">
          {control('g₁', g1(), set('g1'), 'arcball-g1')}
          {control('g₂', g2(), set('g2'), 'arcball-g2')}
          <p class="muted small mono">g₂g₁: {formatRotation(normalise(multiply(g2(), g1())))}</p>
        </div>
      </section>
      <Show when={!decoder.error && !laws.error} fallback={<ErrorNote error={decoder.error ?? laws.error} title="Could not check the group laws" />}>
        <Show when={laws.latest} fallback={<Loading since={since}>Decoding…</Loading>}>
          {(l) => <Laws result={l().result} where={l().where} stale={laws.loading} known />}
        </Show>
      </Show>
    </>
  );
}

function Law(props: { name: string; title: string; equation: string; error: number; left: [string, Img]; right: [string, Img] }) {
  const holds = () => props.error <= TOLERANCE;
  const shownError = () => (Number.isFinite(props.error) ? props.error.toExponential(2) : `${props.error} (not finite)`);
  const diff = createMemo(() => {
    const d = absDiff(props.left[1], props.right[1]);
    // Scale the heat map to the largest difference so that tiny errors are still visible.
    const measured = Number.isFinite(props.error) ? props.error : maxAbsDiff(props.left[1], props.right[1]);
    const max = Math.max(Number.isFinite(measured) ? measured : 1, 1e-12);
    return { ...d, pixels: d.pixels.map((v) => v / max) };
  });
  const cell = (caption: JSX.Element, image: Img, label: string) => (
    <figure class="figure">
      <ImageCanvas image={image} size={112} label={label} />
      <figcaption class="mono small">{caption}</figcaption>
    </figure>
  );
  return (
    <article class="law" data-testid={`law-${props.name}`} data-error={props.error}>
      <h3>
        {props.title} <span class="mono muted small">{props.equation}</span>
      </h3>
      <div class="law-images">
        {cell(props.left[0], props.left[1], props.left[0])}
        <span class="law-eq" aria-hidden="true">
          {holds() ? '=' : '≠'}
        </span>
        {cell(props.right[0], props.right[1], props.right[0])}
        <figure class="figure">
          <ImageCanvas image={diff()} size={112} colour={viridis} label={`difference, scaled to ${shownError()}`} />
          <figcaption class="small">|difference| (scaled)</figcaption>
        </figure>
      </div>
      <p class={holds() ? 'ok' : 'warn'}>
        max error <strong data-testid={`law-${props.name}-error`}>{shownError()}</strong> — {holds() ? 'holds to float precision' : 'does not hold within 1e-3'}
      </p>
    </article>
  );
}
