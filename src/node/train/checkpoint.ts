/**
 * Training checkpoints: everything a run needs to continue exactly where it
 * stopped — weights, optimizer buffers, scheduler, position (epoch, batch,
 * step), the partial epoch's running sums, and the random-number states
 * (the default generator, which dropout draws from; the data order and
 * augmentations derive from the seed and epoch alone).
 *
 * The file is torch's zip .pth, written atomically, so `torch.load(path)`
 * opens it and `['model']` is a state dict torchvision's AlexNet loads.
 */
import { readFile } from 'node:fs/promises';
import { loadPth } from '../../formats/pth/pth-reader.js';
import { savePthChunks, type PthValue } from '../../formats/pth/pth-writer.js';
import type { StateDict } from '../../nn/module.js';
import type { SchedulerState } from '../../optim/scheduler.js';
import type { SgdStateDict } from '../../optim/sgd.js';
import type { GeneratorState } from '../../tensor/random.js';
import { Tensor } from '../../tensor/tensor.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import type { TrainConfig } from './config.js';

export const CHECKPOINT_FORMAT = 'alexnet-ts/training-checkpoint';
export const CHECKPOINT_VERSION = 1;

/** Where a run stands: epoch `epoch` (0-based) has had `batch` batches trained; `step` steps in all. */
export interface RunPosition {
  epoch: number;
  batch: number;
  step: number;
}

/** Running sums of the epoch in progress, so a resumed epoch reports the same training loss. */
export interface EpochSums {
  lossSum: number;
  top1Correct: number;
  samples: number;
}

export interface TrainingCheckpoint {
  config: TrainConfig;
  model: StateDict;
  optimizer: SgdStateDict;
  scheduler: { name: string; state: SchedulerState } | null;
  position: RunPosition;
  epochSums: EpochSums;
  rng: { defaultGenerator: GeneratorState };
  /** Why this checkpoint was written: 'epoch', 'interrupt' or 'max-steps'. */
  reason: string;
}

function toTree(c: TrainingCheckpoint): PthValue {
  return {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    reason: c.reason,
    config: { ...c.config },
    model: c.model,
    optimizer: { state: c.optimizer.state, param_groups: c.optimizer.param_groups.map((g) => ({ ...g })), step_count: c.optimizer.step_count },
    scheduler: c.scheduler === null ? null : { name: c.scheduler.name, state: c.scheduler.state },
    position: { ...c.position },
    epoch_sums: { loss_sum: c.epochSums.lossSum, top1_correct: c.epochSums.top1Correct, samples: c.epochSums.samples },
    // The data order and augmentations are functions of (data_seed, epoch, index), so the seed is their whole state.
    rng: { default_generator: { s: [...c.rng.defaultGenerator.s], spare_normal: c.rng.defaultGenerator.spareNormal }, data_seed: c.config.seed },
  };
}

export async function saveCheckpoint(path: string, checkpoint: TrainingCheckpoint): Promise<void> {
  await writeFileAtomic(path, savePthChunks(toTree(checkpoint)));
}

type Tree = Record<string, unknown>;

function field(tree: unknown, key: string, path: string, what: string): unknown {
  const value = tree instanceof Map ? tree.get(key) : tree !== null && typeof tree === 'object' ? (tree as Tree)[key] : undefined;
  if (value === undefined) throw new Error(`${path}: not a training checkpoint of alexnet-ts (no '${key}' ${what})`);
  return value;
}

function num(tree: unknown, key: string, path: string): number {
  const v = field(tree, key, path, 'entry');
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (typeof n !== 'number') throw new Error(`${path}: checkpoint entry '${key}' should be a number, got ${typeof v}`);
  return n;
}

/** Reads and checks a checkpoint written by saveCheckpoint. */
export async function loadCheckpoint(path: string): Promise<TrainingCheckpoint> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new Error(`cannot read checkpoint ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const tree = loadPth(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), { source: path });
  if (field(tree, 'format', path, 'format tag') !== CHECKPOINT_FORMAT)
    throw new Error(`${path}: not a training checkpoint of alexnet-ts (format tag ${JSON.stringify(field(tree, 'format', path, ''))})`);
  const version = num(tree, 'version', path);
  if (version !== CHECKPOINT_VERSION) throw new Error(`${path}: checkpoint version ${version} is not supported (expected ${CHECKPOINT_VERSION})`);

  const modelTree = field(tree, 'model', path, 'weights');
  const model: StateDict = new Map();
  const entries = modelTree instanceof Map ? [...modelTree.entries()] : Object.entries(modelTree as Tree);
  for (const [k, v] of entries) {
    if (typeof k !== 'string' || !(v instanceof Tensor))
      throw new Error(`${path}: the 'model' entry must map parameter names to tensors (bad entry ${String(k)})`);
    model.set(k, v);
  }

  const opt = field(tree, 'optimizer', path, 'optimizer state') as Tree;
  const stateTree = field(opt, 'state', path, 'optimizer buffers');
  const state = new Map<number, { momentum_buffer: Tensor }>();
  const stateEntries = stateTree instanceof Map ? [...stateTree.entries()] : Object.entries(stateTree as Tree);
  for (const [k, v] of stateEntries) state.set(Number(k), { momentum_buffer: field(v, 'momentum_buffer', path, 'momentum buffer') as Tensor });
  const optimizer: SgdStateDict = {
    state,
    param_groups: field(opt, 'param_groups', path, 'optimizer groups') as SgdStateDict['param_groups'],
    step_count: num(opt, 'step_count', path),
  };

  const schedulerTree = field(tree, 'scheduler', path, 'scheduler state');
  const scheduler =
    schedulerTree === null
      ? null
      : {
          name: String(field(schedulerTree, 'name', path, 'scheduler name')),
          state: field(schedulerTree, 'state', path, 'scheduler state') as SchedulerState,
        };
  const position = field(tree, 'position', path, 'position');
  const sums = field(tree, 'epoch_sums', path, 'epoch sums');
  const gen = field(field(tree, 'rng', path, 'random states'), 'default_generator', path, 'generator state');
  const words = field(gen, 's', path, 'generator words');
  if (!Array.isArray(words) || words.length !== 4) throw new Error(`${path}: the generator state must have 4 words`);
  const spare = field(gen, 'spare_normal', path, 'generator spare');
  return {
    config: field(tree, 'config', path, 'run settings') as TrainConfig,
    model,
    optimizer,
    scheduler,
    position: { epoch: num(position, 'epoch', path), batch: num(position, 'batch', path), step: num(position, 'step', path) },
    epochSums: { lossSum: num(sums, 'loss_sum', path), top1Correct: num(sums, 'top1_correct', path), samples: num(sums, 'samples', path) },
    rng: { defaultGenerator: { s: words.map(Number) as [number, number, number, number], spareNormal: spare === null ? null : Number(spare) } },
    reason: String(field(tree, 'reason', path, 'reason')),
  };
}
