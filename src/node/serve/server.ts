/**
 * The inference server: node:http, the routes in routes.ts, one dynamic
 * batcher in front of the model. Lifecycle, as Kubernetes expects it:
 * listening (live) at once; ready once a warm-up batch ran (the first
 * batch pays for packing weights); on shutdown it stops accepting, answers
 * 503 to new requests on open connections, finishes every accepted request,
 * then closes.
 */
import { STATUS_CODES, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { ImageClassifier } from '../classify/image-classifier.js';
import { packageVersion } from '../package-version.js';
import { DynamicBatcher, QueueFullError } from './batcher.js';
import { BodyBudget } from './body-budget.js';
import { HttpError, RETRY_AFTER_SECONDS, sendError } from './http-io.js';
import type { ModelSignature } from './kserve.js';
import { ServerMetrics } from './metrics.js';
import { type Admission, ROUTES, type Route, type ServerParts } from './routes.js';

export interface ServeOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  maxBatch: number;
  maxDelayMs: number;
  /** Images waiting at most; past it new requests get 503. */
  maxQueue: number;
  /** A request not answered within this gets 504 (and a slow client's connection is closed). */
  timeoutMs: number;
  maxBodyBytes: number;
  /**
   * Bytes of request bodies held at once, server-wide (being read, or read and not yet answered); past
   * it new requests get 503. Default: DEFAULT_MAX_PENDING_BODY_BYTES, or maxBodyBytes when larger.
   */
  maxPendingBodyBytes?: number;
  maxImagesPerRequest: number;
  /** The model's name in the /v2/models routes. */
  modelName: string;
}

export type ServerLog = (line: string) => void;

/** 256 MiB: thirteen bodies of the default --max-body-mb (20) at once, or thousands of photo uploads. */
export const DEFAULT_MAX_PENDING_BODY_BYTES = 256 * 1024 * 1024;

/**
 * The request target as a URL. The target is a path (origin-form), so it is read as one: given to URL as a
 * reference, '//host/path' would be taken for a host and a path ('//evil.example/v2/health/live' was live).
 */
function requestUrl(target: string | undefined): URL {
  const path = target ?? '/';
  if (!path.startsWith('/')) return new URL(path); // absolute-form (a proxy's); anything else is malformed (400)
  return new URL(`http://localhost${path}`);
}

/** What the server tells its host about its work, as it changes. */
export interface ServerHooks {
  /**
   * True when an admitted request starts decoding while none was, false when
   * the last one is decoded: the decoders then need no cores (serve's
   * kernel-spin.ts lets the kernel threads spin only meanwhile).
   */
  decoding?(busy: boolean): void;
}

/** How long a connection is read and dropped after a must-close answer before it is closed. */
const LINGER_MS = 2000;

/** Connections whose client error is answered (Node may report more than one). */
const answered = new WeakSet<Socket>();

/** Connections that carry no more requests and close after a linger (lingerThenClose). */
const closing = new WeakSet<Socket>();

/** From here on the connection carries no more requests: what arrives is dropped, not parsed. */
function stopParsing(socket: Socket): void {
  socket.removeAllListeners('data');
  // A 'data' listener also takes the socket back from Node's parser where the parser reads it directly.
  socket.on('data', () => {});
  socket.resume();
}

type HttpSocket = Socket & { _httpMessage?: ServerResponse | null };

/**
 * Closes a connection after its last answer: its write side ends once the
 * answers already queued on it are written, what the client still sends is
 * read and dropped until it closes its side or the linger passes, then the
 * socket closes. Closing a socket with unread bytes (a body answered before
 * it arrived) makes the kernel send a reset, which can discard the answer
 * before the client reads it (nginx's lingering close). Idempotent; a
 * connection closing this way is not answered again.
 */
function lingerThenClose(socket: Socket, timeoutMs: number): void {
  if (closing.has(socket)) return;
  closing.add(socket);
  // Not at once: a body nobody read filled its buffer and Node's parser stopped reading the socket; the answer's
  // end resumed it, and the parser's listener that starts the reads again runs on the next tick. Taken from the
  // parser before, the socket would never be read again, and the client's bytes would end in a reset after all.
  setImmediate(() => socket.destroyed || stopParsing(socket));
  socket.on('error', () => socket.destroy());
  const closeWhenBothEnded = (): void => {
    if (socket.readableEnded && socket.writableFinished) socket.destroy();
  };
  socket.once('end', closeWhenBothEnded).once('finish', closeWhenBothEnded);
  endAfterAnswers(socket);
  setTimeout(() => socket.destroy(), Math.min(LINGER_MS, timeoutMs)).unref();
}

/** Ends the connection's write side once no answer is being written on it (Node gives the socket to the next queued one as each finishes). */
function endAfterAnswers(socket: Socket): void {
  const answer = (socket as HttpSocket)._httpMessage;
  if (answer === undefined || answer === null || answer.writableFinished) {
    if (socket.writable) socket.end();
  } else {
    answer.once('close', () => endAfterAnswers(socket));
  }
}

/**
 * Bytes that are not HTTP (Node's parser refused them), a head too large, a
 * request not received in time: answered 400, 431 or 408 (without a body),
 * then the connection closes after a linger (lingerThenClose). Node's own
 * handler destroys the socket at once, which can lose the answer. When a
 * response is already under way on the connection (pipelining, or the error
 * is in a request's body), the error goes out as that response if it has not
 * started, and the connection closes after it. A connection whose last
 * request was answered and is closing gets nothing more: its request timing
 * out (a body answered before it arrived) was answered already.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket, timeoutMs: number): void {
  if (answered.has(socket) || closing.has(socket)) return;
  answered.add(socket);
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  // The client closed its side in the middle of a request body: it left, and nobody reads an answer (the request
  // is counted as 499, an answer not sent to the end).
  if (error.code === 'HPE_INVALID_EOF_STATE') {
    socket.destroy();
    return;
  }
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const message = status === 400 ? `malformed HTTP request (${error.code ?? error.message})` : (STATUS_CODES[status] ?? '');
  const linger = (): void => lingerThenClose(socket, timeoutMs);
  // A second parse error would end here again, on a socket already closing.
  stopParsing(socket);
  socket.on('error', () => socket.destroy());
  const inFlight = (socket as HttpSocket)._httpMessage;
  if (inFlight !== undefined && inFlight !== null) {
    if (!inFlight.headersSent) sendError(inFlight, new HttpError(status, message, { Connection: 'close' }));
    if (inFlight.writableFinished) linger();
    else inFlight.once('finish', linger).once('close', linger);
    return;
  }
  // No body: the request could not be read, so it may have been a HEAD, whose answer must not have one.
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  linger();
}

/** Unanswered requests one connection may have (HTTP pipelining); beyond, the connection is closed. */
const MAX_PIPELINED = 32;

export class InferenceServer {
  private readonly http: Server;
  private readonly parts: ServerParts;
  private readonly metrics: ServerMetrics;
  private readonly batcher: DynamicBatcher<Float32Array, Float32Array>;
  private readonly bodyBudget: BodyBudget;
  private warmedUp = false;
  private draining = false;
  private inflight = 0;
  private idleWaiters: (() => void)[] = [];
  private shutdownPromise: Promise<void> | null = null;

  private constructor(
    private readonly classifier: ImageClassifier,
    readonly options: ServeOptions,
    private readonly log: ServerLog,
    private readonly hooks: ServerHooks,
  ) {
    this.metrics = new ServerMetrics(options.maxBatch);
    const maxPending = options.maxPendingBodyBytes ?? Math.max(DEFAULT_MAX_PENDING_BODY_BYTES, options.maxBodyBytes);
    this.bodyBudget = new BodyBudget(maxPending, (held) => this.metrics.bodyBytesPending(held));
    this.batcher = new DynamicBatcher(
      (rows) => this.runBatch(rows),
      { ...options, preparingSince: () => this.preparingSince() },
      {
        batch: (size, computeMs, queueMs) => this.metrics.batch(size, computeMs, queueMs),
        depth: (items) => this.metrics.depth(items),
      },
    );
    const signature: ModelSignature = {
      name: options.modelName,
      inputName: classifier.inputName,
      outputName: classifier.outputName,
      inputShape: [3, classifier.crop, classifier.crop],
      classes: classifier.numClasses,
    };
    this.parts = {
      classifier,
      batcher: this.batcher,
      metrics: this.metrics,
      signature,
      maxBodyBytes: options.maxBodyBytes,
      // A request of more images than the queue admits at once could never be admitted: its limit is the queue's.
      maxImagesPerRequest: Math.min(options.maxImagesPerRequest, options.maxQueue),
      isReady: () => this.warmedUp && !this.draining,
      version: packageVersion(),
      admit: (images) => this.admit(images),
    };
    this.http = createServer(
      {
        // A client that has not sent its whole request within the deadline is cut off (one byte a second, say).
        requestTimeout: options.timeoutMs,
        headersTimeout: Math.min(options.timeoutMs, 60_000),
        connectionsCheckingInterval: Math.min(1000, options.timeoutMs),
      },
      (req, res) => void this.dispatch(req, res),
    );
    this.http.on('clientError', (error: NodeJS.ErrnoException, socket) => answerClientError(error, socket as Socket, options.timeoutMs));
    // Node ends a connection whose answer says `Connection: close` with destroySoon(), which destroys the socket
    // once the answer is written: with a body still arriving (answered before it was read) the kernel then sends a
    // reset, which can discard the answer. Such connections linger instead.
    this.http.on('connection', (socket: Socket) => {
      socket.destroySoon = () => lingerThenClose(socket, options.timeoutMs);
    });
    // CONNECT gets a 405 (without a listener Node drops it unanswered). The socket is ours now: no error listener,
    // no timeout, and unread bytes would keep it from ever seeing the client leave.
    this.http.on('connect', (_req, duplex) => {
      const socket = duplex as Socket;
      socket.on('error', () => socket.destroy());
      socket.setTimeout(options.timeoutMs, () => socket.destroy());
      socket.resume();
      socket.end('HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, POST\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    });
  }

  /** Listens, then warms up; `ready` turns true once a first batch ran. */
  static async start(classifier: ImageClassifier, options: ServeOptions, log: ServerLog = () => {}, hooks: ServerHooks = {}): Promise<InferenceServer> {
    const server = new InferenceServer(classifier, options, log, hooks);
    await new Promise<void>((resolve, reject) => {
      server.http.once('error', reject);
      server.http.listen(options.port, options.host, () => {
        server.http.off('error', reject);
        resolve();
      });
    });
    return server;
  }

  /** http://host:port of the listening socket. */
  get url(): string {
    const { address, port, family } = this.http.address() as AddressInfo;
    return `http://${family === 'IPv6' ? `[${address}]` : address}:${port}`;
  }

  get ready(): boolean {
    return this.parts.isReady();
  }

  /** Bytes of request bodies held now (being read, or read and not yet answered): 0 once every request is answered. */
  get pendingBodyBytes(): number {
    return this.bodyBudget.pendingBytes;
  }

  /** Runs one full batch of zeros, so the first request does not pay for packing the weights. */
  async warmUp(): Promise<void> {
    const rows = this.options.maxBatch;
    await this.classifier.forward(new Float32Array(rows * this.classifier.inputSize), rows);
    this.warmedUp = true;
  }

  /** Stops accepting, finishes every accepted request and queued image, then closes. Idempotent. */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= (async () => {
      this.draining = true;
      const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
      this.http.closeIdleConnections();
      this.batcher.flush();
      // Every request ends within --timeout-ms (504), except the writing of an answer to a client that stopped
      // reading: past that time (and a second's grace) its connection is closed, so the drain cannot hang.
      const stalled = setTimeout(() => this.http.closeAllConnections(), this.options.timeoutMs + 1000);
      await this.requestsDone();
      clearTimeout(stalled);
      await this.batcher.idle();
      this.http.closeAllConnections();
      await closed;
    })();
    return this.shutdownPromise;
  }

  /** Images admitted and not yet answered (decoding, resizing, queued or computing). */
  private imagesInFlight = 0;
  /** When each admitted request whose images are still being decoded was admitted, oldest first (a Set keeps insertion order). */
  private readonly preparing = new Set<{ at: number }>();

  private preparingSince(): number | null {
    for (const entry of this.preparing) return entry.at;
    return null;
  }

  private admit(images: number): Admission {
    if (this.imagesInFlight + images > this.options.maxQueue) {
      throw new HttpError(
        503,
        `the server is at capacity (${this.imagesInFlight} of ${this.options.maxQueue} images in flight, --max-queue; ${images} more requested); retry later`,
        { 'Retry-After': RETRY_AFTER_SECONDS },
      );
    }
    this.imagesInFlight += images;
    const entry = { at: performance.now() };
    this.preparing.add(entry);
    if (this.preparing.size === 1) this.hooks.decoding?.(true);
    let released = false;
    const prepared = (): void => {
      if (this.preparing.delete(entry) && this.preparing.size === 0) this.hooks.decoding?.(false);
    };
    return {
      prepared,
      release: () => {
        prepared();
        if (released) return;
        released = true;
        this.imagesInFlight -= images;
      },
    };
  }

  private requestsDone(): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * The batch's input, reused: batches run one at a time, and a fresh 19 MB
   * array per batch of 32 made the main thread spend a tenth of its time in
   * the garbage collector under load.
   */
  private batchInput: Float32Array | null = null;

  private async runBatch(rows: readonly Float32Array[]): Promise<Float32Array[]> {
    const size = this.classifier.inputSize;
    this.batchInput ??= new Float32Array(this.options.maxBatch * size);
    const input = this.batchInput.subarray(0, rows.length * size);
    for (const [i, row] of rows.entries()) input.set(row, i * size);
    const output = await this.classifier.forward(input, rows.length);
    const classes = this.classifier.numClasses;
    return rows.map((_, i) => output.subarray(i * classes, (i + 1) * classes));
  }

  /**
   * Node 20 emits no 'close' on a pipelined response still queued behind another when the socket closes
   * (nodejs/node#62534): the socket's close closes them. One listener per connection, however many
   * requests it pipelines (a listener each would pass Node's limit of 10).
   */
  private readonly socketResponses = new WeakMap<Socket, Set<ServerResponse>>();

  private closeWithSocket(socket: Socket, res: ServerResponse): void {
    let open = this.socketResponses.get(socket);
    if (open === undefined) {
      const responses = new Set<ServerResponse>();
      open = responses;
      this.socketResponses.set(socket, responses);
      socket.once('close', () => {
        for (const r of responses) setImmediate(() => r.closed || r.emit('close'));
      });
    }
    open.add(res);
    res.once('close', () => open.delete(res));
    // A client pipelining requests without reading the answers makes each wait in memory behind the first (one
    // 64 KiB burst of GET /metrics: 1,900 answers, 200 MiB): past MAX_PIPELINED unanswered ones it is cut off.
    if (open.size > MAX_PIPELINED) socket.destroy();
  }

  private findRoute(method: string | undefined, path: string): { route: Route; params: (string | undefined)[] } | HttpError {
    const matching = ROUTES.filter((route) => route.pattern.test(path));
    if (matching.length === 0) return new HttpError(404, `no route ${path}: see GET /v2 and the README's "Serving" section`);
    // HEAD is GET without the body (RFC 9110), which Node's response leaves out by itself.
    const route = matching.find((r) => r.method === method || (method === 'HEAD' && r.method === 'GET'));
    if (route === undefined) {
      const methods = matching.map((r) => r.method);
      const allowed = (methods.includes('GET') ? [...methods, 'HEAD'] : methods).join(', ');
      return new HttpError(405, `${method} is not allowed on ${path}: use ${allowed}`, { Allow: allowed });
    }
    return { route, params: (route.pattern.exec(path) ?? []).slice(1) };
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    this.inflight++;
    let routeName = 'unmatched';
    // Its body's bytes count against --max-pending-mb until the answer is sent or the connection closes.
    const body = this.bodyBudget.reservation();
    res.once('close', () => {
      body.release();
      // An answer not sent to the end went to a client that left: 499, as nginx logs it, not Node's default 200.
      this.metrics.request(routeName, res.writableFinished ? res.statusCode : 499, (performance.now() - started) / 1000);
      if (--this.inflight === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const resolve of waiters) resolve();
      }
    });
    const controller = new AbortController();
    const deadline = setTimeout(() => {
      // A body still arriving is the client's delay (408, and the connection closed: what is left of the body
      // cannot be told from a next request); a request read whole waited on us (504).
      if (!req.complete) res.setHeader('Connection', 'close');
      controller.abort(
        req.complete
          ? new HttpError(504, `no answer within ${this.options.timeoutMs} ms (--timeout-ms); the request's queued work was dropped`)
          : new HttpError(408, `the request's body did not arrive within ${this.options.timeoutMs} ms (--timeout-ms)`),
      );
    }, this.options.timeoutMs);
    // A client that leaves takes its queued images out of the queue.
    res.once('close', () => {
      clearTimeout(deadline);
      if (!res.writableFinished) controller.abort(new HttpError(499, 'the client closed the connection'));
    });
    this.closeWithSocket(req.socket, res);
    try {
      const url = requestUrl(req.url);
      const found = this.findRoute(req.method, url.pathname);
      if (found instanceof HttpError) throw found;
      routeName = found.route.name;
      if (this.draining) {
        res.setHeader('Connection', 'close');
        if (!found.route.duringDrain) throw new HttpError(503, 'the server is shutting down', { 'Retry-After': RETRY_AFTER_SECONDS });
      }
      const aborted = new Promise<never>((_, reject) => {
        if (controller.signal.aborted) reject(controller.signal.reason);
        controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
      });
      aborted.catch(() => undefined);
      await Promise.race([
        Promise.resolve(found.route.handle({ req, res, url, params: found.params, signal: controller.signal, body, server: this.parts })),
        aborted,
      ]);
    } catch (error) {
      this.answerError(req, res, error);
    } finally {
      clearTimeout(deadline);
    }
  }

  private answerError(req: IncomingMessage, res: ServerResponse, error: unknown): void {
    if (error instanceof HttpError) {
      sendError(res, error);
    } else if (error instanceof QueueFullError) {
      sendError(res, new HttpError(503, error.message, { 'Retry-After': RETRY_AFTER_SECONDS }));
    } else if (error instanceof TypeError && (error as { code?: string }).code === 'ERR_INVALID_URL') {
      sendError(res, new HttpError(400, `malformed request target '${req.url}'`));
    } else {
      const message = error instanceof Error ? error.message : String(error);
      this.log(`alexnet serve: error answering ${req.method} ${req.url}: ${message}`);
      sendError(res, new HttpError(500, `internal error: ${message}`));
    }
  }
}
