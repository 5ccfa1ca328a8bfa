/** Where downloaded weights are kept between runs. */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** $ALEXNET_HOME, else $XDG_CACHE_HOME/alexnet-ts, else ~/.cache/alexnet-ts. */
export function weightsCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ALEXNET_HOME) return resolve(env.ALEXNET_HOME);
  if (env.XDG_CACHE_HOME) return join(resolve(env.XDG_CACHE_HOME), 'alexnet-ts');
  return join(homedir(), '.cache', 'alexnet-ts');
}
