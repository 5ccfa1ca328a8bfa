/**
 * `npm run bench:web`: alexnet-ts's wasm backend against TensorFlow.js's
 * wasm backend and onnxruntime-web's wasm execution provider in headless
 * Chromium, on the same weights and inputs (bench/out: tools/export_onnx.py),
 * torchvision AlexNet at batch 1 and 8, single-threaded and at the machine's
 * core count; plus, in Node.js, `alexnet --backend wasm` against
 * `--backend js`. Writes the `### In the browser (npm run bench:web)`
 * subsection of this CPU's section of bench/RESULTS.md (kept there by
 * `npm run bench`: bench/lib/sections.ts) and prints it.
 *
 *   node --import tsx bench/web/run.ts [--rounds N] [--quick] [--skip-node] [--output FILE | -]
 *
 * Each round runs every framework at every thread count once, in a fresh
 * browser (a page served by server.ts, the framework in a module web worker:
 * browser/worker.ts), interleaved with the Node.js processes, the order rotated
 * from round to round; the tables take the median of all timed runs. The
 * single-threaded runs get a page without COOP/COEP, the threaded ones an
 * isolated page. Every framework's logits are checked against PyTorch's for
 * the same input (or the js backend's, in Node.js, where PyTorch is missing).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { exportOnnx } from '../../src/onnx/export.js';
import { createModel } from '../../src/models/registry.js';
import { writeOnnxFile } from '../../src/node/onnx/onnx-files.js';
import { loadNpyFile, saveNpyFile, savePthFile } from '../../src/node/weights/weight-files.js';
import { Generator, manualSeed } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { maxRelativeArrayDifference } from '../lib/agreement.js';
import { captureOutput, runChild, type Command } from '../lib/child.js';
import { gatherEnvironment, machineLoad } from '../lib/environment.js';
import { mergeSubsection } from '../lib/sections.js';
import type { WorkerJob, WorkerReply } from './browser/protocol.js';
import { NODE_BATCH, NODE_PLANS, parseWebOptions, quickCase, rotate, WEB_CASES, WEB_FRAMEWORK_LABELS, type WebCase, type WebRun, webRuns } from './plan.js';
import { formatMs, type NodeRowResult, renderWeb, type WebCaseResult, type WebRowResult } from './report.js';
import { benchDocuments, type BenchServer, type Mount, startBenchServer } from './server.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT = join(ROOT, 'bench', 'out');
const WEB_OUT = join(OUT, 'web');
const PYTHON = '/usr/bin/python3';
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const JOB_TIMEOUT_MS = 10 * 60_000;
const SIZE = 224;

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

const node = (script: string, args: string[]): Command => ({ program: process.execPath, args: ['--import', 'tsx', script, ...args] });

/** The newest modification time of the files under `dir`. */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/**
 * dist/browser, rebuilt (scripts/build-browser.mjs) when missing or older than
 * src/ or wasm/. Returns a note for the report when a stale bundle had to be used.
 */
async function ensureBrowserBundle(): Promise<string | null> {
  const bundle = join(ROOT, 'dist', 'browser', 'alexnet-ts.js');
  const stale = !existsSync(bundle) || statSync(bundle).mtimeMs < Math.max(newestMtime(join(ROOT, 'src')), newestMtime(join(ROOT, 'wasm')));
  if (!stale) return null;
  log('building dist/browser (scripts/build-browser.mjs)...');
  if ((await captureOutput({ program: process.execPath, args: ['scripts/build-browser.mjs'] }, 5 * 60_000)) !== null) return null;
  if (!existsSync(bundle)) throw new Error('scripts/build-browser.mjs failed and there is no dist/browser: run it to see why');
  log('scripts/build-browser.mjs failed: timing the existing dist/browser, older than src/');
  return 'scripts/build-browser.mjs failed: the dist/browser that ran is older than src/ or wasm/.';
}

/** The weights and input batches every framework gets, as paths. */
interface BenchData {
  pth: string;
  onnx: string;
  inputs: Map<number, string>;
  description: string;
}

/**
 * bench/out's files (tools/export_onnx.py, run first where PyTorch imports):
 * the seeded torchvision AlexNet as .pth and .onnx, the batch-1 input, and the
 * batch-8 input as the first 8 images of the batch-32 one. Without them and
 * without PyTorch: the same from alexnet-ts's own seeded init, in bench/out/web.
 */
async function prepareData(torch: boolean): Promise<BenchData> {
  await mkdir(WEB_OUT, { recursive: true });
  if (torch) {
    log('exporting weights, ONNX models and inputs (tools/export_onnx.py; existing files are kept)...');
    if ((await captureOutput({ program: PYTHON, args: ['tools/export_onnx.py', '--out', OUT] }, 10 * 60_000)) === null) log('tools/export_onnx.py failed');
  }
  const pth = join(OUT, 'alexnet.pth');
  const onnx = join(OUT, 'alexnet.onnx');
  const b1 = join(OUT, `input-b1-s${SIZE}.npy`);
  const b32 = join(OUT, `input-b32-s${SIZE}.npy`);
  const b8 = join(WEB_OUT, `input-b8-s${SIZE}.npy`);
  if ([pth, onnx, b1, b32].every((p) => existsSync(p))) {
    const x = await loadNpyFile(b32);
    await saveNpyFile(b8, new Tensor(x.data.slice(0, 8 * 3 * SIZE * SIZE), [8, 3, SIZE, SIZE]));
    return {
      pth,
      onnx,
      inputs: new Map([
        [1, b1],
        [8, b8],
      ]),
      description: `bench/out (tools/export_onnx.py): alexnet.pth for alexnet-ts and TF.js, alexnet.onnx for onnxruntime-web; input-b1-s224.npy, and for batch 8 the first 8 images of input-b32-s224.npy`,
    };
  }
  log('bench/out lacks the exported model (no PyTorch): using alexnet-ts seeded weights, in bench/out/web');
  const own = { pth: join(WEB_OUT, 'alexnet-seed0.pth'), onnx: join(WEB_OUT, 'alexnet-seed0.onnx') };
  manualSeed(0);
  const model = createModel('alexnet');
  model.eval();
  await savePthFile(own.pth, model.stateDict());
  await writeOnnxFile(own.onnx, exportOnnx(model, [3, SIZE, SIZE]));
  const inputs = new Map<number, string>();
  for (const batch of [1, 8]) {
    const path = join(WEB_OUT, `own-input-b${batch}-s${SIZE}.npy`);
    await saveNpyFile(path, Tensor.randn([batch, 3, SIZE, SIZE], 0, 1, new Generator(1000 * batch + SIZE)));
    inputs.set(batch, path);
  }
  return { ...own, inputs, description: 'alexnet-ts seeded init and N(0, 1) inputs (bench/out/web; PyTorch was not available for tools/export_onnx.py)' };
}

interface Reference {
  logits: Map<number, Float32Array>;
  description: string;
  short: string;
}

/** PyTorch's logits for each input (bench/torch_bench.py), or, without PyTorch, alexnet-ts's js backend's in Node.js. */
async function referenceLogits(data: BenchData, torch: string | null): Promise<Reference> {
  const logits = new Map<number, Float32Array>();
  const failures: string[] = [];
  for (const [batch, input] of data.inputs) {
    const out = join(WEB_OUT, `reference-b${batch}.npy`);
    const common = [
      '--model',
      'alexnet',
      '--batch',
      String(batch),
      '--iters',
      '1',
      '--warmup',
      '0',
      '--weights',
      data.pth,
      '--input-file',
      input,
      '--save-output',
      out,
    ];
    const command =
      torch !== null
        ? { program: PYTHON, args: ['bench/torch_bench.py', ...common, '--threads', '2'] }
        : node('src/node/cli/main.ts', ['--backend', 'js', 'bench', ...common, '--json']);
    const outcome = await runChild(command, JOB_TIMEOUT_MS);
    if (outcome.ok) logits.set(batch, (await loadNpyFile(out)).data);
    else failures.push(`batch ${batch}: ${outcome.reason}`);
  }
  const description =
    torch !== null ? `PyTorch ${torch} (bench/torch_bench.py, the same weights and inputs)` : "alexnet-ts's js backend in Node.js (PyTorch does not import)";
  return {
    logits,
    description: failures.length === 0 ? description : `${description}; failed for ${failures.join('; ')}`,
    short: torch !== null ? 'PyTorch' : 'js backend',
  };
}

async function packageVersion(name: string): Promise<string> {
  try {
    return (JSON.parse(await readFile(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

const rel = (p: string): string => relative(ROOT, p);

function mounts(data: BenchData): Mount[] {
  const files = [data.pth, data.onnx, ...data.inputs.values()];
  for (const f of files) if (dirname(f) !== OUT && dirname(f) !== WEB_OUT) throw new Error(`bench/web: ${f} is outside bench/out`);
  const from = (dir: string): string[] => files.filter((f) => dirname(f) === dir).map((f) => f.slice(dir.length + 1));
  return [
    { prefix: '/alexnet/', dir: join(ROOT, 'dist', 'browser') },
    { prefix: '/tfjs/', dir: join(ROOT, 'node_modules', '@tensorflow', 'tfjs', 'dist'), files: ['tf.min.js'] },
    {
      prefix: '/tfjs-wasm/',
      dir: join(ROOT, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist'),
      files: ['tf-backend-wasm.min.js', 'tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'],
    },
    {
      prefix: '/ort/',
      dir: join(ROOT, 'node_modules', 'onnxruntime-web', 'dist'),
      files: ['ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'],
    },
    { prefix: '/data/web/', dir: WEB_OUT, files: from(WEB_OUT) },
    { prefix: '/data/', dir: OUT, files: from(OUT) },
  ];
}

/** The URL path of a data file on the bench server. */
const dataUrl = (path: string): string => (dirname(path) === WEB_OUT ? `/data/web/${path.slice(WEB_OUT.length + 1)}` : `/data/${path.slice(OUT.length + 1)}`);

function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: existsSync(CHROMIUM) ? CHROMIUM : undefined, args: ['--no-sandbox'] });
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer after ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** One job in a fresh browser on `server`'s page; errors become a failed reply. */
async function runInBrowser(server: BenchServer, job: WorkerJob): Promise<WorkerReply> {
  let browser: Browser | undefined;
  try {
    browser = await launch();
    const page = await browser.newPage();
    await page.goto(`${server.url}/`);
    await page.waitForFunction(() => typeof (globalThis as { runBench?: unknown }).runBench === 'function');
    const reply = page.evaluate((j) => (globalThis as unknown as { runBench(job: WorkerJob): Promise<WorkerReply> }).runBench(j), job);
    return await withTimeout(reply, JOB_TIMEOUT_MS, `${job.framework}, ${job.threads} threads`);
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  } finally {
    await browser?.close();
  }
}

/** The first line of an error (worker stacks are long). */
const firstLine = (s: string): string => s.split('\n')[0];

type Job = { kind: 'web'; run: WebRun } | { kind: 'node'; backend: 'wasm' | 'js' };

async function main(): Promise<void> {
  process.chdir(ROOT);
  const started = performance.now();
  const options = parseWebOptions(process.argv.slice(2), join(ROOT, 'bench', 'RESULTS.md'));
  const env = await gatherEnvironment(PYTHON);
  const loadBefore = await machineLoad();
  const cores = availableParallelism();
  log(`CPU ${env.cpu.description}; ${cores} cores; node ${env.node}; torch ${env.torch ?? 'not available'}`);

  const bundleNote = await ensureBrowserBundle();
  const data = await prepareData(env.torch !== null);
  const reference = await referenceLogits(data, env.torch);
  log(`reference logits: ${reference.description}`);

  const documents = await benchDocuments();
  const serverMounts = mounts(data);
  const plain = await startBenchServer({ isolated: false, mounts: serverMounts, documents });
  const isolated = await startBenchServer({ isolated: true, mounts: serverMounts, documents });

  const probe = await launch();
  const browserDescription = `Chromium ${probe.version()} (headless, ${CHROMIUM}; Playwright ${await packageVersion('playwright-core')})`;
  await probe.close();

  const cases: WebCase[] = options.quick ? WEB_CASES.map(quickCase) : [...WEB_CASES];
  const runs = webRuns(cores);
  const caseResults: WebCaseResult[] = cases.map((benchCase) => ({
    benchCase,
    rows: runs.map((run): WebRowResult => ({ ...run, backend: null, times: [], maxRelDiff: null, failures: [] })),
  }));
  const nodeRows: NodeRowResult[] | null = options.skipNode
    ? null
    : (['wasm', 'js'] as const).map((backend) => ({ backend, detail: null, times: [], maxRelDiff: null, failures: [] }));

  const jobs: Job[] = [
    ...runs.map((run): Job => ({ kind: 'web', run })),
    ...(nodeRows === null ? [] : (['wasm', 'js'] as const).map((backend): Job => ({ kind: 'node', backend }))),
  ];
  const checkLogits = (batch: number, logits: Float32Array): number | null => {
    const ref = reference.logits.get(batch);
    return ref === undefined || ref.length !== logits.length ? null : maxRelativeArrayDifference(logits, ref);
  };
  const maxDiff = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.max(a, b));

  try {
    for (let round = 0; round < options.rounds; round++) {
      for (const job of rotate(jobs, round)) {
        const tag = `[round ${round + 1}/${options.rounds}]`;
        if (job.kind === 'node') {
          const row = nodeRows!.find((n) => n.backend === job.backend)!;
          const plan = options.quick ? { warmup: 1, iters: 2 } : NODE_PLANS[job.backend];
          const save = join(WEB_OUT, `node-${job.backend}-b${NODE_BATCH}.npy`);
          const args = [
            '--backend',
            job.backend,
            'bench',
            '--model',
            'alexnet',
            '--batch',
            String(NODE_BATCH),
            '--iters',
            String(plan.iters),
            '--warmup',
            String(plan.warmup),
          ];
          args.push('--json', '--weights', rel(data.pth), '--input-file', rel(data.inputs.get(NODE_BATCH)!), '--save-output', rel(save));
          const outcome = await runChild(node('src/node/cli/main.ts', args), JOB_TIMEOUT_MS);
          if (outcome.ok) {
            row.times.push(...outcome.measurement.times_ms);
            row.detail ??= `alexnet-ts ${outcome.measurement.backend} (Node.js)`;
            row.maxRelDiff = maxDiff(row.maxRelDiff, checkLogits(NODE_BATCH, (await loadNpyFile(save)).data));
            log(`${tag} Node.js ${job.backend}: ${formatMs(outcome.measurement.ms_per_batch)} ms/batch (process ${(outcome.wallMs / 1000).toFixed(1)} s)`);
          } else {
            row.failures.push(outcome.reason);
            log(`${tag} Node.js ${job.backend}: failed: ${outcome.reason}`);
          }
          continue;
        }
        const { run } = job;
        const label = `${WEB_FRAMEWORK_LABELS[run.framework]}, ${run.threads} thread${run.threads === 1 ? '' : 's'}`;
        const workerJob: WorkerJob = {
          framework: run.framework,
          threads: run.threads,
          weights: dataUrl(run.framework === 'ort' ? data.onnx : data.pth),
          cases: cases.map((c) => ({ batch: c.batch, input: dataUrl(data.inputs.get(c.batch)!), warmup: c.warmup, iters: c.iters })),
        };
        const start = performance.now();
        const reply = await runInBrowser(run.isolated ? isolated : plain, workerJob);
        const rowsOf = caseResults.map((c) => c.rows.find((r) => r.framework === run.framework && r.threads === run.threads)!);
        // A run on other threads, or on a page isolated otherwise than planned, would be a mislabelled row.
        const wrong = !reply.ok
          ? firstLine(reply.error)
          : reply.threads !== run.threads
            ? `ran on ${reply.threads} threads, not ${run.threads} (${reply.backend})`
            : reply.isolated !== run.isolated
              ? `the page was ${reply.isolated ? '' : 'not '}cross-origin isolated`
              : null;
        if (wrong !== null || !reply.ok) {
          for (const row of rowsOf) row.failures.push(wrong ?? 'failed');
          log(`${tag} ${label}: failed: ${wrong}`);
          continue;
        }
        const said: string[] = [];
        reply.cases.forEach((timing, i) => {
          const row = rowsOf[i];
          row.backend ??= reply.backend;
          row.times.push(...timing.times);
          row.maxRelDiff = maxDiff(row.maxRelDiff, checkLogits(timing.batch, Float32Array.from(timing.logits)));
          const sorted = [...timing.times].sort((a, b) => a - b);
          said.push(`b${timing.batch} ${formatMs(sorted[sorted.length >> 1])} ms`);
        });
        log(
          `${tag} ${label}: ${said.join(', ')} (${reply.backend}; load ${(reply.loadMs / 1000).toFixed(1)} s, browser ${((performance.now() - start) / 1000).toFixed(1)} s)`,
        );
      }
    }
  } finally {
    await plain.close();
    await isolated.close();
  }

  const notes = [
    "ms per batch: median of every timed run of every round; a run is one forward pass with the logits read back into JavaScript, the input already converted to the framework's tensor (NHWC for TensorFlow.js), the weights loaded and converted before timing.",
    "TensorFlow.js runs the model of bench/runners/tfjs.ts written with tf ops (bench/lib/tfjs-alexnet.ts), its .pth read with alexnet-ts's reader; onnxruntime-web runs the ONNX export of the same weights.",
    `The machine is shared (${cores} cores): read the ratios, not the digits.`,
  ];
  if (cores > 1) {
    notes.push(
      `TensorFlow.js caps its wasm threads at navigator.hardwareConcurrency / 2 (it counts two hyper-threads per core), which would be 1 thread here whatever setThreadsCount asks; for its ${cores}-thread run the worker reports ${2 * cores} cores to it, so that it runs the ${cores} threads asked.`,
    );
  }
  if (bundleNote !== null) notes.push(bundleNote);
  if (options.quick) notes.push('Quick run (--quick): one round, at most 2 timed runs per case; indicative only.');
  const argv = process.argv.slice(2);
  const section = renderWeb({
    env,
    command: `npm run bench:web${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`,
    browser: browserDescription,
    versions: {
      tfjs: await packageVersion('@tensorflow/tfjs'),
      tfjsWasm: await packageVersion('@tensorflow/tfjs-backend-wasm'),
      ortWeb: await packageVersion('onnxruntime-web'),
    },
    rounds: options.rounds,
    quick: options.quick,
    reference: reference.description,
    referenceShort: reference.short,
    data: data.description,
    cases: caseResults,
    node: nodeRows,
    load: `before: ${loadBefore}; after: ${await machineLoad()}`,
    notes,
  });
  process.stdout.write(`${section.text}\n`);
  if (options.output !== null) {
    const existing = existsSync(options.output) ? await readFile(options.output, 'utf8') : null;
    await writeFile(options.output, mergeSubsection(existing, env.cpu.description, section));
    const shown = relative(ROOT, options.output);
    log(`wrote the browser subsection of "## ${env.cpu.description}" in ${shown.startsWith('..') ? options.output : shown}`);
  }
  log(`bench:web took ${((performance.now() - started) / 60_000).toFixed(1)} min`);
}

main().catch((error: unknown) => {
  log(`bench:web: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
