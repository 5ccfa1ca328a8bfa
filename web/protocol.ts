/**
 * The messages between the page (app.ts, main thread) and the model worker
 * (worker.ts). The page sends requests `{ id, type, params }` and gets one
 * response per request, `{ id, ok, result | error }`; the worker also sends
 * events on its own (training progress). Types only: nothing here runs.
 */

/** Which kernels the worker asks for: 'auto' tries WebAssembly first and falls back to JavaScript. */
export type BackendPreference = 'auto' | 'js';

/** The two models the page holds: the ImageNet one (random or loaded from a file), and the one trained in the page. */
export type Slot = 'main' | 'trained';

/**
 * A picture for a canvas, made into an ImageBitmap in the worker and moved to
 * the page: the page only hands it to a canvas (web/ui/pictures.ts). Made on
 * the page's thread instead, the feature maps' five bitmaps took 66 ms there.
 */
export interface Picture {
  width: number;
  height: number;
  bitmap: ImageBitmap;
}

/** 8-bit RGBA pixels, as the worker computes them (worker/pictures.ts makes them a Picture). */
export interface RgbaPicture {
  width: number;
  height: number;
  rgba: Uint8ClampedArray<ArrayBuffer>;
}

export interface BackendInfo {
  /** 'wasm' or 'js'. */
  name: string;
  threaded: boolean;
  threads: number;
  /** What the backend said about itself (or why it runs single-threaded). */
  detail: string;
  /** Set when WebAssembly was wanted but failed to load: the message, the page runs on js. */
  wasmError: string | null;
}

export interface ModelInfo {
  slot: Slot;
  /** 'alexnet', 'alexnet-original', … or 'ONNX graph <name>'. */
  name: string;
  /** Where the weights came from, for people. */
  source: string;
  randomInit: boolean;
  dataset: 'imagenet' | 'fashion-mnist' | 'other';
  /** [channels, height, width] of one input image. */
  inputShape: [number, number, number];
  numClasses: number;
  parameters: number;
}

export interface InitParams {
  backend: BackendPreference;
}

export interface ReadyInfo {
  backend: BackendInfo;
  model: ModelInfo;
}

/** An image to classify: a decoded bitmap (moved to the worker), or a test image of the embedded Fashion-MNIST subset. */
export type ImageInput = { kind: 'bitmap'; bitmap: ImageBitmap; name: string } | { kind: 'test-sample'; index: number | null };

export interface Prediction {
  index: number;
  label: string;
  prob: number;
}

export interface ClassifyResult {
  predictions: Prediction[];
  /** The forward pass and softmax, in milliseconds. */
  inferenceMs: number;
  /** The model's first forward pass since it was loaded: it includes preparing (packing) the weights. */
  firstRun: boolean;
  /** Resizing, cropping and normalizing the image. */
  preprocessMs: number;
  backend: string;
  /** The model's input as pixels (after resizing and cropping, before normalizing). */
  input: Picture;
  /** How the image was prepared, for people ("resize 256, center crop 224"). */
  preprocessing: string;
  /** For a Fashion-MNIST test image: its true class, and its index in the test split. */
  trueLabel: string | null;
  sampleIndex: number | null;
  /** Name of the image. */
  name: string;
}

export interface FeatureMapLayer {
  /** The layer's state_dict path, e.g. "features.0". */
  name: string;
  /** "conv1 + ReLU". */
  label: string;
  /** [channels, height, width]. */
  shape: [number, number, number];
  picture: Picture;
}

/** conv1's kernels as one picture, and what they are. */
export interface FiltersPicture {
  picture: Picture;
  /** The layer's path, e.g. "features.0". */
  name: string;
  count: number;
  inChannels: number;
  kernel: [number, number];
}

export interface TrainOptions {
  batchSize: number;
  lr: number;
  epochs: number;
  seed: number;
}

/** Request name → [params, result]. */
export interface Requests {
  init: [InitParams, ReadyInfo];
  /** The file itself (a handle, cheap to post): the worker reads it, so a large file never blocks the page. */
  loadWeights: [{ file: Blob; fileName: string }, ModelInfo];
  randomModel: [Record<string, never>, ModelInfo];
  classify: [{ slot: Slot; image: ImageInput }, ClassifyResult];
  /** Each conv layer's output for the last image classified with that slot's model. */
  featureMaps: [{ slot: Slot }, FeatureMapLayer[]];
  /** conv1's kernels (the paper's Figure 3). */
  filters: [{ slot: Slot }, FiltersPicture];
  trainStart: [TrainOptions, null];
  trainStop: [Record<string, never>, null];
  trainReset: [Record<string, never>, null];
  /** The trained model's state dict as a zip .pth, as torch.save writes it. */
  exportTrained: [Record<string, never>, Blob];
}

export type RequestName = keyof Requests;
export type Params<K extends RequestName> = Requests[K][0];
export type Result<K extends RequestName> = Requests[K][1];

export type RequestMessage = { [K in RequestName]: { id: number; type: K; params: Params<K> } }[RequestName];

export type ResponseMessage = { kind: 'response'; id: number; ok: true; result: unknown } | { kind: 'response'; id: number; ok: false; error: string };

export type TrainState = 'idle' | 'loading' | 'running' | 'stopping' | 'evaluating' | 'stopped' | 'finished' | 'error';

export interface TrainStepReport {
  step: number;
  /** 0-based epoch and the batch within it (1-based: the batch just done). */
  epoch: number;
  batch: number;
  batchesPerEpoch: number;
  totalSteps: number;
  loss: number;
  /** Top-1 accuracy of this batch (training mode: dropout on). */
  accuracy: number;
  stepMs: number;
  imagesPerSecond: number;
}

export type TrainEvent =
  | { type: 'state'; state: TrainState; step: number; message: string | null }
  | { type: 'data'; trainImages: number; testImages: number }
  | { type: 'step'; report: TrainStepReport }
  | { type: 'filters'; step: number; picture: Picture }
  | { type: 'eval'; step: number; accuracy: number; loss: number; samples: number; done: number }
  | { type: 'model'; info: ModelInfo | null };

export type EventMessage = { kind: 'event'; event: TrainEvent };

export type WorkerMessage = ResponseMessage | EventMessage;
