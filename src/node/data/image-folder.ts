/**
 * A labelled image data set laid out as one folder per class, like
 * torchvision.datasets.ImageFolder: classes are the subfolder names sorted,
 * index = position; samples are the image files found (recursively) under each
 * class folder, sorted by folder then file name. A sample is the image decoded
 * to RGB as PIL's convert('RGB') does (src/node/image/decode.ts), scaled to [0, 1]
 * as [3, H, W], then the transform.
 *
 * Corrupt or unreadable images are found when loaded: by default such a
 * sample is left out of its batch with one warning (the DataLoader counts
 * them); with `strict` it is an error.
 */
import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Generator } from '../../tensor/random.js';
import { checkIndex, SkippableSampleError, type Dataset, type Sample, type WorkerDatasetSpec } from '../../data/dataset.js';
import { floatImageFromBytes } from '../../data/image.js';
import { transformFromSpec } from '../../data/transforms/spec.js';
import type { Transform, TransformSpec } from '../../data/transforms/transform.js';
import type { RgbImage } from '../../image/index.js';
import { readImage } from '../image/decode.js';

/** torchvision's IMG_EXTENSIONS, matched case-insensitively. */
export const IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif', '.tiff', '.webp'];

export interface ImageFolderSample {
  path: string;
  label: number;
}

export interface ImageFolderOptions {
  transform?: Transform;
  /** Throw on a corrupt image instead of skipping it (default false). */
  strict?: boolean;
  /** Extensions that count as images (default IMAGE_EXTENSIONS). */
  extensions?: readonly string[];
}

/** Python's sorted() order for strings: by code point, not UTF-16 unit. */
function byCodePoint(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i].codePointAt(0)! - y[i].codePointAt(0)!;
  }
  return x.length - y.length;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Every (directory, file names) under `dir`, following links, like os.walk; sorted by directory path. A folder
 * reached through two links is listed under each, as os.walk lists it; only a link back to a folder on the
 * current path (a cycle, where os.walk would go on until the path is too long) stops the walk.
 */
async function walk(dir: string, out: { dir: string; files: string[] }[] = [], ancestors = new Set<string>()): Promise<{ dir: string; files: string[] }[]> {
  const info = await stat(dir);
  const identity = `${info.dev}:${info.ino}`;
  if (ancestors.has(identity)) return out;
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  const subdirs: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() || (entry.isSymbolicLink() && (await isDirectory(path)))) subdirs.push(path);
    else files.push(entry.name);
  }
  out.push({ dir, files });
  ancestors.add(identity);
  for (const sub of subdirs) await walk(sub, out, ancestors);
  ancestors.delete(identity);
  return out;
}

/** Scans `root` the way torchvision's ImageFolder does. */
export async function scanImageFolder(
  root: string,
  extensions: readonly string[] = IMAGE_EXTENSIONS,
): Promise<{ classes: string[]; samples: ImageFolderSample[] }> {
  let entries: Dirent[];
  try {
    if (!(await stat(root)).isDirectory()) throw new Error('not a directory');
    entries = await readdir(root, { withFileTypes: true });
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new Error(`ImageFolder: cannot read the folder ${root}: ${e.code ?? e.message}`);
  }
  const classes: string[] = [];
  for (const entry of entries) {
    if (entry.isDirectory() || (entry.isSymbolicLink() && (await isDirectory(join(root, entry.name))))) classes.push(entry.name);
  }
  classes.sort(byCodePoint);
  if (classes.length === 0) throw new Error(`ImageFolder: found no class folders in ${root} (expected one subfolder of images per class)`);

  const lowered = extensions.map((e) => e.toLowerCase());
  const samples: ImageFolderSample[] = [];
  const empty: string[] = [];
  for (const [label, name] of classes.entries()) {
    let count = 0;
    let listing: { dir: string; files: string[] }[];
    try {
      listing = await walk(join(root, name));
    } catch (error) {
      throw new Error(`ImageFolder: cannot read the class folder ${join(root, name)}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    listing.sort((a, b) => byCodePoint(a.dir, b.dir));
    for (const { dir, files } of listing) {
      for (const file of [...files].sort(byCodePoint)) {
        const lower = file.toLowerCase();
        if (!lowered.some((ext) => lower.endsWith(ext))) continue;
        samples.push({ path: join(dir, file), label });
        count++;
      }
    }
    if (count === 0) empty.push(name);
  }
  if (empty.length > 0) {
    throw new Error(
      `ImageFolder: found no image files in the class folder${empty.length > 1 ? 's' : ''} ${empty.join(', ')} of ${root} (extensions: ${extensions.join(' ')})`,
    );
  }
  return { classes, samples };
}

interface WorkerArgs {
  root: string;
  classes: string[];
  samples: ImageFolderSample[];
  strict: boolean;
  transform: TransformSpec | null;
}

export class ImageFolder implements Dataset {
  readonly root: string;
  readonly classes: readonly string[];
  readonly classToIndex: ReadonlyMap<string, number>;
  readonly samples: readonly ImageFolderSample[];
  readonly strict: boolean;
  readonly transform: Transform | undefined;

  constructor(root: string, classes: readonly string[], samples: readonly ImageFolderSample[], options: ImageFolderOptions = {}) {
    this.root = root;
    this.classes = classes;
    this.classToIndex = new Map(classes.map((c, i) => [c, i]));
    this.samples = samples;
    this.strict = options.strict ?? false;
    this.transform = options.transform;
  }

  /** Scans `root` and returns the data set. */
  static async open(root: string, options: ImageFolderOptions = {}): Promise<ImageFolder> {
    const { classes, samples } = await scanImageFolder(root, options.extensions);
    return new ImageFolder(root, classes, samples, options);
  }

  get length(): number {
    return this.samples.length;
  }

  async get(index: number, rng: Generator): Promise<Sample> {
    checkIndex(index, this.length, `ImageFolder ${this.root}`);
    const { path, label } = this.samples[index];
    let pixels: RgbImage;
    try {
      // The shared decoder gives the bytes PIL's Image.open(path).convert('RGB') gives.
      pixels = await readImage(path);
    } catch (error) {
      const message = (error as Error).message;
      if (this.strict) throw new Error(`ImageFolder: ${message}`);
      throw new SkippableSampleError(message);
    }
    const image = floatImageFromBytes(pixels.data, pixels.width, pixels.height, 3);
    return { image: this.transform ? this.transform.apply(image, rng) : image, label };
  }

  workerSpec(): WorkerDatasetSpec {
    const args: WorkerArgs = {
      root: this.root,
      classes: [...this.classes],
      samples: [...this.samples],
      strict: this.strict,
      transform: this.transform ? this.transform.toSpec() : null,
    };
    return { module: import.meta.url, factory: 'imageFolderFromWorkerArgs', args };
  }
}

export function imageFolderFromWorkerArgs(args: WorkerArgs): ImageFolder {
  return new ImageFolder(args.root, args.classes, args.samples, {
    strict: args.strict,
    transform: args.transform ? transformFromSpec(args.transform) : undefined,
  });
}
