// Images on screen: decoded tensors drawn into a canvas (scaled up without smoothing), and dataset
// images by index through the API's PNG route.
import { For, createEffect, on, splitProps, type JSX } from 'solid-js';
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

/**
 * A table of decoded images: a header row (`head`: its cells), then one row per entry of `rows`,
 * led by a header cell (`rowHead(i)`), with one image cell per image, labelled `label(i, j)`.
 */
export function ImageTable(props: {
  class: string;
  testId: string;
  style?: JSX.CSSProperties;
  head: JSX.Element;
  rows: readonly (readonly (Img | undefined)[])[];
  rowHead: (i: number) => JSX.Element;
  rowHeadClass?: string;
  label: (i: number, j: number) => string;
  size: number;
  fluid?: boolean;
}) {
  return (
    <div class="table-wrap">
      <table class={props.class} data-testid={props.testId} style={props.style}>
        <thead>
          <tr>{props.head}</tr>
        </thead>
        <tbody>
          <For each={props.rows}>
            {(row, i) => (
              <tr>
                <th scope="row" class={props.rowHeadClass}>
                  {props.rowHead(i())}
                </th>
                <For each={row}>
                  {(image, j) => (
                    <td>
                      <ImageCanvas image={image} label={props.label(i(), j())} size={props.size} fluid={props.fluid} />
                    </td>
                  )}
                </For>
              </tr>
            )}
          </For>
        </tbody>
      </table>
    </div>
  );
}
