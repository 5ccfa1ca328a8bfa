/** Models by name, as the CLI and the library's users ask for them. */
import type { Module } from '../nn/module.js';
import { AlexNet, ALEXNET_MIN_INPUT } from './alexnet.js';
import { AlexNetOriginal, ALEXNET_ORIGINAL_INPUT, ALEXNET_ORIGINAL_MAX_INPUT } from './alexnet-original.js';

export interface ModelOptions {
  numClasses?: number;
  inChannels?: number;
  /** Dropout probability (torchvision's alexnet only). */
  dropout?: number;
  /** Initialization scheme (alexnet-original* only). */
  init?: 'article' | 'paper';
}

export interface ModelEntry {
  name: string;
  description: string;
  /** The input size the model was designed for (the summary's default). */
  inputSize: number;
  minInputSize: number;
  /** The largest input side it takes (absent: no largest). */
  maxInputSize?: number;
  create(options?: ModelOptions): Module;
}

const entries: ModelEntry[] = [
  {
    name: 'alexnet',
    description: "torchvision's AlexNet (224×224, AdaptiveAvgPool2d(6, 6)); loads torchvision's ImageNet weights",
    inputSize: 224,
    minInputSize: ALEXNET_MIN_INPUT,
    create: (o = {}) => new AlexNet({ numClasses: o.numClasses, inChannels: o.inChannels, dropout: o.dropout }),
  },
  {
    name: 'alexnet-original',
    description: "the paper's AlexNet as in the article (227×227, LRN after conv1/conv2)",
    inputSize: ALEXNET_ORIGINAL_INPUT,
    minInputSize: ALEXNET_ORIGINAL_INPUT,
    maxInputSize: ALEXNET_ORIGINAL_MAX_INPUT,
    create: (o = {}) => new AlexNetOriginal({ numClasses: o.numClasses, inChannels: o.inChannels, init: o.init }),
  },
  {
    name: 'alexnet-original-grouped',
    description: "the paper's two-GPU AlexNet as one model (groups=2 on conv2, conv4, conv5)",
    inputSize: ALEXNET_ORIGINAL_INPUT,
    minInputSize: ALEXNET_ORIGINAL_INPUT,
    maxInputSize: ALEXNET_ORIGINAL_MAX_INPUT,
    create: (o = {}) => new AlexNetOriginal({ numClasses: o.numClasses, inChannels: o.inChannels, init: o.init, groups: 2 }),
  },
];

export function modelNames(): string[] {
  return entries.map((e) => e.name);
}

export function getModelEntry(name: string): ModelEntry {
  const entry = entries.find((e) => e.name === name);
  if (entry === undefined) throw new Error(`unknown model '${name}': expected one of ${modelNames().join(', ')}`);
  return entry;
}

/**
 * Refuses an input side the model cannot take, naming the option that set it, before anything is written or run
 * (a training run folder made for a size the first forward pass refuses would block the corrected command).
 */
export function checkInputSize(entry: ModelEntry, size: number, option: string): void {
  if (size < entry.minInputSize) throw new Error(`${option} ${size} is below ${entry.name}'s smallest input, ${entry.minInputSize}`);
  if (entry.maxInputSize !== undefined && size > entry.maxInputSize)
    throw new Error(`${option} ${size} is above ${entry.name}'s largest input, ${entry.maxInputSize}`);
}

export function createModel(name: string, options: ModelOptions = {}): Module {
  return getModelEntry(name).create(options);
}
