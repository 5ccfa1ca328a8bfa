/**
 * multipart/form-data bodies: files (valid or mutated images) and fields,
 * then broken: boundaries missing, empty, quoted, too long or not the one
 * the body uses; part headers missing or odd (no Content-Disposition, no
 * name, strange filenames); bare LF line endings; no closing delimiter;
 * more files or fields than the server takes; preamble and epilogue; and at
 * times byte-level mutations of the whole body.
 */
import { concatBytes } from '../../../src/formats/byte-writer.js';
import { lengthFields, mutate } from '../mutate.js';
import { imageBody } from './image-bodies.js';
import type { Rand } from './random.js';
import { utf8Bytes } from './request.js';
import type { SeedInputs } from './seed-inputs.js';

export interface MultipartBody {
  /** The Content-Type header's value, or null to send none. */
  contentType: string | null;
  bytes: Uint8Array;
  detail: string;
}

const latin1 = (s: string): Uint8Array => Buffer.from(s, 'latin1');

function filename(r: Rand): string {
  return r.weighted([
    ['photo.jpg', 30],
    ['', 6],
    ['../../etc/passwd', 3],
    [utf8Bytes('фото 🐱.png'), 3],
    ['a"b.jpg', 2],
    ['x'.repeat(r.range(200, 5000)), 2],
    ['C:\\temp\\img.png', 2],
    ['\u0000.jpg', 2],
    ['%00%2F..%2F.png', 2],
  ]);
}

function partHeaders(r: Rand, field: string, file: string | null, eol: string): string {
  const disposition = r.weighted<string | null>([
    [file === null ? `form-data; name="${field}"` : `form-data; name="${field}"; filename="${file}"`, 80],
    [null, 5],
    ['form-data', 4],
    [`form-data; filename*=UTF-8''${encodeURIComponent('κατ.jpg')}; name=${field}`, 3],
    [`attachment; filename="${file ?? 'x'}"`, 3],
    [`form-data; name="${field}"; name="again"; filename="${file ?? 'x'}"`, 2],
    ['form-data; name=', 2],
    [';;;;', 1],
  ]);
  const lines: string[] = [];
  if (disposition !== null) lines.push(`Content-Disposition: ${disposition}`);
  if (file !== null && r.chance(0.6))
    lines.push(`Content-Type: ${r.pick(['image/jpeg', 'image/png', 'application/octet-stream', 'text/plain', 'multipart/mixed; boundary=zz'])}`);
  if (r.chance(0.05)) lines.push(`X-Many: ${'v'.repeat(r.range(1000, 40_000))}`);
  if (r.chance(0.05)) for (let i = r.range(60, 200); i > 0; i--) lines.push(`X-H${i}: ${i}`);
  if (r.chance(0.03)) lines.push('No colon in this line');
  return lines.map((l) => l + eol).join('');
}

export function multipartBody(seeds: SeedInputs, r: Rand, maxBodyBytes: number, maxImages: number): MultipartBody {
  const boundary = r.weighted([
    [`----fuzz${r.text(16)}`, 70],
    ['x', 5],
    [`${'b'.repeat(r.range(71, 300))}`, 4],
    ['with space', 3],
    ['quo"te', 2],
    ['--', 2],
    [utf8Bytes('ünïcode'), 2],
  ]);
  const eol = r.chance(0.9) ? '\r\n' : '\n';
  const notes: string[] = [];
  const parts: Uint8Array[] = [];
  if (r.chance(0.1)) parts.push(latin1(`preamble ${r.text(r.range(0, 100))}${eol}`));
  const manyFiles = r.chance(0.04);
  const manyFields = r.chance(0.04);
  const files = manyFiles
    ? maxImages + r.range(1, 8)
    : r.weighted([
        [0, 8],
        [1, 60],
        [2, 15],
        [3, 10],
        [6, 7],
      ] as const);
  const fields = manyFields
    ? r.range(33, 60)
    : r.weighted([
        [0, 70],
        [1, 20],
        [3, 10],
      ] as const);
  notes.push(`${files} files, ${fields} fields, boundary ${JSON.stringify(boundary.slice(0, 20))}${boundary.length > 20 ? `(${boundary.length})` : ''}`);
  const order = [...Array.from({ length: files }, () => 'file' as const), ...Array.from({ length: fields }, () => 'field' as const)];
  for (let i = order.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  for (const [i, what] of order.entries()) {
    parts.push(latin1(`--${boundary}${eol}`));
    if (what === 'file') {
      const image = manyFiles ? { bytes: seeds.images.png, detail: 'png' } : imageBody(seeds, r, maxBodyBytes);
      if (!manyFiles) notes.push(image.detail);
      parts.push(latin1(partHeaders(r, `images${i}`, filename(r), eol) + eol), image.bytes, latin1(eol));
    } else {
      const value = r.chance(0.05) ? 'v'.repeat(r.range(60_000, 90_000)) : r.text(r.range(0, 40));
      parts.push(latin1(partHeaders(r, `field${i}`, null, eol) + eol + value + eol));
    }
  }
  const closing = r.weighted([
    [`--${boundary}--${eol}`, 80],
    ['', 6],
    [`--${boundary}${eol}`, 4],
    [`--${boundary}--`, 4],
    [`--${boundary}-`, 3],
    [`--${boundary}--${eol}epilogue ${r.text(50)}`, 3],
  ]);
  if (closing !== `--${boundary}--${eol}`) notes.push(`closing ${JSON.stringify(closing.slice(-24))}`);
  parts.push(latin1(closing));
  let bytes = concatBytes(parts);
  if (r.chance(0.15)) {
    const n = r.range(1, 3);
    for (let i = 0; i < n && bytes.length > 0; i++) bytes = mutate(bytes, lengthFields(bytes), r.next);
    notes.push(`${n} byte mutations`);
  }
  const contentType = r.weighted<string | null>([
    [`multipart/form-data; boundary=${boundary}`, 60],
    [`multipart/form-data; boundary="${boundary}"`, 8],
    ['multipart/form-data', 5],
    ['multipart/form-data; boundary=', 4],
    [`multipart/form-data; boundary=other${r.text(4)}`, 5],
    [`Multipart/Form-Data; BOUNDARY=${boundary}; charset=utf-8`, 4],
    [`multipart/mixed; boundary=${boundary}`, 3],
    [`multipart/form-data; boundary=${boundary}; boundary=${boundary}x`, 3],
    [`multipart/form-data;boundary=${boundary};${'p=q;'.repeat(r.range(50, 500))}`, 2],
    [null, 3],
    [`image/png; boundary=${boundary}`, 2],
    ['multipart/form-data; boundary=""', 1],
  ]);
  notes.push(`Content-Type ${contentType === null ? 'none' : JSON.stringify(contentType.slice(0, 60))}`);
  return { contentType, bytes, detail: notes.join('; ') };
}
