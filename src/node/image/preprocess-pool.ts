/**
 * Worker threads that run the ImageNet eval transform on decoded images.
 * PIL-exact resizing of a 3000×2000 photo takes about 100 ms in JavaScript
 * (about 10 ms in the native kernel), which on the main thread would stall
 * every other request of a server (decoding already runs on sharp's own
 * threads). Each image goes to
 * the least busy worker; idle workers do not keep the process alive.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { RgbImage } from '../../image/image.js';
import type { EvalTransformOptions } from '../../image/imagenet.js';
import { getBackend } from '../../backend/registry.js';
import { startWorker } from '../workers/start-worker.js';

export interface PreprocessRequest {
  id: number;
  image: RgbImage;
  options: EvalTransformOptions;
}

export interface PreprocessWorkerData {
  /** The backend whose resampling kernel the workers use: the main thread's when the pool starts. */
  backend: string;
}

export type PreprocessReply = { id: number; data: Float32Array } | { id: number; error: string };

interface Pending {
  resolve: (data: Float32Array) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
}

/** One worker per core, at most four: the transform is cheap next to the model's forward pass. */
export function defaultPreprocessThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

export class PreprocessPool {
  private readonly slots: Slot[] = [];
  private nextId = 0;
  private closed = false;
  private readonly workerData: PreprocessWorkerData = { backend: getBackend().name };

  constructor(threads = defaultPreprocessThreads()) {
    if (!Number.isInteger(threads) || threads < 1) throw new Error(`PreprocessPool: threads must be a positive integer, got ${threads}`);
    for (let i = 0; i < threads; i++) this.slots.push(this.spawn(i));
  }

  /** A worker in slot `i`; one that dies fails its pending images and is replaced, so one bad image cannot stop the pool. */
  private spawn(i: number): Slot {
    const slot: Slot = { worker: startWorker(import.meta.url, 'preprocess-worker', this.workerData), pending: new Map() };
    slot.worker.unref();
    slot.worker.on('message', (reply: PreprocessReply) => {
      const pending = slot.pending.get(reply.id);
      if (pending === undefined) return;
      this.settle(slot, reply.id);
      if ('data' in reply) pending.resolve(reply.data);
      else pending.reject(new Error(reply.error));
    });
    slot.worker.on('error', (error) => this.failSlot(slot, new Error(`preprocessing worker ${i} crashed: ${error.message}`, { cause: error })));
    slot.worker.on('exit', (code) => {
      if (this.closed) return;
      this.failSlot(slot, new Error(`preprocessing worker ${i} exited unexpectedly with code ${code}`));
      this.slots[i] = this.spawn(i);
    });
    return slot;
  }

  /** The normalized [3, crop, crop] tensor data of `image`; the image's pixel buffer is transferred (unusable afterwards). */
  transform(image: RgbImage, options: EvalTransformOptions = {}): Promise<Float32Array> {
    if (this.closed) return Promise.reject(new Error('PreprocessPool: the pool is closed'));
    let slot = this.slots[0];
    for (const s of this.slots) if (s.pending.size < slot.pending.size) slot = s;
    const id = this.nextId++;
    return new Promise<Float32Array>((resolve, reject) => {
      if (slot.pending.size === 0) slot.worker.ref();
      slot.pending.set(id, { resolve, reject });
      const request: PreprocessRequest = { id, image, options };
      // A view into a larger buffer (a Buffer from the pool) is copied, never transferred from under its owner.
      const whole = image.data.byteOffset === 0 && image.data.byteLength === image.data.buffer.byteLength;
      slot.worker.postMessage(request, whole ? [image.data.buffer as ArrayBuffer] : []);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const slot of this.slots) this.failSlot(slot, new Error('PreprocessPool: the pool was closed'));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private settle(slot: Slot, id: number): void {
    slot.pending.delete(id);
    if (slot.pending.size === 0) slot.worker.unref();
  }

  private failSlot(slot: Slot, error: Error): void {
    for (const p of slot.pending.values()) p.reject(error);
    slot.pending.clear();
    slot.worker.unref();
  }
}
