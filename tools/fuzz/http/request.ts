/**
 * A request as the bytes that go on the wire: a request line, header lines
 * and a body, each of which the generator may have broken. Strings are
 * written as latin1, one byte a character, so any byte can be sent; UTF-8
 * text is turned into its bytes first (utf8Bytes).
 */
export interface RawRequest {
  method: string;
  target: string;
  /** 'HTTP/1.1', 'HTTP/1.0', anything else, or null for no version at all (HTTP/0.9's form). */
  version: string | null;
  /** Line ending of the request line and the header lines. */
  eol: string;
  /** [name, value] pairs, or whole lines sent as they are. */
  headers: (readonly [string, string] | string)[];
  body: Uint8Array;
}

/** A UTF-8 string's bytes as a latin1 string (one character a byte). */
export function utf8Bytes(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

export function headerValue(request: RawRequest, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const h of request.headers) if (typeof h !== 'string' && h[0].toLowerCase() === lower) return h[1];
  return undefined;
}

export function withoutHeader(request: RawRequest, name: string): RawRequest['headers'] {
  const lower = name.toLowerCase();
  return request.headers.filter((h) => typeof h === 'string' || h[0].toLowerCase() !== lower);
}

export function encodeRequest(request: RawRequest): Uint8Array {
  const line = request.version === null ? `${request.method} ${request.target}` : `${request.method} ${request.target} ${request.version}`;
  let head = line + request.eol;
  for (const h of request.headers) head += (typeof h === 'string' ? h : `${h[0]}: ${h[1]}`) + request.eol;
  head += request.eol;
  return Buffer.concat([Buffer.from(head, 'latin1'), request.body]);
}

/** A well-formed request: HTTP/1.1, Host, and a Content-Length when there is a body or the method is POST. */
export function wellFormed(
  method: string,
  target: string,
  headers: readonly (readonly [string, string])[] = [],
  body: Uint8Array = new Uint8Array(0),
): RawRequest {
  const all: (readonly [string, string])[] = [['Host', '127.0.0.1'], ...headers];
  if (body.length > 0 || method === 'POST') all.push(['Content-Length', String(body.length)]);
  return { method, target, version: 'HTTP/1.1', eol: '\r\n', headers: all, body };
}

/** `body` in chunked transfer coding, cut into chunks of the given sizes (the rest in one last chunk). */
export function chunkedBody(body: Uint8Array, sizes: readonly number[]): Uint8Array {
  const parts: Buffer[] = [];
  let at = 0;
  for (const size of [...sizes, body.length]) {
    const n = Math.min(size, body.length - at);
    if (n <= 0) continue;
    parts.push(Buffer.from(`${n.toString(16)}\r\n`, 'latin1'), Buffer.from(body.subarray(at, at + n)), Buffer.from('\r\n', 'latin1'));
    at += n;
  }
  parts.push(Buffer.from('0\r\n\r\n', 'latin1'));
  return Buffer.concat(parts);
}
