/**
 * Card 3: conv1's filters of the model in use, and the feature maps of each
 * conv layer for the last picture. #filters[data-state] and
 * #feature-maps[data-state] are idle | running | done | error.
 */
import type { Slot } from '../protocol.js';
import { byId } from './dom.js';
import { renderFeatureMaps } from './feature-maps-view.js';
import { formatMs } from './format.js';
import { drawPicture } from './pictures.js';
import type { WorkerClient } from './worker-client.js';

function toggleExpanded(card: Element): void {
  const expanded = card.classList.toggle('expanded');
  card.setAttribute('aria-expanded', String(expanded));
}

export class InsidePanel {
  private readonly filters = byId('filters', HTMLElement);
  private readonly maps = byId('feature-maps', HTMLDivElement);
  private readonly status = byId('maps-status', HTMLParagraphElement);
  /** Answers to older requests are dropped when a newer one was made. */
  private filtersTicket = 0;
  private mapsTicket = 0;

  constructor(private readonly client: WorkerClient) {
    // A click on a card, or Enter or Space on the focused card (each is a role=button), enlarges it to the grid's
    // full width (and back).
    const grid = byId('maps-grid', HTMLDivElement);
    grid.addEventListener('click', (event) => {
      const card = (event.target as Element).closest('.layer');
      if (card !== null) toggleExpanded(card);
    });
    grid.addEventListener('keydown', (event) => {
      if ((event.key !== 'Enter' && event.key !== ' ') || event.repeat) return;
      const card = (event.target as Element).closest('.layer');
      if (card === null || card !== event.target) return;
      event.preventDefault(); // Space would scroll the page
      toggleExpanded(card);
    });
  }

  async showFilters(slot: Slot, note: string): Promise<void> {
    const ticket = ++this.filtersTicket;
    this.filters.dataset.state = 'running';
    try {
      const filters = await this.client.request('filters', { slot });
      if (ticket !== this.filtersTicket) return;
      drawPicture(byId('filters-canvas', HTMLCanvasElement), filters.picture);
      const [kh, kw] = filters.kernel;
      const kind =
        filters.inChannels === 3 ? 'RGB kernels, in colour' : filters.inChannels === 1 ? 'one input channel, in gray' : 'the mean over input channels';
      byId('filters-caption', HTMLElement).textContent =
        `The first layer's kernels (${kind}), each stretched to full contrast: the paper's Figure 3.${note ? ` ${note}` : ''}`;
      byId('filters-shape', HTMLElement).textContent = `${filters.count} kernels · ${kh}×${kw}`;
      byId('filters-shape', HTMLElement).title = filters.name;
      this.filters.dataset.state = 'done';
    } catch (error) {
      if (ticket !== this.filtersTicket) return;
      this.filters.dataset.state = 'error';
      byId('filters-caption', HTMLElement).textContent = `Could not draw them: ${(error as Error).message}`;
    }
  }

  /** Forgets the maps (another model is in use). */
  clearMaps(text = 'Classify a picture to see its feature maps.'): void {
    this.mapsTicket++;
    this.maps.replaceChildren();
    this.maps.dataset.state = 'idle';
    this.status.textContent = text;
  }

  async showMaps(slot: Slot): Promise<void> {
    const ticket = ++this.mapsTicket;
    this.maps.dataset.state = 'running';
    this.status.textContent = 'Computing the feature maps (another forward pass)…';
    const t0 = performance.now();
    try {
      const layers = await this.client.request('featureMaps', { slot });
      if (ticket !== this.mapsTicket) return;
      await renderFeatureMaps(this.maps, layers, () => ticket !== this.mapsTicket);
      if (ticket !== this.mapsTicket) return;
      this.maps.dataset.state = 'done';
      this.status.textContent = `${layers.length} conv layers, ${layers.reduce((n, l) => n + l.shape[0], 0).toLocaleString('en')} maps, in ${formatMs(performance.now() - t0)}.`;
    } catch (error) {
      if (ticket !== this.mapsTicket) return;
      this.maps.dataset.state = 'error';
      this.status.textContent = `Could not compute the feature maps: ${(error as Error).message}`;
    }
  }
}
