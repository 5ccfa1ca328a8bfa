/**
 * The run folder: RUN_DIR/config.json (the run's settings), checkpoint.pth
 * (the latest checkpoint), metrics.jsonl and conv1-filters.png. A folder
 * that already holds a run is never overwritten: without --resume it is
 * refused, and --resume must name the same run (same identity settings).
 */
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { makeDirectories } from '../fs/make-directories.js';
import { hostname } from 'node:os';
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
    } else {
      // Without a checkpoint the run starts again from step 0, which rewrites metrics.jsonl from its start: only
      // a run that recorded nothing yet (it stopped before its first checkpoint) may do that.
      const records = (await exists(paths.metrics)) ? (await readFile(paths.metrics, 'utf8')).split('\n').filter((l) => l.trim() !== '').length : 0;
      if (records > 0) {
        throw new Error(
          `--resume: ${dir} has no checkpoint.pth, but its metrics.jsonl holds ${records} record(s) of progress that starting again from step 0 would erase; nothing was changed. Restore checkpoint.pth, or train into another --out folder.`,
        );
      }
    }
  }

  return { paths, checkpoint, created };
}

/** The temporary files writeFileAtomic leaves behind when a process dies mid-write (".checkpoint.pth.<pid>.<hex>.tmp"). */
const STALE_TEMP = /^\.(checkpoint\.pth|config\.json|metrics\.jsonl|conv1-filters\.png)\.\d+\.[0-9a-f]+\.tmp$/;

/** RUN_DIR/.lock: "<pid> <host>" of the session training in the folder. */
const LOCK_FILE = '.lock';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, another user's
  }
}

/**
 * Takes the folder's lock, so that two sessions never train into one folder (both would append to
 * metrics.jsonl and overwrite checkpoint.pth in turn). A lock left by a session that died (SIGKILL,
 * a crash) on this machine is taken over; one held by a live process, or by another machine, is refused.
 * Returns its release.
 */
async function lockRunDir(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, LOCK_FILE);
  const mine = `${process.pid} ${hostname()}\n`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(path, mine, { flag: 'wx' });
      return () => rm(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const [pidText = '', host = ''] = (await readFile(path, 'utf8').catch(() => '')).trim().split(' ');
    const pid = Number(pidText);
    const stale = host === hostname() && Number.isSafeInteger(pid) && pid !== process.pid && !processAlive(pid);
    if (!stale) {
      throw new Error(
        `${dir} is in use by another training session (process ${pidText || '?'} on ${host || 'an unknown machine'}, ${path}); nothing was changed. ` +
          'Wait for it to end, or delete the lock file if no session runs there.',
      );
    }
    await rm(path, { force: true });
  }
  throw new Error(`${dir}: could not take the lock ${path}; another session may be starting there`);
}

/**
 * Claims the folder for the run: creates it, takes its lock, removes what an
 * earlier session killed mid-write left (a partial checkpoint is hundreds of
 * MB), and writes config.json (the settings of this session). Returns the
 * lock's release, for when the session ends.
 */
export async function claimRunDir(run: InspectedRun, config: TrainConfig): Promise<() => Promise<void>> {
  await makeDirectories(run.paths.dir);
  const release = await lockRunDir(run.paths.dir);
  for (const name of await readdir(run.paths.dir)) {
    if (STALE_TEMP.test(name)) await rm(join(run.paths.dir, name), { force: true });
  }
  const record = { ...config, created: run.created, updated: new Date().toISOString(), tool: 'alexnet-ts train' };
  try {
    await writeFileAtomic(run.paths.config, `${JSON.stringify(record, null, 2)}\n`);
  } catch (error) {
    await release();
    throw error;
  }
  return release;
}
