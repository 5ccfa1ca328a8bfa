/**
 * The bench page's module web worker: loads one framework (alexnet-ts's wasm
 * backend, TensorFlow.js's wasm backend or onnxruntime-web's wasm execution
 * provider) with the threads asked, the shared weights and input batches, and
 * times forward passes: warm-up runs, then timed runs, each with the logits
 * read back into JavaScript. Everything is fetched from the bench server
 * (bench/web/server.ts): /alexnet/ is dist/browser, /tfjs/, /tfjs-wasm/ and
 * /ort/ the packages' dist folders, /data/ the weights and inputs.
 *
 * Typed without the DOM library (bench/ is checked with Node's types): the few
 * worker globals used are declared below.
 */
import type * as TfNamespace from '@tensorflow/tfjs';
import type * as TfWasm from '@tensorflow/tfjs-backend-wasm';
import type * as OrtNamespace from 'onnxruntime-web';
import type * as AlexNamespace from '../../../src/browser/index.js';
import type { CaseTiming, JobCase, WorkerJob, WorkerReply } from './protocol.js';
import { parseNpy } from './npy.js';
import { type RawTensor, tfAlexNet } from '../../lib/tfjs-alexnet.js';

interface WorkerScope {
  addEventListener(type: 'message', listener: (event: { data: WorkerJob }) => void): void;
  postMessage(message: WorkerReply): void;
  location: { origin: string };
  navigator: { hardwareConcurrency: number };
  crossOriginIsolated?: boolean;
}

const scope = globalThis as unknown as WorkerScope;
const url = (path: string): string => new URL(path, scope.location.origin).href;

/** A framework ready to run: its description, and a timed closure per input batch. */
interface Runner {
  backend: string;
  threads: number;
  /** Converts the input outside the timing; the closure runs one forward pass and returns the logits. */
  prepare(input: RawTensor): () => Promise<Float32Array>;
}

async function fetchBytes(path: string): Promise<Uint8Array> {
  const response = await fetch(url(path));
  if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function importAlexnetTs(): Promise<typeof AlexNamespace> {
  return (await import(/* @vite-ignore */ url('/alexnet/alexnet-ts.js'))) as typeof AlexNamespace;
}

async function alexnetTs(job: WorkerJob): Promise<Runner> {
  const A = await importAlexnetTs();
  const info = await A.useWasmBackend({ baseUrl: url('/alexnet/'), threads: job.threads === 1 ? false : job.threads });
  const model = A.createModel('alexnet');
  model.loadStateDict(A.readStateDict(await fetchBytes(job.weights), { source: job.weights }));
  model.eval();
  return {
    backend: `wasm ${info.build} (${info.simd}), ${info.threads} thread${info.threads === 1 ? '' : 's'}`,
    threads: info.threads,
    prepare: (input) => {
      const x = new A.Tensor(input.data, input.shape);
      return () => Promise.resolve(A.noGrad(() => model.call(x)).data);
    },
  };
}

/** Runs a UMD script (TensorFlow.js's browser builds) in this module worker, where importScripts is not available. */
async function runClassicScript(path: string): Promise<void> {
  const response = await fetch(url(path));
  if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${response.statusText}`);
  new Function(`${await response.text()}\n//# sourceURL=${url(path)}`).call(globalThis);
}

/**
 * TensorFlow.js's wasm backend caps its threads at navigator.hardwareConcurrency / 2
 * (it takes every core for two hyper-threads), so on a 2-core machine it would run
 * one thread whatever setThreadsCount asks. For the threads asked, this worker reports
 * twice as many cores to it, before its wasm module reads the count.
 */
function reportCoresForTfjs(threads: number): void {
  Object.defineProperty(scope.navigator, 'hardwareConcurrency', { value: 2 * threads, configurable: true });
}

async function tfjs(job: WorkerJob): Promise<Runner> {
  if (job.threads > 1) reportCoresForTfjs(job.threads);
  await runClassicScript('/tfjs/tf.min.js');
  await runClassicScript('/tfjs-wasm/tf-backend-wasm.min.js');
  const tf = (globalThis as unknown as { tf: typeof TfNamespace & { wasm: typeof TfWasm } }).tf;
  tf.wasm.setWasmPaths(url('/tfjs-wasm/'));
  tf.wasm.setThreadsCount(job.threads);
  if (!(await tf.setBackend('wasm'))) throw new Error('TensorFlow.js could not start its wasm backend');
  await tf.ready();
  // The .pth is read with alexnet-ts's own reader (TF.js has none), as the Node runner does; outside any timing.
  const A = await importAlexnetTs();
  const state = new Map<string, RawTensor>();
  for (const [key, t] of A.readStateDict(await fetchBytes(job.weights), { source: job.weights })) state.set(key, { data: t.data, shape: [...t.shape] });
  const model = tfAlexNet(tf, 'alexnet', state);
  state.clear();
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threaded = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  const threads = tf.wasm.getThreadsCount();
  return {
    backend: `wasm${simd ? ' simd' : ''}${threaded ? ' threaded' : ''}, ${threads} thread${threads === 1 ? '' : 's'}`,
    threads,
    prepare: (input) => {
      const x = model.input(input);
      return async () => {
        const y = model.forward(x);
        const data = (await y.data()) as Float32Array;
        y.dispose();
        return data;
      };
    },
  };
}

async function ort(job: WorkerJob): Promise<Runner> {
  const o = (await import(/* @vite-ignore */ url('/ort/ort.wasm.min.mjs'))) as typeof OrtNamespace;
  o.env.wasm.numThreads = job.threads;
  o.env.wasm.wasmPaths = url('/ort/');
  o.env.wasm.proxy = false;
  const session = await o.InferenceSession.create(await fetchBytes(job.weights), {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
  });
  const threads = o.env.wasm.numThreads ?? job.threads;
  return {
    backend: `wasm EP (simd${threads > 1 ? ', threaded' : ''}), ${threads} intra-op thread${threads === 1 ? '' : 's'}`,
    threads,
    prepare: (input) => {
      const feeds = { [session.inputNames[0]]: new o.Tensor('float32', input.data, input.shape) };
      return async () => (await session.run(feeds))[session.outputNames[0]].data as Float32Array;
    },
  };
}

const FRAMEWORKS: Record<WorkerJob['framework'], (job: WorkerJob) => Promise<Runner>> = { 'alexnet-ts': alexnetTs, tfjs, ort };

async function timeCase(runner: Runner, c: JobCase): Promise<CaseTiming> {
  const input = parseNpy(await fetchBytes(c.input), c.input);
  if (input.shape[0] !== c.batch) throw new Error(`${c.input}: batch ${input.shape[0]}, expected ${c.batch}`);
  const run = runner.prepare(input);
  let logits: Float32Array = new Float32Array(0);
  for (let i = 0; i < c.warmup; i++) logits = await run();
  const times: number[] = [];
  for (let i = 0; i < c.iters; i++) {
    const start = performance.now();
    logits = await run();
    times.push(performance.now() - start);
  }
  return { batch: c.batch, times, logits: Array.from(logits) };
}

async function runJob(job: WorkerJob): Promise<WorkerReply> {
  const start = performance.now();
  const runner = await FRAMEWORKS[job.framework](job);
  const loadMs = performance.now() - start;
  const cases: CaseTiming[] = [];
  for (const c of job.cases) cases.push(await timeCase(runner, c));
  return { ok: true, backend: runner.backend, threads: runner.threads, isolated: scope.crossOriginIsolated === true, loadMs, cases };
}

scope.addEventListener('message', (event) => {
  runJob(event.data).then(
    (reply) => scope.postMessage(reply),
    (error: unknown) => scope.postMessage({ ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
});
