/**
 * The serving results as markdown: the `### Serving (npm run bench:serve)`
 * subsection of this CPU's section of bench/RESULTS.md (bench/lib/sections.ts
 * puts it there and keeps it through `npm run bench`). Ratios and targets
 * first, then a table per input set, then the soak.
 */
import type { Environment } from '../lib/environment.js';
import { SERVING_HEADING, type Section } from '../lib/sections.js';
import type { EngineSpeed } from './engine.js';
import { describeSet, type InputSet } from './inputs.js';
import type { LoadResult } from './load.js';
import type { ServeBenchOptions } from './options.js';
import type { SoakResult } from './soak.js';
import type { Target } from './targets.js';

export interface SetResult {
  set: InputSet;
  runs: LoadResult[];
}

export interface ServeReport {
  env: Environment;
  /** The command line of this run, as a user types it. */
  command: string;
  /** The server's command line. */
  serverCommand: string;
  options: ServeBenchOptions;
  autocannon: string;
  bench32: EngineSpeed | string;
  bench8: EngineSpeed | string;
  sets: SetResult[];
  targets: Target[];
  soak: SoakResult | null;
  /** How the server ended after SIGTERM. */
  exit: { code: number | null; signal: NodeJS.Signals | null };
  load: string;
}

const verdict = (t: Target): string => (t.pass === null ? '—' : t.pass ? '**pass**' : '**FAIL**');

function targetTable(targets: readonly Target[]): string[] {
  return [
    '| target | measured | required | result |',
    '| --- | --- | --- | :---: |',
    ...targets.map((t) => `| ${t.name} | ${t.measured} | ${t.required} | ${verdict(t)} |`),
  ];
}

function engineCell(speed: EngineSpeed | string): string {
  if (typeof speed === 'string') return `failed: ${speed}`;
  return `${speed.imagesPerS.toFixed(1)} images/s, ${speed.msPerBatch.toFixed(1)} ms per batch (native backend, the faster of a run before the server started and one after it stopped)`;
}

function environmentTable(r: ServeReport): string[] {
  const { env, options } = r;
  const soak = options.soak > 0 ? `; soak ${options.soak} s at concurrency 64` : '';
  return [
    '| | |',
    '| --- | --- |',
    // The same CPU row as the section's own table: a section holding only this subsection is still a CPU section.
    `| CPU | ${env.cpu.model}, ${env.cores} cores visible |`,
    `| native kernels | ${env.cpu.kernels ?? 'the native addon did not load in the benchmark process'} |`,
    `| Node.js | ${env.node} |`,
    `| alexnet-ts commit | ${env.commit ?? 'unknown'} |`,
    `| server | \`${r.serverCommand}\` (${options.weights === undefined ? 'random weights' : `weights ${options.weights}`}) |`,
    `| load | autocannon ${r.autocannon}, one request (one image) in flight per connection, in the benchmark's process on the same machine |`,
    `| runs | ${options.duration} s recorded after ${options.warmup} s of warm-up (one continuous run), per concurrency (${options.concurrency.join(', ')}) and input set${soak} |`,
    `| \`alexnet bench --batch 32\` | ${engineCell(r.bench32)} |`,
    `| \`alexnet bench --batch 8\` | ${engineCell(r.bench8)} |`,
    `| server exit on SIGTERM | ${r.exit.signal === null ? `code ${r.exit.code}` : `killed by ${r.exit.signal}`}${r.exit.code === 0 ? ' (clean drain)' : ''} |`,
    `| machine load | ${r.load} |`,
  ];
}

function ratioCell(run: LoadResult, bench32: EngineSpeed | string): string {
  return typeof bench32 === 'string' ? '—' : `${(run.imagesPerS / bench32.imagesPerS).toFixed(2)}×`;
}

/** Non-2xx answers, with their status codes when there are any: "3 (503: 3)". */
function non2xxCell(run: LoadResult): string {
  const codes = Object.entries(run.otherStatuses).map(([code, n]) => `${code}: ${n}`);
  return codes.length === 0 ? String(run.non2xx) : `${run.non2xx} (${codes.join(', ')})`;
}

function errorsCell(run: LoadResult): string {
  return run.timeouts > 0 ? `${run.errors} (${run.timeouts} timeouts)` : String(run.errors);
}

/** A latency in whole ms, or a dash for a run without answers. */
const ms = (v: number): string => (Number.isNaN(v) ? '—' : v.toFixed(0));

export function loadTable(runs: readonly LoadResult[], bench32: EngineSpeed | string): string[] {
  return [
    '| concurrency | vs `alexnet bench --batch 32` | images/s | p50 ms | p99 ms | max ms | mean batch | non-2xx | errors |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...runs.map(
      (r) =>
        `| ${r.concurrency} | ${ratioCell(r, bench32)} | ${r.imagesPerS.toFixed(1)} | ${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.max)} | ${r.meanBatch === null ? '—' : r.meanBatch.toFixed(1)} | ${non2xxCell(r)} | ${errorsCell(r)} |`,
    ),
  ];
}

function soakLines(soak: SoakResult, bench32: EngineSpeed | string): string[] {
  const samples = soak.samples.map((s) => `${s.at} s: ${(s.bytes / 2 ** 20).toFixed(0)}`).join(', ');
  return [
    `#### Soak: ${soak.seconds} s at concurrency ${soak.load.concurrency}, 224×224 JPEGs`,
    '',
    ...loadTable([soak.load], bench32),
    '',
    `Server RSS (MiB, /proc VmRSS) every 10 s: ${samples}.`,
  ];
}

/** The subsection, heading included. */
export function renderServing(r: ServeReport): Section {
  const parts = [
    `### ${SERVING_HEADING}`,
    '',
    `Measured on ${r.env.date} by \`${r.command}\`: \`alexnet serve\` answering POST /v1/classify, one JPEG per request.`,
    '',
    ...targetTable(r.targets),
    '',
    ...environmentTable(r),
    '',
    'images/s: 2xx answers per second of the recorded part of a run; "vs `alexnet bench --batch 32`": those images/s',
    "over the engine's alone (forward passes of random tensors: no HTTP, no decoding, no resizing); latencies: every",
    'answer of the recorded part, as autocannon timed it (ms); mean batch: images per forward pass in the recorded part,',
    "from the server's /metrics. The load generator takes CPU time from the server on this machine: the server alone",
    'would do somewhat better.',
  ];
  for (const { set, runs } of r.sets) parts.push('', `#### ${set.title}`, '', `${describeSet(set)}.`, '', ...loadTable(runs, r.bench32));
  if (r.soak !== null) parts.push('', ...soakLines(r.soak, r.bench32));
  return { heading: SERVING_HEADING, text: parts.join('\n') };
}
