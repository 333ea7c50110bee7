// What the 3-D scatter needs from a renderer, so that three.js (WebGL) and the canvas-2D fallback
// are interchangeable.

export interface ScatterData {
  /** Normalised positions, [x, y, z] per point, within the unit ball. */
  positions: Float32Array;
  /** RGB in [0, 1] per point. */
  colours: Float32Array;
}

export interface ScatterEngine {
  readonly kind: 'webgl' | 'canvas';
  setData(data: ScatterData): void;
  /** Orbit by angles (radians) about the vertical and horizontal axes. */
  rotate(yaw: number, pitch: number): void;
  zoom(factor: number): void;
  reset(): void;
  resize(width: number, height: number): void;
  dispose(): void;
}

export interface EngineCallbacks {
  /** The point under the pointer, or null; with the pointer's position in the canvas (CSS pixels). */
  onHover(index: number | null, x: number, y: number): void;
  /** After each frame is drawn. */
  onRender(): void;
}

/** Whether this browser can make a WebGL 2 context (three.js needs it). */
export function hasWebGl2(): boolean {
  try {
    const canvas = document.createElement('canvas');
    const gl = canvas.getContext('webgl2');
    gl?.getExtension('WEBGL_lose_context')?.loseContext();
    return !!gl;
  } catch {
    return false;
  }
}
