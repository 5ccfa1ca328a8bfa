/**
 * Card 4: live training. Start/Stop/Reset/Save, the loss and accuracy
 * curves drawn as the worker reports each step, conv1's filters as they
 * learn, and the test accuracy when a run stops. #train-card[data-state] is
 * the worker's TrainState (idle | loading | running | stopping | evaluating
 * | stopped | finished | error) and [data-step] the steps done.
 */
import type { ModelInfo, TrainEvent, TrainState, TrainStepReport } from '../protocol.js';
import { byId } from './dom.js';
import { formatDuration, formatMs } from './format.js';
import { LineChart } from './line-chart.js';
import { clearNotice, showNotice } from './notices.js';
import { drawPicture } from './pictures.js';
import type { WorkerClient } from './worker-client.js';

/** Weight of the newest step in the smoothed curves. */
const SMOOTHING = 0.1;

/**
 * A number field's value, checked against its own min and max (so the message and the field agree). An empty field
 * reads as '' (and Number('') is 0), as does one holding text that is no number: each is said as such rather than as
 * "learning rate 0". A value between the field's steps is taken: the step only sets what the arrows add.
 */
function numberField(input: HTMLInputElement, label: string, { whole = false } = {}): number {
  const field = `the “${label}” field`;
  const range = `${whole ? 'a whole number' : 'a number'} from ${input.min} to ${input.max}`;
  if (input.validity.badInput) throw new Error(`${field} does not hold a number: enter ${range}`);
  if (input.value.trim() === '') throw new Error(`${field} is empty: enter ${range}`);
  const value = input.valueAsNumber;
  if (!(value >= Number(input.min) && value <= Number(input.max)) || (whole && !Number.isInteger(value)))
    throw new Error(`${field} holds ${input.value}: expected ${range}`);
  return value;
}

export class TrainingPanel {
  private readonly card = byId('train-card', HTMLElement);
  private readonly startButton = byId('train-start', HTMLButtonElement);
  private readonly stopButton = byId('train-stop', HTMLButtonElement);
  private readonly resetButton = byId('train-reset', HTMLButtonElement);
  private readonly saveButton = byId('train-save', HTMLButtonElement);
  private readonly text = byId('train-text', HTMLParagraphElement);
  private readonly bar = byId('train-progress', HTMLDivElement);
  private readonly lossChart = new LineChart(byId('loss-chart', HTMLCanvasElement), {
    title: 'Training loss',
    xLabel: 'step',
    yLabel: 'cross-entropy loss',
    yFormat: (v) => v.toFixed(v < 1 ? 2 : 1),
    reference: { y: Math.log(10), label: 'chance: ln 10 ≈ 2.30' },
    empty: 'Press Start: the loss of every step is drawn here',
    // A diverging run (too high a learning rate) reaches 1e+30 before NaN stops it: the axis stops at 4 × the early
    // loss (ln 10 ≈ 2.3 from scratch, so about 9), which keeps normal spikes on the chart.
    clipAboveMultiple: 4,
  });
  private readonly accuracyChart = new LineChart(byId('accuracy-chart', HTMLCanvasElement), {
    title: 'Accuracy',
    xLabel: 'step',
    yLabel: 'top-1 accuracy (%)',
    yMin: 0,
    yMax: 100,
    yFormat: (v) => `${v}`,
    reference: { y: 10, label: 'chance: 10%' },
    empty: 'Batch accuracy as it trains; test accuracy when it stops',
  });
  private state: TrainState = 'idle';
  private loss: [number, number][] = [];
  private lossSmooth: [number, number][] = [];
  private accuracySmooth: [number, number][] = [];
  private testAccuracy: [number, number][] = [];
  private last: TrainStepReport | null = null;
  private hasModel = false;

  constructor(
    private readonly client: WorkerClient,
    private readonly onModel: (info: ModelInfo | null) => void,
    private readonly onUse: (action: 'classify' | 'sample') => void,
  ) {
    this.startButton.addEventListener('click', () => void this.start());
    this.stopButton.addEventListener('click', () => void this.client.request('trainStop', {}).catch(() => undefined));
    this.resetButton.addEventListener('click', () => void this.reset());
    this.saveButton.addEventListener('click', () => void this.save());
    byId('use-trained', HTMLButtonElement).addEventListener('click', () => this.onUse('classify'));
    byId('train-sample', HTMLButtonElement).addEventListener('click', () => this.onUse('sample'));
    this.redraw();
  }

  /** The training options from the controls; throws a message naming the field when one is empty or out of its range. */
  private options(): { batchSize: number; lr: number; epochs: number; seed: number } {
    return {
      batchSize: Number(byId('batch-size', HTMLSelectElement).value),
      lr: numberField(byId('learning-rate', HTMLInputElement), 'Learning rate'),
      epochs: numberField(byId('epochs', HTMLInputElement), 'Epochs', { whole: true }),
      seed: 0,
    };
  }

  private async start(): Promise<void> {
    clearNotice('training');
    try {
      await this.client.request('trainStart', this.options());
    } catch (error) {
      showNotice('error', `Could not start training: ${(error as Error).message}`, 'training');
    }
  }

  private async reset(): Promise<void> {
    await this.client.request('trainReset', {}).catch(() => undefined);
    this.loss = [];
    this.lossSmooth = [];
    this.accuracySmooth = [];
    this.testAccuracy = [];
    this.last = null;
    this.showProgress(0);
    byId('train-filters-canvas', HTMLCanvasElement).hidden = true;
    byId('train-filters-placeholder', HTMLElement).hidden = false;
    // The worker's state events came before `last` was cleared: nothing is left to reset now.
    this.updateButtons();
    this.redraw();
  }

  private async save(): Promise<void> {
    try {
      const blob = await this.client.request('exportTrained', {});
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = `alexnet-fashion-mnist-step${this.last?.step ?? 0}.pth`;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (error) {
      showNotice('error', `Could not save the weights: ${(error as Error).message}`, 'training');
    }
  }

  handle(event: TrainEvent): void {
    switch (event.type) {
      case 'state':
        this.setState(event.state, event.step, event.message);
        break;
      case 'data':
        this.text.textContent = `Loaded ${event.trainImages.toLocaleString('en')} training and ${event.testImages.toLocaleString('en')} test images. Building the model…`;
        break;
      case 'step':
        this.step(event.report);
        break;
      case 'filters': {
        const canvas = byId('train-filters-canvas', HTMLCanvasElement);
        drawPicture(canvas, event.picture);
        canvas.hidden = false;
        byId('train-filters-placeholder', HTMLElement).hidden = true;
        break;
      }
      case 'eval':
        this.showProgress(event.done / event.samples);
        this.text.textContent = `Testing on ${event.samples.toLocaleString('en')} test images: ${event.done.toLocaleString('en')} done, ${(100 * event.accuracy).toFixed(1)}% right so far…`;
        if (event.done === event.samples) {
          this.testAccuracy = this.testAccuracy.filter(([s]) => s !== event.step);
          this.testAccuracy.push([event.step, 100 * event.accuracy]);
          this.card.dataset.testAccuracy = event.accuracy.toFixed(4);
          this.redraw();
        }
        break;
      case 'model':
        this.hasModel = event.info !== null;
        byId('trained-actions', HTMLElement).hidden = !this.hasModel;
        this.updateButtons();
        this.onModel(event.info);
        break;
    }
  }

  private setState(state: TrainState, step: number, message: string | null): void {
    this.state = state;
    this.card.dataset.state = state;
    this.card.dataset.step = String(step);
    this.updateButtons();
    const last = this.last;
    const accuracy = this.testAccuracy.at(-1);
    switch (state) {
      case 'idle':
        this.text.textContent = 'Not started.';
        break;
      case 'loading':
        this.text.textContent = 'Fetching the Fashion-MNIST subset…';
        break;
      case 'running':
        if (last === null) this.text.textContent = 'Training: the first step is on its way…';
        break;
      case 'stopping':
        this.text.textContent = 'Stopping after the current step…';
        break;
      case 'evaluating':
        this.text.textContent = 'Testing on the test images…';
        break;
      case 'stopped':
      case 'finished':
        if (message !== null) {
          this.text.textContent = `Nothing to do: ${message}.`;
          break;
        }
        this.showProgress(state === 'finished' ? 1 : last === null ? 0 : last.step / last.totalSteps);
        this.text.textContent =
          `${state === 'finished' ? 'Finished' : 'Stopped'} after ${step} steps` +
          (accuracy === undefined ? '.' : `: ${accuracy[1].toFixed(1)}% of the test images right (chance is 10%).`) +
          (state === 'stopped' ? ' Start continues the run.' : '');
        break;
      case 'error':
        this.text.textContent = message ?? 'Training failed.';
        showNotice('error', message ?? 'Training failed.', 'training');
        break;
    }
  }

  private updateButtons(): void {
    const active = this.state === 'loading' || this.state === 'running' || this.state === 'stopping' || this.state === 'evaluating';
    this.startButton.disabled = active;
    this.startButton.textContent = this.hasModel || (this.last !== null && this.state !== 'idle') ? 'Continue' : 'Start';
    this.stopButton.disabled = !(this.state === 'running' || this.state === 'loading');
    this.resetButton.disabled = active || (this.last === null && !this.hasModel);
    this.saveButton.disabled = active || !this.hasModel;
    for (const id of ['batch-size', 'learning-rate', 'epochs']) (document.getElementById(id) as HTMLInputElement).disabled = active;
  }

  private step(report: TrainStepReport): void {
    const previousLoss = this.lossSmooth.at(-1)?.[1] ?? report.loss;
    const previousAccuracy = this.accuracySmooth.at(-1)?.[1] ?? 100 * report.accuracy;
    this.loss.push([report.step, report.loss]);
    this.lossSmooth.push([report.step, previousLoss + SMOOTHING * (report.loss - previousLoss)]);
    this.accuracySmooth.push([report.step, previousAccuracy + SMOOTHING * (100 * report.accuracy - previousAccuracy)]);
    this.last = report;
    this.card.dataset.step = String(report.step);
    this.card.dataset.loss = report.loss.toFixed(4);
    this.showProgress(report.step / report.totalSteps);
    const left = ((report.totalSteps - report.step) * report.stepMs) / 1000;
    this.text.textContent =
      `Step ${report.step} of ${report.totalSteps} · epoch ${report.epoch + 1}, batch ${report.batch}/${report.batchesPerEpoch} · ` +
      `loss ${report.loss.toFixed(3)} · batch accuracy ${(100 * report.accuracy).toFixed(0)}% · ` +
      `${report.imagesPerSecond.toFixed(1)} images/s (${formatMs(report.stepMs)} per step) · about ${formatDuration(left)} to go`;
    this.updateButtons();
    this.redraw();
  }

  /**
   * The progress bar at `fraction` (0 to 1), moved by a transform: the browser animates that on the compositor
   * thread, where an animated width re-lays out and repaints the page on the main thread every frame of the
   * transition (measured while training: about 20 main-thread frames a step, each one handing every canvas of the
   * page to the compositor again).
   */
  private showProgress(fraction: number): void {
    this.bar.style.transform = `scaleX(${Math.min(1, Math.max(0, fraction))})`;
  }

  private redraw(): void {
    this.lossChart.setSeries([
      { name: 'each step', color: '#c7cbf6', points: this.loss, width: 1 },
      { name: 'smoothed', color: '#4f46e5', points: this.lossSmooth, width: 2 },
    ]);
    this.accuracyChart.setSeries([
      { name: 'training batches (smoothed)', color: '#8b5cf6', points: this.accuracySmooth, width: 2 },
      { name: 'test images', color: '#0f9f6e', points: this.testAccuracy, dots: true },
    ]);
  }
}
