/**
 * What the DataLoader needs from a data set: a length and a way to produce
 * sample i, given the generator that holds that sample's augmentation
 * randomness. A data set that can be rebuilt inside a worker thread says how
 * through workerSpec().
 */
import type { Generator } from '../tensor/random.js';
import type { FloatImage } from './image.js';

export interface Sample {
  image: FloatImage;
  label: number;
}

/**
 * How to rebuild a data set in another thread: the module URL to import,
 * the name of the (possibly async) function it exports, and the
 * structured-clonable argument to call it with.
 */
export interface WorkerDatasetSpec {
  module: string;
  factory: string;
  args: unknown;
}

export interface Dataset {
  readonly length: number;
  get(index: number, rng: Generator): Sample | Promise<Sample>;
  workerSpec?(): WorkerDatasetSpec;
}

/**
 * Thrown by a data set for a sample that cannot be produced but should not
 * stop training (a corrupt image): the loader leaves it out of its batch,
 * warns once and counts it.
 */
export class SkippableSampleError extends Error {
  readonly skippable = true;

  constructor(message: string) {
    super(message);
    this.name = 'SkippableSampleError';
  }
}

/** Duck-typed so that it also recognises errors rebuilt from a worker's message. */
export function isSkippable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { skippable?: unknown }).skippable === true;
}

export function checkIndex(index: number, length: number, what: string): void {
  if (!Number.isInteger(index) || index < 0 || index >= length) {
    throw new Error(`${what}: index ${index} is out of range for ${length} samples`);
  }
}
