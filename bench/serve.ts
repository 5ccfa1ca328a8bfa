/**
 * `npm run bench:serve`: `alexnet serve` (native backend) under HTTP load,
 * against the engine's own speed, on this machine. Writes the
 * `### Serving (npm run bench:serve)` subsection of this CPU's section of
 * bench/RESULTS.md (kept there by `npm run bench`: lib/sections.ts) and
 * prints it.
 *
 *   node --import tsx bench/serve.ts [--duration 20] [--warmup 3] [--concurrency 1,8,64]
 *                                    [--soak SECONDS] [--weights FILE] [--output FILE | -]
 *
 * In order: the input JPEGs (serve/inputs.ts); `alexnet bench --batch 32`
 * and `--batch 8` (serve/engine.ts); the server, loaded by autocannon for
 * every input set and concurrency (serve/load.ts); the soak when asked
 * (serve/soak.ts); SIGTERM and the server's exit code; the engine bench
 * again (the faster of the two counts); the targets (serve/targets.ts) and
 * the report (serve/report.ts).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gatherEnvironment, machineLoad } from './lib/environment.js';
import { mergeSubsection, type Section } from './lib/sections.js';
import { type EngineSpeed, faster, measureEngine } from './serve/engine.js';
import { type InputSet, prepareInputs } from './serve/inputs.js';
import { type LoadResult, measureLoad } from './serve/load.js';
import { MAX_BATCH, MAX_DELAY_MS, parseOptions, SOAK_CONCURRENCY, type ServeBenchOptions } from './serve/options.js';
import { renderServing, type SetResult } from './serve/report.js';
import { assertRunning, type ServerProcess, startServer } from './serve/server.js';
import { type SoakResult, soak } from './serve/soak.js';
import { latencyTarget, soakTargets, throughputTarget } from './serve/targets.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Only for the torch row of gatherEnvironment, which this report leaves out. */
const PYTHON = '/usr/bin/python3';

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

function serveArgs(options: ServeBenchOptions): string[] {
  const weights = options.weights === undefined ? [] : ['--weights', options.weights];
  return ['--model', 'alexnet', ...weights, '--max-batch', String(MAX_BATCH), '--max-delay-ms', String(MAX_DELAY_MS)];
}

function describeRun(label: string, r: LoadResult): string {
  const batch = r.meanBatch === null ? '—' : r.meanBatch.toFixed(1);
  return `[${label} c${r.concurrency}] ${r.imagesPerS.toFixed(1)} images/s, p50 ${r.p50.toFixed(0)} ms, p99 ${r.p99.toFixed(0)} ms, mean batch ${batch}, non-2xx ${r.non2xx}, errors ${r.errors}`;
}

function describeEngine(batch: number, speed: EngineSpeed | string): string {
  return typeof speed === 'string'
    ? `alexnet bench --batch ${batch} failed: ${speed}`
    : `alexnet bench --batch ${batch}: ${speed.imagesPerS.toFixed(1)} images/s, ${speed.msPerBatch.toFixed(1)} ms per batch`;
}

/** Every concurrency on every input set, each after its own warm-up. */
async function loadAll(server: ServerProcess, sets: readonly InputSet[], options: ServeBenchOptions): Promise<SetResult[]> {
  const results: SetResult[] = [];
  for (const set of sets) {
    const runs: LoadResult[] = [];
    for (const concurrency of options.concurrency) {
      const run = await measureLoad(server.url, set, concurrency, options.warmup, options.duration);
      assertRunning(server);
      log(describeRun(set.id, run));
      runs.push(run);
    }
    results.push({ set, runs });
  }
  return results;
}

async function runSoak(server: ServerProcess, set: InputSet, seconds: number): Promise<SoakResult> {
  log(`soak: ${seconds} s at concurrency ${SOAK_CONCURRENCY} on ${set.title}...`);
  const result = await soak(server.url, server.pid, set, SOAK_CONCURRENCY, seconds);
  assertRunning(server);
  log(describeRun('soak', result.load));
  return result;
}

/** `alexnet bench` at batch 32 (target a) and batch 8 (target b). */
async function measureEngines(weights: string | undefined): Promise<{ bench32: EngineSpeed | string; bench8: EngineSpeed | string }> {
  const bench32 = await measureEngine(32, weights);
  log(describeEngine(32, bench32));
  const bench8 = await measureEngine(8, weights);
  log(describeEngine(8, bench8));
  return { bench32, bench8 };
}

function packageVersion(name: string): string {
  return (createRequire(import.meta.url)(`${name}/package.json`) as { version: string }).version;
}

async function writeOutput(path: string, cpuHeading: string, section: Section): Promise<void> {
  const existing = existsSync(path) ? await readFile(path, 'utf8') : null;
  await writeFile(path, mergeSubsection(existing, cpuHeading, section));
  const shown = relative(ROOT, path);
  log(`wrote the serving subsection of "## ${cpuHeading}" in ${shown.startsWith('..') ? path : shown}`);
}

/** What the server did: the load runs, the soak, and how it exited on SIGTERM. */
interface Served {
  command: string;
  sets: SetResult[];
  soak: SoakResult | null;
  exit: { code: number | null; signal: NodeJS.Signals | null };
}

/** Starts the server, runs every load and the soak, and stops it (also after a failure: it would hold the cores). */
async function serve(sets: readonly InputSet[], options: ServeBenchOptions): Promise<Served> {
  const server = await startServer(ROOT, serveArgs(options));
  log(`server ready at ${server.url} (pid ${server.pid})`);
  try {
    const results = await loadAll(server, sets, options);
    const soakResult = options.soak > 0 ? await runSoak(server, sets[0], options.soak) : null;
    return { command: server.command, sets: results, soak: soakResult, exit: await server.stop() };
  } finally {
    const exit = await server.stop();
    log(`server stopped: ${exit.signal ?? `exit code ${exit.code}`}`);
  }
}

async function main(): Promise<void> {
  process.chdir(ROOT);
  const options = parseOptions(process.argv.slice(2), join(ROOT, 'bench', 'RESULTS.md'));
  const env = await gatherEnvironment(PYTHON);
  const loadBefore = await machineLoad();
  log(`CPU ${env.cpu.description}; node ${env.node}`);

  const inputDir = await mkdtemp(join(tmpdir(), 'alexnet-bench-serve-'));
  const sets = await prepareInputs(inputDir);
  log(`inputs in ${inputDir}: ${sets.map((s) => `${s.images.length} ${s.id}`).join(', ')}`);

  // The engine's speed while no server runs: before it starts, and again after it stopped.
  const before = await measureEngines(options.weights);
  const served = await serve(sets, options);
  const after = await measureEngines(options.weights);
  const bench32 = faster(before.bench32, after.bench32);
  const bench8 = faster(before.bench8, after.bench8);

  const jpeg224 = served.sets.find((r) => r.set.id === '224')!.runs;
  const targets = [throughputTarget(jpeg224, bench32), latencyTarget(jpeg224, bench8, MAX_DELAY_MS), ...(served.soak === null ? [] : soakTargets(served.soak))];
  const section = renderServing({
    env,
    command: `npm run bench:serve${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    serverCommand: served.command,
    options,
    autocannon: packageVersion('autocannon'),
    bench32,
    bench8,
    sets: served.sets,
    targets,
    soak: served.soak,
    exit: served.exit,
    load: `before: ${loadBefore}; after: ${await machineLoad()}`,
  });
  process.stdout.write(`${section.text}\n`);
  if (options.output !== null) await writeOutput(options.output, env.cpu.description, section);
  // A server that does not drain cleanly is a failure of the run, whatever the numbers.
  if (served.exit.code !== 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  log(`bench:serve: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
