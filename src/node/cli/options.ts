/**
 * Options shared by the commands, and their parsers. Values are checked in
 * the command's action (not by commander) so that a bad value ends in the
 * same one-line error as every other failure.
 */
import { parsePrecision } from '../../backend/precision.js';
import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import type { StateDict } from '../../formats/state-dict.js';
import { findPretrainedWeights } from '../../models/pretrained.js';
import { getModelEntry, modelNames, type ModelEntry } from '../../models/registry.js';
import type { Module } from '../../nn/module.js';
import { parseBackendName, selectBackend } from '../backend.js';
import { resolveWeights } from '../weights/resolve.js';
import { readStateDictFile } from '../weights/weight-files.js';

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

export function weightsOption(): Option {
  return new Option('--weights <weights>', "DEFAULT or IMAGENET1K_V1 (torchvision's ImageNet weights, alexnet only) or a weights file (.pth, .safetensors)");
}

export function precisionOption(): Option {
  return new Option(
    '--precision <p>',
    'inference precision: fp32, or bf16 (weights and matrix-product inputs in bfloat16, fp32 accumulation; needs AVX512-BF16 on the native backend)',
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
  program.option('--backend <name>', 'kernels: native (C++ addon, the default when it loads) or js');
  program.hook('preAction', () => {
    const requested = program.opts<{ backend?: string }>().backend;
    selectBackend(requested === undefined ? undefined : parseBackendName(requested));
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

/**
 * The model named by --model with --weights and --num-classes applied, in eval
 * mode. The class count (and input channels) default to what the weights hold.
 */
export async function loadModel(entry: ModelEntry, flags: ModelFlags): Promise<LoadedModel> {
  const requestedClasses = flags.numClasses === undefined ? undefined : parsePositiveInt(flags.numClasses, '--num-classes');
  const precision = parsePrecision(flags.precision ?? 'fp32', '--precision');
  if (flags.weights === undefined) {
    const model = entry.create({ numClasses: requestedClasses }).eval().setPrecision(precision);
    return { model, randomInit: true, numClasses: requestedClasses ?? DEFAULT_CLASSES };
  }
  const { state, source } = await loadWeights(entry, flags.weights);
  const inferred = inferSizes(state);
  const numClasses = requestedClasses ?? inferred.numClasses ?? DEFAULT_CLASSES;
  const model = entry.create({ numClasses, inChannels: inferred.inChannels });
  try {
    model.loadStateDict(state);
  } catch (error) {
    throw new Error(`--weights ${source} do not fit --model ${entry.name}: ${(error as Error).message}`);
  }
  return { model: model.eval().setPrecision(precision), randomInit: false, numClasses };
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
