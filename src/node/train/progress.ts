/**
 * Progress on stderr: a cli-progress bar (loss, images/s, ETA) when stderr
 * is a terminal, otherwise a plain line every few seconds so that logs of
 * non-interactive runs (CI, nohup) still show where training is.
 */
import cliProgress from 'cli-progress';

export interface ProgressValues {
  loss?: number;
  imagesPerSecond?: number;
}

export interface Progress {
  /** `withLoss` false: the bar has no loss field (evaluation). */
  start(label: string, total: number, done: number, withLoss?: boolean): void;
  update(done: number, values?: ProgressValues): void;
  stop(): void;
}

function formatNumber(v: number | undefined, digits: number): string {
  return v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits);
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '-';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(r).padStart(2, '0')}s` : `${r}s`;
}

/** ETA from our own rate (images/s over this session), not cli-progress's, so resumed runs estimate correctly. */
class BarProgress implements Progress {
  private bar: cliProgress.SingleBar | null = null;
  private total = 0;
  private startDone = 0;
  private startTime = 0;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  start(label: string, total: number, done: number, withLoss = true): void {
    this.stop();
    this.total = total;
    this.startDone = done;
    this.startTime = performance.now();
    this.bar = new cliProgress.SingleBar(
      {
        stream: this.stream,
        format: `${label} {bar} {value}/{total}${withLoss ? ' | loss {loss}' : ''} | {speed} img/s | ETA {etaText}`,
        barsize: 24,
        hideCursor: true,
        clearOnComplete: false,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(total, done, { loss: '-', speed: '-', etaText: '-' });
  }

  update(done: number, values: ProgressValues = {}): void {
    if (this.bar === null) return;
    const elapsed = (performance.now() - this.startTime) / 1000;
    const rate = (done - this.startDone) / elapsed;
    this.bar.update(done, {
      loss: formatNumber(values.loss, 4),
      speed: formatNumber(values.imagesPerSecond, 1),
      etaText: done > this.startDone ? formatDuration((this.total - done) / rate) : '-',
    });
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}

class LineProgress implements Progress {
  private label = '';
  private total = 0;
  private last = 0;
  private lastLine = '';

  constructor(
    private readonly write: (line: string) => void,
    private readonly everyMs: number,
  ) {}

  private startDone = 0;
  private startTime = 0;

  start(label: string, total: number, done: number): void {
    this.label = label;
    this.total = total;
    this.startDone = done;
    this.startTime = performance.now();
    this.last = this.startTime;
  }

  update(done: number, values: ProgressValues = {}): void {
    const parts = [`${this.label} ${done}/${this.total}`];
    if (values.loss !== undefined) parts.push(`loss ${formatNumber(values.loss, 4)}`);
    if (values.imagesPerSecond !== undefined) parts.push(`${formatNumber(values.imagesPerSecond, 1)} img/s`);
    const now = performance.now();
    const rate = (done - this.startDone) / ((now - this.startTime) / 1000);
    if (done > this.startDone && done < this.total) parts.push(`ETA ${formatDuration((this.total - done) / rate)}`);
    this.lastLine = parts.join(' | ');
    if (now - this.last >= this.everyMs) {
      this.last = now;
      this.write(this.lastLine);
    }
  }

  stop(): void {
    if (this.lastLine !== '') this.write(this.lastLine);
    this.lastLine = '';
  }
}

class SilentProgress implements Progress {
  start(): void {}
  update(): void {}
  stop(): void {}
}

export type ProgressMode = 'auto' | 'bar' | 'lines' | 'none';

/** 'auto': a bar on a terminal, lines every 10 s otherwise. */
export function createProgress(mode: ProgressMode = 'auto', stream: NodeJS.WriteStream = process.stderr): Progress {
  if (mode === 'none') return new SilentProgress();
  if (mode === 'bar' || (mode === 'auto' && stream.isTTY)) return new BarProgress(stream);
  return new LineProgress((line) => stream.write(`${line}\n`), 10_000);
}
