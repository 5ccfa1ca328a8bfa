/**
 * Chunked transfer coding of a request body, valid or broken: chunk sizes
 * that are not hex, negative, past 2^64, larger or smaller than the data
 * that follows; a missing CRLF after the data; long chunk extensions;
 * trailers; no last chunk (the body never ends).
 */
import type { Rand } from './random.js';
import { chunkedBody } from './request.js';
import type { Owed } from './header-mutate.js';

export interface ChunkedBody {
  bytes: Uint8Array;
  owed: Owed;
  detail: string;
}

const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');

export function chunkedEncoding(body: Uint8Array, r: Rand): ChunkedBody {
  const sizes = Array.from({ length: r.range(0, 6) }, () => r.pick([1, 7, 100, 1000, 4096]));
  const op = r.weighted([
    ['valid', 30],
    ['bad-size', 20],
    ['size-mismatch', 12],
    ['missing-crlf', 8],
    ['extension', 8],
    ['trailer', 8],
    ['no-last-chunk', 4],
    ['empty-chunks', 5],
  ] as const);
  switch (op) {
    case 'valid':
      return { bytes: chunkedBody(body, sizes), owed: 'answer', detail: `chunked ${sizes.length + 1} chunks` };
    case 'bad-size': {
      const size = r.pick(['zz', '-1', 'ffffffffffffffffff', '10000000000000000', ' 5', '5 ', '0x5', '', '\u00ff', '1;', '7fffffffffffffff']);
      const at = r.int(Math.max(1, body.length));
      const bytes = Buffer.concat([latin1(`${size}\r\n`), Buffer.from(body.subarray(0, at)), latin1('\r\n0\r\n\r\n')]);
      return { bytes, owed: 'answer-or-close', detail: `chunk size ${JSON.stringify(size)}` };
    }
    case 'size-mismatch': {
      const declared = Math.max(0, body.length + r.pick([-100, -1, 1, 100, 1 << 20]));
      const bytes = Buffer.concat([latin1(`${declared.toString(16)}\r\n`), Buffer.from(body), latin1('\r\n0\r\n\r\n')]);
      return { bytes, owed: 'answer-or-close', detail: `chunk of ${declared} declared, ${body.length} sent` };
    }
    case 'missing-crlf': {
      const bytes = Buffer.concat([latin1(`${body.length.toString(16)}\r\n`), Buffer.from(body), latin1('0\r\n\r\n')]);
      return { bytes, owed: 'answer-or-close', detail: 'no CRLF after chunk data' };
    }
    case 'extension': {
      const n = r.pick([10, 1000, 20_000, 100_000]);
      const bytes = Buffer.concat([latin1(`${body.length.toString(16)};ext=${'e'.repeat(n)}\r\n`), Buffer.from(body), latin1('\r\n0\r\n\r\n')]);
      return { bytes, owed: 'answer', detail: `chunk extension of ${n} bytes` };
    }
    case 'trailer': {
      const trailer = r.pick(['X-T: 1\r\n', 'Content-Length: 5\r\n', 'bad trailer\r\n', `X-Big: ${'t'.repeat(20_000)}\r\n`]);
      const valid = chunkedBody(body, sizes);
      const bytes = Buffer.concat([Buffer.from(valid.subarray(0, valid.length - 2)), latin1(`${trailer}\r\n`)]);
      return { bytes, owed: trailer.startsWith('bad') ? 'answer-or-close' : 'answer', detail: `trailer ${JSON.stringify(trailer.slice(0, 20))}` };
    }
    case 'no-last-chunk': {
      const valid = chunkedBody(body, sizes);
      return { bytes: valid.subarray(0, valid.length - 5), owed: 'answer-or-close', detail: 'no last chunk (stalls)' };
    }
    default: {
      const bytes = Buffer.concat([latin1('0;a=b\r\n\r\n'.repeat(r.chance(0.5) ? 1 : 0)), chunkedBody(body, [])]);
      return { bytes, owed: 'answer', detail: 'a last chunk first' };
    }
  }
}
