/**
 * RUN_DIR/metrics.jsonl: one JSON object per line, one line per epoch (and
 * one for a partial epoch cut short by --max-steps). Errors are fractions in
 * [0, 1]; a value that is not finite is written as null, since JSON has no NaN.
 */
import { appendFile } from 'node:fs/promises';

export interface EpochMetrics {
  epoch: number;
  step: number;
  partial: boolean;
  train_loss: number;
  train_top1_error: number;
  val_loss: number;
  val_top1_error: number;
  val_top5_error: number;
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
