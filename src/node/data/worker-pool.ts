/**
 * A fixed set of worker threads that prepare DataLoader batches. Each batch
 * goes to the least busy worker; results come back with their buffers
 * transferred, not copied. Idle workers do not keep the process alive.
 */
import { Worker } from 'node:worker_threads';
import type { BatchRequest, RawBatch } from '../../data/batch.js';
import type { BatchWorkerPool } from '../../data/data-loader.js';
import type { WorkerDatasetSpec } from '../../data/dataset.js';

interface Pending {
  resolve: (raw: RawBatch) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
}

/**
 * Running from TypeScript sources (tests, tsx), a worker does not inherit
 * tsx's loader, so it is started through a tiny script that registers tsx
 * first; from the compiled JavaScript the worker file is started directly.
 */
function startWorker(spec: WorkerDatasetSpec): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(`./loader-worker.${fromSource ? 'ts' : 'js'}`, import.meta.url);
  if (!fromSource) return new Worker(entry, { workerData: { spec } });
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: { spec } });
}

export class WorkerThreadPool implements BatchWorkerPool {
  private readonly slots: Slot[] = [];
  private nextId = 0;
  private failure: Error | null = null;
  private closed = false;

  constructor(spec: WorkerDatasetSpec, numWorkers: number) {
    for (let i = 0; i < numWorkers; i++) {
      const slot: Slot = { worker: startWorker(spec), pending: new Map() };
      slot.worker.unref();
      slot.worker.on('message', (message: { id: number; raw?: RawBatch; error?: { message: string; stack?: string } }) => {
        const pending = slot.pending.get(message.id);
        if (pending === undefined) return;
        this.settled(slot, message.id);
        if (message.raw !== undefined) {
          pending.resolve(message.raw);
        } else {
          const error = new Error(message.error?.message ?? 'DataLoader worker failed');
          if (message.error?.stack) error.stack = message.error.stack;
          pending.reject(error);
        }
      });
      slot.worker.on('error', (error) => this.fail(new Error(`DataLoader worker ${i} crashed: ${error.message}`, { cause: error })));
      slot.worker.on('exit', (code) => {
        if (!this.closed) this.fail(new Error(`DataLoader worker ${i} exited unexpectedly with code ${code}`));
      });
      this.slots.push(slot);
    }
  }

  run(request: BatchRequest): Promise<RawBatch> {
    if (this.closed) return Promise.reject(new Error('DataLoader: the worker pool is closed'));
    if (this.failure !== null) return Promise.reject(this.failure);
    let slot = this.slots[0];
    for (const s of this.slots) if (s.pending.size < slot.pending.size) slot = s;
    const id = this.nextId++;
    return new Promise<RawBatch>((resolve, reject) => {
      if (slot.pending.size === 0) slot.worker.ref();
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage({ id, request });
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const error = new Error('DataLoader: the worker pool was closed');
    for (const slot of this.slots) {
      for (const p of slot.pending.values()) p.reject(error);
      slot.pending.clear();
    }
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private settled(slot: Slot, id: number): void {
    slot.pending.delete(id);
    if (slot.pending.size === 0) slot.worker.unref();
  }

  private fail(error: Error): void {
    if (this.failure === null) this.failure = error;
    for (const slot of this.slots) {
      for (const p of slot.pending.values()) p.reject(error);
      slot.pending.clear();
      slot.worker.unref();
    }
  }
}
