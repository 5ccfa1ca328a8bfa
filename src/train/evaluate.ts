/**
 * Evaluation over a stream of batches: the model in eval mode (dropout off),
 * no graph recorded, and the loss, top-1 and top-5 error accumulated. The
 * model's previous mode is restored afterwards.
 */
import { noGrad } from '../autograd/grad-mode.js';
import type { Module } from '../nn/module.js';
import { crossEntropy } from '../ops/loss.js';
import { shapeToString } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { ClassificationMeter, type ClassificationResult } from './metrics.js';

export interface LabelledBatch {
  images: Tensor;
  labels: Int32Array;
}

export interface EvaluateOptions {
  /** Called after every batch with the number of samples done so far. */
  onBatch?: (samplesDone: number) => void;
  /**
   * The model ends in Softmax (an ONNX graph such as the BVLC AlexNet): its outputs are probabilities, whose
   * loss is the mean of −log p[label]; cross-entropy would apply a second softmax.
   */
  outputsProbabilities?: boolean;
  /**
   * The model takes batches of exactly this many images (an ONNX graph with a fixed batch, such as the BVLC
   * AlexNet's 1): each batch is run in runs of that size, the last one zero-padded.
   */
  fixedBatch?: number | null;
}

/** Mean −log p[label] over a batch of probabilities [B, classes] (NLLLoss on their log). */
function probabilitiesLoss(probabilities: Tensor, labels: Int32Array): number {
  const classes = probabilities.shape[1];
  let sum = 0;
  for (let i = 0; i < labels.length; i++) sum -= Math.log(probabilities.data[i * classes + labels[i]]);
  return sum / labels.length;
}

/** logitsNoGrad for a model that takes exactly `size` images per call: runs of `size`, the last zero-padded. */
function logitsInFixedBatches(model: Module, images: Tensor, size: number): Tensor {
  const n = images.shape[0];
  if (n === size) return logitsNoGrad(model, images);
  const perImage = n === 0 ? 0 : images.numel / n;
  const runs: Float32Array[] = [];
  let classes = 0;
  for (let start = 0; start < n; start += size) {
    const count = Math.min(size, n - start);
    const padded = new Float32Array(size * perImage);
    padded.set(images.data.subarray(start * perImage, (start + count) * perImage));
    const logits = logitsNoGrad(model, new Tensor(padded, [size, ...images.shape.slice(1)]));
    classes = logits.shape[1];
    runs.push(logits.data.slice(0, count * classes));
  }
  const out = new Float32Array(n * classes);
  for (const [i, run] of runs.entries()) out.set(run, i * size * classes);
  return new Tensor(out, [n, classes]);
}

/** Logits [B, classes] of one batch without recording a graph (the model's mode is left as it is). */
export function logitsNoGrad(model: Module, images: Tensor): Tensor {
  const logits = noGrad(() => model.call(images));
  if (logits.ndim !== 2) throw new Error(`the model returned shape ${shapeToString(logits.shape)}, expected logits [batch, classes]`);
  return logits;
}

export async function evaluate(
  model: Module,
  batches: AsyncIterable<LabelledBatch> | Iterable<LabelledBatch>,
  options: EvaluateOptions = {},
): Promise<ClassificationResult> {
  const wasTraining = model.training;
  model.eval();
  const meter = new ClassificationMeter();
  try {
    // Grad mode is switched off around each forward only, never across an await.
    for await (const batch of batches) {
      const logits = options.fixedBatch ? logitsInFixedBatches(model, batch.images, options.fixedBatch) : logitsNoGrad(model, batch.images);
      const loss = options.outputsProbabilities ? probabilitiesLoss(logits, batch.labels) : noGrad(() => crossEntropy(logits, batch.labels).item());
      meter.add(loss, logits.data, logits.shape[0], logits.shape[1], batch.labels);
      options.onBatch?.(meter.samples);
    }
  } finally {
    model.train(wasTraining);
  }
  // Every sample skipped (unreadable, or a format the decoder does not read) is a failure, not a NaN% error.
  if (meter.samples === 0) throw new Error('evaluation saw no sample: every image was empty or skipped as unreadable (see the warnings above)');
  return meter.result();
}
