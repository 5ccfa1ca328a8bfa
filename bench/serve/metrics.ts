/**
 * What the benchmark reads from the server's GET /metrics (Prometheus text
 * format, src/node/serve/metrics.ts): the batch-size histogram's sum and
 * count (their deltas over a run give its mean batch), the queue depth and
 * CPU time (whether the server is idle), and its resident memory.
 */
import { readFile } from 'node:fs/promises';

export interface MetricsSnapshot {
  /** Images and forward passes so far: alexnet_batch_size_sum and _count. */
  batchImages: number;
  batches: number;
  queueDepth: number;
  /** CPU time of the whole process (every thread) so far. */
  cpuSeconds: number;
  residentBytes: number;
}

/** The sum over every sample of metric `name` (whatever its labels), or NaN when it has none. */
export function metricValue(text: string, name: string): number {
  let total = Number.NaN;
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    // `name 12` or `name{label="x"} 12`, not `name_suffix 12`.
    if (!rest.startsWith(' ') && !rest.startsWith('{')) continue;
    const value = Number(
      rest
        .slice(rest.lastIndexOf('}') + 1)
        .trim()
        .split(/\s+/)[0],
    );
    total = Number.isNaN(total) ? value : total + value;
  }
  return total;
}

export function parseMetrics(text: string): MetricsSnapshot {
  return {
    batchImages: metricValue(text, 'alexnet_batch_size_sum'),
    batches: metricValue(text, 'alexnet_batch_size_count'),
    queueDepth: metricValue(text, 'alexnet_queue_depth'),
    cpuSeconds: metricValue(text, 'alexnet_process_cpu_seconds_total'),
    residentBytes: metricValue(text, 'alexnet_process_resident_memory_bytes'),
  };
}

export async function scrapeMetrics(url: string): Promise<MetricsSnapshot> {
  const res = await fetch(`${url}/metrics`);
  if (!res.ok) throw new Error(`GET /metrics: HTTP ${res.status}`);
  return parseMetrics(await res.text());
}

/** Images per forward pass between two snapshots, or null when no batch ran. */
export function meanBatch(before: MetricsSnapshot, after: MetricsSnapshot): number | null {
  const batches = after.batches - before.batches;
  return batches > 0 ? (after.batchImages - before.batchImages) / batches : null;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** How long the server's CPU use is watched at a time, and the share of one core below which it counts as idle. */
const IDLE_WINDOW_MS = 300;
const IDLE_CPU_SHARE = 0.1;

/**
 * Waits (up to `timeoutMs`) until the server is idle: nothing queued and
 * next to no CPU used. Requests cut off at the end of a load run are still
 * decoded, resized and batched after their clients left (64 large photos
 * take seconds); that work must not land in the next run. The queue depth
 * alone does not show it: images being resized are not queued yet.
 * Returns false when the server was still busy at the deadline.
 */
export async function waitForIdle(url: string, timeoutMs = 60_000): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  let last = await scrapeMetrics(url);
  let lastAt = performance.now();
  while (performance.now() < deadline) {
    await sleep(IDLE_WINDOW_MS);
    const now = await scrapeMetrics(url);
    const at = performance.now();
    const share = (now.cpuSeconds - last.cpuSeconds) / ((at - lastAt) / 1000);
    if (now.queueDepth === 0 && share < IDLE_CPU_SHARE) return true;
    last = now;
    lastAt = at;
  }
  return false;
}

/** The resident set of process `pid` in bytes from /proc (what the kernel counts), or /metrics' figure where /proc is not there. */
export async function residentBytes(pid: number, url: string): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  return kib === undefined ? (await scrapeMetrics(url)).residentBytes : Number(kib) * 1024;
}
