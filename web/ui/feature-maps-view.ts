/** The feature maps of each conv layer, one captioned canvas per layer. */
import type { FeatureMapLayer } from '../protocol.js';
import { el } from './dom.js';
import { drawPicture } from './pictures.js';

/** Resolves once every layer's picture is on its canvas. */
export async function renderFeatureMaps(container: HTMLElement, layers: readonly FeatureMapLayer[]): Promise<void> {
  const drawn: Promise<void>[] = [];
  container.replaceChildren(
    ...layers.map((layer) => {
      const canvas = el('canvas', { 'data-layer': layer.name, 'aria-label': `${layer.label} feature maps` });
      drawn.push(drawPicture(canvas, layer.picture));
      const [c, h, w] = layer.shape;
      return el(
        'figure',
        { class: 'layer', 'data-testid': 'feature-map-layer', 'data-layer': layer.name },
        el('figcaption', {}, el('strong', {}, layer.label), el('span', { title: `the output of ${layer.name}` }, `${c} maps · ${h}×${w}`)),
        canvas,
      );
    }),
  );
  await Promise.all(drawn);
}
