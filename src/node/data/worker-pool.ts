/**
 * A fixed set of worker threads that prepare DataLoader batches. Each batch
 * goes to the least busy worker; results come back with their buffers
 * transferred, not copied. Idle workers do not keep the process alive.
 */
import type { Worker } from 'node:worker_threads';
import type { BatchRequest, RawBatch } from '../../data/batch.js';
import type { BatchWorkerPool } from '../../data/data-loader.js';
import type { WorkerDatasetSpec } from '../../data/dataset.js';
import { startWorker } from '../workers/start-worker.js';

interface Pending {
  resolve: (raw: RawBatch) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
}

export class WorkerThreadPool implements BatchWorkerPool {
  private readonly slots: Slot[] = [];
  private nextId = 0;
  private failure: Error | null = null;
  private closed = false;

  constructor(spec: WorkerDatasetSpec, numWorkers: number) {
    for (let i = 0; i < numWorkers; i++) {
      const slot: Slot = { worker: startWorker(import.meta.url, 'loader-worker', { spec }), pending: new Map() };
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
