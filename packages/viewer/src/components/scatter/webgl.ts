// The scatter on WebGL with three.js: round sprites coloured per vertex, orbit controls (drag to
// rotate, wheel or pinch to zoom, right-drag to pan), hover by ray casting. Frames are drawn on
// demand, not in a loop, which matters on software renderers.
import * as THREE from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import type { EngineCallbacks, ScatterEngine } from './engine.ts';

const HOME = new THREE.Vector3(2.2, 1.2, 2.2);

function roundSprite(): THREE.Texture {
  const size = 64;
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = size;
  const context = canvas.getContext('2d')!;
  context.beginPath();
  context.arc(size / 2, size / 2, size / 2 - 2, 0, 2 * Math.PI);
  context.fillStyle = '#fff';
  context.fill();
  const texture = new THREE.CanvasTexture(canvas);
  texture.colorSpace = THREE.SRGBColorSpace;
  return texture;
}

export function webglEngine(canvas: HTMLCanvasElement, callbacks: EngineCallbacks): ScatterEngine {
  const renderer = new THREE.WebGLRenderer({ canvas, antialias: true, alpha: true });
  renderer.setPixelRatio(Math.min(2, window.devicePixelRatio || 1));
  // Vertex colours are already sRGB (the legend's CSS colours): pass them through unconverted.
  renderer.outputColorSpace = THREE.LinearSRGBColorSpace;
  const scene = new THREE.Scene();
  const camera = new THREE.PerspectiveCamera(45, 1, 0.01, 100);
  camera.position.copy(HOME);
  const controls = new OrbitControls(camera, canvas);
  controls.enableDamping = false;
  controls.minDistance = 0.3;
  controls.maxDistance = 12;
  const sprite = roundSprite();
  const material = new THREE.PointsMaterial({ size: 0.07, vertexColors: true, map: sprite, alphaTest: 0.5, sizeAttenuation: true });
  const geometry = new THREE.BufferGeometry();
  const points = new THREE.Points(geometry, material);
  scene.add(points);
  // Faint axes for orientation while rotating.
  const axes = new THREE.AxesHelper(1.1);
  (axes.material as THREE.LineBasicMaterial).transparent = true;
  (axes.material as THREE.LineBasicMaterial).opacity = 0.35;
  scene.add(axes);

  let frame = 0;
  const render = () => {
    frame = 0;
    renderer.render(scene, camera);
    callbacks.onRender();
  };
  const requestRender = () => {
    if (!frame) frame = requestAnimationFrame(render);
  };
  controls.addEventListener('change', requestRender);

  const raycaster = new THREE.Raycaster();
  raycaster.params.Points = { threshold: 0.035 };
  const pointer = new THREE.Vector2();
  let hoverFrame = 0;
  const onMove = (e: PointerEvent) => {
    const rect = canvas.getBoundingClientRect();
    const [x, y] = [e.clientX - rect.left, e.clientY - rect.top];
    if (hoverFrame) cancelAnimationFrame(hoverFrame);
    hoverFrame = requestAnimationFrame(() => {
      hoverFrame = 0;
      pointer.set((x / rect.width) * 2 - 1, -(y / rect.height) * 2 + 1);
      raycaster.setFromCamera(pointer, camera);
      const hit = raycaster.intersectObject(points, false)[0];
      callbacks.onHover(hit?.index ?? null, x, y);
    });
  };
  const onLeave = () => callbacks.onHover(null, 0, 0);
  canvas.addEventListener('pointermove', onMove);
  canvas.addEventListener('pointerleave', onLeave);

  return {
    kind: 'webgl',
    setData(data) {
      geometry.setAttribute('position', new THREE.BufferAttribute(data.positions, 3));
      geometry.setAttribute('color', new THREE.BufferAttribute(data.colours, 3));
      geometry.computeBoundingSphere();
      requestRender();
    },
    rotate(yaw, pitch) {
      const offset = camera.position.clone().sub(controls.target);
      const spherical = new THREE.Spherical().setFromVector3(offset);
      spherical.theta += yaw;
      spherical.phi = Math.min(Math.PI - 0.05, Math.max(0.05, spherical.phi + pitch));
      camera.position.copy(controls.target).add(new THREE.Vector3().setFromSpherical(spherical));
      controls.update();
      requestRender();
    },
    zoom(factor) {
      const offset = camera.position.clone().sub(controls.target).divideScalar(factor);
      const length = Math.min(controls.maxDistance, Math.max(controls.minDistance, offset.length()));
      camera.position.copy(controls.target).add(offset.setLength(length));
      controls.update();
      requestRender();
    },
    reset() {
      controls.target.set(0, 0, 0);
      camera.position.copy(HOME);
      controls.update();
      requestRender();
    },
    resize(width, height) {
      renderer.setSize(width, height, false);
      camera.aspect = width / Math.max(1, height);
      camera.updateProjectionMatrix();
      requestRender();
    },
    dispose() {
      if (frame) cancelAnimationFrame(frame);
      if (hoverFrame) cancelAnimationFrame(hoverFrame);
      canvas.removeEventListener('pointermove', onMove);
      canvas.removeEventListener('pointerleave', onLeave);
      controls.dispose();
      geometry.dispose();
      material.dispose();
      sprite.dispose();
      renderer.dispose();
    },
  };
}
