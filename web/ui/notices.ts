/**
 * Messages in the corner of the page, wherever it is scrolled: errors (a
 * file that is not what it should be, a wasm file that did not load),
 * warnings and notes. Each has a close button; notes and warnings also go
 * by themselves after a few seconds (errors stay); a message with a `key` replaces the earlier one of
 * that key. The cards show their own errors in place as well.
 */
import { byId, el } from './dom.js';

export type NoticeKind = 'error' | 'warning' | 'info';

export function showNotice(kind: NoticeKind, text: string, key?: string): void {
  const area = byId('notices', HTMLDivElement);
  if (key !== undefined) clearNotice(key);
  const close = el('button', { type: 'button', 'aria-label': 'Dismiss' }, '×');
  const notice = el(
    'div',
    { class: 'notice', role: kind === 'error' ? 'alert' : 'status', 'data-kind': kind, 'data-testid': 'notice', 'data-key': key },
    el('p', {}, text),
    close,
  );
  close.addEventListener('click', () => notice.remove());
  area.append(notice);
  if (kind !== 'error') setTimeout(() => notice.remove(), kind === 'info' ? 6000 : 15000);
}

export function clearNotice(key: string): void {
  for (const notice of byId('notices', HTMLDivElement).querySelectorAll<HTMLElement>('.notice')) {
    if (notice.dataset.key === key) notice.remove();
  }
}
