/**
 * Reproducible randomness for data loading. Every epoch's shuffle order and
 * every sample's augmentation stream are derived by hashing (seed, epoch,
 * index) into a fresh generator state, never from a generator that advances
 * as the loader runs. So epoch e of seed s always has the same order and the
 * same augmentations — whether the run was resumed at e, and whichever
 * thread processed the sample.
 */
import { fmix32, Generator } from '../tensor/random.js';

/** Domain tags keep the shuffle stream and the sample streams apart. */
const SHUFFLE_STREAM = 0x5348_5546;
const SAMPLE_STREAM = 0x5341_4d50;

/** Splits a safe integer into two uint32 words so seeds above 2^32 are not truncated. */
function words(value: number, what: string): [number, number] {
  if (!Number.isSafeInteger(value)) throw new Error(`data sampling: ${what} must be a safe integer, got ${value}`);
  const low = value >>> 0;
  const high = Math.floor(value / 4294967296) >>> 0;
  return [low, high];
}

/** A generator whose 128-bit state is a hash of the given integers. */
function generatorFor(values: readonly [number, string][]): Generator {
  const input = values.flatMap(([v, what]) => words(v, what));
  const state: [number, number, number, number] = [0, 0, 0, 0];
  for (let lane = 0; lane < 4; lane++) {
    let h = fmix32(Math.imul(lane + 1, 0x9e3779b9));
    for (const w of input) h = fmix32((h ^ w) + 0x7f4a7c15 + lane);
    state[lane] = h;
  }
  if ((state[0] | state[1] | state[2] | state[3]) === 0) state[0] = 1;
  const generator = new Generator();
  generator.setState({ s: state, spareNormal: null });
  return generator;
}

/** The sample order of `epoch`: a permutation of 0..n-1 that depends only on (seed, epoch). */
export function epochPermutation(seed: number, epoch: number, n: number): Int32Array {
  return generatorFor([
    [SHUFFLE_STREAM, 'stream'],
    [seed, 'seed'],
    [epoch, 'epoch'],
  ]).permutation(n);
}

/** The augmentation generator of sample `index` in `epoch`. */
export function sampleGenerator(seed: number, epoch: number, index: number): Generator {
  return generatorFor([
    [SAMPLE_STREAM, 'stream'],
    [seed, 'seed'],
    [epoch, 'epoch'],
    [index, 'index'],
  ]);
}
