/**
 * Reading requests and writing answers: bodies read up to a byte limit
 * (checked against Content-Length before reading, and again while reading)
 * and within the server-wide budget of body bytes (body-budget.ts), errors as
 * `{"error": "..."}` with their status code, as the KServe v2 protocol
 * answers them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BodyReservation } from './body-budget.js';

/** Seconds a client is told to wait after a 503. */
export const RETRY_AFTER_SECONDS = '1';

/** An error that is the client's to fix (4xx) or the server's state (503, 504): answered with its status and message. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function bodyTooLarge(maxBytes: number): HttpError {
  return new HttpError(413, `the request body is larger than the limit of ${maxBytes} bytes (--max-body-mb)`);
}

/** How much of a request body may be read, and where its bytes are counted. */
export interface BodyLimits {
  maxBytes: number;
  /** The request's share of the server-wide budget (body-budget.ts). */
  reservation: BodyReservation;
}

/**
 * Checks what is known of a body before any of it is read: its coding (only identity: a gzip body
 * reached the JSON parser and the image decoders, which answered that it was not JSON or not an
 * image), its declared length against the limit (413), and takes that length from the server-wide
 * budget (503).
 */
export function admitBody(req: IncomingMessage, limits: BodyLimits): void {
  checkContentEncoding(req);
  checkDeclaredLength(req, limits.maxBytes);
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > 0) limits.reservation.cover(declared);
}

function checkContentEncoding(req: IncomingMessage): void {
  const coding = (req.headers['content-encoding'] ?? '').trim();
  if (coding !== '' && coding.toLowerCase() !== 'identity') {
    throw new HttpError(415, `Content-Encoding '${coding}' is not accepted: send the body uncompressed (no Content-Encoding, or identity)`);
  }
}

/** Refuses a body whose declared length is over the limit before any of it is read. */
function checkDeclaredLength(req: IncomingMessage, maxBytes: number): void {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) throw bodyTooLarge(maxBytes);
}

/**
 * Counts `total` bytes read so far against the limit (413) and the server-wide budget (503): a
 * body without Content-Length (chunked) is only known as it arrives.
 */
export function countBodyBytes(total: number, limits: BodyLimits): void {
  if (total > limits.maxBytes) throw bodyTooLarge(limits.maxBytes);
  limits.reservation.cover(total);
}

/** The whole body, within `limits`; rejects with 413 or 503 past them, or with the signal's reason. */
export function readBody(req: IncomingMessage, limits: BodyLimits, signal: AbortSignal): Promise<Buffer> {
  admitBody(req, limits);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const fail = (error: unknown): void => {
      cleanup();
      // The rest of the body is read and dropped, so the answer reaches a client still sending.
      req.resume();
      reject(error);
    };
    const onData = (chunk: Buffer): void => {
      length += chunk.length;
      try {
        countBodyBytes(length, limits);
      } catch (error) {
        fail(error);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks, length));
    };
    const onAbort = (): void => fail(signal.reason);
    const onClose = (): void => {
      if (!req.complete) fail(new HttpError(499, 'the client closed the connection before sending the whole body'));
    };
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      signal.removeEventListener('abort', onAbort);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onClose);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * True while the request has a body not read to its end. Answered then, the connection is closed
 * after the answer: what is left of the body cannot be told from a next request, and Node kept
 * reading it until --timeout-ms and then wrote a second, unasked 408 on the connection. (A request
 * without Content-Length or Transfer-Encoding has no body, whatever `complete` says before Node
 * parsed its end.)
 */
export function bodyUnfinished(req: IncomingMessage): boolean {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  return hasBody && !req.complete;
}

/** Writes a JSON answer unless one was already sent (a request past its deadline got its 504 first). */
export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Readonly<Record<string, string>> = {}): void {
  sendText(res, status, JSON.stringify(value), 'application/json', headers);
}

export function sendText(res: ServerResponse, status: number, body: string, contentType: string, headers: Readonly<Record<string, string>> = {}): void {
  if (res.headersSent) return;
  const closing = bodyUnfinished(res.req) ? { Connection: 'close' } : {};
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': String(Buffer.byteLength(body)), ...headers, ...closing });
  // A string, not a Buffer: behind a pipelined response Node 20 writes a queued Buffer body's head before its 100 Continue.
  res.end(body);
}

export function sendError(res: ServerResponse, error: HttpError): void {
  sendJson(res, error.status, { error: error.message }, error.headers);
}
