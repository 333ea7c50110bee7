// The scatter on a 2-D canvas, for browsers without WebGL: points projected with perspective and
// painted back to front; drag to rotate, wheel to zoom, nearest point under the pointer on hover.
import { DEFAULT_VIEW, dragView, pick, project, zoomView, type Projected, type View } from '../../lib/projection.ts';
import type { EngineCallbacks, ScatterData, ScatterEngine } from './engine.ts';

const RADIUS = 2.6;

export function canvasEngine(canvas: HTMLCanvasElement, callbacks: EngineCallbacks): ScatterEngine {
  const context = canvas.getContext('2d');
  if (!context) throw new Error('no 2-D canvas context');
  let data: ScatterData = { positions: new Float32Array(0), colours: new Float32Array(0) };
  let view: View = { ...DEFAULT_VIEW };
  let size = { width: 300, height: 300, ratio: 1 };
  let projected: Projected | null = null;
  let fills: string[] = [];

  let frame = 0;
  const render = () => {
    frame = 0;
    const { width, height, ratio } = size;
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, width, height);
    projected = project(data.positions, view, width, height);
    for (const i of projected.order) {
      context.beginPath();
      context.arc(projected.x[i], projected.y[i], RADIUS * projected.size[i], 0, 2 * Math.PI);
      context.fillStyle = fills[i];
      context.fill();
    }
    callbacks.onRender();
  };
  const requestRender = () => {
    if (!frame) frame = requestAnimationFrame(render);
  };

  let drag: { x: number; y: number; id: number } | null = null;
  const onDown = (e: PointerEvent) => {
    drag = { x: e.clientX, y: e.clientY, id: e.pointerId };
    canvas.setPointerCapture(e.pointerId);
  };
  const onMove = (e: PointerEvent) => {
    const rect = canvas.getBoundingClientRect();
    if (drag && drag.id === e.pointerId) {
      view = dragView(view, e.clientX - drag.x, e.clientY - drag.y);
      drag = { ...drag, x: e.clientX, y: e.clientY };
      requestRender();
      return;
    }
    const [x, y] = [e.clientX - rect.left, e.clientY - rect.top];
    callbacks.onHover(projected ? pick(projected, x, y, 6) : null, x, y);
  };
  const onUp = (e: PointerEvent) => {
    if (drag?.id === e.pointerId) drag = null;
  };
  const onWheel = (e: WheelEvent) => {
    e.preventDefault();
    view = zoomView(view, Math.exp(-e.deltaY * 0.001));
    requestRender();
  };
  const onLeave = () => callbacks.onHover(null, 0, 0);
  canvas.addEventListener('pointerdown', onDown);
  canvas.addEventListener('pointermove', onMove);
  canvas.addEventListener('pointerup', onUp);
  canvas.addEventListener('pointercancel', onUp);
  canvas.addEventListener('pointerleave', onLeave);
  canvas.addEventListener('wheel', onWheel, { passive: false });

  return {
    kind: 'canvas',
    setData(next) {
      data = next;
      fills = Array.from({ length: next.colours.length / 3 }, (_, i) => {
        const [r, g, b] = [0, 1, 2].map((k) => Math.round(next.colours[i * 3 + k] * 255));
        return `rgb(${r}, ${g}, ${b})`;
      });
      requestRender();
    },
    rotate(yaw, pitch) {
      view = dragView(view, yaw, pitch, 1);
      requestRender();
    },
    zoom(factor) {
      view = zoomView(view, factor);
      requestRender();
    },
    reset() {
      view = { ...DEFAULT_VIEW };
      requestRender();
    },
    resize(width, height) {
      const ratio = Math.min(2, window.devicePixelRatio || 1);
      size = { width, height, ratio };
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
      requestRender();
    },
    dispose() {
      if (frame) cancelAnimationFrame(frame);
      canvas.removeEventListener('pointerdown', onDown);
      canvas.removeEventListener('pointermove', onMove);
      canvas.removeEventListener('pointerup', onUp);
      canvas.removeEventListener('pointercancel', onUp);
      canvas.removeEventListener('pointerleave', onLeave);
      canvas.removeEventListener('wheel', onWheel);
    },
  };
}
