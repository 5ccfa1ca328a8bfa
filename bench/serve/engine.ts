/**
 * The engine's own speed, the yardstick of the serving targets: `alexnet
 * bench --backend native --model alexnet --batch N --json` in a child
 * process (bench/lib/child.ts), run while no server loads the CPU.
 */
import { runChild } from '../lib/child.js';

const ITERS = 10;
const TIMEOUT_MS = 5 * 60_000;

export interface EngineSpeed {
  batch: number;
  msPerBatch: number;
  imagesPerS: number;
}

/** The faster of two measurements (a reason when both failed): a busy moment on a shared machine slows one run, never speeds it up. */
export function faster(a: EngineSpeed | string, b: EngineSpeed | string): EngineSpeed | string {
  if (typeof a === 'string') return b;
  if (typeof b === 'string') return a;
  return a.imagesPerS >= b.imagesPerS ? a : b;
}

/** The median forward pass of a batch of `batch` random 224×224 images, or the reason it could not be measured. */
export async function measureEngine(batch: number, weights: string | undefined): Promise<EngineSpeed | string> {
  const args = ['--import', 'tsx', 'src/node/cli/main.ts', '--backend', 'native', 'bench', '--model', 'alexnet', '--batch', String(batch)];
  args.push('--iters', String(ITERS), '--json', ...(weights === undefined ? [] : ['--weights', weights]));
  const outcome = await runChild({ program: process.execPath, args }, TIMEOUT_MS);
  if (!outcome.ok) return outcome.reason;
  return { batch, msPerBatch: outcome.measurement.ms_per_batch, imagesPerS: outcome.measurement.images_per_s };
}
