/**
 * The soak: one long load run at concurrency 64 on the 224×224 JPEGs,
 * sampling the server's resident memory every 10 s. A leak shows as growth
 * after the first 30 s (by then the allocators, the preprocessing workers
 * and the batch buffers have reached their steady size).
 */
import type { InputSet } from './inputs.js';
import { type LoadResult, measureLoad } from './load.js';
import { residentBytes } from './metrics.js';

const SAMPLE_EVERY_S = 10;
/** Samples before this much load are start-up growth, not leaks. */
export const SETTLE_S = 30;

export interface RssSample {
  /** Seconds since the load started. */
  at: number;
  bytes: number;
}

export interface SoakResult {
  seconds: number;
  load: LoadResult;
  samples: RssSample[];
}

/** The first sample after SETTLE_S and the last: the growth the target bounds, or null when the soak was too short for two. */
export function rssGrowth(samples: readonly RssSample[]): { from: RssSample; to: RssSample; ratio: number } | null {
  const from = samples.find((s) => s.at >= SETTLE_S);
  const to = samples.at(-1);
  if (from === undefined || to === undefined || to === from) return null;
  return { from, to, ratio: to.bytes / from.bytes - 1 };
}

export async function soak(url: string, pid: number, set: InputSet, concurrency: number, seconds: number): Promise<SoakResult> {
  const samples: RssSample[] = [];
  const start = performance.now();
  const sample = async (): Promise<void> => {
    const at = Math.round((performance.now() - start) / 1000);
    samples.push({ at, bytes: await residentBytes(pid, url) });
  };
  // A sample at 0 s shows the start; a failed read (the server gone) surfaces through the load's errors.
  await sample();
  const pending: Promise<void>[] = [];
  const timer = setInterval(() => pending.push(sample().catch(() => undefined)), SAMPLE_EVERY_S * 1000);
  let load: LoadResult;
  try {
    load = await measureLoad(url, set, concurrency, 0, seconds);
  } finally {
    clearInterval(timer);
  }
  await Promise.all(pending);
  return { seconds, load, samples: samples.sort((a, b) => a.at - b.at) };
}
