/** Writes the first convolution's kernels as a PNG (the AlexNet paper's Figure 3). */
import sharp from 'sharp';
import type { Module } from '../../nn/module.js';
import { filterGrid, type FilterGridOptions } from '../../train/filter-grid.js';
import type { Tensor } from '../../tensor/tensor.js';
import { writeFileAtomic } from '../fs/atomic-write.js';

/** The weight of the model's first convolution: its first 4-D parameter. */
export function firstConvWeight(model: Module): Tensor {
  for (const [, p] of model.namedParameters()) if (p.ndim === 4) return p;
  throw new Error(`${model.typeName} has no convolution weight to draw`);
}

export async function writeFilterPng(path: string, model: Module, options: FilterGridOptions = {}): Promise<void> {
  const grid = filterGrid(firstConvWeight(model), options);
  const png = await sharp(grid.pixels, { raw: { width: grid.width, height: grid.height, channels: grid.channels } })
    .png()
    .toBuffer();
  await writeFileAtomic(path, [png]);
}
