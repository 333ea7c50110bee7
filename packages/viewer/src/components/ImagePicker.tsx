// Choosing a dataset image: from a grid of sample thumbnails of the run's split (test or train
// part, reshuffled on demand), or by its factor values. Samples load only when the chooser opens.
import type { SplitName } from '@maga/model';
import { For, Show, createSignal, type JSX } from 'solid-js';
import { useApi, useDataset } from '../context.tsx';
import { FACTOR_LABELS, FACTOR_NAMES, describeFactors, factorsOf, formatFactor, type FactorClasses, type FactorName } from '../lib/factors.ts';
import { DatasetImage } from './images.tsx';
import { current } from '../lib/resource.ts';
import { Loading, messageOf } from './status.tsx';
import { PickerFrame, SampleThumbs } from './samples.tsx';

export function ImagePicker(props: { label: string; value: number; onChange: (index: number) => void; split?: SplitName; size?: number; children?: JSX.Element }) {
  const dataset = useDataset();
  const description = () => {
    const grid = current(dataset)?.factors;
    const f = grid && factorsOf(props.value, grid);
    return f ? describeFactors(f) : '';
  };
  return (
    <PickerFrame
      label={props.label}
      value={props.value}
      description={description()}
      image={<DatasetImage index={props.value} size={props.size ?? 96} label={`${props.label}: image ${props.value}, ${description()}`} />}
      chooser={<ImageChooser label={`Choose ${props.label.toLowerCase()}…`} split={props.split} current={props.value} onChoose={props.onChange} />}
    >
      {props.children}
    </PickerFrame>
  );
}

/** A disclosure with sample thumbnails and a factor form; closes after a choice. */
export function ImageChooser(props: { label: string; split?: SplitName; current?: number; onChoose: (index: number) => void }) {
  const [open, setOpen] = createSignal(false);
  const [mode, setMode] = createSignal<'samples' | 'factors'>('samples');
  const choose = (index: number) => {
    props.onChoose(index);
    setOpen(false);
  };
  return (
    <details class="chooser" open={open()} onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>{props.label}</summary>
      <Show when={open()}>
        <div class="chooser-panel">
          <div class="segmented" role="group" aria-label="how to choose">
            <button type="button" aria-pressed={mode() === 'samples'} onClick={() => setMode('samples')}>
              Samples
            </button>
            <button type="button" aria-pressed={mode() === 'factors'} onClick={() => setMode('factors')}>
              By factors
            </button>
          </div>
          <Show when={mode() === 'samples'} fallback={<FactorChooser value={props.current ?? 0} onChoose={choose} />}>
            <SampleGrid split={props.split} onChoose={choose} current={props.current} />
          </Show>
        </div>
      </Show>
    </details>
  );
}

function SampleGrid(props: { split?: SplitName; current?: number; onChoose: (index: number) => void }) {
  const api = useApi();
  return (
    <SampleThumbs
      class="samples"
      key={props.split}
      load={(part, seed) => api.samples({ split: props.split, part, seed, count: 24 })}
      describe={(s) => describeFactors(s.factors)}
      heldOut="held out"
      current={props.current}
      onChoose={props.onChoose}
    />
  );
}

function FactorChooser(props: { value: number; onChoose: (index: number) => void }) {
  const api = useApi();
  const dataset = useDataset();
  const initial = (): FactorClasses => {
    const grid = current(dataset)?.factors;
    return (grid && factorsOf(props.value, grid)?.classes) ?? { shape: 0, scale: 0, orientation: 0, posX: 0, posY: 0 };
  };
  const [classes, setClasses] = createSignal<FactorClasses>(initial());
  const [error, setError] = createSignal<string>('');
  const [busy, setBusy] = createSignal(false);
  const apply = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      props.onChoose(await api.indexOf(classes()));
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Show when={current(dataset)} fallback={<Loading>Loading the factor grid…</Loading>}>
      {(info) => (
        <form class="factor-form" onSubmit={apply}>
          <For each={FACTOR_NAMES}>
            {(name: FactorName) => (
              <label>
                <span>{FACTOR_LABELS[name]}</span>
                <select value={classes()[name]} onChange={(e) => setClasses({ ...classes(), [name]: Number(e.currentTarget.value) })}>
                  <For each={info().factors[name] as (string | number)[]}>{(v, i) => <option value={i()}>{formatFactor(name, v)}</option>}</For>
                </select>
              </label>
            )}
          </For>
          <button type="submit" disabled={busy()}>
            {busy() ? 'Finding…' : 'Use this image'}
          </button>
          <Show when={error()}>
            <p class="error-text" role="alert">
              {error()}
            </p>
          </Show>
        </form>
      )}
    </Show>
  );
}
