/**
 * Where alexnet-ts keeps what it downloads: $ALEXNET_HOME, else
 * $XDG_CACHE_HOME/alexnet-ts, else ~/.cache/alexnet-ts.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export function alexnetCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ALEXNET_HOME) return env.ALEXNET_HOME;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'alexnet-ts');
  return join(homedir(), '.cache', 'alexnet-ts');
}
