/**
 * The demo page's main thread: starts the model worker (worker.ts), wires
 * the four cards (model, classify, inside the network, training) and the
 * page-wide drop and paste. No model work happens here: the worker does it
 * and sends back numbers and pictures to draw, so the page stays responsive.
 *
 * Readiness for tests: body[data-worker] is starting | ready | error; each
 * card carries its own data-state (see the ui/*-panel.ts files).
 */
import type { BackendInfo, BackendPreference, ModelInfo } from './protocol.js';
import { ClassifyPanel } from './ui/classify-panel.js';
import { byId } from './ui/dom.js';
import { looksLikeWeights } from './ui/image-file.js';
import { InsidePanel } from './ui/inside-panel.js';
import { ModelPanel } from './ui/model-panel.js';
import { showNotice } from './ui/notices.js';
import { TrainingPanel } from './ui/training-panel.js';
import { WorkerClient } from './ui/worker-client.js';

function backendPreference(): BackendPreference {
  return new URLSearchParams(location.search).get('backend') === 'js' ? 'js' : 'auto';
}

function showBackend(info: BackendInfo): void {
  const chip = byId('backend', HTMLElement);
  chip.dataset.backend = info.name;
  chip.dataset.threads = String(info.threads);
  chip.title = info.detail;
  byId('backend-name', HTMLElement).textContent =
    info.name === 'wasm' ? `WebAssembly${info.threaded ? ` · ${info.threads} threads` : ' · 1 thread'}` : 'JavaScript · 1 thread';
}

/** Why threads are off: a page outside a secure context never gets isolation, whatever headers the host sends. */
function isolationOffReason(): string {
  if (!globalThis.isSecureContext)
    return (
      'The page is served over plain HTTP from an address other than localhost, so the browser ignores the COOP/COEP headers ' +
      '(they take effect only over HTTPS or on localhost): no SharedArrayBuffer, so no wasm threads, and the page runs single-threaded.'
    );
  return 'This host does not send the COOP/COEP headers, so SharedArrayBuffer (and with it wasm threads) is unavailable: the page runs single-threaded. `alexnet web` sends them.';
}

function showIsolation(): void {
  const isolated = globalThis.crossOriginIsolated === true;
  const chip = byId('isolation', HTMLElement);
  chip.dataset.isolated = String(isolated);
  chip.dataset.secure = String(globalThis.isSecureContext);
  byId('isolation-text', HTMLElement).textContent = isolated ? 'available' : 'off';
  if (!isolated) chip.title = isolationOffReason();
}

/** Said under conv1's filters. */
function filtersNote(info: ModelInfo): string {
  return info.randomInit ? 'Random weights: noise until trained or loaded.' : '';
}

function main(): void {
  const preference = backendPreference();
  const select = byId('backend-select', HTMLSelectElement);
  select.value = preference;
  select.addEventListener('change', () => {
    const url = new URL(location.href);
    if (select.value === 'js') url.searchParams.set('backend', 'js');
    else url.searchParams.delete('backend');
    location.href = url.href; // a fresh worker with the other kernels (the page starts over)
  });
  showIsolation();

  let training: TrainingPanel | null = null;
  const client = new WorkerClient(
    new URL('./worker.js', import.meta.url),
    (event) => training?.handle(event),
    (message) => fatal(message),
  );
  const inside = new InsidePanel(client);
  let models: ModelPanel | null = null;
  const slot = () => models?.slot ?? 'main';
  const classify = new ClassifyPanel(
    client,
    slot,
    (s) => void inside.showMaps(s),
    () => inside.clearMaps('The picture could not be classified: no feature maps.'),
  );
  const onModelChange = (info: ModelInfo): void => {
    inside.clearMaps();
    void inside.showFilters(info.slot, filtersNote(info));
    classify.modelChanged(info);
  };
  models = new ModelPanel(client, onModelChange);
  const modelPanel = models;
  modelPanel.starting();
  /** The worker died: said in the corner, in the header and in the model card, never a silent page. */
  const fatal = (message: string): void => {
    if (document.body.dataset.worker === 'error') return;
    document.body.dataset.worker = 'error';
    byId('backend-name', HTMLElement).textContent = 'stopped';
    const note = byId('backend-note', HTMLElement);
    note.textContent = message;
    note.classList.add('failure');
    note.hidden = false;
    showNotice('error', message, 'worker');
    modelPanel.dead(message);
  };
  training = new TrainingPanel(
    client,
    (info) => {
      const wasInUse = modelPanel.slot === 'trained';
      modelPanel.setTrained(info);
      if (info !== null && wasInUse) void inside.showFilters('trained', filtersNote(info));
      if (info === null && wasInUse && modelPanel.current !== null) onModelChange(modelPanel.current);
    },
    (action) => {
      if (modelPanel.slot !== 'trained') {
        modelPanel.select('trained', false);
        const info = modelPanel.current;
        if (info !== null) {
          inside.clearMaps();
          void inside.showFilters('trained', filtersNote(info));
          if (action === 'classify') classify.modelChanged(info);
        }
      }
      if (action === 'sample') void classify.classifySample(null);
      byId('classify-card', HTMLElement).scrollIntoView({ behavior: 'smooth', block: 'start' });
    },
  );

  // Drop a picture (or a weights file) anywhere; paste a picture.
  const zone = byId('drop-zone', HTMLElement);
  let depth = 0;
  window.addEventListener('dragenter', (event) => {
    if (!event.dataTransfer?.types.includes('Files')) return;
    depth += 1;
    zone.classList.add('dragging');
  });
  window.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) zone.classList.remove('dragging');
  });
  window.addEventListener('dragover', (event) => {
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
  });
  window.addEventListener('drop', (event) => {
    event.preventDefault();
    depth = 0;
    zone.classList.remove('dragging');
    const file = event.dataTransfer?.files[0];
    if (file === undefined) return;
    if (looksLikeWeights(file)) void modelPanel.loadFile(file);
    else void classify.classifyFile(file);
  });
  window.addEventListener('paste', (event) => {
    const file = [...(event.clipboardData?.files ?? [])].find((f) => f.type.startsWith('image/'));
    if (file !== undefined) void classify.classifyFile(file);
  });

  client.request('init', { backend: preference }).then(
    ({ backend, model }) => {
      showBackend(backend);
      if (backend.wasmError !== null) {
        // "the wasm backend did not load (F.wasm): Aborted(E). Build with -s ASSERTIONS=1 for more info." → "F.wasm: E".
        const reason = backend.wasmError
          .replace(/^the wasm backend did not load \(([^)]+)\): /, '$1: ')
          .replace(/Aborted\((.*)\)\.?\s*Build with -s ASSERTIONS=1 for more info\.?$/, '$1')
          .replace(/[.\s]+$/, '');
        const text = `The WebAssembly backend did not load (${reason}). The page runs on the JavaScript backend: everything works, more slowly.`;
        showNotice('warning', text, 'wasm');
        const note = byId('backend-note', HTMLElement);
        note.textContent = `WebAssembly did not load: ${reason}. Running on JavaScript.`;
        note.hidden = false;
      }
      modelPanel.ready(model);
      void inside.showFilters(model.slot, filtersNote(model));
      document.body.dataset.worker = 'ready';
    },
    (error: unknown) => fatal(`The model worker could not start: ${(error as Error).message}`),
  );
}

// Anything unexpected is shown, not swallowed: the page must never go blank or silent.
window.addEventListener('error', (event) => showNotice('error', `Unexpected error: ${event.message}`, 'unexpected'));
window.addEventListener('unhandledrejection', (event) =>
  showNotice('error', `Unexpected error: ${String((event.reason as Error)?.message ?? event.reason)}`, 'unexpected'),
);

try {
  main();
} catch (error) {
  document.body.dataset.worker = 'error';
  showNotice('error', `The page could not start: ${(error as Error).message}`, 'startup');
}
