/**
 * Card 1: which model classifies (the ImageNet one, or the one trained on
 * the page), what it is, and loading weights from a file. States for tests:
 * #model-card[data-state] is loading | ready, [data-load] the last weights
 * file's fate (loading | loaded | error: the previous model stays in use),
 * [data-slot] the model in use, [data-model] its name, [data-dataset]
 * imagenet | fashion-mnist | other.
 */
import type { ModelInfo, Slot } from '../protocol.js';
import { byId } from './dom.js';
import { formatBytes, formatCount } from './format.js';
import { clearNotice, showNotice } from './notices.js';
import type { WorkerClient } from './worker-client.js';

/** Weights files are read whole into memory: torchvision's AlexNet is 233 MB, so 1 GB is plenty. */
const MAX_WEIGHTS_BYTES = 1024 * 1024 * 1024;

/** The main slot's title, from what the loaded model is: "ImageNet AlexNet", "Fashion-MNIST AlexNet", "7-class ONNX model", … */
export function modelTitle(info: Pick<ModelInfo, 'name' | 'dataset' | 'numClasses'>): string {
  const data = info.dataset === 'imagenet' ? 'ImageNet' : info.dataset === 'fashion-mnist' ? 'Fashion-MNIST' : `${info.numClasses}-class`;
  const network =
    info.name === 'alexnet' ? 'AlexNet' : info.name === 'alexnet-original' ? 'AlexNet (original)' : info.name.startsWith('ONNX') ? 'ONNX model' : info.name;
  return `${data} ${network}`;
}

export class ModelPanel {
  private readonly card = byId('model-card', HTMLElement);
  private readonly weightsInput = byId('weights-input', HTMLInputElement);
  private readonly randomButton = byId('random-weights', HTMLButtonElement);
  private readonly mainRadio = byId('slot-main', HTMLInputElement);
  private readonly trainedRadio = byId('slot-trained', HTMLInputElement);
  private readonly progress = byId('model-progress', HTMLParagraphElement);
  private readonly models = new Map<Slot, ModelInfo>();
  private busy = false;

  constructor(
    private readonly client: WorkerClient,
    /** Called when the model used for classifying changes (another slot, or new weights). */
    private readonly onChange: (info: ModelInfo) => void,
  ) {
    this.weightsInput.addEventListener('change', () => {
      const file = this.weightsInput.files?.[0];
      this.weightsInput.value = '';
      if (file !== undefined) void this.loadFile(file);
    });
    this.randomButton.addEventListener('click', () => void this.random());
    for (const radio of [this.mainRadio, this.trainedRadio]) radio.addEventListener('change', () => this.select(radio.value as Slot));
  }

  get slot(): Slot {
    return this.trainedRadio.checked ? 'trained' : 'main';
  }

  get current(): ModelInfo | null {
    return this.models.get(this.slot) ?? null;
  }

  /** Until the worker answers: it loads the library and builds a first model. */
  starting(): void {
    this.setBusy(true, 'Starting the model worker and building a randomly initialised AlexNet…');
  }

  /** The worker's first model, once it is ready. */
  ready(info: ModelInfo): void {
    this.setBusy(false);
    this.set(info);
  }

  /** The worker is gone: nothing can be loaded or classified until the page is reloaded. */
  dead(message: string): void {
    this.setBusy(true);
    this.card.dataset.state = 'error';
    for (const id of ['model-name', 'model-source', 'model-input', 'model-params']) byId(id, HTMLElement).textContent = '—';
    this.progress.hidden = false;
    this.progress.classList.add('failure');
    this.progress.textContent = message;
  }

  /** The trained model appeared, changed (more steps) or went away (reset). */
  setTrained(info: ModelInfo | null): void {
    if (info === null) {
      this.models.delete('trained');
      this.trainedRadio.disabled = true;
      byId('trained-model-short', HTMLElement).textContent = 'Fashion-MNIST, 10 classes — train it below';
      if (this.slot === 'trained') this.select('main', true);
      return;
    }
    this.models.set('trained', info);
    this.trainedRadio.disabled = false;
    byId('trained-model-short', HTMLElement).textContent = info.source.replace(/^trained in this page: /, '');
    if (this.slot === 'trained') this.show(info);
  }

  select(slot: Slot, notify = true): void {
    (slot === 'trained' ? this.trainedRadio : this.mainRadio).checked = true;
    const info = this.models.get(slot);
    if (info === undefined) return;
    this.show(info);
    if (notify) this.onChange(info);
  }

  private set(info: ModelInfo): void {
    this.models.set(info.slot, info);
    if (info.slot === 'main') {
      const [c, h] = info.inputShape;
      byId('main-model-title', HTMLElement).textContent = modelTitle(info);
      byId('main-model-short', HTMLElement).textContent = info.randomInit
        ? 'random weights'
        : `${info.numClasses} classes · ${c === 1 ? 'gray' : 'RGB'} ${h}×${h}`;
    }
    if (info.slot === this.slot) this.show(info);
  }

  private show(info: ModelInfo): void {
    const [c, h, w] = info.inputShape;
    this.card.dataset.slot = info.slot;
    this.card.dataset.model = info.name;
    this.card.dataset.dataset = info.dataset;
    byId('model-name', HTMLElement).textContent = info.name === 'alexnet' ? "torchvision's AlexNet (alexnet)" : info.name;
    const source = byId('model-source', HTMLElement);
    source.textContent = info.source;
    if (info.randomInit) source.insertAdjacentHTML('beforeend', ' <span class="badge">classes meaningless</span>');
    const data = info.dataset === 'imagenet' ? ', ImageNet' : info.dataset === 'fashion-mnist' ? ', Fashion-MNIST' : '';
    byId('model-input', HTMLElement).textContent = `${c === 1 ? 'gray' : 'RGB'} ${h}×${w} → ${info.numClasses} classes${data}`;
    byId('model-params', HTMLElement).textContent = `${formatCount(info.parameters)} (${info.parameters.toLocaleString('en')})`;
  }

  private setBusy(busy: boolean, text = ''): void {
    this.progress.classList.remove('failure');
    this.busy = busy;
    this.randomButton.disabled = busy;
    byId('weights-actions', HTMLElement).querySelector('label')?.setAttribute('aria-disabled', String(busy));
    this.weightsInput.disabled = busy;
    this.progress.hidden = !busy;
    this.progress.textContent = text;
    this.card.dataset.state = busy ? 'loading' : 'ready';
  }

  async loadFile(file: File): Promise<void> {
    if (this.busy) {
      // One load at a time: say so rather than drop the file without a word.
      showNotice(
        'warning',
        `${file.name} was not loaded: the model card is still busy (${this.progress.textContent ?? 'loading'}). Drop it again when it is done.`,
        'weights-busy',
      );
      return;
    }
    clearNotice('weights');
    if (file.size > MAX_WEIGHTS_BYTES) {
      this.failed(`${file.name} is ${formatBytes(file.size)}; the page loads weights files up to ${formatBytes(MAX_WEIGHTS_BYTES)}.`);
      return;
    }
    this.setBusy(true, `Loading the weights of ${file.name} (${formatBytes(file.size)})…`);
    this.card.dataset.load = 'loading';
    try {
      // Read in the worker: Chromium copies a file's bytes into the reading thread's memory in
      // tasks of 300-500 ms for AlexNet's 244 MB (measured on a Zen 5 VM), which on this thread froze the page.
      const info = await this.client.request('loadWeights', { file, fileName: file.name });
      this.setBusy(false);
      this.set(info);
      this.select('main');
      this.card.dataset.load = 'loaded';
      showNotice('info', `Loaded ${file.name}: ${info.name}, ${info.numClasses} classes.`, 'weights');
    } catch (error) {
      this.setBusy(false);
      // The readers name the file themselves ("w.pth: truncated …"): said once.
      const message = (error as Error).message;
      const reason = (message.startsWith(`${file.name}: `) ? message.slice(file.name.length + 2) : message).replace(/[.\s]+$/, '');
      this.failed(`Could not load ${file.name}: ${reason}. The previous model is still in use.`);
    }
  }

  private async random(): Promise<void> {
    if (this.busy) return;
    clearNotice('weights');
    this.setBusy(true, 'Creating a randomly initialised AlexNet…');
    try {
      const info = await this.client.request('randomModel', {});
      this.setBusy(false);
      this.set(info);
      this.select('main');
    } catch (error) {
      this.setBusy(false);
      this.failed(`Could not create the model: ${(error as Error).message}`);
    }
  }

  /** A failed load: the message in the corner and in the card; the previous model stays in use. */
  private failed(message: string): void {
    this.card.dataset.load = 'error';
    showNotice('error', message, 'weights');
    this.progress.hidden = false;
    this.progress.classList.add('failure');
    this.progress.textContent = message;
  }
}
