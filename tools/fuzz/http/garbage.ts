/**
 * Bytes that are not HTTP at all: random bytes, printable noise, a TLS
 * ClientHello, the HTTP/2 connection preface, blank lines, NULs, a request
 * line cut short, or nothing (a connection opened and half-closed).
 */
import type { Rand } from './random.js';

export interface Garbage {
  bytes: Uint8Array;
  detail: string;
}

const TLS_CLIENT_HELLO = Uint8Array.from([
  0x16,
  0x03,
  0x01,
  0x00,
  0x2f,
  0x01,
  0x00,
  0x00,
  0x2b,
  0x03,
  0x03,
  ...Array.from({ length: 32 }, (_, i) => i),
  0x00,
  0x00,
  0x02,
  0x00,
  0x2f,
  0x01,
  0x00,
]);

export function garbage(r: Rand): Garbage {
  const latin1 = (s: string): Uint8Array => Buffer.from(s, 'latin1');
  return r.weighted<() => Garbage>([
    [
      () => {
        const n = r.pick([1, 16, 300, 4096, 40_000]);
        return { bytes: r.bytes(n), detail: `${n} random bytes` };
      },
      30,
    ],
    [
      () => {
        const n = r.pick([5, 100, 2000, 20_000]);
        return { bytes: latin1(r.text(n, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ /:\r\n-abcdefghij0123456789')), detail: `${n} printable bytes` };
      },
      20,
    ],
    [() => ({ bytes: TLS_CLIENT_HELLO, detail: 'TLS ClientHello' }), 8],
    [() => ({ bytes: latin1('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\u0000\u0000\u0012\u0004\u0000\u0000\u0000\u0000\u0000'), detail: 'HTTP/2 preface' }), 8],
    [() => ({ bytes: latin1('\r\n'.repeat(r.pick([1, 2, 50, 5000]))), detail: 'blank lines' }), 8],
    [() => ({ bytes: new Uint8Array(r.pick([1, 100, 10_000])), detail: 'NULs' }), 6],
    [
      () => ({
        bytes: latin1(r.pick(['GET', 'GET /v2', 'GET /v2 HTTP/1.1', 'GET /v2 HTTP/1.1\r\nHost: x', 'POST /v1/classify HTTP/1.1\r\nContent-'])),
        detail: 'request cut short',
      }),
      12,
    ],
    [() => ({ bytes: new Uint8Array(0), detail: 'nothing' }), 6],
  ])();
}
