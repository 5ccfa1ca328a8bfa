/**
 * Image bodies: a seed JPEG, PNG or WebP left valid, or broken with the
 * file fuzzer's structure-aware mutations (bit flips, truncation, inserted
 * and deleted bytes, extreme values in the length, width and height
 * fields), spliced with another format, emptied, or grown past the body limit.
 */
import { concatBytes } from '../../../src/formats/byte-writer.js';
import { lengthFields, mutate } from '../mutate.js';
import type { Rand } from './random.js';
import { IMAGE_FORMATS, type ImageFormat, type SeedInputs } from './seed-inputs.js';

export interface ImageBody {
  bytes: Uint8Array;
  /** The seed's format (what a truthful Content-Type says). */
  format: ImageFormat;
  detail: string;
}

export function imageBody(seeds: SeedInputs, r: Rand, maxBodyBytes: number): ImageBody {
  const format = r.pick(IMAGE_FORMATS);
  const base = seeds.images[format];
  const how = r.weighted([
    ['valid', 8],
    ['mutated', 60],
    ['splice', 10],
    ['truncated-header', 8],
    ['empty', 3],
    ['repeated', 6],
    ['oversize', 2],
  ] as const);
  switch (how) {
    case 'valid':
      return { bytes: base, format, detail: `${format} valid` };
    case 'mutated': {
      let bytes = base;
      const n = r.range(1, 4);
      for (let i = 0; i < n && bytes.length > 0; i++) bytes = mutate(bytes, lengthFields(bytes), r.next);
      return { bytes, format, detail: `${format} ${n} mutations` };
    }
    case 'splice': {
      const other = seeds.images[r.pick(IMAGE_FORMATS)];
      const at = r.int(base.length);
      const from = r.int(other.length);
      return { bytes: concatBytes([base.subarray(0, at), other.subarray(from)]), format, detail: `${format}[0:${at}] + other[${from}:]` };
    }
    case 'truncated-header': {
      const n = r.int(Math.min(64, base.length));
      return { bytes: base.subarray(0, n), format, detail: `${format} first ${n} bytes` };
    }
    case 'empty':
      return { bytes: new Uint8Array(0), format, detail: 'empty' };
    case 'repeated': {
      const times = r.range(2, 20);
      return { bytes: concatBytes(Array.from({ length: times }, () => base)), format, detail: `${format} ×${times} concatenated` };
    }
    default: {
      const times = Math.ceil(maxBodyBytes / base.length) + r.range(0, 3);
      return { bytes: concatBytes(Array.from({ length: times }, () => base)), format, detail: `${format} ×${times} (past the body limit)` };
    }
  }
}

/** A Content-Type for an image body: usually truthful, sometimes another format, odd spellings, or not an image type. */
export function imageContentType(format: ImageFormat, r: Rand): string | null {
  return r.weighted<string | null>([
    [`image/${format}`, 50],
    [`image/${r.pick(IMAGE_FORMATS)}`, 10],
    [`IMAGE/${format.toUpperCase()}`, 4],
    ['image/', 3],
    ['image/x-anything; charset=utf-8', 3],
    [`image/${format}; ${'a=b; '.repeat(r.range(1, 200))}`, 2],
    ['application/octet-stream', 4],
    ['text/plain', 3],
    ['', 3],
    [null, 5],
    ['multipart/form-data', 3],
    [' image/jpeg', 2],
    ['image/jpeg\u00ff', 2],
    [`image/${'x'.repeat(r.range(100, 9000))}`, 2],
  ]);
}
