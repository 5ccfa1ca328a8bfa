/**
 * One load run: autocannon POSTing an input set's JPEGs to /v1/classify
 * from `concurrency` connections (one request in flight each, so the
 * concurrency is the number of requests the server holds): `warmup`
 * seconds not recorded, then `duration` seconds recorded (recorder.ts),
 * with /metrics read at both ends of the recorded part.
 */
import autocannon from 'autocannon';
import type { InputSet } from './inputs.js';
import { type MetricsSnapshot, meanBatch, scrapeMetrics, waitForIdle } from './metrics.js';
import { type RecordedLoad, ResponseRecorder } from './recorder.js';

/** autocannon's own default is 10 s; the server answers 504 after its --timeout-ms (30 s), so wait as long. */
const REQUEST_TIMEOUT_S = 30;

export interface LoadResult extends RecordedLoad {
  concurrency: number;
  /** 2xx answers per second: each request carries one image. */
  imagesPerS: number;
  /** Images per forward pass in the recorded part (from /metrics), or null when no batch ran. */
  meanBatch: number | null;
}

/**
 * Every connection cycles through the images in order. Each starts at the
 * first, which matters little: the server batches across connections and
 * the images of a set take similar time.
 */
function classifyRequests(set: InputSet): autocannon.Request[] {
  return set.images.map((image) => ({ method: 'POST', path: '/v1/classify', headers: { 'content-type': 'image/jpeg' }, body: image.jpeg }));
}

/**
 * Runs the load and waits until the server is idle again (the requests cut
 * off at the end are still being worked on), so that the next run starts
 * from a quiet server. The server should be idle when it starts.
 */
export async function measureLoad(url: string, set: InputSet, concurrency: number, warmup: number, duration: number): Promise<LoadResult> {
  const recorder = new ResponseRecorder();
  const run = autocannon({ url, connections: concurrency, duration: warmup + duration, timeout: REQUEST_TIMEOUT_S, requests: classifyRequests(set) });
  run.on('response', (_client, status, _bytes, ms) => recorder.response(status, ms));
  run.on('reqError', (error) => recorder.error(error));
  let before: Promise<MetricsSnapshot> | undefined;
  const startRecording = (): void => {
    recorder.start();
    before = scrapeMetrics(url);
    // Awaited after the run; until then a failed scrape must not count as an unhandled rejection.
    before.catch(() => undefined);
  };
  const timer = setTimeout(startRecording, warmup * 1000);
  try {
    await run;
  } finally {
    clearTimeout(timer);
    recorder.stop();
  }
  if (!(await waitForIdle(url))) process.stderr.write(`bench:serve: the server was still busy 60 s after the c${concurrency} run on ${set.id}\n`);
  const after = await scrapeMetrics(url);
  const recorded = recorder.result();
  return {
    concurrency,
    ...recorded,
    imagesPerS: recorded.ok / recorded.seconds,
    meanBatch: before === undefined ? null : meanBatch(await before, after),
  };
}
