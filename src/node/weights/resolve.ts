/**
 * Turns a weights spec into a local file: a pretrained name ('DEFAULT',
 * 'IMAGENET1K_V1') is downloaded once into the cache and reused afterwards;
 * anything else must be a path to an existing .pth or .safetensors file.
 */
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { findPretrainedWeights, PRETRAINED_WEIGHT_NAMES, sha256PrefixFromFileName, type PretrainedWeights } from '../../models/pretrained.js';
import type { StateDict } from '../../formats/state-dict.js';
import type { ReadStateDictOptions } from '../../formats/weights-file.js';
import { alexnetCacheDir } from '../fs/cache-dir.js';
import { downloadFile } from '../fs/download.js';
import { readStateDictFile } from './weight-files.js';

export interface ResolveWeightsOptions {
  /** Download from here instead of the registry URL (a mirror; tests use a local server). */
  url?: string;
  /**
   * Expected SHA-256 prefix. Default: the hex digits in the URL's file name
   * (torch.hub's convention), which for the registry URL is the registry's prefix.
   */
  sha256Prefix?: string;
  /** Default: alexnetCacheDir() ($ALEXNET_HOME, $XDG_CACHE_HOME/alexnet-ts, ~/.cache/alexnet-ts). */
  cacheDir?: string;
  /** Progress bar on stderr; default when stderr is a terminal. */
  progress?: boolean;
}

export interface ResolvedWeights {
  /** Absolute path of the weights file. */
  path: string;
  /** Registry entry when the spec named pretrained weights, else null. */
  weights: PretrainedWeights | null;
  /** Whether this call downloaded the file (false: cache hit or local path). */
  downloaded: boolean;
}

export async function resolveWeights(spec: string, options: ResolveWeightsOptions = {}): Promise<ResolvedWeights> {
  const weights = findPretrainedWeights(spec);
  if (weights === undefined) return { path: await existingFile(spec), weights: null, downloaded: false };

  const url = options.url ?? weights.url;
  const fileName = fileNameOf(url);
  const prefix = options.sha256Prefix ?? (options.url === undefined ? weights.sha256Prefix : sha256PrefixFromFileName(fileName));
  if (prefix === null) {
    throw new Error(`cannot verify weights from ${url}: its file name carries no SHA-256 prefix (name-<hex>.ext); pass sha256Prefix`);
  }
  const path = join(options.cacheDir ?? alexnetCacheDir(), fileName);
  if (await isFile(path)) return { path, weights, downloaded: false };
  await downloadFile(url, path, { checksum: { algorithm: 'sha256', expected: prefix, prefix: true }, progress: options.progress });
  return { path, weights, downloaded: true };
}

/** resolveWeights, then the file's state dict. */
export async function loadWeights(spec: string, options: ResolveWeightsOptions & Omit<ReadStateDictOptions, 'source'> = {}): Promise<StateDict> {
  const { path } = await resolveWeights(spec, options);
  return readStateDictFile(path, options);
}

function fileNameOf(url: string): string {
  let name: string;
  try {
    name = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
  } catch {
    throw new Error(`invalid weights URL '${url}'`);
  }
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\\')) {
    throw new Error(`weights URL '${url}' does not end in a file name`);
  }
  return name;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function existingFile(spec: string): Promise<string> {
  const path = resolve(spec);
  if (!(await isFile(path))) {
    throw new Error(`weights '${spec}' is neither a known name (${PRETRAINED_WEIGHT_NAMES.join(', ')}) nor an existing file`);
  }
  return path;
}
