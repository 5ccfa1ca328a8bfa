/**
 * RUN_DIR/metrics.jsonl: one JSON object per line, one line per epoch (and
 * one for a partial epoch cut short by --max-steps). Errors are fractions in
 * [0, 1]; a value that is not finite is written as null, since JSON has no NaN,
 * and so is val_top5_error for a model of fewer than 5 classes (not defined there).
 */
import { appendFile, readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../fs/atomic-write.js';

export interface EpochMetrics {
  epoch: number;
  step: number;
  partial: boolean;
  train_loss: number;
  train_top1_error: number;
  val_loss: number;
  val_top1_error: number;
  /** null for a model of fewer than 5 classes. */
  val_top5_error: number | null;
  images_per_s: number | null;
  train_time_s: number;
  eval_time_s: number;
  lr: number;
  next_lr: number;
  time: string;
}

export async function appendMetrics(path: string, metrics: EpochMetrics): Promise<void> {
  const line = JSON.stringify(metrics, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? null : value));
  await appendFile(path, `${line}\n`);
}

/**
 * Keeps the lines of metrics.jsonl up to step `lastStep` (the checkpoint a
 * resumed run continues from): a run killed after writing a metrics line but
 * before its checkpoint would otherwise record those steps twice. A torn
 * last line is dropped too.
 */
export async function truncateMetrics(path: string, lastStep: number): Promise<void> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new Error(`cannot read ${path}: ${(error as Error).message}`);
  }
  const kept = text.split('\n').filter((line) => {
    if (line.trim() === '') return false;
    try {
      const step = (JSON.parse(line) as { step?: unknown }).step;
      return typeof step === 'number' && step <= lastStep;
    } catch {
      return false;
    }
  });
  const rewritten = kept.map((line) => `${line}\n`).join('');
  if (rewritten !== text) await writeFileAtomic(path, rewritten);
}
