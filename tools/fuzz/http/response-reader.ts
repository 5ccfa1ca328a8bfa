/**
 * Reads the HTTP/1.x responses that come back on a connection, as bytes
 * arrive: status line, headers, then a body delimited by Content-Length,
 * chunked coding, or the connection's close. Interim 1xx answers are
 * counted apart; answers to HEAD have no body. Anything that is not a
 * response is kept as `malformed`.
 */
export interface ParsedResponse {
  status: number;
  /** Header names lowercased; a repeated header's values joined with ', '. */
  headers: Record<string, string>;
  /** The first bytes of the body, for the report. */
  bodyStart: string;
}

const BODY_KEPT = 300;

export class ResponseReader {
  readonly responses: ParsedResponse[] = [];
  interim = 0;
  malformed: string | null = null;
  private buffer: Buffer = Buffer.alloc(0);
  private current: { response: ParsedResponse; mode: 'length' | 'chunked' | 'close'; remaining: number; body: Buffer[] } | null = null;

  /** `methods[i]` is the method of the i-th request sent (HEAD's answer has no body). */
  constructor(private readonly methods: readonly string[]) {}

  /** True while a response has started and not ended. */
  get midResponse(): boolean {
    return this.current !== null || (this.buffer.length > 0 && this.malformed === null);
  }

  push(chunk: Buffer): void {
    if (this.malformed !== null) return;
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    while (this.malformed === null && this.step()) {}
  }

  /** The connection closed: a body read to the close ends here. */
  end(): void {
    if (this.current?.mode === 'close') {
      this.current.body.push(this.buffer);
      this.buffer = Buffer.alloc(0);
      this.finish();
    }
  }

  /** Parses what it can; false when it needs more bytes. */
  private step(): boolean {
    if (this.current === null) return this.readHead();
    const cur = this.current;
    if (cur.mode === 'close') return false;
    if (cur.mode === 'length') {
      const n = Math.min(cur.remaining, this.buffer.length);
      cur.body.push(this.buffer.subarray(0, n));
      this.buffer = this.buffer.subarray(n);
      cur.remaining -= n;
      if (cur.remaining > 0) return false;
      this.finish();
      return true;
    }
    // chunked: remaining > 0 is what is left of the current chunk's data and its CRLF (kept with the body).
    if (cur.remaining > 0) {
      const n = Math.min(cur.remaining, this.buffer.length);
      cur.body.push(this.buffer.subarray(0, n));
      this.buffer = this.buffer.subarray(n);
      cur.remaining -= n;
      return cur.remaining === 0;
    }
    const eol = this.buffer.indexOf('\r\n');
    if (eol < 0) return false;
    const size = Number.parseInt(this.buffer.subarray(0, eol).toString('latin1').split(';')[0], 16);
    if (!Number.isFinite(size) || size < 0) {
      this.malformed = `bad chunk size line ${JSON.stringify(this.buffer.subarray(0, Math.min(eol, 40)).toString('latin1'))}`;
      return false;
    }
    if (size === 0) {
      const trailerEnd = this.buffer.indexOf('\r\n\r\n', eol);
      const end = this.buffer.indexOf('\r\n', eol + 2) === eol + 2 ? eol + 4 : trailerEnd < 0 ? -1 : trailerEnd + 4;
      if (end < 0) return false;
      this.buffer = this.buffer.subarray(end);
      this.finish();
      return true;
    }
    this.buffer = this.buffer.subarray(eol + 2);
    cur.remaining = size + 2;
    return true;
  }

  private readHead(): boolean {
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end < 0) {
      if (this.buffer.length > 64 * 1024) this.malformed = 'a response head longer than 64 KiB';
      else if (this.buffer.length >= 12 && !/^HTTP\/1\.[01] \d{3}/.test(this.buffer.subarray(0, 12).toString('latin1')))
        this.malformed = `not a status line: ${JSON.stringify(this.buffer.subarray(0, 60).toString('latin1'))}`;
      return false;
    }
    const lines = this.buffer.subarray(0, end).toString('latin1').split('\r\n');
    this.buffer = this.buffer.subarray(end + 4);
    const match = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(lines[0]);
    if (match === null) {
      this.malformed = `not a status line: ${JSON.stringify(lines[0].slice(0, 60))}`;
      return false;
    }
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) {
        this.malformed = `bad response header line ${JSON.stringify(line.slice(0, 60))}`;
        return false;
      }
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
    }
    const status = Number(match[1]);
    if (status >= 100 && status < 200 && status !== 101) {
      this.interim++;
      return true;
    }
    const response: ParsedResponse = { status, headers, bodyStart: '' };
    const isHead = this.methods[this.responses.length] === 'HEAD';
    if (isHead || status === 204 || status === 304) {
      this.current = { response, mode: 'length', remaining: 0, body: [] };
    } else if (/\bchunked\b/i.test(headers['transfer-encoding'] ?? '')) {
      this.current = { response, mode: 'chunked', remaining: 0, body: [] };
    } else if (headers['content-length'] !== undefined) {
      const n = Number(headers['content-length']);
      if (!Number.isSafeInteger(n) || n < 0) {
        this.malformed = `bad response Content-Length ${JSON.stringify(headers['content-length'])}`;
        return false;
      }
      this.current = { response, mode: 'length', remaining: n, body: [] };
    } else {
      this.current = { response, mode: 'close', remaining: 0, body: [] };
    }
    return true;
  }

  private finish(): void {
    const cur = this.current!;
    cur.response.bodyStart = Buffer.concat(cur.body).subarray(0, BODY_KEPT).toString('utf8');
    this.responses.push(cur.response);
    this.current = null;
  }
}
