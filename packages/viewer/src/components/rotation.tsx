// The control for a rotation in space (an element of SO(3), a unit quaternion): an arcball over
// whatever it wraps (the decoded image itself, or a gizmo of the rotated axes) — drag to turn, the
// arrow keys turn by 15° about the screen's axes, Home or the reset button returns to e. The
// arcball's math is lib/arcball.ts; drags happen in the view's frame and are handed out in the
// object's frame (g = C⁻¹·S·C for a camera tilted by C), so the object follows the pointer.
import { For, type JSX } from 'solid-js';
import { ArcballDrag, IDENTITY, fromAxisAngle, multiply, objectToView, pointerCoordinates, rotate, toAxisAngle, viewToObject, type Quaternion } from '../lib/arcball.ts';

/** A rotation in words: its angle and axis, e.g. "90° about (0.00, 1.00, 0.00)". */
export function formatRotation(q: Quaternion): string {
  const { axis, angle } = toAxisAngle(q);
  const degrees = Math.round((angle * 180) / Math.PI);
  if (degrees === 0) return 'e (no rotation)';
  return `${degrees}° about (${axis.map((v) => (Math.abs(v) < 5e-3 ? 0 : v).toFixed(2)).join(', ')})`;
}

const STEP = (15 * Math.PI) / 180;
/** Arrow keys: a turn about the screen's vertical (left, right) or horizontal (up, down) axis. */
const KEY_TURNS: Record<string, [number, number, number]> = { ArrowRight: [0, 1, 0], ArrowLeft: [0, -1, 0], ArrowUp: [-1, 0, 0], ArrowDown: [1, 0, 0] };

export function Arcball(props: {
  /** The rotation g the model takes (object frame). */
  value: Quaternion;
  onChange: (g: Quaternion) => void;
  /** The camera's tilt (images show C·g·object); identity when absent. */
  camera?: Quaternion;
  label: string;
  testId?: string;
  children: JSX.Element;
}) {
  let drag: ArcballDrag | null = null;
  let surface!: HTMLDivElement;
  const at = (e: PointerEvent) => pointerCoordinates(e.clientX, e.clientY, surface.getBoundingClientRect());
  const onPointerDown = (e: PointerEvent) => {
    if (e.button !== 0) return;
    e.preventDefault();
    surface.setPointerCapture(e.pointerId);
    surface.focus();
    drag = new ArcballDrag(objectToView(props.value, props.camera), ...at(e));
  };
  const onPointerMove = (e: PointerEvent) => {
    if (!drag) return;
    props.onChange(viewToObject(drag.at(...at(e)), props.camera));
  };
  const onPointerUp = (e: PointerEvent) => {
    if (!drag) return;
    props.onChange(viewToObject(drag.at(...at(e)), props.camera));
    drag = null;
    if (surface.hasPointerCapture(e.pointerId)) surface.releasePointerCapture(e.pointerId);
  };
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Home') {
      e.preventDefault();
      props.onChange(IDENTITY);
      return;
    }
    const axis = KEY_TURNS[e.key];
    if (!axis) return;
    e.preventDefault();
    const turned = multiply(fromAxisAngle(axis, STEP), objectToView(props.value, props.camera));
    props.onChange(viewToObject(turned, props.camera));
  };
  return (
    <div
      ref={surface}
      class="arcball"
      role="slider"
      tabindex={0}
      aria-label={`${props.label}: drag to rotate, arrow keys turn by 15°, Home resets`}
      aria-valuetext={formatRotation(props.value)}
      data-testid={props.testId ?? 'arcball'}
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={onPointerUp}
      onPointerCancel={() => (drag = null)}
      onKeyDown={onKeyDown}
    >
      {props.children}
    </div>
  );
}

const AXES = [
  { v: [1, 0, 0] as const, name: 'x', colour: '#d33' },
  { v: [0, 1, 0] as const, name: 'y', colour: '#2a2' },
  { v: [0, 0, 1] as const, name: 'z', colour: '#36c' },
];

/** The object's axes turned by g and seen through the camera: a picture of a rotation, to drag. */
export function AxesGizmo(props: { value: Quaternion; camera?: Quaternion; size?: number }) {
  const size = () => props.size ?? 96;
  const seen = () => {
    const view = multiply(props.camera ?? IDENTITY, props.value);
    // Farthest first, so the nearer axes are drawn over it.
    return AXES.map((a) => ({ ...a, p: rotate(view, a.v) })).sort((a, b) => a.p[2] - b.p[2]);
  };
  return (
    <svg class="gizmo" width={size()} height={size()} viewBox="-1.2 -1.2 2.4 2.4" aria-hidden="true">
      <circle cx="0" cy="0" r="1" fill="none" stroke="currentColor" stroke-opacity="0.25" stroke-width="0.02" />
      <For each={seen()}>
        {(a) => (
          <g opacity={a.p[2] < 0 ? 0.45 : 1}>
            <line x1="0" y1="0" x2={a.p[0] * 0.85} y2={-a.p[1] * 0.85} stroke={a.colour} stroke-width="0.07" stroke-linecap="round" />
            <text x={a.p[0] * 1.02} y={-a.p[1] * 1.02 + 0.06} font-size="0.22" fill={a.colour} text-anchor="middle">
              {a.name}
            </text>
          </g>
        )}
      </For>
    </svg>
  );
}
