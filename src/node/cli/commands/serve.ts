/**
 * `alexnet serve`: the model behind HTTP (src/node/serve/): /v1/classify
 * for images, the KServe v2 protocol for tensors, health routes and
 * Prometheus metrics, with dynamic batching. SIGTERM or SIGINT drains:
 * every accepted request is answered, then the process exits 0. The server
 * runs in a process with V8's old generation sized for it (../server-heap.ts,
 * applied by ../main.ts).
 */
import { Option, type Command } from 'commander';
import { basename, extname } from 'node:path';
import { getBackend } from '../../../backend/registry.js';
import { kernelSpinHooks } from '../../serve/kernel-spin.js';
import { classifierModel } from '../../classify/image-classifier.js';
import { MAX_IMAGE_PIXELS } from '../../image/decode.js';
import { servingClassifier } from '../../serve/serving-classifier.js';
import { DEFAULT_MAX_PENDING_BODY_BYTES, InferenceServer, type ServeOptions } from '../../serve/server.js';
import { runAction } from '../run-action.js';
import { releaseParentChannel, watchParent } from '../server-heap.js';
import {
  modelOption,
  numClassesOption,
  parseNonNegativeInt,
  parsePositiveInt,
  precisionOption,
  resolveModel,
  weightsOption,
  type ModelFlags,
} from '../options.js';

interface ServeFlags extends ModelFlags {
  model: string;
  host: string;
  port: string;
  maxBatch: string;
  maxDelayMs: string;
  maxQueue: string;
  timeoutMs: string;
  maxBodyMb: string;
  maxPendingMb?: string;
  maxImages: string;
  maxImagePixels: string;
  modelName?: string;
  preprocessThreads?: string;
}

/** A model name fit for a URL path segment: the registry name, or the ONNX file's base name. */
function defaultModelName(flags: ServeFlags, registryName: string): string {
  if (!registryName.startsWith('onnx:') || flags.weights === undefined) return registryName;
  return basename(flags.weights, extname(flags.weights));
}

/** A size flag in MiB, as bytes: above 0 and at most 4096 MiB. */
function parseMiB(text: string, flag: string): number {
  const mib = Number(text);
  if (!Number.isFinite(mib) || mib <= 0 || mib > 4096) throw new Error(`${flag} '${text}': expected a number of MiB above 0 and at most 4096`);
  return Math.floor(mib * 1024 * 1024);
}

/** --max-pending-mb, or its default: 256 MiB, or --max-body-mb when larger (one body of the largest size always fits). */
function parseMaxPending(flags: ServeFlags, maxBodyBytes: number): number {
  if (flags.maxPendingMb === undefined) return Math.max(DEFAULT_MAX_PENDING_BODY_BYTES, maxBodyBytes);
  const bytes = parseMiB(flags.maxPendingMb, '--max-pending-mb');
  if (bytes < maxBodyBytes)
    throw new Error(`--max-pending-mb ${flags.maxPendingMb}: expected at least --max-body-mb (${flags.maxBodyMb}), or a body of that size could never be read`);
  return bytes;
}

function parseServeOptions(flags: ServeFlags, modelName: string): ServeOptions {
  const maxBodyBytes = parseMiB(flags.maxBodyMb, '--max-body-mb');
  const port = parseNonNegativeInt(flags.port, '--port');
  if (port > 65535) throw new Error(`--port '${flags.port}': expected 0 to 65535`);
  if (!/^[A-Za-z0-9_.-]+$/.test(modelName))
    throw new Error(`--model-name '${modelName}': expected letters, digits, '_', '.' or '-' (it is a URL path segment)`);
  const maxBatch = parsePositiveInt(flags.maxBatch, '--max-batch');
  const maxQueue = parsePositiveInt(flags.maxQueue, '--max-queue');
  // A batch is drawn from the queue, so it never holds more; the warm-up batch is allocated at once.
  if (maxBatch > maxQueue) throw new Error(`--max-batch ${maxBatch}: expected at most --max-queue (${maxQueue}), from which batches are drawn`);
  return {
    host: flags.host,
    port,
    maxBatch,
    maxDelayMs: timerMs(parseNonNegativeInt(flags.maxDelayMs, '--max-delay-ms'), '--max-delay-ms'),
    maxQueue,
    timeoutMs: timerMs(parsePositiveInt(flags.timeoutMs, '--timeout-ms'), '--timeout-ms'),
    maxBodyBytes,
    maxPendingBodyBytes: parseMaxPending(flags, maxBodyBytes),
    maxImagesPerRequest: parsePositiveInt(flags.maxImages, '--max-images'),
    modelName,
  };
}

/** Node's timers take at most 2^31 − 1 ms (about 24.8 days); a longer delay would fire after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function timerMs(ms: number, flag: string): number {
  if (ms > MAX_TIMER_MS) throw new Error(`${flag} '${ms}': expected at most ${MAX_TIMER_MS} ms (about 24.8 days)`);
  return ms;
}

/**
 * A failure to listen as one line naming the flag to change (Node's own says `getaddrinfo ENOTFOUND x`
 * or `listen EADDRNOTAVAIL ...`); the original stays the cause, shown with --verbose.
 */
export function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  const because = (message: string): Error => new Error(message, { cause: error });
  switch (error.code) {
    case 'EADDRINUSE':
      return because(`--port ${port}: ${host}:${port} is already in use (pick another with --port, or 0 for any)`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NONAME':
      return because(`--host ${host}: not an IP address or a host name that resolves (expected e.g. 127.0.0.1, 0.0.0.0 or ::)`);
    case 'EADDRNOTAVAIL':
      return because(`--host ${host}: not an address of this machine (expected one of its interfaces' addresses, 0.0.0.0 or :: for all)`);
    case 'EACCES':
      return because(`--port ${port}: listening on ${host}:${port} needs privileges (pick a port above 1023 with --port, or 0 for any)`);
    default:
      return error;
  }
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('serve the model over HTTP: POST /v1/classify (images), KServe v2 /v2/models/{name}/infer (tensors), health and /metrics')
    .addOption(modelOption())
    .addOption(weightsOption())
    .addOption(numClassesOption())
    .addOption(precisionOption())
    .addOption(new Option('--host <address>', 'address to listen on').default('127.0.0.1'))
    .addOption(new Option('--port <n>', 'port to listen on (0: any free port)').default('8080'))
    .addOption(new Option('--max-batch <n>', 'images per forward pass at most').default('32'))
    .addOption(
      new Option(
        '--max-delay-ms <ms>',
        "how long the first queued image waits for others to join its batch (images that arrived meanwhile are also waited for while they decode, for up to half a batch's compute time)",
      ).default('5'),
    )
    .addOption(new Option('--max-queue <n>', 'images waiting at most; beyond it requests get 503 with Retry-After').default('256'))
    .addOption(new Option('--timeout-ms <ms>', 'a request not answered within this gets 504, its queued work dropped').default('30000'))
    .addOption(new Option('--max-body-mb <MiB>', 'the largest request body').default('20'))
    .addOption(
      new Option(
        '--max-pending-mb <MiB>',
        'bytes of request bodies held at once, server-wide (being read, or read and not yet answered); beyond it requests get 503 with Retry-After (default: 256, or --max-body-mb if larger)',
      ),
    )
    .addOption(new Option('--max-images <n>', 'images one request may carry (multipart files, or N of an infer tensor)').default('64'))
    .addOption(new Option('--max-image-pixels <n>', 'the largest image decoded, width × height').default(String(64_000_000)))
    .addOption(new Option('--preprocess-threads <n>', 'worker threads decoding and resizing images (default: one per core, at most 4)'))
    .addOption(new Option('--model-name <name>', "the model's name in the /v2/models routes (default: the --model name, or the ONNX file's base name)"))
    .action(
      runAction(async (flags: ServeFlags) => {
        releaseParentChannel();
        const maxPixels = parsePositiveInt(flags.maxImagePixels, '--max-image-pixels');
        if (maxPixels > MAX_IMAGE_PIXELS)
          throw new Error(`--max-image-pixels '${flags.maxImagePixels}': expected at most ${MAX_IMAGE_PIXELS} (PIL's decompression-bomb limit)`);
        const resolved = await resolveModel(flags);
        const options = parseServeOptions(flags, flags.modelName ?? defaultModelName(flags, resolved.entry.name));
        if (resolved.randomInit)
          process.stderr.write('alexnet serve: warning: no --weights given: the model has random weights, so the classes are meaningless\n');
        // Kernel threads spin between loops only while no image is being decoded (kernel-spin.ts); ALEXNET_SPIN_US,
        // when set, is kept.
        const hooks = kernelSpinHooks(getBackend(), process.env.ALEXNET_SPIN_US);
        const threads = flags.preprocessThreads === undefined ? undefined : parsePositiveInt(flags.preprocessThreads, '--preprocess-threads');
        const { classifier, pool } = servingClassifier(classifierModel(resolved), { maxQueue: options.maxQueue, threads, maxPixels });
        const log = (line: string): void => void process.stderr.write(`${line}\n`);
        const server = await InferenceServer.start(classifier, options, log, hooks).catch(async (error: NodeJS.ErrnoException) => {
          await pool.close(); // its worker threads would keep the process alive after the error
          throw listenError(error, options.host, options.port);
        });
        let stopping = false;
        const stop = (reason: string): void => {
          if (stopping) return;
          stopping = true;
          log(`alexnet serve: ${reason}: finishing accepted requests, then exiting`);
          void server
            .shutdown()
            .then(() => pool.close())
            .then(() => {
              log('alexnet serve: stopped');
              process.exit(0);
            });
        };
        process.on('SIGTERM', stop);
        process.on('SIGINT', stop);
        watchParent(() => stop('the launching process exited'));
        log(
          `alexnet serve: listening on ${server.url} (model '${options.modelName}', backend ${getBackend().name}, ${flags.precision ?? 'fp32'}, max batch ${options.maxBatch}, max delay ${options.maxDelayMs} ms)`,
        );
        try {
          await server.warmUp();
        } catch (error) {
          // Not ready, and never will be: a probe would wait on a live server for ever. Exit with the error instead.
          process.off('SIGTERM', stop);
          process.off('SIGINT', stop);
          await server.shutdown();
          await pool.close();
          throw error;
        }
        log(`alexnet serve: ready: POST ${server.url}/v1/classify, ${server.url}/v2/models/${options.modelName}/infer; GET /v2/health/ready, /metrics`);
      }),
    );
}
