// The control for an element g of a run's known group: the one place in the viewer that knows the
// kinds of group, as a map from kind to component — an angle slider for SO(2), the n elements of
// C_n as buttons, an arcball for SO(3). A kind without an entry (one registered since) gets its
// element's numbers as fields, read by the group itself. Everything else about g — reading it from
// a link, writing it, composing, inverting — the views ask the group (packages/model's Group).
import { For, Index, Show, createSignal, type Component, type JSX } from 'solid-js';
import type { Group } from '@maga/model';
import type { Quaternion } from '../lib/arcball.ts';
import { Arcball, AxesGizmo, formatRotation } from './rotation.tsx';

export interface ElementControlProps {
  group: Group;
  /** g: the group's elementSize numbers. */
  value: number[];
  onChange(g: number[]): void;
  /** 'g', 'g₁'… */
  label: string;
  testId?: string;
  /** The 3-D sets' camera (images show camera·g·object), for a control that turns g in view. */
  camera?: Quaternion;
  /** What g acts on, when the control can take it (an arcball turns the decoded image by dragging it). */
  children?: JSX.Element;
}

const SUPERSCRIPTS = '⁰¹²³⁴⁵⁶⁷⁸⁹';
const superscript = (n: number) => String(n).replace(/[0-9]/g, (d) => SUPERSCRIPTS[Number(d)]);
const short = (group: Group, g: number[]) => group.formatElement(g).split(' (')[0];

/** SO(2): an angle slider in whole degrees (g in radians). */
const AngleControl: Component<ElementControlProps> = (props) => (
  <div class="element-control-block">
    <label class="element-control">
      <span>{props.label}</span>{' '}
      <input
        type="range"
        min={0}
        max={359}
        step={1}
        value={Math.round((((props.value[0] * 180) / Math.PI) % 360 + 360) % 360)}
        data-testid={props.testId ?? 'element-angle'}
        aria-label={`${props.label} (degrees)`}
        onInput={(e) => props.onChange([(Number(e.currentTarget.value) * Math.PI) / 180])}
      />{' '}
      <span class="mono">{props.group.formatElement(props.value)}</span>
    </label>
    {props.children}
  </div>
);

/** C_n: one button per element j = 0 … n − 1. */
const StepControl: Component<ElementControlProps> = (props) => (
  <div class="element-control-block">
    <div class="element-control">
      <span>{props.label}</span>{' '}
      <div class="segmented" role="group" aria-label={props.label} data-testid={props.testId ?? 'element-buttons'}>
        <For each={Array.from({ length: props.group.order }, (_, j) => j)}>
          {(j) => (
            <button type="button" aria-pressed={props.value[0] === j} title={props.group.formatElement([j])} onClick={() => props.onChange([j])}>
              {j === 0 ? 'e' : `g${j === 1 ? '' : superscript(j)}`}
            </button>
          )}
        </For>
      </div>{' '}
      <span class="mono small">{props.group.formatElement(props.value)}</span>
    </div>
    {props.children}
  </div>
);

/** SO(3): an arcball over what g acts on (the decoded image), or over a picture of the turned axes. */
const RotationControl: Component<ElementControlProps> = (props) => {
  const q = () => props.value as unknown as Quaternion;
  return (
    <div class="element-control rotation-control">
      <span>{props.label}</span>
      <Arcball value={q()} onChange={(g) => props.onChange([...g])} camera={props.camera} label={props.label} testId={props.testId}>
        {props.children ?? <AxesGizmo value={q()} camera={props.camera} size={88} />}
      </Arcball>
      <span class="mono small" data-testid={props.children ? 'rotation-text' : undefined}>
        {formatRotation(q())}
      </span>
    </div>
  );
};

/** Any other group: its element's numbers, taken when the group accepts them. */
const NumbersControl: Component<ElementControlProps> = (props) => {
  const [problem, setProblem] = createSignal('');
  const [draft, setDraft] = createSignal<string[]>(props.value.map(String));
  const commit = () => {
    try {
      props.onChange(props.group.parseElement(props.group.elementSize === 1 ? Number(draft()[0]) : draft().map(Number), props.label));
      setProblem('');
    } catch (e) {
      setProblem(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <div class="element-control-block">
      <div class="element-control" data-testid={props.testId ?? 'element-numbers'}>
        <span>{props.label}</span>
        <Index each={draft()}>
          {(v, i) => (
            <input type="text" inputMode="decimal" size={8} value={v()} aria-label={`${props.label}[${i}]`} onChange={(e) => (setDraft((d) => d.map((x, k) => (k === i ? e.currentTarget.value : x))), commit())} />
          )}
        </Index>
        <span class="mono small">{short(props.group, props.value)}</span>
      </div>
      <Show when={problem()}>
        <p class="error-text small">{problem()}</p>
      </Show>
      {props.children}
    </div>
  );
};

/** A control per kind of group; the kinds not here get NumbersControl. */
const CONTROLS: Record<string, Component<ElementControlProps>> = { so2: AngleControl, cyclic: StepControl, so3: RotationControl };

/** The control for an element of `props.group`. */
export function ElementControl(props: ElementControlProps) {
  // A panel's group never changes (a run's page is made anew for another run).
  const Control = CONTROLS[props.group.kind] ?? NumbersControl;
  return <Control {...props} />;
}

/** An element in words, short: 'θ = 90°', 'j = 2', '90°'. */
export const shortElement = short;
