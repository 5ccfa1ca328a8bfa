/** The feature maps of each conv layer, one captioned canvas per layer. */
import type { FeatureMapLayer } from '../protocol.js';
import { el } from './dom.js';
import { drawPicture } from './pictures.js';

/** The next frame (the browser draws between two of these). */
function nextFrame(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => resolve()));
}

/**
 * Lays out one card per layer at once, then hands each card its picture in a
 * frame of its own, resolving when all are shown. The frame that first shows
 * a bitmap copies it for the compositor on the page's thread (about 0.1 µs a
 * pixel on the 2-core test machine): the five pictures together made one
 * 60-80 ms task, one at a time at most ~25 ms. `stale()` says a newer call
 * took over: the rest are dropped.
 */
export async function renderFeatureMaps(container: HTMLElement, layers: readonly FeatureMapLayer[], stale: () => boolean = () => false): Promise<void> {
  const cards = layers.map((layer) => {
    const { width, height } = layer.picture;
    const canvas = el('canvas', { 'data-layer': layer.name, 'aria-label': `${layer.label} feature maps`, width: String(width), height: String(height) });
    const [c, h, w] = layer.shape;
    const figure = el(
      'figure',
      // A button (role, tab stop, expanded state) that enlarges the card: inside-panel.ts handles click, Enter and Space.
      { class: 'layer', 'data-testid': 'feature-map-layer', 'data-layer': layer.name, tabindex: '0', role: 'button', 'aria-expanded': 'false' },
      el('figcaption', {}, el('strong', {}, layer.label), el('span', { title: `the output of ${layer.name}` }, `${c} maps · ${h}×${w}`)),
      canvas,
    );
    return { figure, canvas, picture: layer.picture };
  });
  container.replaceChildren(...cards.map((card) => card.figure));
  for (const { canvas, picture } of cards) {
    await nextFrame();
    if (stale()) {
      picture.bitmap.close();
      continue;
    }
    drawPicture(canvas, picture);
  }
}
