/**
 * The models the page classifies with, and how a weights file becomes one.
 * A .pth or .safetensors file is matched against each AlexNet of the
 * registry (class count and input channels read from the weights, as
 * `alexnet classify` does), so a file of another architecture is refused
 * with one message saying what it holds; an .onnx file is its own model.
 */
import {
  createModel,
  data,
  detectWeightsFormat,
  getBackend,
  IMAGENET_CLASSES,
  manualSeed,
  modelNames,
  nn,
  onnx,
  readStateDict,
  type StateDict,
} from 'alexnet-ts';
import type { ModelInfo, Slot } from '../protocol.js';

export interface PageModel {
  module: nn.Module;
  info: ModelInfo;
  /** Class names, index = output. */
  labels: readonly string[];
  /** The output is already a softmax (an ONNX graph like the BVLC AlexNet). */
  outputsProbabilities: boolean;
}

/** A model's class names: ImageNet's 1000, Fashion-MNIST's 10 for a one-channel 10-class model, else numbers. */
function labelsFor(numClasses: number, inChannels: number): { labels: readonly string[]; dataset: ModelInfo['dataset'] } {
  if (numClasses === IMAGENET_CLASSES.length) return { labels: IMAGENET_CLASSES, dataset: 'imagenet' };
  if (numClasses === data.FASHION_MNIST_CLASSES.length && inChannels === 1) return { labels: data.FASHION_MNIST_CLASSES, dataset: 'fashion-mnist' };
  return { labels: Array.from({ length: numClasses }, (_, i) => `class ${i}`), dataset: 'other' };
}

/** The input side a registry model is fed at: 64 for a Fashion-MNIST model (as `alexnet train` trains it), else its own. */
function inputSide(name: string, dataset: ModelInfo['dataset']): number {
  if (name === 'alexnet') return dataset === 'fashion-mnist' ? 64 : 224;
  return 227;
}

export function describeModel(
  module: nn.Module,
  name: string,
  source: string,
  slot: Slot,
  randomInit: boolean,
  inChannels: number,
  numClasses: number,
): PageModel {
  const { labels, dataset } = labelsFor(numClasses, inChannels);
  const side = inputSide(name, dataset);
  return {
    module,
    labels,
    outputsProbabilities: false,
    info: { slot, name, source, randomInit, dataset, inputShape: [inChannels, side, side], numClasses, parameters: module.numParameters() },
  };
}

/**
 * The page's main model is only ever run, never trained or saved (training builds its own), so on a backend that
 * keeps its own packed copy of the linear weights (wasm) their float32 values are freed: AlexNet's classifier would
 * otherwise sit in memory twice (234 MB in JavaScript, 234 MB in WebAssembly). Parameters still viewing a loaded
 * file's bytes (loadStateDict with assign) are then copied out of it (the convolutions' 10 MB), so that the file's
 * buffer can be collected too.
 */
function holdWeightsOnce(model: nn.Module): void {
  if (getBackend().packsFp32LinearWeights !== true) return;
  model.eval().setPrecision('fp32', { keepFp32Weights: false });
  for (const p of model.parameters()) if (p.data.byteLength < p.data.buffer.byteLength) p.setStorage(p.data.slice());
}

/** torchvision's AlexNet with seeded random weights: inference works before any file is loaded (the classes mean nothing). */
export function randomImagenetModel(seed = 0): PageModel {
  manualSeed(seed);
  const module = createModel('alexnet').eval();
  holdWeightsOnce(module);
  return describeModel(module, 'alexnet', `random weights (seed ${seed}): load a weights file for real predictions`, 'main', true, 3, 1000);
}

function shapeOf(state: StateDict, key: string): string {
  const t = state.get(key);
  return t === undefined ? '-' : `[${t.shape.join(', ')}]`;
}

/** "N tensors, e.g. conv1.weight [64, 3, 7, 7], …": what a file that fits no AlexNet holds. */
function describeState(state: StateDict): string {
  const keys = [...state.keys()];
  const sample = keys
    .slice(0, 3)
    .map((k) => `${k} ${shapeOf(state, k)}`)
    .join(', ');
  return `${keys.length} tensor${keys.length === 1 ? '' : 's'} (${sample}${keys.length > 3 ? ', …' : ''})`;
}

/** Whether the model's state dict has exactly these keys with these shapes (no weights are copied). */
function fits(model: nn.Module, state: StateDict): boolean {
  const own = model.stateDict();
  if (own.size !== state.size) return false;
  for (const [key, target] of own) {
    const value = state.get(key);
    if (value === undefined || value.shape.length !== target.shape.length || value.shape.some((d, i) => d !== target.shape[i])) return false;
  }
  return true;
}

/** Sizes read from a state dict: the last 2-D tensor is the final Linear's weight, the first 4-D one conv1's. */
function inferSizes(state: StateDict): { numClasses: number; inChannels: number } {
  const tensors = [...state.values()];
  const lastMatrix = tensors.filter((t) => t.ndim === 2).at(-1);
  const firstConv = tensors.find((t) => t.ndim === 4);
  return { numClasses: lastMatrix?.shape[0] ?? 1000, inChannels: firstConv?.shape[1] ?? 3 };
}

function loadStateDictModel(state: StateDict, fileName: string): PageModel {
  const { numClasses, inChannels } = inferSizes(state);
  const candidates = modelNames();
  // A file whose keys are no AlexNet's here is "not an AlexNet"; one with an AlexNet's keys but other shapes
  // "fits none". (torchvision's names its layers features/classifier, the article's nets net.*.)
  let sameKeys = false;
  for (const name of candidates) {
    let model: nn.Module;
    try {
      // No random draws for weights the file replaces (about a second for AlexNet's 61M in the page), and the
      // parameters take the file's tensors (assign): the weights are held once, not copied.
      model = nn.init.withoutInitialization(() => createModel(name, { numClasses, inChannels }));
    } catch {
      continue;
    }
    const own = model.stateDict();
    if (own.size === state.size && [...state.keys()].every((k) => own.has(k))) sameKeys = true;
    if (!fits(model, state)) continue;
    model.loadStateDict(state, { assign: true });
    model.eval();
    holdWeightsOnce(model);
    return describeModel(model, name, fileName, 'main', false, inChannels, numClasses);
  }
  if (!sameKeys) throw new Error(`${fileName} is not an AlexNet (${candidates.join(', ')}): it holds ${describeState(state)}`);
  throw new Error(`${fileName} fits none of the AlexNets here (${candidates.join(', ')}): it holds ${describeState(state)}`);
}

function loadOnnxModel(bytes: Uint8Array, fileName: string): PageModel {
  const model = onnx.importOnnx(bytes, { source: fileName });
  const [input] = model.inputs;
  const [output] = model.outputs;
  const dims = input?.shape ?? null;
  const [, c, h, w] = dims ?? [];
  if (model.inputs.length !== 1 || model.outputs.length !== 1 || dims?.length !== 4 || typeof c !== 'number' || typeof h !== 'number' || h !== w) {
    throw new Error(`${fileName}: expected an image model (one input [N, C, S, S] with a fixed square size, one output); this graph does not classify images`);
  }
  if (c !== 3 && c !== 1) throw new Error(`${fileName}: the graph takes ${c} input channels; the page feeds RGB (3) or gray (1) images`);
  const classes = output.shape?.at(-1);
  const numClasses = typeof classes === 'number' ? classes : 1000;
  holdWeightsOnce(model);
  const described = describeModel(model, `ONNX graph ${model.graphName || fileName}`, fileName, 'main', false, c, numClasses);
  described.info.inputShape = [c, h, h];
  described.outputsProbabilities = model.outputsProbabilities;
  return described;
}

/** A weights file's bytes → a model in eval mode; errors say what is wrong with the file in one message. */
export function loadWeightsFile(bytes: Uint8Array, fileName: string): PageModel {
  if (bytes.length === 0) throw new Error(`${fileName} is empty`);
  const format = detectWeightsFormat(bytes);
  if (format === 'onnx') return loadOnnxModel(bytes, fileName);
  if (format === null) throw new Error(`${fileName} is not a weights file: expected a PyTorch checkpoint (.pth), .safetensors or .onnx`);
  return loadStateDictModel(readStateDict(bytes, { source: fileName }), fileName);
}
