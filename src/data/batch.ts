/**
 * Producing one batch: run the data set on each index with its own seeded
 * generator, leave out skippable failures, and stack the images into one
 * [B, C, H, W] buffer. The same function runs on the main thread and inside
 * worker threads, which is what makes both give identical batches.
 */
import { isSkippable, type Dataset, type Sample } from './dataset.js';
import { imageShapeString } from './image.js';
import { sampleGenerator } from './sampling.js';

export interface BatchRequest {
  seed: number;
  epoch: number;
  /** Data-set indices of the batch, in order. */
  indices: Int32Array;
}

export interface SkippedSample {
  index: number;
  message: string;
}

/** A batch as plain data (what a worker sends back): images are B×C×H×W float32. */
export interface RawBatch {
  images: Float32Array;
  shape: [number, number, number, number];
  labels: Int32Array;
  /** Indices of the samples actually in the batch (skipped ones are absent). */
  indices: Int32Array;
  skipped: SkippedSample[];
}

export async function loadBatch(dataset: Dataset, request: BatchRequest): Promise<RawBatch> {
  const { seed, epoch, indices } = request;
  const pending: (Sample | Promise<Sample> | { error: unknown })[] = [];
  for (const index of indices) {
    try {
      pending.push(dataset.get(index, sampleGenerator(seed, epoch, index)));
    } catch (error) {
      pending.push({ error });
    }
  }
  // Asynchronous data sets (decoding files) get all their samples started before any is awaited.
  const settled = await Promise.allSettled(pending.map((p) => ('error' in p ? Promise.reject(p.error) : p)));
  const samples: Sample[] = [];
  const kept: number[] = [];
  const skipped: SkippedSample[] = [];
  settled.forEach((result, k) => {
    if (result.status === 'fulfilled') {
      samples.push(result.value);
      kept.push(indices[k]);
    } else if (isSkippable(result.reason)) {
      skipped.push({ index: indices[k], message: (result.reason as Error).message });
    } else {
      throw result.reason;
    }
  });
  return { ...collate(samples, kept), skipped };
}

function collate(samples: Sample[], indices: number[]): Omit<RawBatch, 'skipped'> {
  if (samples.length === 0) {
    return { images: new Float32Array(0), shape: [0, 0, 0, 0], labels: new Int32Array(0), indices: new Int32Array(0) };
  }
  const first = samples[0].image;
  const size = first.channels * first.height * first.width;
  const images = new Float32Array(samples.length * size);
  const labels = new Int32Array(samples.length);
  samples.forEach(({ image, label }, b) => {
    if (image.channels !== first.channels || image.height !== first.height || image.width !== first.width) {
      throw new Error(
        `DataLoader: sample ${indices[b]} has shape ${imageShapeString(image)} but sample ${indices[0]} of the same batch has ${imageShapeString(first)}; add a Resize/CenterCrop transform so all samples match`,
      );
    }
    if (!Number.isInteger(label)) throw new Error(`DataLoader: sample ${indices[b]} has a non-integer label ${label}`);
    if (image.data.length !== size) {
      throw new Error(`DataLoader: sample ${indices[b]} holds ${image.data.length} values, expected ${size} for its shape ${imageShapeString(image)}`);
    }
    images.set(image.data, b * size);
    labels[b] = label;
  });
  return { images, shape: [samples.length, first.channels, first.height, first.width], labels, indices: Int32Array.from(indices) };
}
