/**
 * Options shared by the commands, and their parsers. Values are checked in
 * the command's action (not by commander) so that a bad value ends in the
 * same one-line error as every other failure.
 */
import { parsePrecision, type Precision } from '../../backend/precision.js';
import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import type { StateDict } from '../../formats/state-dict.js';
import { findPretrainedWeights } from '../../models/pretrained.js';
import { getModelEntry, modelNames, type ModelEntry } from '../../models/registry.js';
import { withoutInitialization } from '../../nn/init.js';
import type { Module } from '../../nn/module.js';
import { parseBackendName, selectBackendAsync } from '../backend.js';
import { resolveWeights } from '../weights/resolve.js';
import { readFileBytes, readStateDictFile } from '../weights/weight-files.js';
import { detectWeightsFormat, readStateDict } from '../../formats/weights-file.js';
import { readOnnxModelFile } from '../onnx/onnx-files.js';
import { basename } from 'node:path';

/** "1,3,224,224" → [1, 3, 224, 224]; exactly four positive integers. */
export function parseInputShape(text: string, flag = '--input'): [number, number, number, number] {
  const parts = text.split(',').map((p) => p.trim());
  const dims = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : NaN));
  if (dims.length !== 4 || dims.some((d) => !Number.isSafeInteger(d) || d < 1)) {
    throw new Error(`${flag} '${text}': expected N,C,H,W as four positive integers, e.g. 1,3,224,224`);
  }
  return dims as [number, number, number, number];
}

function parseInteger(text: string, flag: string, min: number, what: string): number {
  const value = /^\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isSafeInteger(value) || value < min) throw new Error(`${flag} '${text}': expected ${what}`);
  return value;
}

export function parsePositiveInt(text: string, flag: string): number {
  return parseInteger(text, flag, 1, 'a positive integer');
}

export function parseNonNegativeInt(text: string, flag: string): number {
  return parseInteger(text, flag, 0, 'a non-negative integer');
}

/** The registry entry of a --model value (throws "unknown model 'x': expected one of ..."). */
export function parseModel(text: string): ModelEntry {
  return getModelEntry(text);
}

export function modelOption(): Option {
  return new Option('--model <name>', `model: ${modelNames().join(', ')}`).default('alexnet');
}

/** `onnxGraph`: whether an .onnx file's graph is the model (run, classify, ...) or only holds weights for --model (export). */
export function weightsOption(onnxGraph: 'defines the model' | 'holds the weights' = 'defines the model'): Option {
  const onnx =
    onnxGraph === 'defines the model'
      ? 'an ONNX model (.onnx: the graph defines the model)'
      : "an ONNX model (.onnx: its initializers, by --model's state_dict keys)";
  return new Option(
    '--weights <weights>',
    `DEFAULT or IMAGENET1K_V1 (torchvision's ImageNet weights, alexnet only), a weights file (.pth, .safetensors), or ${onnx}`,
  );
}

export function precisionOption(): Option {
  return new Option(
    '--precision <p>',
    'inference precision: fp32, or bf16 (weights and matrix-product inputs in bfloat16, fp32 accumulation; needs AVX512-BF16 on the native backend, and uses AMX where present)',
  ).default('fp32');
}

export function numClassesOption(): Option {
  return new Option('--num-classes <k>', 'number of output classes (default: 1000, or what --weights holds)');
}

/**
 * The program-wide options every command shares: --backend (selected before
 * any command runs). --verbose is declared by main.ts.
 */
export function registerGlobalOptions(program: Command): void {
  program.option('--backend <name>', 'kernels: native (C++ addon, the default when it loads), wasm (the same kernels in WebAssembly; the fallback) or js');
  program.hook('preAction', async () => {
    const requested = program.opts<{ backend?: string }>().backend;
    await selectBackendAsync(requested === undefined ? undefined : parseBackendName(requested));
  });
}

// ---- files and models named by options --------------------------------------

/** Reads a file named by an option; errors name the option and the file. */
export async function readOptionFile(path: string, flag: string): Promise<Uint8Array> {
  try {
    const buffer = await readFile(path);
    // A plain view: parsers must not depend on Buffer's slice() semantics.
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new Error(`cannot read ${flag} ${path}: ${reason}`);
  }
}

/** ImageNet's class count, every model's default. */
const DEFAULT_CLASSES = 1000;

export interface ModelFlags {
  weights?: string;
  numClasses?: string;
  /** --precision: fp32 (default) or bf16. */
  precision?: string;
}

export interface LoadedModel {
  model: Module;
  /** True when no --weights were given: the weights are PyTorch's random initialization. */
  randomInit: boolean;
  numClasses: number;
}

/** The last 2-D tensor of a state dict is the final Linear's weight [classes, features]; the first 4-D one is conv1's [O, C, kH, kW]. */
function inferSizes(state: StateDict): { numClasses?: number; inChannels?: number } {
  const tensors = [...state.values()];
  const lastMatrix = tensors.filter((t) => t.ndim === 2).at(-1);
  const firstConv = tensors.find((t) => t.ndim === 4);
  return { numClasses: lastMatrix?.shape[0], inChannels: firstConv?.shape[1] };
}

/** A model and the registry entry (or the ONNX graph's stand-in) that describes its input. */
export interface ResolvedModel extends LoadedModel {
  entry: ModelEntry;
  /** True when the model already outputs probabilities (an ONNX graph ending in Softmax, like the BVLC AlexNet). */
  outputsProbabilities: boolean;
  /** The batch size an ONNX graph fixes (the BVLC graph reshapes to [1, 9216]), or null when any batch runs. */
  fixedBatch: number | null;
  /** The image size a training checkpoint of `alexnet train` was trained at (its config), or null. */
  trainedImageSize: number | null;
}

/** config.imageSize of an `alexnet train` checkpoint's tree, or null for any other file. */
function trainedImageSizeOf(tree: unknown): number | null {
  const config = isRecord(tree) ? tree.config : undefined;
  const size = isRecord(config) ? config.imageSize : undefined;
  return typeof size === 'number' && Number.isSafeInteger(size) && size > 0 ? size : null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Map);
}

/**
 * --model with --weights, or, when --weights is an ONNX file, the graph in
 * it: the graph then defines the model (--model is not used) and its
 * declared input [N, C, H, W] gives the input size.
 */
export async function resolveModel(flags: ModelFlags & { model: string }, options: { anyGraph?: boolean } = {}): Promise<ResolvedModel> {
  parsePrecision(flags.precision ?? 'fp32', '--precision'); // a typo fails before any file is read
  // Checked even where an ONNX graph replaces the model: a misspelt --model is a mistake either way.
  const entry = parseModel(flags.model);
  if (flags.weights !== undefined && findPretrainedWeights(flags.weights) === undefined) {
    const { path } = await resolveWeights(flags.weights);
    const bytes = await readFileBytes(path);
    if (detectWeightsFormat(bytes) === 'onnx') return loadOnnxGraph(flags, path, bytes, options.anyGraph ?? false);
    let trainedImageSize: number | null = null;
    const state = readStateDict(bytes, {
      source: path,
      onCheckpoint: (tree) => {
        trainedImageSize = trainedImageSizeOf(tree);
      },
    });
    return builtIn(entry, await loadModel(entry, flags, { state, source: flags.weights }), trainedImageSize);
  }
  return builtIn(entry, await loadModel(entry, flags));
}

/** A registry model: it outputs logits and runs any batch. */
function builtIn(entry: ModelEntry, loaded: LoadedModel, trainedImageSize: number | null = null): ResolvedModel {
  return { entry, outputsProbabilities: false, fixedBatch: null, trainedImageSize, ...loaded };
}

/** `anyGraph`: any graph is returned (`alexnet run` feeds each input by name); otherwise it must be an image model. */
async function loadOnnxGraph(flags: ModelFlags, path: string, bytes: Uint8Array, anyGraph: boolean): Promise<ResolvedModel> {
  if (flags.numClasses !== undefined) throw new Error(`--num-classes: the ONNX graph in ${flags.weights} fixes its own classes`);
  const model = await readOnnxModelFile(path, bytes);
  model.eval().setPrecision(parsePrecision(flags.precision ?? 'fp32', '--precision'));
  const [input] = model.inputs;
  const [output] = model.outputs;
  const dims = input?.shape ?? null;
  const imageModel =
    model.inputs.length === 1 && model.outputs.length === 1 && dims?.length === 4 && typeof dims[2] === 'number' && typeof dims[3] === 'number';
  if (!imageModel && !anyGraph) {
    throw new Error(
      `--weights ${flags.weights}: expected an image model (one input [N, C, H, W] with a fixed H and W, one output); use \`alexnet run\` for other graphs`,
    );
  }
  // The graph's stand-in for a registry entry; a graph that is not an image model has no input size.
  const size = imageModel ? (dims[2] as number) : 0;
  const entry: ModelEntry = {
    name: `onnx:${model.graphName || basename(path)}`,
    description: `the ONNX graph in ${path}`,
    inputSize: size,
    minInputSize: size,
    maxInputSize: size,
    create: () => model,
  };
  const classes = imageModel ? output.shape?.at(-1) : undefined;
  return {
    entry,
    model,
    randomInit: false,
    numClasses: typeof classes === 'number' ? classes : DEFAULT_CLASSES,
    outputsProbabilities: model.outputsProbabilities,
    fixedBatch: imageModel && typeof dims[0] === 'number' ? dims[0] : null,
    trainedImageSize: null,
  };
}

/** Weights a command has already read, and how to word a mismatch when it did not take them from --weights/--model. */
export interface PreloadedWeights {
  state: StateDict;
  source: string;
  /** The start of the error when the weights do not fit (default: "--weights <source> do not fit --model <name>"). */
  misfit?: string;
}

/**
 * The model named by --model with --weights and --num-classes applied, in eval
 * mode and --precision. The class count (and input channels) default to what the weights hold.
 */
export async function loadModel(entry: ModelEntry, flags: ModelFlags, weights?: PreloadedWeights): Promise<LoadedModel> {
  const requestedClasses = flags.numClasses === undefined ? undefined : parsePositiveInt(flags.numClasses, '--num-classes');
  const precision = parsePrecision(flags.precision ?? 'fp32', '--precision');
  if (flags.weights === undefined) {
    const model = entry.create({ numClasses: requestedClasses }).eval();
    withPrecision(model, precision);
    return { model, randomInit: true, numClasses: requestedClasses ?? DEFAULT_CLASSES };
  }
  const { state, source } = weights ?? (await loadWeights(entry, flags.weights));
  const inferred = inferSizes(state);
  const numClasses = requestedClasses ?? inferred.numClasses ?? DEFAULT_CLASSES;
  // The weights are held once: the model is built without its random initialization (its zero-filled storage is
  // never touched) and takes the file's tensors as its own (a strict load: every tensor is replaced).
  const model = withoutInitialization(() => entry.create({ numClasses, inChannels: inferred.inChannels }));
  try {
    model.loadStateDict(state, { assign: true });
  } catch (error) {
    const misfit = weights?.misfit ?? `--weights ${source} do not fit --model ${entry.name}`;
    throw new Error(`${misfit}: ${(error as Error).message}`, { cause: error });
  }
  withPrecision(model.eval(), precision);
  return { model, randomInit: false, numClasses };
}

/**
 * The commands that take --precision run inference only, so with bf16 the
 * linear layers' float32 weights are freed as they are converted: bf16 then
 * holds about half the memory of fp32 instead of both copies.
 */
function withPrecision(model: Module, precision: Precision): void {
  model.setPrecision(precision, { keepFp32Weights: precision === 'fp32' });
}

/** --weights: torchvision's pretrained weights by name (downloaded once, then cached) or a weights file. */
async function loadWeights(entry: ModelEntry, spec: string): Promise<{ state: StateDict; source: string }> {
  const pretrained = findPretrainedWeights(spec);
  if (pretrained !== undefined && pretrained.model !== entry.name) {
    throw new Error(`--weights ${spec}: torchvision's ${pretrained.name} weights are for --model ${pretrained.model}, not ${entry.name}`);
  }
  const { path } = await resolveWeights(spec);
  return { state: await readStateDictFile(path), source: spec };
}
