/**
 * Worker threads that prepare images for the model: decode (sharp) and the
 * ImageNet eval transform, or the transform alone for an image already
 * decoded. PIL-exact resizing of a 3000×2000 photo takes about 100 ms in
 * JavaScript (about 10 ms in the native kernel), which on the main thread
 * would stall every other request of a server. Decoding goes to the workers
 * too: sharp decodes on its own threads, but reads its options on the
 * calling thread (about half a millisecond a call), and the decoded pixels
 * would otherwise pass through the main thread's heap, whose garbage
 * collector a server's main thread pays for (measured: a major collection
 * every 0.7 s at 130 images/s, driven by 750 KB of buffers per image). Each
 * image goes to the least busy worker; idle workers do not keep the process
 * alive.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { RgbImage } from '../../image/image.js';
import type { EvalTransformOptions } from '../../image/imagenet.js';
import { getBackend } from '../../backend/registry.js';
import { startWorker } from '../workers/start-worker.js';
import type { RowSlab } from './row-slab.js';

/** Transform a decoded image, or decode image file bytes (`name` in errors, at most `maxPixels`) and transform them. */
export type PreprocessRequest =
  | { id: number; kind: 'transform'; image: RgbImage; options: EvalTransformOptions }
  | {
      id: number;
      kind: 'prepare';
      bytes: Uint8Array;
      name: string;
      maxPixels: number;
      options: EvalTransformOptions;
      /** The row of the pool's slab to write the tensor into, or null (the tensor comes back transferred). */
      row: number | null;
    };

export interface PreprocessWorkerData {
  /** The backend whose resampling kernel the workers use: the main thread's when the pool starts. */
  backend: string;
  /** The pool's row slab (RowSlab.buffer and its row length), or null. */
  slab: { buffer: SharedArrayBuffer; rowLength: number } | null;
}

/** The tensor (transferred), or `row` when it was written into that slab row, or an error. */
export type PreprocessReply = { id: number; data: Float32Array } | { id: number; row: number } | { id: number; error: string };

/** A prepared model input; `release` gives its memory back (a slab row) once nothing reads `data` any more. */
export interface PreparedRow {
  data: Float32Array;
  release(): void;
}

interface Pending {
  resolve: (reply: PreprocessReply) => void;
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
  private readonly workerData: PreprocessWorkerData;

  /**
   * `slab`: rows the workers write prepared images into (prepareRow), instead of sending each tensor back as a
   * new array; a server sizes it to the images it admits at once. Without one, or when every row is lent,
   * prepareRow's tensors are fresh arrays.
   */
  constructor(
    threads = defaultPreprocessThreads(),
    private readonly slab: RowSlab | null = null,
  ) {
    if (!Number.isInteger(threads) || threads < 1) throw new Error(`PreprocessPool: threads must be a positive integer, got ${threads}`);
    this.workerData = { backend: getBackend().name, slab: slab === null ? null : { buffer: slab.buffer, rowLength: slab.rowLength } };
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
      if ('error' in reply) pending.reject(new Error(reply.error));
      else pending.resolve(reply);
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
  async transform(image: RgbImage, options: EvalTransformOptions = {}): Promise<Float32Array> {
    return this.tensorOf(await this.send({ id: this.nextId++, kind: 'transform', image, options }, image.data));
  }

  /**
   * Decodes image file bytes (decodeImage: `name` appears in errors, at most `maxPixels` pixels) and returns the
   * normalized [3, crop, crop] tensor data. The bytes are transferred when they own their whole buffer (unusable
   * afterwards), else copied.
   */
  async prepare(bytes: Uint8Array, name: string, maxPixels: number, options: EvalTransformOptions = {}): Promise<Float32Array> {
    return this.tensorOf(await this.send({ id: this.nextId++, kind: 'prepare', bytes, name, maxPixels, options, row: null }, bytes));
  }

  /** prepare() into a row of the pool's slab when it has a free one; release the row once its data is read. */
  async prepareRow(bytes: Uint8Array, name: string, maxPixels: number, options: EvalTransformOptions = {}): Promise<PreparedRow> {
    const row = this.slab?.acquire() ?? null;
    const release = (): void => {
      if (row !== null) this.slab?.release(row);
    };
    try {
      const reply = await this.send({ id: this.nextId++, kind: 'prepare', bytes, name, maxPixels, options, row }, bytes);
      return { data: this.tensorOf(reply), release: once(release) };
    } catch (error) {
      release();
      throw error;
    }
  }

  private tensorOf(reply: PreprocessReply): Float32Array {
    if ('data' in reply) return reply.data;
    if ('row' in reply && this.slab !== null) return this.slab.view(reply.row);
    throw new Error('PreprocessPool: a worker answered without a tensor');
  }

  /** Posts `request` to the least busy worker, `payload`'s buffer transferred when it is the whole buffer. */
  private send(request: PreprocessRequest, payload: Uint8Array): Promise<PreprocessReply> {
    if (this.closed) return Promise.reject(new Error('PreprocessPool: the pool is closed'));
    let slot = this.slots[0];
    for (const s of this.slots) if (s.pending.size < slot.pending.size) slot = s;
    return new Promise<PreprocessReply>((resolve, reject) => {
      if (slot.pending.size === 0) slot.worker.ref();
      slot.pending.set(request.id, { resolve, reject });
      // A view into a larger buffer (a Buffer from the pool) is copied, never transferred from under its owner.
      const whole = payload.byteOffset === 0 && payload.byteLength === payload.buffer.byteLength && !(payload.buffer instanceof SharedArrayBuffer);
      slot.worker.postMessage(request, whole ? [payload.buffer as ArrayBuffer] : []);
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

/** `f`, callable any number of times, run at most once. */
function once(f: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    f();
  };
}
