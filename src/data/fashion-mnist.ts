/**
 * Fashion-MNIST (Xiao, Rasul & Vollgraf 2017, Zalando): 28×28 grayscale
 * images of 10 clothing classes, 60,000 for training and 10,000 for test,
 * held in memory as the bytes of the IDX files. A sample is the image scaled
 * to [0, 1] as [1, 28, 28] (torchvision's ToTensor), then the transform.
 */
import type { Generator } from '../tensor/random.js';
import { checkIndex, type Dataset, type Sample, type WorkerDatasetSpec } from './dataset.js';
import { parseIdxImages, parseIdxLabels, type IdxImages } from './idx.js';
import { floatImageFromBytes } from './image.js';
import { transformFromSpec } from './transforms/spec.js';
import type { Transform, TransformSpec } from './transforms/transform.js';

/** The class names, index = label, as in torchvision.datasets.FashionMNIST.classes. */
export const FASHION_MNIST_CLASSES: readonly string[] = Object.freeze([
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
]);

export interface FashionMnistOptions {
  /** Applied to every [1, 28, 28] image in [0, 1]; none by default. */
  transform?: Transform;
  /** Names the data in error messages (e.g. the images file path). */
  name?: string;
}

interface WorkerArgs {
  pixels: Uint8Array;
  labels: Uint8Array;
  rows: number;
  cols: number;
  name: string;
  transform: TransformSpec | null;
}

export class FashionMnist implements Dataset {
  readonly classes = FASHION_MNIST_CLASSES;
  readonly rows: number;
  readonly cols: number;
  readonly name: string;
  readonly transform: Transform | undefined;
  private pixels: Uint8Array;
  private readonly labelBytes: Uint8Array;

  constructor(images: IdxImages, labels: Uint8Array, options: FashionMnistOptions = {}) {
    this.name = options.name ?? 'Fashion-MNIST';
    if (images.count !== labels.length) {
      throw new Error(`${this.name}: ${images.count} images but ${labels.length} labels; the images and labels files do not belong together`);
    }
    const bad = labels.findIndex((l) => l >= FASHION_MNIST_CLASSES.length);
    if (bad >= 0) throw new Error(`${this.name}: label ${labels[bad]} of sample ${bad} is not a class index 0..${FASHION_MNIST_CLASSES.length - 1}`);
    this.rows = images.rows;
    this.cols = images.cols;
    this.pixels = images.pixels;
    this.labelBytes = labels;
    this.transform = options.transform;
  }

  /** From the bytes of an images file and a labels file (raw or gzipped). */
  static fromIdx(
    imagesBytes: Uint8Array,
    labelsBytes: Uint8Array,
    options: FashionMnistOptions & { imagesName?: string; labelsName?: string } = {},
  ): FashionMnist {
    const images = parseIdxImages(imagesBytes, options.imagesName);
    const labels = parseIdxLabels(labelsBytes, options.labelsName);
    const name = options.name ?? (options.imagesName && options.labelsName ? `${options.imagesName} + ${options.labelsName}` : undefined);
    return new FashionMnist(images, labels, { ...options, name });
  }

  get length(): number {
    return this.labelBytes.length;
  }

  label(index: number): number {
    checkIndex(index, this.length, this.name);
    return this.labelBytes[index];
  }

  /** All labels (a view; do not modify). */
  get labels(): Uint8Array {
    return this.labelBytes;
  }

  /** The raw rows×cols bytes of one image (a view). */
  rawImage(index: number): Uint8Array {
    checkIndex(index, this.length, this.name);
    const size = this.rows * this.cols;
    return this.pixels.subarray(index * size, (index + 1) * size);
  }

  /** The same images and labels with another transform (no copy). */
  withTransform(transform: Transform | undefined): FashionMnist {
    return new FashionMnist({ count: this.length, rows: this.rows, cols: this.cols, pixels: this.pixels }, this.labelBytes, { name: this.name, transform });
  }

  get(index: number, rng: Generator): Sample {
    checkIndex(index, this.length, this.name);
    const image = floatImageFromBytes(this.pixels, this.cols, this.rows, 1, index * this.rows * this.cols);
    return { image: this.transform ? this.transform.apply(image, rng) : image, label: this.labelBytes[index] };
  }

  /**
   * Workers share the pixels instead of each getting a 47 MB copy: they are
   * moved once into a SharedArrayBuffer, which structured clone passes by reference.
   */
  workerSpec(): WorkerDatasetSpec {
    if (typeof SharedArrayBuffer !== 'undefined' && !(this.pixels.buffer instanceof SharedArrayBuffer)) {
      const shared = new Uint8Array(new SharedArrayBuffer(this.pixels.length));
      shared.set(this.pixels);
      this.pixels = shared;
    }
    const args: WorkerArgs = {
      pixels: this.pixels,
      labels: this.labelBytes,
      rows: this.rows,
      cols: this.cols,
      name: this.name,
      transform: this.transform ? this.transform.toSpec() : null,
    };
    return { module: import.meta.url, factory: 'fashionMnistFromWorkerArgs', args };
  }
}

/** Rebuilds a FashionMnist inside a worker from workerSpec().args. */
export function fashionMnistFromWorkerArgs(args: WorkerArgs): FashionMnist {
  const count = args.labels.length;
  return new FashionMnist({ count, rows: args.rows, cols: args.cols, pixels: args.pixels }, args.labels, {
    name: args.name,
    transform: args.transform ? transformFromSpec(args.transform) : undefined,
  });
}
