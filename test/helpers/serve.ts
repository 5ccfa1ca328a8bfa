/**
 * Servers for the serve tests: the `alexnet serve` CLI as a child process
 * (what a user runs, signals included), or an InferenceServer in the test's
 * own process. Both serve tinyImageClassifier(), a 224×224 ONNX graph with
 * next to no compute, so the tests exercise HTTP, batching and
 * preprocessing on either backend in seconds.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { classifierModel } from '../../src/node/classify/image-classifier.js';
import { resolveModel } from '../../src/node/cli/options.js';
import type { RowSlab } from '../../src/node/image/row-slab.js';
import { servingClassifier } from '../../src/node/serve/serving-classifier.js';
import { InferenceServer, type ServeOptions, type ServerHooks } from '../../src/node/serve/server.js';
import { tinyImageClassifier } from './onnx-graphs.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The tiny classifier written to a temporary .onnx file. */
export function tinyModelFile(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'alexnet-serve-')), 'tiny.onnx');
  writeFileSync(path, tinyImageClassifier());
  return path;
}

export const DEFAULT_TEST_OPTIONS: ServeOptions = {
  host: '127.0.0.1',
  port: 0,
  maxBatch: 32,
  maxDelayMs: 5,
  maxQueue: 256,
  timeoutMs: 30_000,
  maxBodyBytes: 20 * 1024 * 1024,
  maxImagesPerRequest: 64,
  modelName: 'tiny',
};

export interface InProcessServer {
  server: InferenceServer;
  /** The preprocessing slab: its rows lent (inUse) are back to 0 once the server is idle. */
  slab: RowSlab;
  url: string;
  close(): Promise<void>;
}

/** An InferenceServer on 127.0.0.1 and a free port, warmed up unless `warmUp` is false. */
export async function startInProcess(modelPath: string, options: Partial<ServeOptions> = {}, warmUp = true, hooks: ServerHooks = {}): Promise<InProcessServer> {
  const resolved = await resolveModel({ model: 'alexnet', weights: modelPath });
  const serveOptions = { ...DEFAULT_TEST_OPTIONS, ...options };
  const { classifier, pool, slab } = servingClassifier(classifierModel(resolved), { maxQueue: serveOptions.maxQueue, threads: 1 });
  const server = await InferenceServer.start(classifier, serveOptions, () => {}, hooks);
  if (warmUp) await server.warmUp();
  return {
    server,
    slab,
    url: server.url,
    close: async () => {
      await server.shutdown();
      await pool.close();
    },
  };
}

export interface ServeProcess {
  url: string;
  child: ChildProcess;
  /** Everything the server wrote to stderr so far. */
  stderr(): string;
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** `alexnet serve --port 0 ARGS` from source, resolved once it logs that it is ready. */
export function startServeCli(args: string[], backend: 'js' | 'native' = 'js'): Promise<ServeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/node/cli/main.ts', '--backend', backend, 'serve', '--port', '0', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`alexnet serve did not become ready in 60 s:\n${stderr}`)), 60_000);
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      stderr += chunk;
      const url = /listening on (http:\/\/\S+)/.exec(stderr)?.[1];
      if (url !== undefined && stderr.includes('alexnet serve: ready')) {
        clearTimeout(timer);
        resolve({
          url,
          child,
          stderr: () => stderr,
          stop: (signal = 'SIGTERM') => {
            child.kill(signal);
            return exited;
          },
        });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`alexnet serve exited with code ${code} before it was ready:\n${stderr}`));
    });
  });
}
