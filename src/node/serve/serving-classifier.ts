/**
 * The classifier a server runs: decoding and preprocessing on a pool of
 * worker threads, which write each prepared image into a row of one shared
 * slab sized to the images the server admits at once (--max-queue).
 */
import { type ClassifierModel, ImageClassifier } from '../classify/image-classifier.js';
import { MAX_IMAGE_PIXELS } from '../image/decode.js';
import { PreprocessPool } from '../image/preprocess-pool.js';
import { RowSlab } from '../image/row-slab.js';

export interface ServingClassifier {
  classifier: ImageClassifier;
  pool: PreprocessPool;
  /** Rows lent to requests in flight (slab.inUse) return to 0 when the server is idle. */
  slab: RowSlab;
}

export interface ServingClassifierOptions {
  /** Images admitted at once: the slab's rows. */
  maxQueue: number;
  /** Preprocessing worker threads (default: one per core, at most 4). */
  threads?: number;
  /** The largest image decoded, width × height. */
  maxPixels?: number;
}

export function servingClassifier(model: ClassifierModel, options: ServingClassifierOptions): ServingClassifier {
  const slab = new RowSlab(options.maxQueue, 3 * model.inputSize * model.inputSize);
  const pool = new PreprocessPool(options.threads, slab);
  return { classifier: new ImageClassifier(model, pool, options.maxPixels ?? MAX_IMAGE_PIXELS), pool, slab };
}
