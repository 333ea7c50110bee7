// The key to the latent map's colours: swatches for shape, a colour bar for the other factors.
import { For, Show } from 'solid-js';
import { gradientCss, toCss, type ColourScale } from '../lib/colors.ts';
import { FACTOR_LABELS, formatFactor } from '../lib/factors.ts';

export function ColourLegend(props: { scale: ColourScale }) {
  return (
    <div class="legend" data-testid="legend" aria-label={`colour key: ${FACTOR_LABELS[props.scale.factor]}`}>
      <span class="legend-title">{FACTOR_LABELS[props.scale.factor]}</span>
      <Show
        when={props.scale.kind === 'categorical' ? props.scale : null}
        fallback={
          <span class="colour-bar-wrap">
            <span class="small">{formatFactor(props.scale.factor, (props.scale as Extract<ColourScale, { domain: unknown }>).domain[0])}</span>
            <span class="colour-bar" style={{ 'background-image': gradientCss(props.scale) }} aria-hidden="true" />
            <span class="small">{formatFactor(props.scale.factor, (props.scale as Extract<ColourScale, { domain: unknown }>).domain[1])}</span>
            <Show when={props.scale.kind === 'cyclic'}>
              <span class="muted small">(cyclic)</span>
            </Show>
          </span>
        }
      >
        {(s) => (
          <ul class="swatches">
            <For each={s().labels}>
              {(label, i) => (
                <li>
                  <span class="swatch" style={{ background: toCss(s().colour(i())) }} aria-hidden="true" />
                  {label}
                </li>
              )}
            </For>
          </ul>
        )}
      </Show>
    </div>
  );
}
