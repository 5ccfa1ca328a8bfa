/**
 * Card 2: a picture in (picked, dropped, pasted, or a Fashion-MNIST test
 * image), the top-5 classes out, with the time per inference and the backend.
 * #classify-card[data-state] is idle | decoding | running | done | error,
 * [data-runs] counts finished classifications (a test waits for it to grow).
 */
import type { ClassifyResult, ImageInput, ModelInfo, Slot } from '../protocol.js';
import { byId } from './dom.js';
import { formatMs } from './format.js';
import { decodeImageFile, ImageFileError } from './image-file.js';
import { clearNotice, showNotice } from './notices.js';
import { drawPicture, showBitmap } from './pictures.js';
import { renderPredictions, renderPredictionsFailure, renderPredictionsPlaceholder } from './predictions-view.js';
import type { WorkerClient } from './worker-client.js';

type Source = { kind: 'file'; file: File } | { kind: 'test-sample'; index: number | null };

const PREVIEW_W = 640;
const PREVIEW_H = 400;

export class ClassifyPanel {
  private readonly card = byId('classify-card', HTMLElement);
  private readonly input = byId('image-input', HTMLInputElement);
  private readonly zone = byId('drop-zone', HTMLLabelElement);
  private readonly preview = byId('preview', HTMLCanvasElement);
  private readonly list = byId('predictions', HTMLOListElement);
  private readonly sampleButton = byId('test-sample', HTMLButtonElement);
  private ticket = 0;
  private runs = 0;
  private last: Source | null = null;

  constructor(
    private readonly client: WorkerClient,
    private readonly slot: () => Slot,
    /** Called after each classification (the feature maps follow it). */
    private readonly onClassified: (slot: Slot) => void,
    /** Called when a picture could not be classified (the feature maps of the one before must go). */
    private readonly onFailed: () => void = () => {},
  ) {
    this.input.addEventListener('change', () => {
      const file = this.input.files?.[0];
      this.input.value = '';
      if (file !== undefined) void this.classifyFile(file);
    });
    this.zone.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        this.input.click();
      }
    });
    this.sampleButton.addEventListener('click', () => void this.classifySample(null));
  }

  /** The model in use changed: offer test images for a Fashion-MNIST model, and classify the last picture again. */
  modelChanged(info: ModelInfo): void {
    this.sampleButton.hidden = info.dataset !== 'fashion-mnist';
    if (this.last?.kind === 'test-sample' && info.dataset !== 'fashion-mnist') {
      this.last = null;
      this.resetView();
      return;
    }
    if (this.last !== null) void this.run(this.last);
  }

  classifyFile(file: File): Promise<void> {
    return this.run({ kind: 'file', file });
  }

  classifySample(index: number | null): Promise<void> {
    return this.run({ kind: 'test-sample', index });
  }

  private resetView(): void {
    this.preview.hidden = true;
    this.zone.classList.remove('has-image');
    renderPredictionsPlaceholder(this.list, 'The five most likely classes appear here.');
    byId('timing', HTMLElement).hidden = true;
    byId('model-input-figure', HTMLElement).hidden = true;
    byId('true-label', HTMLElement).hidden = true;
    this.card.dataset.state = 'idle';
  }

  private async showPreview(bitmap: ImageBitmap): Promise<void> {
    const scale = Math.min(1, PREVIEW_W / bitmap.width, PREVIEW_H / bitmap.height);
    const width = Math.max(1, Math.round(bitmap.width * scale));
    const height = Math.max(1, Math.round(bitmap.height * scale));
    // Scaled by the browser off the main thread; drawing the small copy is quick even for a 40 MP photo.
    const small = await createImageBitmap(bitmap, { resizeWidth: width, resizeHeight: height, resizeQuality: 'high' });
    showBitmap(this.preview, small);
    this.preview.hidden = false;
    this.zone.classList.add('has-image');
  }

  private async run(source: Source): Promise<void> {
    const ticket = ++this.ticket;
    const current = (): boolean => ticket === this.ticket;
    clearNotice('image');
    const slot = this.slot();
    let image: ImageInput;
    try {
      if (source.kind === 'file') {
        this.card.dataset.state = 'decoding';
        const bitmap = await decodeImageFile(source.file);
        if (!current()) {
          bitmap.close();
          return;
        }
        await this.showPreview(bitmap);
        image = { kind: 'bitmap', bitmap, name: source.file.name || 'pasted picture' };
      } else {
        image = { kind: 'test-sample', index: source.index };
      }
      this.card.dataset.state = 'running';
      this.list.setAttribute('aria-busy', 'true');
      const transfer = image.kind === 'bitmap' ? [image.bitmap] : [];
      const result = await this.client.request('classify', { slot, image }, transfer);
      if (!current()) return;
      this.last = source.kind === 'test-sample' ? { kind: 'test-sample', index: result.sampleIndex } : source;
      await this.show(result, source.kind === 'test-sample');
      if (!current()) return;
      this.runs += 1;
      this.card.dataset.runs = String(this.runs);
      this.card.dataset.state = 'done';
      this.onClassified(slot);
    } catch (error) {
      if (!current()) return;
      this.card.dataset.state = 'error';
      const message = error instanceof ImageFileError ? error.message : `Could not classify the picture: ${(error as Error).message}`;
      showNotice('error', message, 'image');
      renderPredictionsFailure(this.list, message);
      byId('timing', HTMLElement).hidden = true;
      byId('model-input-figure', HTMLElement).hidden = true;
      byId('true-label', HTMLElement).hidden = true;
      // Nothing of the picture before may stay beside the error, as if it were this one's.
      this.preview.hidden = true;
      this.zone.classList.remove('has-image');
      this.onFailed();
    } finally {
      if (current()) this.list.removeAttribute('aria-busy');
    }
  }

  private async show(result: ClassifyResult, sample: boolean): Promise<void> {
    renderPredictions(this.list, result.predictions, result.trueLabel);
    const truth = byId('true-label', HTMLElement);
    truth.hidden = result.trueLabel === null;
    if (result.trueLabel !== null) {
      const right = result.predictions[0]?.label === result.trueLabel;
      truth.textContent = `${result.name}: the true class is ${result.trueLabel} — ${right ? 'the model got it right' : 'the model got it wrong'}.`;
    }
    byId('timing', HTMLElement).hidden = false;
    byId('inference-time', HTMLElement).textContent = formatMs(result.inferenceMs);
    byId('inference-time', HTMLElement).dataset.ms = result.inferenceMs.toFixed(1);
    byId('inference-unit', HTMLElement).textContent = result.firstRun ? 'first run (packs the weights)' : 'per inference';
    byId('inference-backend', HTMLElement).textContent = result.backend;
    byId('preprocess-time', HTMLElement).textContent = formatMs(result.preprocessMs);
    byId('model-input-figure', HTMLElement).hidden = false;
    // The test image is its own preview, enlarged: a copy of its bitmap, as showing a bitmap uses it up.
    const preview = sample ? await createImageBitmap(result.input.bitmap) : null;
    drawPicture(byId('model-input-canvas', HTMLCanvasElement), result.input);
    byId('preprocessing-text', HTMLElement).textContent = `${result.input.width}×${result.input.height}: ${result.preprocessing}`;
    if (preview !== null) {
      showBitmap(this.preview, preview);
      this.preview.style.imageRendering = 'pixelated';
      this.preview.style.width = '240px';
      this.preview.hidden = false;
      this.zone.classList.add('has-image');
    } else {
      this.preview.style.imageRendering = '';
      this.preview.style.width = '';
    }
  }
}
