/**
 * Finding the Fashion-MNIST files on disk (or fetching them) and loading a
 * split. Places are tried in order:
 *   1. the directory given as `dataDir` (the CLI's --data); if given, it must hold the files;
 *   2. $ALEXNET_DATA;
 *   3. /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist);
 *   4. the cache, <cache dir>/datasets/fashion-mnist;
 *   5. a download from Zalando's S3 mirror (the URLs torchvision uses) into the cache.
 * In each directory the files may be plain or gzipped, and may sit directly in
 * it, in fashion-mnist/, or in FashionMNIST/raw/ (torchvision's layout).
 * The embedded subset (data/fashion-mnist-subset) is used only when asked for.
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FashionMnist } from '../../data/fashion-mnist.js';
import type { Transform } from '../../data/transforms/transform.js';
import { alexnetCacheDir } from '../fs/cache-dir.js';
import { downloadFile } from '../fs/download.js';

export type FashionMnistSplit = 'train' | 'test';
export type FashionMnistVariant = 'fashion-mnist' | 'fashion-mnist-subset';

/** File names without .gz, as published. */
export const FASHION_MNIST_FILES: Readonly<Record<FashionMnistSplit, { images: string; labels: string }>> = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
};

/** The official location, as in torchvision.datasets.FashionMNIST.mirrors. */
export const FASHION_MNIST_URL = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/';

/** MD5 of the official .gz files (from torchvision.datasets.FashionMNIST.resources). */
export const FASHION_MNIST_MD5: Readonly<Record<string, string>> = {
  'train-images-idx3-ubyte.gz': '8d4fb7e6c68d591d4c3dfef9ec88bf0d',
  'train-labels-idx1-ubyte.gz': '25c81989df183df01b3e8a0aad5dffbe',
  't10k-images-idx3-ubyte.gz': 'bef4ecab320f06d8554ea6380940ec79',
  't10k-labels-idx1-ubyte.gz': 'bb300cfdad3c16e7a12a480ee83cd310',
};

export const DEBIAN_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

export interface FashionMnistLocation {
  /** How the files were found: 'data option', 'ALEXNET_DATA', 'system', 'cache', 'download' or 'embedded subset'. */
  source: string;
  images: string;
  labels: string;
}

export interface FashionMnistLookupOptions {
  /** --data PATH: a directory that must hold the files. */
  dataDir?: string;
  /** Environment to read ALEXNET_DATA, ALEXNET_HOME, XDG_CACHE_HOME, ALEXNET_FASHION_MNIST_URL from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** System directories to look in (default Debian's). */
  systemDirs?: readonly string[];
  /** Cache directory (default alexnetCacheDir(env)); files go to <cacheDir>/datasets/fashion-mnist. */
  cacheDir?: string;
  /** Download when not found (default true). */
  download?: boolean;
  /** Where to download from (default $ALEXNET_FASHION_MNIST_URL, else the official S3 location). */
  baseUrl?: string;
  /** Progress bar while downloading (default: when stderr is a terminal). */
  progress?: boolean;
  /** 'fashion-mnist-subset' loads the embedded subset instead (default 'fashion-mnist'). */
  dataset?: FashionMnistVariant;
}

/** The directory of the subset shipped with the package, found by walking up from this module. */
export function embeddedSubsetDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'data', 'fashion-mnist-subset');
    if (existsSync(join(candidate, 'train-images-idx3-ubyte.gz'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`the embedded Fashion-MNIST subset (data/fashion-mnist-subset) was not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** The file as stored in `dir`, plain or gzipped (plain preferred: no inflating needed). */
async function findFile(dir: string, name: string): Promise<string | null> {
  for (const candidate of [join(dir, name), join(dir, `${name}.gz`)]) {
    if (await isFile(candidate)) return candidate;
  }
  return null;
}

/** Both files of the split in `root` or one of its usual subdirectories, or null. */
async function findSplit(root: string, split: FashionMnistSplit): Promise<{ images: string; labels: string } | null> {
  for (const dir of [root, join(root, 'fashion-mnist'), join(root, 'FashionMNIST', 'raw')]) {
    const images = await findFile(dir, FASHION_MNIST_FILES[split].images);
    const labels = await findFile(dir, FASHION_MNIST_FILES[split].labels);
    if (images !== null && labels !== null) return { images, labels };
  }
  return null;
}

export async function locateFashionMnist(split: FashionMnistSplit, options: FashionMnistLookupOptions = {}): Promise<FashionMnistLocation> {
  if (split !== 'train' && split !== 'test') throw new Error(`Fashion-MNIST: unknown split ${JSON.stringify(split)} (expected 'train' or 'test')`);
  const env = options.env ?? process.env;
  const names = FASHION_MNIST_FILES[split];
  const wanted = `${names.images}(.gz) and ${names.labels}(.gz)`;

  const variant = options.dataset ?? 'fashion-mnist';
  if (variant === 'fashion-mnist-subset') {
    const dir = embeddedSubsetDir();
    const found = await findSplit(dir, split);
    if (found === null) throw new Error(`the embedded Fashion-MNIST subset in ${dir} lacks ${wanted}`);
    return { source: 'embedded subset', ...found };
  }
  if (variant !== 'fashion-mnist') throw new Error(`unknown data set ${JSON.stringify(variant)} (expected 'fashion-mnist' or 'fashion-mnist-subset')`);

  if (options.dataDir !== undefined) {
    const found = await findSplit(options.dataDir, split);
    if (found === null) {
      throw new Error(
        `Fashion-MNIST: ${options.dataDir} (given as the data directory) does not contain ${wanted}, directly or in fashion-mnist/ or FashionMNIST/raw/`,
      );
    }
    return { source: 'data option', ...found };
  }

  const looked: string[] = [];
  const places: [string, string][] = [];
  if (env.ALEXNET_DATA) places.push(['ALEXNET_DATA', env.ALEXNET_DATA]);
  else looked.push('$ALEXNET_DATA (not set)');
  for (const dir of options.systemDirs ?? [DEBIAN_FASHION_MNIST_DIR]) places.push(['system', dir]);
  const cacheDir = join(options.cacheDir ?? alexnetCacheDir(env), 'datasets', 'fashion-mnist');
  places.push(['cache', cacheDir]);
  for (const [source, dir] of places) {
    const found = await findSplit(dir, split);
    if (found !== null) return { source, ...found };
    looked.push(`${dir}${source === 'ALEXNET_DATA' ? ' ($ALEXNET_DATA)' : ''}`);
  }

  const baseUrl = withSlash(options.baseUrl ?? env.ALEXNET_FASHION_MNIST_URL ?? FASHION_MNIST_URL);
  if (options.download === false) {
    throw new Error(
      `Fashion-MNIST ${split} files (${wanted}) not found; looked in: ${looked.join('; ')}. Downloading is off. ` +
        "Pass --data DIR, set ALEXNET_DATA, install Debian's dataset-fashion-mnist, or use --dataset fashion-mnist-subset.",
    );
  }
  try {
    for (const name of [names.images, names.labels]) {
      const dest = join(cacheDir, `${name}.gz`);
      if (await isFile(dest)) continue;
      // Checksums are known only for the official files; a mirror given by URL is trusted as is.
      const md5 = baseUrl === FASHION_MNIST_URL ? FASHION_MNIST_MD5[`${name}.gz`] : undefined;
      await downloadFile(`${baseUrl}${name}.gz`, dest, {
        progress: options.progress,
        checksum: md5 === undefined ? undefined : { algorithm: 'md5', expected: md5 },
      });
    }
  } catch (error) {
    throw new Error(
      `Fashion-MNIST ${split} files (${wanted}) not found; looked in: ${looked.join('; ')}; then ${(error as Error).message}. ` +
        "Pass --data DIR, set ALEXNET_DATA, install Debian's dataset-fashion-mnist, or use --dataset fashion-mnist-subset.",
    );
  }
  return { source: 'download', images: join(cacheDir, `${names.images}.gz`), labels: join(cacheDir, `${names.labels}.gz`) };
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

export interface LoadFashionMnistOptions extends FashionMnistLookupOptions {
  transform?: Transform;
}

/** Locates (or downloads) one split and loads it into memory. */
export async function loadFashionMnist(
  split: FashionMnistSplit,
  options: LoadFashionMnistOptions = {},
): Promise<FashionMnist & { location: FashionMnistLocation }> {
  const location = await locateFashionMnist(split, options);
  const [images, labels] = await Promise.all([readFile(location.images), readFile(location.labels)]);
  const dataset = FashionMnist.fromIdx(bufferBytes(images), bufferBytes(labels), {
    imagesName: location.images,
    labelsName: location.labels,
    transform: options.transform,
    name: `Fashion-MNIST ${split} (${location.images})`,
  });
  return Object.assign(dataset, { location });
}

/** A Buffer's bytes as a plain Uint8Array view (same memory). */
function bufferBytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
