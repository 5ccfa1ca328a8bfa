/**
 * The transform contract. A transform maps a float CHW image to another; a
 * random one draws only from the Generator it is handed, so the loader can
 * give every sample its own seeded stream and a sample is augmented the same
 * way whichever thread processes it. Each transform can describe itself as
 * plain data (a spec) so worker threads can rebuild the same pipeline.
 */
import type { Generator } from '../../tensor/random.js';
import type { FloatImage } from '../image.js';

export interface TransformSpec {
  type: string;
  [key: string]: unknown;
}

export interface Transform {
  apply(image: FloatImage, rng: Generator): FloatImage;
  /** Plain, structured-clonable data that transformFromSpec turns back into an equal transform. */
  toSpec(): TransformSpec;
}

/** Applies transforms in order, like torchvision.transforms.Compose. */
export class Compose implements Transform {
  readonly transforms: readonly Transform[];

  constructor(transforms: readonly Transform[]) {
    this.transforms = [...transforms];
  }

  apply(image: FloatImage, rng: Generator): FloatImage {
    let out = image;
    for (const t of this.transforms) out = t.apply(out, rng);
    return out;
  }

  toSpec(): TransformSpec {
    return { type: 'Compose', transforms: this.transforms.map((t) => t.toSpec()) };
  }
}

/** Python's round(): halves go to the even neighbour. torchvision's crop arithmetic relies on it. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** A size given as one number (square) or [height, width]. */
export type Size2d = number | readonly [number, number];

export function toHeightWidth(size: Size2d, what: string): [number, number] {
  const [h, w] = typeof size === 'number' ? [size, size] : size;
  if (!Number.isInteger(h) || !Number.isInteger(w) || h <= 0 || w <= 0) {
    throw new Error(`${what}: size must be a positive integer or [height, width] of positive integers, got ${JSON.stringify(size)}`);
  }
  return [h, w];
}
