/**
 * The valid inputs the cases start from: small JPEG, PNG and WebP encodings
 * of one photo (skimage's chelsea.png, or a flat sharp-made image where
 * skimage is not installed), kept tiny so thousands of decodes stay cheap.
 */
import { existsSync } from 'node:fs';
import sharp, { type Sharp } from 'sharp';

export const PHOTO = '/usr/lib/python3/dist-packages/skimage/data/chelsea.png';

export interface SeedInputs {
  /** Image bytes by format, each a valid file. */
  images: { jpeg: Uint8Array; png: Uint8Array; webp: Uint8Array };
  /** Where they came from: the photo, or sharp's `create`. */
  source: string;
}

export type ImageFormat = keyof SeedInputs['images'];
export const IMAGE_FORMATS: readonly ImageFormat[] = ['jpeg', 'png', 'webp'];

export async function makeSeedInputs(): Promise<SeedInputs> {
  const usePhoto = existsSync(PHOTO);
  const base = (): Sharp => (usePhoto ? sharp(PHOTO) : sharp({ create: { width: 48, height: 32, channels: 3, background: '#6b8e23' } })).resize(40, 30);
  const [jpeg, png, webp] = await Promise.all([base().jpeg({ quality: 80 }).toBuffer(), base().png().toBuffer(), base().webp({ quality: 70 }).toBuffer()]);
  const bytes = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.length);
  return { images: { jpeg: bytes(jpeg), png: bytes(png), webp: bytes(webp) }, source: usePhoto ? PHOTO : 'sharp create 48×32' };
}
