/**
 * The run folder: RUN_DIR/config.json (the run's settings), checkpoint.pth
 * (the latest checkpoint), metrics.jsonl and conv1-filters.png. A folder
 * that already holds a run is never overwritten: without --resume it is
 * refused, and --resume must name the same run (same identity settings).
 */
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { describeRun, identityDifferences, runIdentity, type TrainConfig } from './config.js';
import { loadCheckpoint, type TrainingCheckpoint } from './checkpoint.js';

export interface RunPaths {
  dir: string;
  config: string;
  checkpoint: string;
  metrics: string;
  filters: string;
}

export function runPaths(dir: string): RunPaths {
  return {
    dir,
    config: join(dir, 'config.json'),
    checkpoint: join(dir, 'checkpoint.pth'),
    metrics: join(dir, 'metrics.jsonl'),
    filters: join(dir, 'conv1-filters.png'),
  };
}

function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function readSavedConfig(path: string): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`cannot read the run settings ${path}: ${(error as Error).message}`);
  }
}

export interface InspectedRun {
  paths: RunPaths;
  /** The checkpoint to continue from (null: start from scratch). */
  checkpoint: TrainingCheckpoint | null;
  /** When the run was first started (kept across resumed sessions). */
  created: string;
}

/**
 * Checks the folder against the request, writing nothing. Throws when the
 * folder holds another run, or --resume has nothing matching to continue.
 */
export async function inspectRunDir(dir: string, config: TrainConfig, resume: boolean): Promise<InspectedRun> {
  const paths = runPaths(dir);
  const markers = await Promise.all([paths.config, paths.checkpoint, paths.metrics].map(exists));
  const holdsRun = markers.some(Boolean);
  const identity = runIdentity(config);

  if (!resume) {
    if (holdsRun) {
      const saved = (await exists(paths.config)) ? await readSavedConfig(paths.config) : null;
      throw new Error(
        `${dir} already holds a training run${saved ? ` (${describeRun(saved)})` : ''}; nothing was changed. ` +
          'Pass --resume to continue it with the same settings, or choose another --out folder.',
      );
    }
  } else if (!holdsRun) {
    throw new Error(`--resume: ${dir} holds no training run to continue (no config.json or checkpoint.pth)`);
  }

  let checkpoint: TrainingCheckpoint | null = null;
  let created = new Date().toISOString();
  if (resume) {
    const saved = (await exists(paths.config)) ? await readSavedConfig(paths.config) : null;
    if (typeof saved?.created === 'string') created = saved.created;
    if (saved !== null) {
      const differences = identityDifferences(saved, identity);
      if (differences.length > 0) {
        throw new Error(`--resume: ${dir} holds a different run (${describeRun(saved)}); differences: ${differences.join('; ')}. Nothing was changed.`);
      }
    }
    if (await exists(paths.checkpoint)) {
      checkpoint = await loadCheckpoint(paths.checkpoint);
      const differences = identityDifferences(checkpoint.config as unknown as Record<string, unknown>, identity);
      if (differences.length > 0) {
        throw new Error(
          `--resume: the checkpoint ${paths.checkpoint} belongs to a different run (${describeRun(checkpoint.config as unknown as Record<string, unknown>)}); differences: ${differences.join('; ')}. Nothing was changed.`,
        );
      }
    } else if (saved === null) {
      throw new Error(`--resume: ${dir} has no checkpoint.pth and no config.json to continue from`);
    }
  }

  return { paths, checkpoint, created };
}

/** The temporary files writeFileAtomic leaves behind when a process dies mid-write (".checkpoint.pth.<pid>.<hex>.tmp"). */
const STALE_TEMP = /^\.(checkpoint\.pth|config\.json|metrics\.jsonl|conv1-filters\.png)\.\d+\.[0-9a-f]+\.tmp$/;

/**
 * Claims the folder for the run: creates it, removes what an earlier session
 * killed mid-write left (a partial checkpoint is hundreds of MB), and writes
 * config.json (the settings of this session).
 */
export async function claimRunDir(run: InspectedRun, config: TrainConfig): Promise<void> {
  await mkdir(run.paths.dir, { recursive: true });
  for (const name of await readdir(run.paths.dir)) {
    if (STALE_TEMP.test(name)) await rm(join(run.paths.dir, name), { force: true });
  }
  const record = { ...config, created: run.created, updated: new Date().toISOString(), tool: 'alexnet-ts train' };
  await writeFileAtomic(run.paths.config, `${JSON.stringify(record, null, 2)}\n`);
}
