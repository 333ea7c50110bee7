// Images on screen: decoded tensors drawn into a canvas (scaled up without smoothing), and dataset
// images by index through the API's PNG route.
import { createEffect, on, splitProps, type JSX } from 'solid-js';
import { useApi } from '../context.tsx';
import { toRgba, type Img } from '../lib/images.ts';
import type { Rgb } from '../lib/colors.ts';

export function ImageCanvas(props: {
  image: Img | undefined;
  label: string;
  size?: number;
  colour?: (value: number) => Rgb;
  /** Called once the image is on the canvas and painted (the next animation frame). */
  onDrawn?: (image: Img) => void;
  class?: string;
  /** Fill the width it is given, up to `size` pixels, square (e.g. a grid's cells). */
  fluid?: boolean;
}) {
  let canvas!: HTMLCanvasElement;
  createEffect(
    on(
      () => [props.image, props.colour] as const,
      ([image, colour]) => {
        if (!image) return;
        if (canvas.width !== image.width || canvas.height !== image.height) {
          canvas.width = image.width;
          canvas.height = image.height;
        }
        const context = canvas.getContext('2d');
        if (!context) return;
        context.putImageData(new ImageData(toRgba(image, colour), image.width, image.height), 0, 0);
        const onDrawn = props.onDrawn;
        if (onDrawn) requestAnimationFrame(() => onDrawn(image));
      },
    ),
  );
  return (
    <canvas
      ref={canvas}
      class={`pixels ${props.class ?? ''}`}
      classList={{ empty: !props.image }}
      width={64}
      height={64}
      role="img"
      aria-label={props.label}
      style={props.fluid ? { width: '100%', 'max-width': `${props.size ?? 128}px`, height: 'auto', 'aspect-ratio': '1' } : { width: `${props.size ?? 128}px`, height: `${props.size ?? 128}px` }}
    />
  );
}

export function DatasetImage(props: { index: number; label?: string; size?: number } & Omit<JSX.ImgHTMLAttributes<HTMLImageElement>, 'src'>) {
  const api = useApi();
  const [own, rest] = splitProps(props, ['index', 'label', 'size']);
  return (
    <img
      {...rest}
      class={`pixels ${rest.class ?? ''}`}
      src={api.imagePngUrl(own.index)}
      alt={own.label ?? `dataset image ${own.index}`}
      width={own.size ?? 128}
      height={own.size ?? 128}
      draggable={false}
    />
  );
}

/** A captioned figure. */
export function Figure(props: { caption: JSX.Element; children: JSX.Element; class?: string }) {
  return (
    <figure class={`figure ${props.class ?? ''}`}>
      {props.children}
      <figcaption>{props.caption}</figcaption>
    </figure>
  );
}
