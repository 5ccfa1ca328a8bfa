/**
 * A labelled image data set laid out as one folder per class, like
 * torchvision.datasets.ImageFolder: classes are the subfolder names sorted,
 * index = position; samples are the image files found (recursively) under each
 * class folder, sorted by folder then file name. A sample is the image decoded
 * to RGB as PIL's convert('RGB') does (src/node/image/decode.ts), scaled to [0, 1]
 * as [3, H, W], then the transform.
 *
 * One difference from torchvision: BMP, PPM and PGM files are in its list
 * but are not formats sharp decodes, so the scan refuses them, naming the
 * first, rather than skip them one warning at a time. Names that are not
 * valid UTF-8 are kept as Python keeps them (os.fsdecode: each stray byte
 * becomes U+DC80..U+DCFF, which sorts as Python sorts it), opened by their
 * original bytes, and shown in messages with U+FFFD.
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

/**
 * Those of IMAGE_EXTENSIONS that src/node/image/decode.ts cannot decode (sharp's libvips has no BMP loader and
 * sharp does not read PPM/PGM). PIL reads them, so torchvision would train on them: rather than skip each one
 * with a warning at load time (a class made of them would vanish), the scan refuses them.
 */
export const UNDECODABLE_EXTENSIONS: readonly string[] = ['.ppm', '.bmp', '.pgm'];

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

/**
 * The length of the UTF-8 sequence starting at `i` if it is well-formed (no overlong forms, no surrogates, nothing
 * above U+10FFFF: what Python's decoder takes), else 0.
 */
function utf8SequenceLength(bytes: Uint8Array, i: number): number {
  const lead = bytes[i];
  if (lead < 0x80) return 1;
  // The length and the range of the second byte, which excludes the forms Unicode forbids (table 3-7).
  let length = 0;
  let low = 0x80;
  let high = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) length = 2;
  else if (lead >= 0xe0 && lead <= 0xef) [length, low, high] = [3, lead === 0xe0 ? 0xa0 : 0x80, lead === 0xed ? 0x9f : 0xbf];
  else if (lead >= 0xf0 && lead <= 0xf4) [length, low, high] = [4, lead === 0xf0 ? 0x90 : 0x80, lead === 0xf4 ? 0x8f : 0xbf];
  if (length === 0 || i + length > bytes.length || bytes[i + 1] < low || bytes[i + 1] > high) return 0;
  for (let k = 2; k < length; k++) if (bytes[i + k] < 0x80 || bytes[i + k] > 0xbf) return 0;
  return length;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A file name as Python's os.fsdecode gives it (UTF-8 with surrogateescape), which torchvision sorts and
 * keeps: each byte outside a valid UTF-8 sequence becomes the lone surrogate U+DC80..U+DCFF, so the name
 * loses nothing (fsPath gives the bytes back) and sorts by code point as Python sorts it.
 */
export function decodeFileName(bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    let name = '';
    for (let i = 0; i < bytes.length; ) {
      const length = utf8SequenceLength(bytes, i);
      name += length > 0 ? strictUtf8.decode(bytes.subarray(i, i + length)) : String.fromCharCode(0xdc00 + bytes[i]);
      i += Math.max(length, 1);
    }
    return name;
  }
}

/** A lone surrogate U+DC80..U+DCFF (the `u` flag leaves surrogate pairs whole): a byte decodeFileName escaped. */
const ESCAPED_BYTE = /[\uDC80-\uDCFF]/u;
const ESCAPED_BYTES = new RegExp(ESCAPED_BYTE.source, 'gu');

/** The path to give the file system: the string itself, or for a name decodeFileName escaped, its original bytes. */
export function fsPath(path: string): string | Buffer {
  if (!ESCAPED_BYTE.test(path)) return path;
  const bytes: number[] = [];
  for (const char of path) {
    const code = char.codePointAt(0)!;
    if (code >= 0xdc80 && code <= 0xdcff) bytes.push(code - 0xdc00);
    else bytes.push(...Buffer.from(char, 'utf8'));
  }
  return Buffer.from(bytes);
}

/** A path as messages show it: escaped bytes as U+FFFD, as a UTF-8 terminal shows such a name. */
export function displayPath(path: string): string {
  return path.replace(ESCAPED_BYTES, '\uFFFD');
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(fsPath(path))).isDirectory();
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
  const info = await stat(fsPath(dir));
  const identity = `${info.dev}:${info.ino}`;
  if (ancestors.has(identity)) return out;
  const entries = await readdir(fsPath(dir), { withFileTypes: true, encoding: 'buffer' });
  const files: string[] = [];
  const subdirs: string[] = [];
  for (const entry of entries) {
    const name = decodeFileName(entry.name);
    const path = join(dir, name);
    if (entry.isDirectory() || (entry.isSymbolicLink() && (await isDirectory(path)))) subdirs.push(path);
    else files.push(name);
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
  let entries: Dirent<Buffer>[];
  try {
    if (!(await stat(root)).isDirectory()) throw new Error('not a directory');
    entries = await readdir(root, { withFileTypes: true, encoding: 'buffer' });
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new Error(`ImageFolder: cannot read the folder ${root}: ${e.code ?? e.message}`);
  }
  const classes: string[] = [];
  for (const entry of entries) {
    const name = decodeFileName(entry.name);
    if (entry.isDirectory() || (entry.isSymbolicLink() && (await isDirectory(join(root, name))))) classes.push(name);
  }
  classes.sort(byCodePoint);
  if (classes.length === 0) throw new Error(`ImageFolder: found no class folders in ${root} (expected one subfolder of images per class)`);

  const lowered = extensions.map((e) => e.toLowerCase());
  const samples: ImageFolderSample[] = [];
  const undecodable: string[] = [];
  const empty: string[] = [];
  for (const [label, name] of classes.entries()) {
    let count = 0;
    let listing: { dir: string; files: string[] }[];
    try {
      listing = await walk(join(root, name));
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new Error(`ImageFolder: cannot read the class folder ${displayPath(join(root, name))}: ${reason}`);
    }
    listing.sort((a, b) => byCodePoint(a.dir, b.dir));
    for (const { dir, files } of listing) {
      for (const file of [...files].sort(byCodePoint)) {
        const lower = file.toLowerCase();
        if (!lowered.some((ext) => lower.endsWith(ext))) continue;
        if (UNDECODABLE_EXTENSIONS.some((ext) => lower.endsWith(ext))) undecodable.push(join(dir, file));
        else samples.push({ path: join(dir, file), label });
        count++;
      }
    }
    if (count === 0) empty.push(name);
  }
  if (undecodable.length > 0) {
    const [first, n] = [displayPath(undecodable[0]), undecodable.length];
    throw new Error(
      `ImageFolder: ${n} image file${n > 1 ? 's' : ''} in ${root} (the first: ${first}) ${n > 1 ? 'are' : 'is'} BMP, PPM or PGM, which torchvision reads but this decoder cannot: convert ${n > 1 ? 'them' : 'it'} to PNG or JPEG`,
    );
  }
  if (empty.length > 0) {
    const names = empty.map(displayPath).join(', ');
    throw new Error(
      `ImageFolder: found no image files in the class folder${empty.length > 1 ? 's' : ''} ${names} of ${root} (extensions: ${extensions.join(' ')})`,
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
      pixels = await readImage(fsPath(path));
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
