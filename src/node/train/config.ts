/**
 * A training run's settings. Some of them define the run (the model, the
 * data, the recipe, the seed): a run folder holds one run, and --resume must
 * agree with it on every one of those. The others (how many epochs or steps
 * to go, the backend, where the data files live) may change between sessions.
 */
export type ScheduleName = 'none' | 'step' | 'plateau';

export interface TrainConfig {
  model: string;
  inChannels: number;
  numClasses: number;
  /** 'fashion-mnist', 'fashion-mnist-subset', or an image-folder directory. */
  dataset: string;
  imageSize: number;
  batchSize: number;
  lr: number;
  momentum: number;
  weightDecay: number;
  dampening: number;
  nesterov: boolean;
  schedule: ScheduleName;
  /** StepLR: epochs between decays, and the decay factor. */
  stepSize: number;
  gamma: number;
  /** ReduceLROnPlateau on the validation top-1 error. */
  factor: number;
  patience: number;
  threshold: number;
  cooldown: number;
  minLr: number;
  seed: number;
  /** Total epochs to reach (may grow when resuming). */
  epochs: number;
  /** Stop after this many optimizer steps in total, counting earlier sessions (null: no limit). */
  maxSteps: number | null;
  /** Also write the checkpoint every this many steps within an epoch (absent or null: at epoch ends only). */
  checkpointEvery?: number | null;
  /** alexnet-original*: 'paper' initializes every layer as the paper's Section 5 (absent: the article's init). */
  init?: 'paper';
}

/** The settings that make two runs the same run (everything else may differ on --resume). */
export const IDENTITY_KEYS = [
  'model',
  'inChannels',
  'numClasses',
  'dataset',
  'imageSize',
  'batchSize',
  'lr',
  'momentum',
  'weightDecay',
  'dampening',
  'nesterov',
  'schedule',
  'stepSize',
  'gamma',
  'factor',
  'patience',
  'threshold',
  'cooldown',
  'minLr',
  'seed',
  'init',
] as const satisfies readonly (keyof TrainConfig)[];

export type RunIdentity = Pick<TrainConfig, (typeof IDENTITY_KEYS)[number]>;

export function runIdentity(config: TrainConfig): RunIdentity {
  return Object.fromEntries(IDENTITY_KEYS.map((k) => [k, config[k]])) as unknown as RunIdentity;
}

/** Human-readable list of the identity settings that differ ("model 'alexnet' vs 'alexnet-original'"), empty when the runs match. */
export function identityDifferences(saved: Partial<Record<string, unknown>>, current: RunIdentity): string[] {
  const out: string[] = [];
  for (const key of IDENTITY_KEYS) {
    const a = saved[key];
    const b = current[key];
    if (a !== b) out.push(`${key} ${JSON.stringify(a)} (saved) vs ${JSON.stringify(b)} (now)`);
  }
  return out;
}

/** One line naming the run, for messages. */
export function describeRun(c: Partial<Record<string, unknown>>): string {
  return `model ${c.model}, ${c.inChannels} input channel(s), ${c.numClasses} classes, data ${c.dataset} at ${c.imageSize} px, batch ${c.batchSize}, lr ${c.lr}, seed ${c.seed}`;
}

/** Checks the numeric settings, naming the option in the error. */
export function validateConfig(c: TrainConfig): void {
  const positiveInt = (v: number, flag: string): void => {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${flag} must be a positive integer, got ${v}`);
  };
  const nonNegative = (v: number, flag: string): void => {
    if (!Number.isFinite(v) || v < 0) throw new Error(`${flag} must be a number >= 0, got ${v}`);
    // The optimizer works in float32: a larger value would be ∞ there.
    if (!Number.isFinite(Math.fround(v))) throw new Error(`${flag} ${v} is beyond float32's largest value (3.4e38)`);
  };
  positiveInt(c.inChannels, '--in-channels');
  positiveInt(c.numClasses, '--num-classes');
  positiveInt(c.imageSize, '--image-size');
  positiveInt(c.batchSize, '--batch-size');
  positiveInt(c.epochs, '--epochs');
  positiveInt(c.stepSize, '--step-size');
  if (c.maxSteps !== null) positiveInt(c.maxSteps, '--max-steps');
  if (c.checkpointEvery !== undefined && c.checkpointEvery !== null) positiveInt(c.checkpointEvery, '--checkpoint-every');
  nonNegative(c.lr, '--lr');
  nonNegative(c.momentum, '--momentum');
  nonNegative(c.weightDecay, '--weight-decay');
  nonNegative(c.minLr, '--min-lr');
  nonNegative(c.threshold, '--threshold');
  if (!Number.isInteger(c.patience) || c.patience < 0) throw new Error(`--patience must be an integer >= 0, got ${c.patience}`);
  if (!Number.isInteger(c.cooldown) || c.cooldown < 0) throw new Error(`--cooldown must be an integer >= 0, got ${c.cooldown}`);
  if (!(c.gamma > 0)) throw new Error(`--gamma must be > 0, got ${c.gamma}`);
  if (!(c.factor >= 0 && c.factor < 1)) throw new Error(`--factor must be in [0, 1), got ${c.factor}`);
  if (!Number.isSafeInteger(c.seed) || c.seed < 0) throw new Error(`--seed must be a non-negative integer, got ${c.seed}`);
  if (c.init !== undefined && c.init !== 'paper') throw new Error(`init must be 'paper' or absent, got '${c.init}'`);
  if (!['none', 'step', 'plateau'].includes(c.schedule)) throw new Error(`--schedule must be none, step or plateau, got '${c.schedule}'`);
}
