/**
 * A resolved model as an image classifier: image bytes in, the model's
 * outputs and top-k classes out, with the ImageNet eval preprocessing
 * (Resize 256, CenterCrop to the model's input size, Normalize). Shared by
 * `alexnet classify` and `alexnet serve`, so both give the same answer for
 * the same image.
 */
import { noGradAsync } from '../../autograd/grad-mode.js';
import { IMAGENET_CLASSES } from '../../models/imagenet-classes.js';
import { topK, type Prediction } from '../../models/predictions.js';
import type { Module } from '../../nn/module.js';
import { logSoftmaxForward } from '../../backend/js/log-softmax.js';
import { OnnxModel } from '../../onnx/onnx-model.js';
import { Tensor } from '../../tensor/tensor.js';
import type { ResolvedModel } from '../cli/options.js';
import { MAX_IMAGE_PIXELS, decodeImageForModel } from '../image/decode.js';
import type { PreparedRow, PreprocessPool } from '../image/preprocess-pool.js';
import { imagenetEvalTransform } from '../../image/imagenet.js';
import { modelInputChannels } from '../../models/input-channels.js';

/** The shorter side images are resized to before the center crop, as torchvision's eval transform. */
const RESIZE = 256;

/**
 * What a classifier needs to know of its model: a CLI-resolved model
 * (`resolveModel`) is one; in a program, `{ model, inputSize: 224, numClasses: 1000 }`.
 */
export interface ClassifierModel {
  model: Module;
  /** The side of the square input (the registry entry's inputSize, or the ONNX graph's H). */
  inputSize: number;
  numClasses: number;
  /** True when the model already ends in a softmax (an ONNX graph like the BVLC AlexNet). */
  outputsProbabilities?: boolean;
  /** The batch an ONNX graph fixes, or null (any batch). */
  fixedBatch?: number | null;
}

/** A model resolved from the command line's --model/--weights, as a ClassifierModel. */
export function classifierModel(resolved: ResolvedModel): ClassifierModel {
  return { ...resolved, inputSize: resolved.entry.inputSize };
}

/** Refuses a model whose input is not 3-channel (RGB), for `purpose` (what needs pictures), with a `hint` after. */
export function assertTakesRgb(model: Module, purpose: string, hint: string): void {
  const channels = modelInputChannels(model);
  if (channels !== null && channels !== 3) {
    throw new Error(
      `the model takes ${channels}-channel images (weights trained with --in-channels ${channels}, such as a Fashion-MNIST model); ` +
        `${purpose} needs a model of RGB input, 3 channels. ${hint}`,
    );
  }
}

export class ImageClassifier {
  readonly model: Module;
  /** The side of the square input. */
  readonly crop: number;
  readonly numClasses: number;
  /** ImageNet's class names when the model has its 1000 classes, else null. */
  readonly labels: readonly string[] | null;
  /** The batch an ONNX graph fixes (inputs are padded or split to it), or null. */
  readonly fixedBatch: number | null;
  /** The names of the model's input and output tensors: the graph's for an ONNX model, else "input" and "output". */
  readonly inputName: string;
  readonly outputName: string;
  private readonly outputsProbabilities: boolean;

  /**
   * `pool`: where decoding and the PIL-exact resize run (worker threads);
   * without one they run on the calling thread. `maxPixels`: the largest image decoded.
   */
  constructor(
    resolved: ClassifierModel,
    private readonly pool: PreprocessPool | null = null,
    private readonly maxPixels = MAX_IMAGE_PIXELS,
  ) {
    // Classifying is inference: dropout off, as torch's model.eval() before it (a model fresh from createModel()
    // is in training mode, and gave a different class on each call).
    this.model = resolved.model.eval();
    this.crop = resolved.inputSize;
    this.numClasses = resolved.numClasses;
    this.labels = resolved.numClasses === IMAGENET_CLASSES.length ? IMAGENET_CLASSES : null;
    this.fixedBatch = resolved.fixedBatch ?? null;
    this.outputsProbabilities = resolved.outputsProbabilities ?? false;
    const graph = resolved.model instanceof OnnxModel ? resolved.model : null;
    this.inputName = graph?.inputs[0]?.name ?? 'input';
    this.outputName = graph?.outputs[0]?.name ?? 'output';
    assertTakesRgb(resolved.model, 'classifying pictures', 'Measure this one with `alexnet eval` on its data set');
  }

  /** Values in one input image: 3 × crop × crop. */
  get inputSize(): number {
    return 3 * this.crop * this.crop;
  }

  /**
   * Decodes image bytes (`name` appears in errors) and returns the model-ready [3, crop, crop] data: on the
   * pool's workers when there is a pool (the bytes are then handed over: do not use them afterwards).
   */
  async prepare(bytes: Uint8Array, name: string): Promise<Float32Array> {
    const options = { resize: RESIZE, crop: this.crop };
    if (this.pool !== null) return this.pool.prepare(bytes, name, this.maxPixels, options);
    return imagenetEvalTransform(await decodeImageForModel(bytes, name, this.maxPixels), options).data;
  }

  /** prepare(), into a row of the pool's slab when it has one (a server): call `release` once the data is read. */
  async prepareRow(bytes: Uint8Array, name: string): Promise<PreparedRow> {
    if (this.pool !== null) return this.pool.prepareRow(bytes, name, this.maxPixels, { resize: RESIZE, crop: this.crop });
    return { data: await this.prepare(bytes, name), release: () => {} };
  }

  /**
   * The model's raw outputs [n, classes] for `n` inputs stacked in `rows`
   * (n × inputSize values). A graph with a fixed batch gets batches of
   * exactly that size, zero-padded.
   */
  async forward(rows: Float32Array, n: number): Promise<Float32Array> {
    if (rows.length !== n * this.inputSize) throw new Error(`ImageClassifier.forward: expected ${n} × ${this.inputSize} values, got ${rows.length}`);
    const chunk = this.fixedBatch ?? n;
    const out = new Float32Array(n * this.numClasses);
    for (let start = 0; start < n; start += chunk) {
      const count = Math.min(chunk, n - start);
      // The rows themselves when they are the whole batch; a copy only to pad or split for a fixed batch.
      const data = chunk === n ? rows : new Float32Array(chunk * this.inputSize);
      if (data !== rows) data.set(rows.subarray(start * this.inputSize, (start + count) * this.inputSize));
      const y = await noGradAsync(() => this.model.callAsync(new Tensor(data, [chunk, 3, this.crop, this.crop])));
      if (y.data.length !== chunk * this.numClasses)
        throw new Error(`the model returned shape [${y.shape.join(', ')}], expected [${chunk}, ${this.numClasses}]`);
      out.set(y.data.subarray(0, count * this.numClasses), start * this.numClasses);
    }
    return out;
  }

  /**
   * Class probabilities of raw outputs [n, classes]: a softmax per row
   * (exp of log-softmax, as the softmax op computes it), unless the model
   * already ends in one. The reference kernel runs here on the calling
   * thread: a server calls this for every answer, and a backend kernel
   * would wait for the forward pass that holds the native thread pool.
   */
  probabilities(outputs: Float32Array, n: number): Float32Array {
    if (this.outputsProbabilities) return outputs;
    const probs = new Float32Array(n * this.numClasses);
    logSoftmaxForward(n, this.numClasses, outputs, probs);
    for (let i = 0; i < probs.length; i++) probs[i] = Math.exp(probs[i]);
    return probs;
  }

  /**
   * The k most probable classes of each of the n rows of `probs`. A k the
   * model cannot give is refused, as torch.topk refuses it, rather than
   * quietly answering fewer classes than asked for.
   */
  top(probs: Float32Array, n: number, k: number): Prediction[][] {
    if (!Number.isSafeInteger(k) || k < 1 || k > this.numClasses)
      throw new RangeError(`top-k: k = ${k}, expected an integer from 1 to ${this.numClasses} (the model's classes)`);
    return Array.from({ length: n }, (_, i) => topK(probs.subarray(i * this.numClasses, (i + 1) * this.numClasses), k, this.labels));
  }
}
