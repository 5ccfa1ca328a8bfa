/**
 * The server's routes: a method, a path pattern and a handler each. Route
 * names (the templates) label the metrics.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ImageClassifier } from '../classify/image-classifier.js';
import type { DynamicBatcher } from './batcher.js';
import type { BodyReservation } from './body-budget.js';
import { HttpError, readBody, sendJson, sendText } from './http-io.js';
import { readImages, type UploadedImage } from './image-body.js';
import { type InferRequest, MODEL_VERSION, inferResponse, modelMetadata, parseInferRequest, type ModelSignature } from './kserve.js';
import type { ServerMetrics } from './metrics.js';

/** What a handler may use: the request, its answer, and the server's parts. */
export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** The path pattern's captures (the model name and version of the /v2/models routes). */
  params: readonly (string | undefined)[];
  /** Aborts when the request passes --timeout-ms or its client leaves: stop starting work. */
  signal: AbortSignal;
  /** The request's share of the server-wide budget of body bytes, given back once it is answered. */
  body: BodyReservation;
  server: ServerParts;
}

export interface ServerParts {
  classifier: ImageClassifier;
  batcher: DynamicBatcher<Float32Array, Float32Array>;
  metrics: ServerMetrics;
  signature: ModelSignature;
  maxBodyBytes: number;
  /** Images one request may carry (multipart files, or N of an infer tensor). */
  maxImagesPerRequest: number;
  isReady(): boolean;
  version: string;
  /**
   * Takes `images` places of --max-queue for a request from the moment its
   * body is read (decoding and resizing count: decoded images are what takes
   * memory) until it is answered; throws a 503 when they are not free.
   */
  admit(images: number): Admission;
}

/** A request's places in the server (see ServerParts.admit). */
export interface Admission {
  /** Its images are decoded and about to be submitted (or failed): the batcher stops waiting for them. */
  prepared(): void;
  /** Gives the places back (and counts as prepared); call once the request is answered. */
  release(): void;
}

export interface Route {
  method: 'GET' | 'POST';
  /** The path, anchored; captures become `params`. */
  pattern: RegExp;
  /** The template, for metrics and 405 answers. */
  name: string;
  /** True for routes that still answer while the server drains (health and metrics). */
  duringDrain?: boolean;
  handle(ctx: RequestContext): Promise<void> | void;
}

/** The /v2/models/{name}[/versions/{version}] prefix. */
const MODEL = '/v2/models/([^/]+)(?:/versions/([^/]+))?';

export const ROUTES: readonly Route[] = [
  { method: 'POST', pattern: /^\/v1\/classify$/, name: '/v1/classify', handle: classify },
  { method: 'GET', pattern: /^\/v2\/health\/live$/, name: '/v2/health/live', duringDrain: true, handle: live },
  { method: 'GET', pattern: /^\/v2\/health\/ready$/, name: '/v2/health/ready', duringDrain: true, handle: ready },
  { method: 'GET', pattern: /^\/v2$/, name: '/v2', duringDrain: true, handle: serverMetadata },
  { method: 'GET', pattern: new RegExp(`^${MODEL}$`), name: '/v2/models/{name}', duringDrain: true, handle: metadata },
  { method: 'GET', pattern: new RegExp(`^${MODEL}/ready$`), name: '/v2/models/{name}/ready', duringDrain: true, handle: ready },
  { method: 'POST', pattern: new RegExp(`^${MODEL}/infer$`), name: '/v2/models/{name}/infer', handle: infer },
  { method: 'GET', pattern: /^\/metrics$/, name: '/metrics', duringDrain: true, handle: metrics },
];

/** The top-k query parameter: 1 ≤ k ≤ classes (default 5). */
function parseTopK(url: URL, classes: number): number {
  const text = url.searchParams.get('topk');
  if (text === null) return Math.min(5, classes);
  const k = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(k) || k < 1 || k > classes) throw new HttpError(400, `topk=${text}: expected an integer from 1 to ${classes}`);
  return k;
}

/** POST /v1/classify: images in, `alexnet classify --json`'s answer out. */
async function classify(ctx: RequestContext): Promise<void> {
  const { req, url, signal, body, server } = ctx;
  const k = parseTopK(url, server.classifier.numClasses);
  const images = await readImages(req, { maxBytes: server.maxBodyBytes, reservation: body, maxImages: server.maxImagesPerRequest }, signal);
  const admission = server.admit(images.length);
  try {
    await classifyAdmitted(images, k, admission, ctx);
  } finally {
    admission.release();
  }
}

async function classifyAdmitted(images: readonly UploadedImage[], k: number, admission: Admission, { res, signal, server }: RequestContext): Promise<void> {
  // Every image is prepared (decoded and transformed into a row of the preprocessing slab) before the first
  // failure is answered, so that each row can be given back.
  const prepared = await Promise.allSettled(images.map(({ name, bytes }) => server.classifier.prepareRow(bytes, name)));
  admission.prepared();
  const rows = prepared.flatMap((p) => (p.status === 'fulfilled' ? [p.value] : []));
  try {
    const failed = prepared.find((p) => p.status === 'rejected');
    if (failed !== undefined) throw new HttpError(400, (failed.reason as Error).message);
    signal.throwIfAborted();
    // Settled means no batch reads the rows any more: a running batch copied them when it started.
    const outputs = await server.batcher.submit(
      rows.map((row) => row.data),
      signal,
    );
    const results = images.map(({ name }, i) => {
      const probs = server.classifier.probabilities(outputs[i], 1);
      return { file: name, top: server.classifier.top(probs, 1, k)[0] };
    });
    sendJson(res, 200, results);
  } finally {
    for (const row of rows) row.release();
  }
}

function live({ res }: RequestContext): void {
  sendJson(res, 200, { live: true });
}

function ready(ctx: RequestContext): void {
  if (ctx.params.length > 0) checkModel(ctx);
  const isReady = ctx.server.isReady();
  sendJson(ctx.res, isReady ? 200 : 503, { ready: isReady });
}

function serverMetadata({ res, server }: RequestContext): void {
  sendJson(res, 200, { name: 'alexnet-ts', version: server.version, extensions: [] });
}

/** The model and version of a /v2/models route must be the served ones. */
function checkModel({ params, server }: RequestContext): void {
  const [name, version] = params;
  const decoded = safeDecode(name ?? '');
  if (decoded !== server.signature.name) throw new HttpError(404, `unknown model '${decoded}': this server serves '${server.signature.name}'`);
  if (version !== undefined && safeDecode(version) !== MODEL_VERSION) {
    throw new HttpError(404, `unknown version '${safeDecode(version)}' of model '${decoded}': the served version is '${MODEL_VERSION}'`);
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function metadata(ctx: RequestContext): void {
  checkModel(ctx);
  sendJson(ctx.res, 200, modelMetadata(ctx.server.signature));
}

/** POST /v2/models/{name}/infer: an FP32 [N, C, H, W] tensor in, the model's [N, classes] output out. */
async function infer(ctx: RequestContext): Promise<void> {
  checkModel(ctx);
  const { req, signal, server } = ctx;
  // The body is JSON whatever its Content-Type says, as Triton reads it (clients often send text/plain).
  const body = await readBody(req, { maxBytes: server.maxBodyBytes, reservation: ctx.body }, signal);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new HttpError(400, `infer request: the body is not valid JSON (${(error as Error).message})`);
  }
  const request = parseInferRequest(parsed, server.signature, server.maxImagesPerRequest);
  const admission = server.admit(request.batch);
  admission.prepared();
  try {
    await inferAdmitted(request, ctx);
  } finally {
    admission.release();
  }
}

async function inferAdmitted(request: InferRequest, { res, signal, server }: RequestContext): Promise<void> {
  const size = server.classifier.inputSize;
  const rows = Array.from({ length: request.batch }, (_, i) => request.data.subarray(i * size, (i + 1) * size));
  const outputs = await server.batcher.submit(rows, signal);
  const joined = new Float32Array(request.batch * server.signature.classes);
  for (const [i, output] of outputs.entries()) joined.set(output, i * server.signature.classes);
  sendJson(res, 200, inferResponse(server.signature, request, joined));
}

async function metrics({ req, res, server }: RequestContext): Promise<void> {
  // Pipelined requests of a client that left (or was cut off, see MAX_PIPELINED) are not rendered for nobody.
  if (req.socket.destroyed) return;
  const { body, contentType } = await server.metrics.render();
  sendText(res, 200, body, contentType);
}
