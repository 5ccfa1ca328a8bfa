/**
 * The browser bench as markdown: the `### In the browser (npm run bench:web)`
 * subsection of this CPU's section of bench/RESULTS.md (bench/lib/sections.ts
 * puts it there and keeps it through `npm run bench`). Targets first, then
 * where it ran, then a table per batch size and the Node.js comparison.
 */
import type { Environment } from '../lib/environment.js';
import { type Section, WEB_HEADING } from '../lib/sections.js';
import { median } from '../../src/node/bench/stats.js';
import type { WebFrameworkId } from './browser/protocol.js';
import { WEB_FRAMEWORK_LABELS, type WebCase, type WebRun } from './plan.js';

/** One framework at one thread count on one case: every timed run of every round. */
export interface WebRowResult extends WebRun {
  /** The build as the framework reported it (first successful round), null when no round succeeded. */
  backend: string | null;
  times: number[];
  /** max |Δ| / max |reference| over the rounds' logits; null when none was checked. */
  maxRelDiff: number | null;
  failures: string[];
}

export interface WebCaseResult {
  benchCase: WebCase;
  rows: WebRowResult[];
}

export interface NodeRowResult {
  backend: 'wasm' | 'js';
  /** The backend as `alexnet bench --json` reports it. */
  detail: string | null;
  times: number[];
  maxRelDiff: number | null;
  failures: string[];
}

export interface WebReport {
  env: Environment;
  command: string;
  /** "Chromium 156.0.8078.114 (headless, Playwright 1.65.1)". */
  browser: string;
  versions: { tfjs: string; tfjsWasm: string; ortWeb: string };
  rounds: number;
  quick: boolean;
  /** What the logits are compared with, in words ("PyTorch 1.13.0 (bench/torch_bench.py)"). */
  reference: string;
  /** The short name for the table heading ("PyTorch"). */
  referenceShort: string;
  /** Where the weights and inputs come from, in words. */
  data: string;
  cases: WebCaseResult[];
  node: NodeRowResult[] | null;
  load: string;
  notes: string[];
}

export interface Target {
  name: string;
  measured: string;
  required: string;
  pass: boolean | null;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** A time in ms: 3 significant digits, at most 2 decimals. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

export const formatRatio = (r: number): string => `${r.toFixed(2)}×`;

/** The median ms per batch of a row, or null when it has no timed run. */
export function rowMs(row: { times: readonly number[] }): number | null {
  return row.times.length === 0 ? null : median(row.times);
}

function find(c: WebCaseResult, framework: WebFrameworkId, threads: number): WebRowResult | undefined {
  return c.rows.find((r) => r.framework === framework && r.threads === threads);
}

/** How many times faster `row` is than `base` (base's ms over row's), or null when either did not run. */
export function speedup(row: { times: readonly number[] } | undefined, base: { times: readonly number[] } | undefined): number | null {
  const a = row === undefined ? null : rowMs(row);
  const b = base === undefined ? null : rowMs(base);
  return a === null || b === null ? null : b / a;
}

const ratioCell = (r: number | null): string => (r === null ? '—' : formatRatio(r));
const diffCell = (d: number | null): string => (d === null ? '—' : d.toExponential(1));

function spreadCell(times: readonly number[]): string {
  if (times.length === 0) return '—';
  return `${times.length} (${formatMs(Math.min(...times))}–${formatMs(Math.max(...times))})`;
}

/** The per-case table: one row per framework and thread count, ratios at the same thread count. */
export function webCaseTable(c: WebCaseResult, referenceShort: string): string[] {
  const batch = c.benchCase.batch;
  const lines = [
    `| framework | threads | page | backend | ms / batch | ms / image | vs TF.js wasm | vs onnxruntime-web | max rel. diff vs ${referenceShort} | timed runs (fastest–slowest ms) |`,
    '| --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const notes: string[] = [];
  const rows = [...c.rows].sort((a, b) => a.threads - b.threads);
  for (const r of rows) {
    const label = WEB_FRAMEWORK_LABELS[r.framework];
    const ms = rowMs(r);
    const page = r.isolated ? 'isolated' : 'not isolated';
    if (ms === null) {
      notes.push(`- ${label}, ${plural(r.threads, 'thread')}: ${r.failures.length > 0 ? `failed: ${r.failures[0]}` : 'not run'}`);
      continue;
    }
    const vsTf = r.framework === 'tfjs' ? '1.00×' : ratioCell(speedup(r, find(c, 'tfjs', r.threads)));
    const vsOrt = r.framework === 'ort' ? '1.00×' : ratioCell(speedup(r, find(c, 'ort', r.threads)));
    lines.push(
      `| ${label} | ${r.threads} | ${page} | ${r.backend ?? '—'} | ${formatMs(ms)} | ${formatMs(ms / batch)} | ${vsTf} | ${vsOrt} | ${diffCell(r.maxRelDiff)} | ${spreadCell(r.times)} |`,
    );
    if (r.failures.length > 0) notes.push(`- ${label}, ${plural(r.threads, 'thread')}: ${r.failures.length} of its rounds failed (${r.failures[0]})`);
  }
  const table = lines.length > 2 ? lines : ['No framework ran this case.'];
  const scaling = threadScaling(c);
  return [`#### ${c.benchCase.title}`, '', ...table, ...(notes.length > 0 ? ['', ...notes] : []), ...(scaling === null ? [] : ['', scaling])];
}

/** "More threads over one": each framework's speed-up from its single-threaded run to its most-threaded one. */
export function threadScaling(c: WebCaseResult): string | null {
  const parts: string[] = [];
  let slower: string | null = null;
  for (const framework of Object.keys(WEB_FRAMEWORK_LABELS) as WebFrameworkId[]) {
    const one = find(c, framework, 1);
    const many = c.rows.filter((r) => r.framework === framework && r.threads > 1 && rowMs(r) !== null).sort((a, b) => b.threads - a.threads)[0];
    const s = speedup(many, one);
    if (s === null) continue;
    parts.push(`${WEB_FRAMEWORK_LABELS[framework]} ${formatRatio(s)} at ${many.threads}`);
    if (framework === 'alexnet-ts' && s < 1) {
      slower = `**alexnet-ts's threaded build at ${plural(many.threads, 'thread')} is slower than its single-threaded build here: ${formatMs(rowMs(many)!)} vs ${formatMs(rowMs(one!)!)} ms per batch.**`;
    }
  }
  if (parts.length === 0) return null;
  return [`Threads over one thread (the same framework's single-threaded run): ${parts.join(', ')}.`, ...(slower === null ? [] : [slower])].join(' ');
}

/** The targets of the issue: at batch 1, alexnet-ts ≥ 2× TF.js wasm and ≥ 1.25× onnxruntime-web at the same threads; in Node.js, wasm ≥ 5× js. */
export function webTargets(r: Pick<WebReport, 'cases' | 'node'>): Target[] {
  const targets: Target[] = [];
  const b1 = r.cases.find((c) => c.benchCase.batch === 1);
  if (b1 !== undefined) {
    const threads = [...new Set(b1.rows.map((row) => row.threads))].sort((a, b) => a - b);
    for (const [base, label, required] of [
      ['tfjs', 'TF.js wasm', 2],
      ['ort', 'onnxruntime-web', 1.25],
    ] as const) {
      for (const t of threads) {
        const ours = find(b1, 'alexnet-ts', t);
        const other = find(b1, base, t);
        const s = speedup(ours, other);
        targets.push({
          name: `batch 1, ${plural(t, 'thread')}: alexnet-ts wasm vs ${label}`,
          measured: s === null ? 'not measured' : `${formatRatio(s)} (${formatMs(rowMs(ours!)!)} vs ${formatMs(rowMs(other!)!)} ms)`,
          required: `≥ ${required}×`,
          pass: s === null ? null : s >= required,
        });
      }
    }
  }
  if (r.node !== null) {
    const s = speedup(
      r.node.find((n) => n.backend === 'wasm'),
      r.node.find((n) => n.backend === 'js'),
    );
    const wasm = r.node.find((n) => n.backend === 'wasm');
    const js = r.node.find((n) => n.backend === 'js');
    targets.push({
      name: 'Node.js, batch 1: wasm backend vs js backend',
      measured: s === null ? 'not measured' : `${formatRatio(s)} (${formatMs(rowMs(wasm!)!)} vs ${formatMs(rowMs(js!)!)} ms)`,
      required: '≥ 5×',
      pass: s === null ? null : s >= 5,
    });
  }
  return targets;
}

const verdict = (t: Target): string => (t.pass === null ? '—' : t.pass ? '**pass**' : '**FAIL**');

function nodeTable(rows: readonly NodeRowResult[], referenceShort: string): string[] {
  const js = rows.find((n) => n.backend === 'js');
  const lines = [
    `| backend | ms / batch | vs js backend | max rel. diff vs ${referenceShort} | timed runs (fastest–slowest ms) |`,
    '| --- | ---: | ---: | ---: | ---: |',
  ];
  const notes: string[] = [];
  for (const n of rows) {
    const ms = rowMs(n);
    if (ms === null) {
      notes.push(`- ${n.backend}: ${n.failures.length > 0 ? `failed: ${n.failures[0]}` : 'not run'}`);
      continue;
    }
    lines.push(`| ${n.detail ?? n.backend} | ${formatMs(ms)} | ${ratioCell(speedup(n, js))} | ${diffCell(n.maxRelDiff)} | ${spreadCell(n.times)} |`);
  }
  return [...lines, ...(notes.length > 0 ? ['', ...notes] : [])];
}

/** The subsection, heading included. */
export function renderWeb(r: WebReport): Section {
  const { env } = r;
  const caseRuns = r.cases.map((c) => `batch ${c.benchCase.batch}: ${c.benchCase.warmup} warm-up + ${c.benchCase.iters} timed`).join('; ');
  const parts = [
    `### ${WEB_HEADING}`,
    '',
    `Measured on ${env.date} by \`${r.command}\`: torchvision AlexNet in headless Chromium, each framework in a module web worker of a fresh browser, on the same weights and inputs; ratios are the other framework's ms over this row's, at the same thread count (above 1: faster).`,
    '',
    '| target | measured | required | result |',
    '| --- | --- | --- | :---: |',
    ...webTargets(r).map((t) => `| ${t.name} | ${t.measured} | ${t.required} | ${verdict(t)} |`),
    '',
    '| | |',
    '| --- | --- |',
    // The same CPU row as the section's own table: a section holding only this subsection is still a CPU section.
    `| CPU | ${env.cpu.model}, ${env.cores} cores visible |`,
    `| browser | ${r.browser} |`,
    `| Node.js | ${env.node} |`,
    `| TensorFlow.js | ${r.versions.tfjs} (tf.min.js), @tensorflow/tfjs-backend-wasm ${r.versions.tfjsWasm} (tf-backend-wasm.min.js) |`,
    `| onnxruntime-web | ${r.versions.ortWeb} (ort.wasm.min.mjs, wasm execution provider, graph optimizations all) |`,
    `| alexnet-ts | dist/browser (scripts/build-browser.mjs), commit ${env.commit ?? 'unknown'} |`,
    '| pages | 1 thread: served without COOP/COEP (not cross-origin isolated: single-threaded builds); more: with COOP same-origin + COEP require-corp (isolated: threaded builds) |',
    `| runs | ${plural(r.rounds, 'round')}, frameworks interleaved (order rotated each round), a fresh browser and worker per framework and thread count per round; per worker ${caseRuns} runs, each a forward pass with the logits read back${r.quick ? ' (--quick)' : ''} |`,
    `| weights and inputs | ${r.data} |`,
    `| logits checked against | ${r.reference} |`,
    `| machine load | ${r.load} |`,
  ];
  for (const c of r.cases) parts.push('', ...webCaseTable(c, r.referenceShort));
  if (r.node !== null) {
    parts.push(
      '',
      '#### Node.js: the wasm backend against the js backend, batch 1',
      '',
      `\`alexnet --backend wasm|js bench --batch 1\` (the single-threaded wasm build: Node.js has no web workers), processes interleaved over the rounds.`,
      '',
      ...nodeTable(r.node, r.referenceShort),
    );
  }
  if (r.notes.length > 0) parts.push('', ...r.notes.map((n) => `- ${n}`));
  return { heading: WEB_HEADING, text: parts.join('\n') };
}
