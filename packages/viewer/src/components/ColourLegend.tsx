// The key to the latent map's colours, by the factor's kind: a swatch per class, a colour wheel
// for an angle (0° at 3 o'clock, counter-clockwise, as the hover card writes angles), a colour bar
// from the lowest to the highest value for other numbers.
import { For, Match, Switch } from 'solid-js';
import { gradientCss, toCss, viridis, wheelCss } from '../lib/colors.ts';
import type { FactorScale } from '../lib/map-factors.ts';

const WHEEL_LABELS = [
  { at: 0, style: { left: '100%', top: '50%', transform: 'translate(4px, -50%)' } },
  { at: 90, style: { left: '50%', top: '0', transform: 'translate(-50%, calc(-100% - 2px))' } },
  { at: 180, style: { left: '0', top: '50%', transform: 'translate(calc(-100% - 4px), -50%)' } },
  { at: 270, style: { left: '50%', top: '100%', transform: 'translate(-50%, 2px)' } },
];

export function ColourLegend(props: { scale: FactorScale }) {
  const factor = () => props.scale.factor;
  return (
    <div class="legend" data-testid="legend" data-kind={factor().kind} aria-label={`colour key: ${factor().label}`}>
      <span class="legend-title">{factor().label}</span>
      <span class="muted small legend-description">{factor().description}</span>
      <Switch>
        <Match when={factor().kind === 'class'}>
          <ul class="swatches">
            <For each={factor().classes ?? []}>
              {(label, i) => (
                <li data-testid="legend-class">
                  <span class="swatch" style={{ background: toCss(props.scale.colour(i())) }} data-colour={toCss(props.scale.colour(i()))} aria-hidden="true" />
                  {label}
                </li>
              )}
            </For>
          </ul>
        </Match>
        <Match when={factor().kind === 'angle'}>
          <span class="wheel-wrap">
            <span class="wheel" style={{ 'background-image': wheelCss() }} data-testid="legend-wheel" role="img" aria-label="colour wheel: 0° at the right, 90° at the top, counter-clockwise">
              <For each={WHEEL_LABELS}>
                {(l) => (
                  <span class="wheel-label small" style={l.style}>
                    {l.at}°
                  </span>
                )}
              </For>
            </span>
          </span>
        </Match>
        <Match when={props.scale.domain}>
          {(domain) => (
            <span class="colour-bar-wrap" data-testid="legend-bar">
              <span class="small">{factor().format(domain()[0])}</span>
              <span class="colour-bar" style={{ 'background-image': gradientCss(viridis) }} aria-hidden="true" />
              <span class="small">{factor().format(domain()[1])}</span>
            </span>
          )}
        </Match>
      </Switch>
    </div>
  );
}
