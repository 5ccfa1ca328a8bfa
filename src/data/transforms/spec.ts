/**
 * Rebuilds transforms from their plain-data specs (how a pipeline reaches a
 * worker thread). Only the standard transforms are known: a pipeline with a
 * transform of one's own runs with numWorkers 0.
 */
import { GrayscaleToChannels, Normalize, PcaColorAugmentation } from './color.js';
import { CenterCrop, RandomCrop, RandomHorizontalFlip, RandomResizedCrop, Resize } from './geometry.js';
import { Compose, type Size2d, type Transform, type TransformSpec } from './transform.js';

type Builder = (spec: TransformSpec) => Transform;

const builders = new Map<string, Builder>([
  ['Compose', (s) => new Compose((s.transforms as TransformSpec[]).map(transformFromSpec))],
  ['Resize', (s) => new Resize(s.size as Size2d, { antialias: s.antialias as boolean })],
  ['CenterCrop', (s) => new CenterCrop(s.size as Size2d)],
  ['RandomCrop', (s) => new RandomCrop(s.size as Size2d)],
  [
    'RandomResizedCrop',
    (s) =>
      new RandomResizedCrop(s.size as Size2d, {
        scale: s.scale as [number, number],
        ratio: s.ratio as [number, number],
        antialias: s.antialias as boolean,
      }),
  ],
  ['RandomHorizontalFlip', (s) => new RandomHorizontalFlip(s.p as number)],
  ['Normalize', (s) => new Normalize(s.mean as number[], s.std as number[])],
  [
    'PcaColorAugmentation',
    (s) =>
      new PcaColorAugmentation({
        alphaStd: s.alphaStd as number,
        eigenvalues: s.eigenvalues as number[],
        eigenvectors: s.eigenvectors as number[][],
      }),
  ],
  ['GrayscaleToChannels', (s) => new GrayscaleToChannels(s.channels as number)],
]);

export function transformFromSpec(spec: TransformSpec): Transform {
  const build = builders.get(spec?.type);
  if (build === undefined) {
    throw new Error(`transformFromSpec: unknown transform type ${JSON.stringify(spec?.type)} (known: ${[...builders.keys()].join(', ')})`);
  }
  return build(spec);
}
