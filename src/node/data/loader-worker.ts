/**
 * Entry point of a DataLoader worker thread: rebuilds the data set from the
 * spec in workerData, then answers batch requests with loadBatch — the same
 * function the main thread uses, so both produce identical batches.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadBatch, type BatchRequest } from '../../data/batch.js';
import type { Dataset, WorkerDatasetSpec } from '../../data/dataset.js';

export interface WorkerRequest {
  id: number;
  request: BatchRequest;
}

async function buildDataset(spec: WorkerDatasetSpec): Promise<Dataset> {
  const module = (await import(spec.module)) as Record<string, unknown>;
  const factory = module[spec.factory];
  if (typeof factory !== 'function') throw new Error(`DataLoader worker: ${spec.module} does not export a function ${spec.factory}`);
  return await (factory as (args: unknown) => Dataset | Promise<Dataset>)(spec.args);
}

const port = parentPort;
if (port === null) throw new Error('loader-worker must run as a worker thread');

const dataset = buildDataset((workerData as { spec: WorkerDatasetSpec }).spec);
dataset.catch(() => undefined); // reported with the first request

port.on('message', async ({ id, request }: WorkerRequest) => {
  try {
    const raw = await loadBatch(await dataset, request);
    port.postMessage({ id, raw }, [raw.images.buffer, raw.labels.buffer, raw.indices.buffer] as ArrayBuffer[]);
  } catch (error) {
    const e = error as Error;
    port.postMessage({ id, error: { message: e?.message ?? String(error), stack: e?.stack } });
  }
});
