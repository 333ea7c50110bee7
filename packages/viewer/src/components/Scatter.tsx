// A rotatable, zoomable 3-D scatter of points: three.js on WebGL when the browser has it (loaded
// on demand), else a canvas-2D projection. Buttons rotate and zoom too, so the keyboard can.
import { Show, createEffect, createSignal, onCleanup, onMount, type JSX } from 'solid-js';
import { hasWebGl2, type ScatterData, type ScatterEngine } from './scatter/engine.ts';
import { canvasEngine } from './scatter/canvas2d.ts';
import { messageOf } from './status.tsx';

export type RendererChoice = 'auto' | 'webgl' | 'canvas';

/** Starts loading three.js (a large chunk) early, e.g. while the points are still being computed. */
export function preloadWebgl(): void {
  if (hasWebGl2()) void import('./scatter/webgl.ts').catch(() => {});
}

export function Scatter(props: {
  data: ScatterData;
  label: string;
  renderer?: RendererChoice;
  onHover?: (index: number | null, x: number, y: number) => void;
  /** Once, after the first frame with data is drawn: which renderer drew it. */
  onFirstRender?: (kind: 'webgl' | 'canvas') => void;
  children?: JSX.Element;
}) {
  let canvas!: HTMLCanvasElement;
  let box!: HTMLDivElement;
  const [engine, setEngine] = createSignal<ScatterEngine | null>(null);
  const [failure, setFailure] = createSignal<string>('');
  let disposed = false;
  let firstDone = false;
  let observer: ResizeObserver | null = null;

  onMount(async () => {
    const callbacks = {
      onHover: (i: number | null, x: number, y: number) => props.onHover?.(i, x, y),
      onRender: () => {
        const e = engine();
        if (!firstDone && e && props.data.positions.length > 0) {
          firstDone = true;
          props.onFirstRender?.(e.kind);
        }
      },
    };
    const choice = props.renderer ?? 'auto';
    let made: ScatterEngine | null = null;
    if (choice !== 'canvas' && hasWebGl2()) {
      try {
        const { webglEngine } = await import('./scatter/webgl.ts');
        if (disposed) return;
        made = webglEngine(canvas, callbacks);
      } catch (e) {
        setFailure(`WebGL failed (${messageOf(e)}); drawing on a 2-D canvas`);
      }
    } else if (choice === 'webgl') setFailure('this browser has no WebGL 2; drawing on a 2-D canvas');
    if (!made) {
      if (failure().startsWith('WebGL failed')) {
        // A canvas that held a WebGL context cannot give a 2-D one: start from a fresh element.
        const fresh = canvas.cloneNode() as HTMLCanvasElement;
        fresh.addEventListener('keydown', onKey);
        canvas.replaceWith(fresh);
        canvas = fresh;
      }
      made = canvasEngine(canvas, callbacks);
    }
    if (disposed) return made.dispose();
    observer = new ResizeObserver(() => made!.resize(box.clientWidth, box.clientHeight));
    observer.observe(box);
    made.resize(box.clientWidth, box.clientHeight);
    setEngine(made);
  });
  onCleanup(() => {
    disposed = true;
    observer?.disconnect();
    engine()?.dispose();
  });
  createEffect(() => engine()?.setData(props.data));

  const onKey = (e: KeyboardEvent) => {
    const e3 = engine();
    if (!e3) return;
    const step = 0.15;
    const actions: Record<string, () => void> = {
      ArrowLeft: () => e3.rotate(-step, 0),
      ArrowRight: () => e3.rotate(step, 0),
      ArrowUp: () => e3.rotate(0, -step),
      ArrowDown: () => e3.rotate(0, step),
      '+': () => e3.zoom(1.2),
      '=': () => e3.zoom(1.2),
      '-': () => e3.zoom(1 / 1.2),
      '0': () => e3.reset(),
    };
    const action = actions[e.key];
    if (action) {
      e.preventDefault();
      action();
    }
  };
  return (
    <div class="scatter" data-renderer={engine()?.kind ?? ''}>
      <div class="scatter-box" ref={box}>
        <canvas ref={canvas} tabindex="0" role="img" aria-label={`${props.label}. Drag to rotate, wheel to zoom; arrow keys rotate, + and − zoom, 0 resets.`} onKeyDown={onKey} />
        {props.children}
      </div>
      <div class="scatter-tools" role="group" aria-label="view">
        <button type="button" onClick={() => engine()?.rotate(-0.3, 0)} aria-label="rotate left">
          ⟲
        </button>
        <button type="button" onClick={() => engine()?.rotate(0.3, 0)} aria-label="rotate right">
          ⟳
        </button>
        <button type="button" onClick={() => engine()?.zoom(1.25)} aria-label="zoom in">
          +
        </button>
        <button type="button" onClick={() => engine()?.zoom(0.8)} aria-label="zoom out">
          −
        </button>
        <button type="button" onClick={() => engine()?.reset()}>
          reset
        </button>
        <span class="muted small">{engine()?.kind === 'webgl' ? 'WebGL' : engine() ? '2-D canvas' : ''}</span>
      </div>
      <Show when={failure()}>
        <p class="muted small">{failure()}</p>
      </Show>
    </div>
  );
}
