/** Where alexnet-ts keeps what it downloads (weights, data sets) between runs. */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** $ALEXNET_HOME, else $XDG_CACHE_HOME/alexnet-ts, else ~/.cache/alexnet-ts. */
export function alexnetCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ALEXNET_HOME) return resolve(env.ALEXNET_HOME);
  if (env.XDG_CACHE_HOME) return join(resolve(env.XDG_CACHE_HOME), 'alexnet-ts');
  return join(homedir(), '.cache', 'alexnet-ts');
}
