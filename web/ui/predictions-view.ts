/** The top-5 list: each class with its probability as a bar. */
import type { Prediction } from '../protocol.js';
import { el } from './dom.js';
import { formatPercent } from './format.js';

export function renderPredictions(list: HTMLOListElement, predictions: readonly Prediction[], trueLabel: string | null): void {
  list.replaceChildren(
    ...predictions.map((p, rank) => {
      const fill = el('div', { class: 'fill' });
      const item = el(
        'li',
        {
          class: `prediction${trueLabel !== null && p.label === trueLabel ? ' correct' : ''}`,
          'data-testid': 'prediction',
          'data-rank': rank + 1,
          'data-label': p.label,
          'data-prob': p.prob.toFixed(6),
          title: `class ${p.index}: ${p.label}`,
        },
        el('span', { class: 'label' }, p.label),
        el('span', { class: 'pct' }, formatPercent(p.prob)),
        el('div', { class: 'track' }, fill),
      );
      // Set after insertion so the bar grows (CSS transition).
      requestAnimationFrame(() => {
        fill.style.width = `${Math.max(0.5, 100 * p.prob)}%`;
      });
      return item;
    }),
  );
}

export function renderPredictionsPlaceholder(list: HTMLOListElement, text: string): void {
  list.replaceChildren(el('li', { class: 'placeholder' }, text));
}

export function renderPredictionsFailure(list: HTMLOListElement, text: string): void {
  list.replaceChildren(el('li', { class: 'failure', 'data-testid': 'classify-error' }, text));
}
