/**
 * Reading requests and writing answers: bodies read up to a byte limit
 * (checked against Content-Length before reading, and again while reading),
 * errors as `{"error": "..."}` with their status code, as the KServe v2
 * protocol answers them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

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

/** Refuses a body whose declared length is over the limit before any of it is read. */
export function checkDeclaredLength(req: IncomingMessage, maxBytes: number): void {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) throw bodyTooLarge(maxBytes);
}

/** The whole body, at most `maxBytes`; rejects with 413 past it, or with the signal's reason. */
export function readBody(req: IncomingMessage, maxBytes: number, signal: AbortSignal): Promise<Buffer> {
  checkDeclaredLength(req, maxBytes);
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
      if (length > maxBytes) fail(bodyTooLarge(maxBytes));
      else chunks.push(chunk);
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

/** Writes a JSON answer unless one was already sent (a request past its deadline got its 504 first). */
export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Readonly<Record<string, string>> = {}): void {
  sendText(res, status, JSON.stringify(value), 'application/json', headers);
}

export function sendText(res: ServerResponse, status: number, body: string, contentType: string, headers: Readonly<Record<string, string>> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': String(Buffer.byteLength(body)), ...headers });
  // A string, not a Buffer: behind a pipelined response Node 20 writes a queued Buffer body's head before its 100 Continue.
  res.end(body);
}

export function sendError(res: ServerResponse, error: HttpError): void {
  sendJson(res, error.status, { error: error.message }, error.headers);
}
