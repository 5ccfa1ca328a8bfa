/**
 * A tiny model and data set for training-loop tests: fast enough to run
 * several epochs in well under a second, with dropout so that the random
 * state matters for resuming.
 */
import type { Dataset, Sample } from '../../src/data/dataset.js';
import { createFloatImage } from '../../src/data/image.js';
import { Conv2d, Dropout, Flatten, Linear, ReLU, Sequential, type Module } from '../../src/nn/index.js';
import type { TrainConfig } from '../../src/node/train/config.js';
import type { RunData } from '../../src/node/train/datasets.js';
import { Generator } from '../../src/tensor/random.js';

export const TINY_CLASSES = ['a', 'b', 'c', 'd'];

/** 8×8 gray images: a class-specific bright quadrant plus fixed noise. */
class QuadrantDataset implements Dataset {
  private readonly samples: Sample[] = [];

  constructor(
    readonly length: number,
    seed: number,
  ) {
    const g = new Generator(seed);
    for (let i = 0; i < length; i++) {
      const label = i % TINY_CLASSES.length;
      const image = createFloatImage(8, 8, 1);
      const data = image.data as Float32Array;
      for (let y = 0; y < 8; y++) {
        for (let x = 0; x < 8; x++) {
          const quadrant = (y < 4 ? 0 : 2) + (x < 4 ? 0 : 1);
          data[y * 8 + x] = (quadrant === label ? 1 : 0) + 0.3 * g.normal();
        }
      }
      this.samples.push({ image, label });
    }
  }

  get(index: number): Sample {
    return this.samples[index];
  }
}

export function tinyData(): RunData {
  return { train: new QuadrantDataset(40, 1), val: new QuadrantDataset(12, 2), classes: TINY_CLASSES, description: 'tiny quadrant data' };
}

export function tinyModel(config: TrainConfig): Module {
  return new Sequential(new Conv2d(config.inChannels, 3, 3), new ReLU(), new Flatten(), new Dropout(0.5), new Linear(3 * 6 * 6, config.numClasses));
}

export function tinyConfig(overrides: Partial<TrainConfig> = {}): TrainConfig {
  return {
    model: 'tiny',
    inChannels: 1,
    numClasses: 4,
    dataset: 'tiny',
    imageSize: 8,
    batchSize: 8,
    lr: 0.05,
    momentum: 0.9,
    weightDecay: 5e-4,
    dampening: 0,
    nesterov: false,
    schedule: 'step',
    stepSize: 1,
    gamma: 0.5,
    factor: 0.1,
    patience: 1,
    threshold: 1e-4,
    cooldown: 0,
    minLr: 0,
    seed: 3,
    epochs: 2,
    maxSteps: null,
    ...overrides,
  };
}
