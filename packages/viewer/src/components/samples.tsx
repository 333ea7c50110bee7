// Choosing an image, for a dSprites picker (ImagePicker) and a pair run's (pairs.tsx) alike: the
// picker's frame (the image, its label, index and factors, and its chooser), and thumbnails of a
// part's images (test or train, reshuffled on demand) to choose one from, each picker giving how its
// samples load and how an image is described.
import { For, Show, createResource, createSignal, type JSX } from 'solid-js';
import { decodeImage, type Img } from '../lib/images.ts';
import { ImageCanvas } from './images.tsx';
import { ErrorNote, Loading } from './status.tsx';

type Part = 'test' | 'train';

export function SampleThumbs<S extends { index: number; image: Parameters<typeof decodeImage>[0] }>(props: {
  /** What the samples depend on beside the part and the seed (the split, the run): a new key loads anew. */
  key: unknown;
  load(part: Part, seed: number): Promise<S[]>;
  describe(sample: S): string;
  /** The test part in words: 'held out', 'held-out digits'. */
  heldOut: string;
  current?: number;
  onChoose(index: number): void;
  class: string;
}) {
  const [part, setPart] = createSignal<Part>('test');
  const [seed, setSeed] = createSignal(0);
  const [samples] = createResource(
    () => ({ key: props.key, part: part(), seed: seed() }),
    (q): Promise<(S & { decoded: Img })[]> => props.load(q.part, q.seed).then((list) => list.map((s) => ({ ...s, decoded: decodeImage(s.image) }))),
  );
  return (
    <div class={props.class}>
      <div class="row gap">
        <label>
          Part{' '}
          <select value={part()} onChange={(e) => setPart(e.currentTarget.value as Part)}>
            <option value="test">test ({props.heldOut})</option>
            <option value="train">train</option>
          </select>
        </label>
        <button type="button" onClick={() => setSeed((s) => s + 1)}>
          Shuffle
        </button>
      </div>
      <Show when={!samples.error} fallback={<ErrorNote error={samples.error} title="Could not load samples" />}>
        <Show when={samples.latest} fallback={<Loading>Loading samples…</Loading>}>
          <div class="thumbs" classList={{ stale: samples.loading }}>
            <For each={samples.latest}>
              {(s) => (
                <button
                  type="button"
                  class="thumb"
                  classList={{ selected: s.index === props.current }}
                  title={`#${s.index}: ${props.describe(s)}`}
                  aria-label={`image ${s.index}: ${props.describe(s)}`}
                  onClick={() => props.onChoose(s.index)}
                >
                  <ImageCanvas image={s.decoded} label="" size={48} />
                </button>
              )}
            </For>
          </div>
        </Show>
      </Show>
    </div>
  );
}

/** A picker: the chosen image, its label and index, its factors in words, and below them a way to choose another. */
export function PickerFrame(props: { label: string; value: number; description: string; image: JSX.Element; chooser: JSX.Element; children?: JSX.Element }) {
  return (
    <div class="picker" data-testid={`picker-${props.label.toLowerCase().replace(/\W+/g, '-')}`}>
      {props.image}
      <div class="picker-body">
        <div class="picker-title">
          <strong>{props.label}</strong> <span class="muted">#{props.value}</span>
        </div>
        <div class="muted small">{props.description}</div>
        {props.children}
        {props.chooser}
      </div>
    </div>
  );
}
