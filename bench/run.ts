/**
 * `npm run bench`: this engine (native backend in fp32 and bf16, js backend) side by side with
 * onnxruntime-node, PyTorch and TensorFlow.js (wasm and pure-JS cpu) on the
 * same weights and inputs; writes this CPU's section of bench/RESULTS.md
 * (the sections of other CPUs stay as they are: lib/sections.ts).
 *
 *   node --import tsx bench/run.ts [--quick] [--cases a,b] [--frameworks x,y] [--output FILE]
 *
 * Every measurement is its own child process (peak RSS per case); the
 * frameworks of a case are interleaved round by round so that load from
 * other processes on the machine hits them alike. See bench/lib/plan.ts for
 * the cases and iteration counts.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { maxRelativeDifference } from './lib/agreement.js';
import { captureOutput, runChild, type Command } from './lib/child.js';
import { gatherEnvironment, machineLoad } from './lib/environment.js';
import { recordOutcome } from './lib/outcome.js';
import { CASES, FRAMEWORK_LABELS, JS_THREADS, LAYER_CASE, type BenchCase, type FrameworkId, type RunPlan } from './lib/plan.js';
import { renderCpuSection, summarize, type CaseResult, type FrameworkResult, type LayerResult } from './lib/report.js';
import { mergeResults } from './lib/sections.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'bench', 'out');
const PYTHON = '/usr/bin/python3';
/** Threads given to the multi-threaded frameworks (onnxruntime, PyTorch): the machine's 2 cores. */
const THREADS = 2;
const CHILD_TIMEOUT_MS = 10 * 60_000;

const { values: options } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    cases: { type: 'string' },
    frameworks: { type: 'string' },
    output: { type: 'string', default: join(ROOT, 'bench', 'RESULTS.md') },
  },
});

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

const node = (script: string, args: string[]): Command => ({ program: process.execPath, args: ['--import', 'tsx', script, ...args] });

/** The shared files of a case (written by tools/export_onnx.py), or null where absent. */
interface CaseFiles {
  pth: string | null;
  onnx: string | null;
  input: string | null;
}

function caseFiles(c: BenchCase): CaseFiles {
  const exists = (p: string): string | null => (existsSync(p) ? relative(ROOT, p) : null);
  return {
    pth: exists(join(OUT, `${c.model}.pth`)),
    onnx: exists(join(OUT, `${c.model}.onnx`)),
    input: exists(join(OUT, `input-b${c.batch}-s${c.inputSize}.npy`)),
  };
}

/** The command of one measurement, or the reason it cannot run. */
function commandFor(id: FrameworkId, c: BenchCase, p: RunPlan, files: CaseFiles, saveOutput: string | null): Command | string {
  const common = [
    '--model',
    c.model,
    '--batch',
    String(c.batch),
    '--input-size',
    String(c.inputSize),
    '--iters',
    String(p.iters),
    '--warmup',
    String(p.warmup),
  ];
  const input = files.input === null ? [] : ['--input-file', files.input];
  const save = saveOutput === null ? [] : ['--save-output', saveOutput];
  switch (id) {
    case 'native':
    case 'native-bf16':
    case 'js':
    case 'js-threads':
      return node('src/node/cli/main.ts', [
        'bench',
        '--backend',
        id === 'native' || id === 'native-bf16' ? 'native' : 'js',
        ...(id === 'js-threads' ? ['--threads', String(JS_THREADS)] : []),
        ...(id === 'native-bf16' ? ['--precision', 'bf16'] : []),
        ...common,
        '--json',
        ...input,
        ...save,
        ...(files.pth === null ? [] : ['--weights', files.pth]),
        ...(c.train ? ['--train'] : []),
      ]);
    case 'pytorch':
      return {
        program: PYTHON,
        args: [
          'bench/torch_bench.py',
          ...common,
          '--threads',
          String(THREADS),
          ...input,
          ...save,
          ...(files.pth === null ? [] : ['--weights', files.pth]),
          ...(c.train ? ['--train'] : []),
        ],
      };
    case 'onnxruntime':
      if (files.onnx === null) return 'no ONNX model (tools/export_onnx.py needs PyTorch)';
      return node('bench/runners/ort.ts', [...common, '--threads', String(THREADS), '--weights', files.onnx, ...input, ...save]);
    case 'tfjs-wasm':
    case 'tfjs-cpu':
      if (files.pth === null) return 'no weights file (tools/export_onnx.py needs PyTorch)';
      return node('bench/runners/tfjs.ts', ['--backend', id === 'tfjs-wasm' ? 'wasm' : 'cpu', ...common, '--weights', files.pth, ...input, ...save]);
  }
}

function quickPlan(p: RunPlan): RunPlan {
  return { rounds: 1, warmup: Math.min(p.warmup, 1), iters: Math.min(p.iters, 2) };
}

async function main(): Promise<void> {
  process.chdir(ROOT);
  const started = performance.now();
  // Logits of an earlier run must not stand in for a framework that fails this time.
  await rm(join(OUT, 'outputs'), { recursive: true, force: true });
  await mkdir(join(OUT, 'outputs'), { recursive: true });
  const notes: string[] = [];

  const env = await gatherEnvironment(PYTHON);
  const loadBefore = await machineLoad();
  log(`CPU ${env.cpu.description}; node ${env.node}; torch ${env.torch ?? 'not available'}; onnxruntime-node ${env.onnxruntime}; tfjs ${env.tfjs}`);

  if (env.torch !== null) {
    log('exporting weights, ONNX models and inputs (tools/export_onnx.py)...');
    const out = await captureOutput({ program: PYTHON, args: ['tools/export_onnx.py', '--out', OUT] }, 10 * 60_000);
    if (out === null) notes.push('tools/export_onnx.py failed: onnxruntime and TensorFlow.js could not run, and alexnet-ts used its own random weights.');
  } else {
    notes.push(
      `PyTorch does not import with ${PYTHON}: no PyTorch column, no ONNX export (so no onnxruntime), and alexnet-ts ran with its own seeded weights and inputs.`,
    );
  }

  const nativeProbe = await captureOutput(node('src/node/cli/main.ts', ['--backend', 'native', 'info']));
  const nativeAvailable = nativeProbe !== null;
  if (!nativeAvailable) notes.push('The native addon is not built or does not load here (`alexnet --backend native info` fails): no native rows.');

  const wantedCases = options.cases?.split(',');
  const wantedFrameworks = options.frameworks?.split(',') as FrameworkId[] | undefined;
  const cases = CASES.filter((c) => wantedCases === undefined || wantedCases.includes(c.id));
  const results: CaseResult[] = [];
  // Set by the first bf16 child that finds this CPU unable to run bf16: the later cases skip it without a process.
  let bf16Skipped: string | undefined;

  for (const c of cases) {
    const files = caseFiles(c);
    const entries: [FrameworkId, RunPlan | string][] = (Object.entries(c.runs) as [FrameworkId, RunPlan | string][]).filter(
      ([id]) => wantedFrameworks === undefined || wantedFrameworks.includes(id),
    );
    const byId = new Map<FrameworkId, FrameworkResult>();
    for (const [id, p] of entries) {
      const r: FrameworkResult = { id, measurements: [], failures: [] };
      if (typeof p === 'string') r.skipped = p;
      else if ((id === 'native' || id === 'native-bf16') && !nativeAvailable) r.skipped = 'the native addon is not available in this build';
      else if (id === 'native-bf16' && bf16Skipped !== undefined) r.skipped = bf16Skipped;
      else if (id === 'pytorch' && env.torch === null) r.skipped = `PyTorch does not import with ${PYTHON}`;
      byId.set(id, r);
    }
    const planned = entries.filter(([id, p]) => typeof p !== 'string' && byId.get(id)!.skipped === undefined) as [FrameworkId, RunPlan][];
    const rounds = Math.max(0, ...planned.map(([, p]) => (options.quick ? 1 : p.rounds)));
    for (let round = 0; round < rounds; round++) {
      for (const [id, fullPlan] of planned) {
        const p = options.quick ? quickPlan(fullPlan) : fullPlan;
        const r = byId.get(id)!;
        if (round >= p.rounds || r.skipped !== undefined) continue;
        const save = !c.train && round === 0 ? relative(ROOT, join(OUT, 'outputs', `${c.id}--${id}.npy`)) : null;
        const command = commandFor(id, c, p, files, save);
        if (typeof command === 'string') {
          r.skipped = command;
          continue;
        }
        const outcome = await runChild(command, CHILD_TIMEOUT_MS);
        log(`[${c.id} ${round + 1}/${p.rounds}] ${FRAMEWORK_LABELS[id]}: ${recordOutcome(r, outcome)}`);
        if (id === 'native-bf16' && r.skipped !== undefined) bf16Skipped = r.skipped;
      }
    }
    const caseResult: CaseResult = { benchCase: c, results: [...byId.values()] };
    if (!c.train) await checkAgreement(caseResult);
    results.push(caseResult);
  }

  const layers: LayerResult[] = [];
  const layerBackends = (['native', 'js'] as const).filter(
    (b) => (b !== 'native' || nativeAvailable) && (wantedFrameworks === undefined || wantedFrameworks.includes(b)),
  );
  const layerCase = CASES.find((c) => c.model === LAYER_CASE.model && c.batch === LAYER_CASE.batch && !c.train)!;
  for (const backend of layerBackends) {
    const files = caseFiles(layerCase);
    const args = [
      'bench',
      '--backend',
      backend,
      '--model',
      LAYER_CASE.model,
      '--batch',
      String(LAYER_CASE.batch),
      '--input-size',
      String(LAYER_CASE.inputSize),
      '--iters',
      String(options.quick ? 2 : LAYER_CASE.iters),
      '--warmup',
      String(LAYER_CASE.warmup),
      '--layers',
      '--json',
      ...(files.pth === null ? [] : ['--weights', files.pth]),
      ...(files.input === null ? [] : ['--input-file', files.input]),
    ];
    const outcome = await runChild(node('src/node/cli/main.ts', args), CHILD_TIMEOUT_MS);
    layers.push(outcome.ok ? { backend, measurement: outcome.measurement } : { backend, failure: outcome.reason });
    log(`[layers] ${backend}: ${outcome.ok ? `${outcome.measurement.ms_per_batch.toFixed(1)} ms` : `failed: ${outcome.reason}`}`);
  }

  notes.push(
    `Threads: onnxruntime (intra-op) and PyTorch get ${THREADS}; alexnet-ts js and TensorFlow.js cpu are single-threaded JavaScript; "alexnet-ts js, ${JS_THREADS} threads" spreads each convolution over worker threads (src/node/js-workers/, Node only; the rest of the network stays on one thread); TensorFlow.js wasm runs on the thread count it reports (its multi-threaded build needs web workers, which it does not use in Node.js).`,
    'Training step: all frameworks use SGD(lr=0.01, momentum=0.9) with dropout active; its outputs are not cross-checked (dropout masks differ between frameworks).',
  );
  if (options.quick) notes.push('Quick run (--quick): one process per framework, at most 2 timed runs each; indicative only.');

  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const load = `before: ${loadBefore}; after: ${await machineLoad()}`;
  const section = renderCpuSection({ env, command, cases: results, layers, notes, load });
  // Other CPUs' sections (and the Fashion-MNIST section) of the file being replaced are kept.
  const existing = existsSync(options.output!) ? await readFile(options.output!, 'utf8') : null;
  await writeFile(options.output!, mergeResults(existing, section));
  await writeFile(join(OUT, 'results.json'), `${JSON.stringify({ env, results, layers, notes }, null, 2)}\n`);
  log(`wrote ${relative(ROOT, options.output!)} in ${((performance.now() - started) / 60_000).toFixed(1)} min`);
  for (const c of results) {
    for (const r of c.results) {
      const s = summarize(r, c.benchCase.batch);
      if (s !== null)
        log(
          `  ${c.benchCase.id.padEnd(22)} ${FRAMEWORK_LABELS[r.id].padEnd(28)} ${s.ms.toFixed(1).padStart(9)} ms  ${s.imagesPerS.toFixed(2).padStart(8)} img/s`,
        );
    }
  }
}

/** Compares every framework's saved logits with PyTorch's (or onnxruntime's when PyTorch did not run). */
async function checkAgreement(c: CaseResult): Promise<void> {
  const path = (id: FrameworkId): string => join(OUT, 'outputs', `${c.benchCase.id}--${id}.npy`);
  const ran = c.results.filter((r) => r.measurements.length > 0 && existsSync(path(r.id)));
  const reference = ran.find((r) => r.id === 'pytorch') ?? ran.find((r) => r.id === 'onnxruntime');
  if (reference === undefined) return;
  c.reference = reference.id;
  for (const r of ran) {
    try {
      r.agreement = await maxRelativeDifference(path(r.id), path(reference.id));
    } catch (error) {
      r.failures.push(`output check: ${(error as Error).message}`);
    }
  }
}

main().catch((error: unknown) => {
  log(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
