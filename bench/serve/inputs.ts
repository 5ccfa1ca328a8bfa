/**
 * The images the load generator sends: real photos (scikit-image's sample
 * data, installed with python3-skimage) re-encoded as JPEG, quality 90, in
 * three sizes, since the server's cost per request is decoding and resizing
 * as well as the forward pass:
 *
 * - 224×224: what the model takes, so resizing is next to free;
 * - full size: the photos as they are (300 to 1400 px a side);
 * - large: a few upscaled to 3000×2000, a phone photo's size.
 *
 * Each set is written to a temporary directory too, so a run can be
 * repeated by hand (curl --data-binary @file).
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';

const PHOTO_DIR = '/usr/lib/python3/dist-packages/skimage/data';

/** Photographs among the sample data (not the synthetic patterns, textures or text); those absent are skipped. */
const PHOTOS = [
  'astronaut.png',
  'chelsea.png',
  'coffee.png',
  'hubble_deep_field.jpg',
  'motorcycle_left.png',
  'motorcycle_right.png',
  'rocket.jpg',
  'retina.jpg',
  'ihc.png',
  // Grayscale: servers get those too, and they take the 1-to-3-channel path of preprocessing.
  'camera.png',
  'coins.png',
  'moon.png',
];
/** The photos upscaled for the large set: a few are enough, each request costs a whole decode. */
const LARGE_COUNT = 4;
const LARGE_SIZE = { width: 3000, height: 2000 };
const JPEG_QUALITY = 90;

export interface InputImage {
  name: string;
  width: number;
  height: number;
  jpeg: Buffer;
}

export interface InputSet {
  id: '224' | 'full' | 'large';
  /** The heading of its table in the report. */
  title: string;
  images: InputImage[];
}

type Resize = { width: number; height: number } | null;

async function encode(path: string, resize: Resize): Promise<InputImage> {
  // `cover` crops instead of distorting: the upscaled photos stay photos.
  const pipeline = resize === null ? sharp(path) : sharp(path).resize({ ...resize, fit: 'cover' });
  const { data, info } = await pipeline.jpeg({ quality: JPEG_QUALITY }).toBuffer({ resolveWithObject: true });
  return {
    name: path
      .split('/')
      .at(-1)!
      .replace(/\.\w+$/, '.jpg'),
    width: info.width,
    height: info.height,
    jpeg: data,
  };
}

function encodeAll(paths: string[], resize: Resize): Promise<InputImage[]> {
  return Promise.all(paths.map((p) => encode(p, resize)));
}

async function writeSet(dir: string, set: InputSet): Promise<void> {
  await mkdir(join(dir, set.id), { recursive: true });
  await Promise.all(set.images.map((image) => writeFile(join(dir, set.id, image.name), image.jpeg)));
}

/** The three input sets, also written under `dir`; throws when none of the photos is installed. */
export async function prepareInputs(dir: string): Promise<InputSet[]> {
  const paths = PHOTOS.map((f) => join(PHOTO_DIR, f)).filter((p) => existsSync(p));
  if (paths.length === 0) throw new Error(`no sample photos in ${PHOTO_DIR} (apt-get install python3-skimage)`);
  const sets: InputSet[] = [
    { id: '224', title: '224×224 JPEGs', images: await encodeAll(paths, { width: 224, height: 224 }) },
    { id: 'full', title: 'Full-size photos', images: await encodeAll(paths, null) },
    { id: 'large', title: `Large photos (${LARGE_SIZE.width}×${LARGE_SIZE.height})`, images: await encodeAll(paths.slice(0, LARGE_COUNT), LARGE_SIZE) },
  ];
  for (const set of sets) await writeSet(dir, set);
  return sets;
}

/** "12 images, 302×191 to 1411×1411, 96 KiB mean": what a set holds, for the report. */
export function describeSet(set: InputSet): string {
  const pixels = (i: InputImage): number => i.width * i.height;
  const sorted = [...set.images].sort((a, b) => pixels(a) - pixels(b));
  const size = (i: InputImage): string => `${i.width}×${i.height}`;
  const range = size(sorted[0]) === size(sorted.at(-1)!) ? size(sorted[0]) : `${size(sorted[0])} to ${size(sorted.at(-1)!)}`;
  const meanKiB = set.images.reduce((n, i) => n + i.jpeg.length, 0) / set.images.length / 1024;
  return `${set.images.length} images, ${range}, JPEG quality ${JPEG_QUALITY}, ${meanKiB.toFixed(0)} KiB mean`;
}
