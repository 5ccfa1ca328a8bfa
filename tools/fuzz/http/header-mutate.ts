/**
 * Header changes to a well-formed request: Host missing, doubled or odd;
 * Content-Length wrong (smaller, larger, doubled, non-numeric, past 2^64,
 * far past the body limit); Transfer-Encoding odd or next to a
 * Content-Length; very many or very large headers; lines without a colon,
 * with obs-fold, NUL or bare CR; Expect and Upgrade. `owed` says what the
 * server owes the result: a status line, or a status line or a close
 * (the request is not valid HTTP, is never completed, or is refused by
 * Node before the server's code sees it: a head over 16 KiB gets 431,
 * HTTP/1.1 without Host 400, each with a close).
 */
import type { Rand } from './random.js';
import { headerValue, type RawRequest, withoutHeader } from './request.js';

export type Owed = 'answer' | 'answer-or-close';

export interface MutatedHeaders {
  request: RawRequest;
  owed: Owed;
  detail: string;
}

export function mutateHeaders(request: RawRequest, r: Rand): MutatedHeaders {
  const length = request.body.length;
  const declared = headerValue(request, 'Content-Length') ?? String(length);
  const set = (name: string, value: string): RawRequest['headers'] => [...withoutHeader(request, name), [name, value]];
  const op = r.weighted([
    ['host', 10],
    ['length-smaller', 6],
    ['length-larger', 3],
    ['length-duplicate', 6],
    ['length-bad', 10],
    ['length-huge', 6],
    ['transfer-encoding', 10],
    ['many-headers', 8],
    ['huge-header', 6],
    ['malformed-line', 14],
    ['expect', 6],
    ['upgrade', 5],
    ['obs-text', 4],
    ['content-type', 6],
  ] as const);
  const out = (headers: RawRequest['headers'], owed: Owed, detail: string): MutatedHeaders => ({ request: { ...request, headers }, owed, detail });
  switch (op) {
    case 'host': {
      const how = r.pick(['missing', 'twice', 'empty', 'odd', 'huge'] as const);
      const rest = withoutHeader(request, 'Host');
      if (how === 'missing') return out(rest, 'answer-or-close', 'no Host');
      if (how === 'twice') return out([['Host', 'a.example'], ...rest, ['Host', 'b.example']], 'answer', 'Host twice');
      if (how === 'empty') return out([['Host', ''], ...rest], 'answer', 'empty Host');
      if (how === 'odd') {
        const host = r.pick(['a b', '[::1', 'x:99999999', 'user@host', '..', '%00', 'host/path']);
        return out([['Host', host], ...rest], 'answer', `Host ${JSON.stringify(host)}`);
      }
      const n = r.range(5000, 40_000);
      return out([['Host', 'h'.repeat(n)], ...rest], n < 12_000 ? 'answer' : 'answer-or-close', `Host of ${n} bytes`);
    }
    case 'length-smaller': {
      // The rest of the body is read as a next request, which Node's parser refuses by destroying the connection,
      // answers still queued or unread included: a close will do.
      if (length === 0) return out(set('Content-Length', '0'), 'answer', 'Content-Length 0');
      const n = r.int(length);
      return out(set('Content-Length', String(n)), 'answer-or-close', `Content-Length ${n} of ${length}`);
    }
    case 'length-larger': {
      const n = length + r.range(1, 5000);
      return out(set('Content-Length', String(n)), 'answer-or-close', `Content-Length ${n} of ${length} (stalls)`);
    }
    case 'length-duplicate': {
      const same = r.chance(0.4);
      const other = same ? declared : String(Number(declared) + r.range(1, 10));
      return out([...request.headers, ['Content-Length', other]], 'answer-or-close', `Content-Length twice (${same ? 'same' : 'different'})`);
    }
    case 'length-bad': {
      const value = r.pick([
        '-1',
        'abc',
        '1e3',
        '+5',
        '0x10',
        '',
        ' ',
        '5,5',
        `${declared}.0`,
        `${declared} ${declared}`,
        '99999999999999999999',
        '18446744073709551617',
        '\u00b9',
      ]);
      return out(set('Content-Length', value), 'answer-or-close', `Content-Length ${JSON.stringify(value)}`);
    }
    case 'length-huge': {
      // Far past --max-body: refused from the header alone, before any body arrives.
      const value = r.pick(['2000000', '1099511627776', '9007199254740993', '999999999999999']);
      return out(set('Content-Length', value), 'answer', `Content-Length ${value} (body ${length})`);
    }
    case 'transfer-encoding': {
      const value = r.pick(['chunked', 'gzip', 'chunked, gzip', 'gzip, chunked', 'Chunked', 'identity', 'chunked, chunked', 'xchunked', '']);
      const keep = r.chance(0.5);
      const headers: RawRequest['headers'] = keep
        ? [...request.headers, ['Transfer-Encoding', value]]
        : set('Transfer-Encoding', value).filter((h) => typeof h === 'string' || h[0] !== 'Content-Length');
      return out(headers, 'answer-or-close', `Transfer-Encoding ${JSON.stringify(value)}${keep ? ' with Content-Length' : ''} (body not chunked)`);
    }
    case 'many-headers': {
      const n = r.pick([50, 200, 1000, 2500, 5000]);
      const extra = Array.from({ length: n }, (_, i) => [`X-Fuzz-${i}`, r.text(r.range(0, 12))] as const);
      return out([...request.headers, ...extra], n <= 200 ? 'answer' : 'answer-or-close', `${n} extra headers`);
    }
    case 'huge-header': {
      const n = r.pick([4000, 15_000, 17_000, 64_000, 300_000]);
      return out([...request.headers, ['X-Big', 'v'.repeat(n)]], n < 12_000 ? 'answer' : 'answer-or-close', `one header of ${n} bytes`);
    }
    case 'malformed-line': {
      const line = r.pick([
        'No-Colon-Here',
        'Bad Name: x',
        'Spaced : x',
        ' folded continuation',
        '\tfolded',
        ': empty-name',
        'X-Nul: a\u0000b',
        'X-Cr: a\rb',
        'X-Ctl: \u0001',
        'Na\u00efve: x',
        '(paren): x',
        'X-Del: \u007f',
      ]);
      const at = r.int(request.headers.length + 1);
      const headers = [...request.headers];
      headers.splice(at, 0, line);
      return out(headers, 'answer-or-close', `header line ${JSON.stringify(line)} at ${at}`);
    }
    case 'expect': {
      const value = r.pick(['100-continue', '100-Continue', 'nothing', '200-ok']);
      return out([...request.headers, ['Expect', value]], 'answer', `Expect ${value}`);
    }
    case 'upgrade': {
      const value = r.pick(['websocket', 'h2c', 'TLS/1.2', 'HTTP/2.0']);
      return out(
        [...withoutHeader(request, 'Connection'), ['Connection', 'Upgrade'], ['Upgrade', value], ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ==']],
        'answer',
        `Upgrade ${value}`,
      );
    }
    case 'obs-text':
      return out([...request.headers, ['X-Latin', '\u00e9\u00ff\u0080'], ['User-Agent', '\u00c3\u00a9']], 'answer', 'obs-text header values');
    default: {
      const value = r.pick(['', 'image/', 'image/*', 'application/json', 'text/plain; charset=utf-16', 'multipart/form-data; boundary=x', 'a'.repeat(10_000)]);
      return out(set('Content-Type', value), 'answer', `Content-Type ${JSON.stringify(value.slice(0, 40))}`);
    }
  }
}
