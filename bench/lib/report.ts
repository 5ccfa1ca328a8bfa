/**
 * One CPU's section of bench/RESULTS.md from the measurements: the
 * environment, a summary of the native backend's ratios, one table per case
 * with medians and ratios, the agreement of the outputs, and the per-layer
 * times. How sections of several CPUs share the file: sections.ts.
 */
import { median } from '../../src/node/bench/stats.js';
import type { Measurement } from './child.js';
import type { Environment } from './environment.js';
import { FRAMEWORK_LABELS, type BenchCase, type FrameworkId } from './plan.js';
import type { Section } from './sections.js';

export interface FrameworkResult {
  id: FrameworkId;
  /** One per successful process. */
  measurements: Measurement[];
  /** Reasons of failed processes. */
  failures: string[];
  /** Why it was not run at all. */
  skipped?: string;
  /** max |out − ref| / max |ref| against the reference framework's logits. */
  agreement?: number;
}

export interface CaseResult {
  benchCase: BenchCase;
  results: FrameworkResult[];
  /** The framework whose logits the others are compared with. */
  reference?: FrameworkId;
}

export interface LayerResult {
  backend: string;
  measurement?: Measurement;
  failure?: string;
}

export interface Summary {
  /** Median ms per batch over every timed run of every process. */
  ms: number;
  /** Fastest and slowest timed run: how noisy the machine was. */
  minMs: number;
  maxMs: number;
  imagesPerS: number;
  peakRssMb: number;
  runs: number;
}

export function summarize(r: FrameworkResult, batch: number): Summary | null {
  if (r.measurements.length === 0) return null;
  const times = r.measurements.flatMap((m) => m.times_ms);
  const ms = median(times);
  return {
    ms,
    minMs: Math.min(...times),
    maxMs: Math.max(...times),
    imagesPerS: (batch * 1000) / ms,
    peakRssMb: Math.max(...r.measurements.map((m) => m.peak_rss_mb)),
    runs: r.measurements.reduce((n, m) => n + m.times_ms.length, 0),
  };
}

const fmt = (v: number, digits: number): string => v.toFixed(digits);

function ratioCell(s: Summary, base: Summary | null): string {
  return base === null ? '—' : `${fmt(s.imagesPerS / base.imagesPerS, 2)}×`;
}

/** The backend as the runner reports it, with its threads and, when not fp32, its precision. */
function backendCell(m: Measurement): string {
  const threads = m.threads === undefined ? '' : `, ${m.threads} threads`;
  // Only this engine reports a precision; the other runners are fp32.
  const precision = m.precision === undefined || m.precision === 'fp32' ? '' : `, ${m.precision}`;
  return `${m.backend}${precision}${threads}`;
}

/**
 * The agreement is printed, never judged: bf16 rows differ from the fp32
 * reference by ~1e-2 by design (see BF16_NOTE), fp32 rows by ~1e-6.
 */
function agreementCell(r: FrameworkResult, reference: FrameworkId | undefined): string {
  if (r.agreement === undefined) return '—';
  if (r.id === reference) return 'reference';
  return r.agreement.toExponential(1);
}

export function caseTable(c: CaseResult): string {
  const { benchCase } = c;
  const byId = new Map(c.results.map((r) => [r.id, r]));
  const ort = byId.get('onnxruntime');
  const torch = byId.get('pytorch');
  const ortSummary = ort ? summarize(ort, benchCase.batch) : null;
  const torchSummary = torch ? summarize(torch, benchCase.batch) : null;
  const refLabel = c.reference ? FRAMEWORK_LABELS[c.reference] : 'the reference';
  const lines = [
    `| framework | backend | ms / batch | images / s | vs onnxruntime | vs PyTorch | peak RSS (MiB) | max rel. diff vs ${c.reference === 'pytorch' ? 'PyTorch' : refLabel} | timed runs (fastest–slowest ms) |`,
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const notes: string[] = [];
  for (const r of c.results) {
    const label = FRAMEWORK_LABELS[r.id];
    const s = summarize(r, benchCase.batch);
    if (s === null) {
      // A skip (plan, missing addon or PyTorch, bf16 on a CPU without it) and a failure both become a line under the table.
      const why = r.skipped ?? (r.failures.length > 0 ? `failed: ${r.failures[0]}` : 'not run');
      notes.push(`- ${label}: ${why}`);
      continue;
    }
    const backend = backendCell(r.measurements[0]);
    const spread = `${s.runs} (${fmt(s.minMs, s.minMs < 100 ? 1 : 0)}–${fmt(s.maxMs, s.maxMs < 100 ? 1 : 0)})`;
    lines.push(
      `| ${label} | ${backend} | ${fmt(s.ms, 1)} | ${fmt(s.imagesPerS, 2)} | ${ratioCell(s, ortSummary)} | ${ratioCell(s, torchSummary)} | ${fmt(s.peakRssMb, 0)} | ${agreementCell(r, c.reference)} | ${spread} |`,
    );
    if (r.failures.length > 0) notes.push(`- ${label}: ${r.failures.length} of its processes failed (${r.failures[0]})`);
  }
  // A case where nothing ran keeps its heading and the reasons, without an empty table.
  const table = lines.length > 2 ? lines : ['No framework ran this case.'];
  return [`#### ${benchCase.title}`, '', ...table, ...(notes.length > 0 ? ['', ...notes] : [])].join('\n');
}

/** The js backend against TensorFlow.js's pure-JS cpu backend (the project's 3× target), when both ran. */
export function jsVersusTfjsCpu(cases: CaseResult[]): string | null {
  const c = cases.find((x) => x.benchCase.id === 'alexnet-b1');
  const find = (id: FrameworkId): Summary | null => {
    const r = c?.results.find((x) => x.id === id);
    return r ? summarize(r, 1) : null;
  };
  const tf = find('tfjs-cpu');
  if (tf === null) return null;
  const parts: string[] = [];
  for (const id of ['js', 'js-threads'] as const) {
    const s = find(id);
    if (s !== null) parts.push(`${FRAMEWORK_LABELS[id]}: ${fmt(s.ms, 0)} ms per image, ${fmt(tf.ms / s.ms, 2)}× faster`);
  }
  if (parts.length === 0) return null;
  return `Against TensorFlow.js cpu (pure JS, ${fmt(tf.ms, 0)} ms per image; target 3× faster): ${parts.join('; ')}.`;
}

export function layerTable(results: LayerResult[]): string {
  const ok = results.filter((r) => r.measurement?.layers !== undefined);
  const lines: string[] = [];
  for (const r of results) if (r.failure !== undefined) lines.push(`- ${r.backend}: failed: ${r.failure}`);
  if (ok.length === 0) return lines.join('\n');
  const names = ok[0].measurement!.layers!;
  const header = `| layer | type | ${ok.map((r) => `${r.backend} ms | share`).join(' | ')} |`;
  const rule = `| --- | --- | ${ok.map(() => '---: | ---:').join(' | ')} |`;
  const rows = names.map((layer, i) => {
    const cells = ok.map((r) => {
      const m = r.measurement!;
      const t = m.layers![i]?.ms ?? 0;
      return `${fmt(t, 2)} | ${fmt((100 * t) / m.ms_per_batch, 1)}%`;
    });
    const type = ok.some((r) => r.measurement!.layers![i]?.fusedRelu) ? `${layer.type} + ReLU (fused)` : layer.type;
    return { ms: Math.max(...ok.map((r) => r.measurement!.layers![i]?.ms ?? 0)), line: `| ${layer.name} | ${type} | ${cells.join(' | ')} |` };
  });
  const total = `| whole forward | | ${ok.map((r) => `${fmt(r.measurement!.ms_per_batch, 2)} | 100%`).join(' | ')} |`;
  // Layers that take no measurable time (ReLUs fused away, Dropout in eval mode) are left out.
  return [header, rule, ...rows.filter((r) => r.ms >= 0.05).map((r) => r.line), total, ...(lines.length > 0 ? ['', ...lines] : [])].join('\n');
}

/** The native backend's two precisions, the columns of the summary. */
const SUMMARY_FRAMEWORKS = ['native', 'native-bf16'] as const;
const SUMMARY_BASES = [
  ['onnxruntime', 'onnxruntime'],
  ['pytorch', 'PyTorch'],
] as const;

/** One summary cell: `id`'s images/s over `base`'s, or why there is no ratio. */
function summaryCell(c: CaseResult, id: FrameworkId, base: FrameworkId): string {
  const r = c.results.find((x) => x.id === id);
  if (r === undefined) return '—';
  const s = summarize(r, c.benchCase.batch);
  if (s === null) return r.skipped !== undefined ? 'skipped' : r.failures.length > 0 ? 'failed' : '—';
  const b = c.results.find((x) => x.id === base);
  return ratioCell(s, b === undefined ? null : summarize(b, c.benchCase.batch));
}

/**
 * The ratios a reader looks for first: alexnet-ts native, fp32 and bf16,
 * against onnxruntime and PyTorch for every case (why a cell is empty is
 * under that case's table).
 */
export function summaryTable(cases: CaseResult[]): string {
  const columns = SUMMARY_BASES.flatMap(([base, baseLabel]) =>
    SUMMARY_FRAMEWORKS.map((id) => ({ id, base, title: `native ${id === 'native' ? 'fp32' : 'bf16'} vs ${baseLabel}` })),
  );
  const lines = [
    `| case | ${columns.map((col) => col.title).join(' | ')} |`,
    `| --- | ${columns.map(() => '---:').join(' | ')} |`,
    ...cases.map((c) => `| ${c.benchCase.id} | ${columns.map((col) => summaryCell(c, col.id, col.base)).join(' | ')} |`),
  ];
  return lines.join('\n');
}

export const BF16_NOTE =
  'Rows "alexnet-ts native, bf16" round the weights and the inputs of every matrix product to bfloat16 ' +
  "(8 significant bits) and accumulate in fp32, so their logits differ from PyTorch's fp32 ones at bf16 precision: " +
  'a max rel. diff of up to about 1e-2 there is expected (the fp32 rows agree to about 1e-6).';

/** BF16_NOTE when some case has a bf16 row with numbers, else null. */
export function bf16Note(cases: CaseResult[]): string | null {
  const ran = cases.some((c) => c.results.some((r) => r.id === 'native-bf16' && r.measurements.length > 0));
  return ran ? BF16_NOTE : null;
}

export interface ReportInput {
  env: Environment;
  command: string;
  cases: CaseResult[];
  layers: LayerResult[];
  notes: string[];
  /** How busy the machine was during the run (load averages, CPU pressure), in words. */
  load?: string;
}

/** The top of RESULTS.md, above the CPU sections: what wrote the file and how to read it. */
export function renderHeader(): string {
  return [
    '# Benchmarks',
    '',
    'Produced by `npm run bench` (bench/run.ts); do not edit by hand: rerun it. The file has one section per',
    'CPU model measured: a run replaces the section of its own CPU (same brand, family and model) and keeps the',
    'others as they are, so that results from different machines are never mixed.',
    '',
    'How to read a section: its first table says where and when it ran (CPU, its SIMD and matrix extensions,',
    "caches, software versions, commit, machine load); the summary gives alexnet-ts's native backend, fp32 and bf16,",
    "as ratios to onnxruntime and PyTorch; one table per case follows with every framework's numbers.",
    '',
    'Every framework runs the same network with the same weights on the same input batch',
    '(tools/export_onnx.py writes them into bench/out/: seeded PyTorch initialization, seeded N(0, 1) inputs).',
    'Each measurement is its own process (so peak RSS is per case), started several times',
    'with the frameworks of a case interleaved; the times are the median over all timed runs of',
    "all those processes, after warm-up runs in each. Ratios are images/s over the other framework's",
    'images/s (above 1: faster). The machine is shared and noisy: read the ratios, not the digits.',
    'The Node.js runners load through tsx, which adds some tens of MiB to their peak RSS.',
  ].join('\n');
}

function environmentTable(input: ReportInput): string[] {
  const { env } = input;
  const { cpu } = env;
  return [
    '| | |',
    '| --- | --- |',
    `| CPU | ${cpu.model}, ${env.cores} cores visible |`,
    `| CPU features | ${cpu.features.length > 0 ? cpu.features.join(', ') : 'unknown'} |`,
    `| caches | ${cpu.caches ?? 'unknown (the native addon did not load)'} |`,
    `| native kernels | ${cpu.kernels ?? 'the native addon did not load'} |`,
    `| Node.js | ${env.node} |`,
    `| PyTorch | ${env.torch ?? 'not available'} |`,
    `| onnxruntime-node | ${env.onnxruntime} |`,
    `| TensorFlow.js | ${env.tfjs} |`,
    `| alexnet-ts commit | ${env.commit ?? 'unknown'} |`,
    ...(input.load === undefined ? [] : [`| machine load | ${input.load} |`]),
  ];
}

/** This run's section of RESULTS.md, under the heading of its CPU. */
export function renderCpuSection(input: ReportInput): Section {
  const heading = input.env.cpu.description;
  const parts = [`## ${heading}`, '', `Measured on ${input.env.date} by \`${input.command}\`.`, '', ...environmentTable(input), ''];
  if (input.cases.length > 0) {
    parts.push('### Summary', '', "alexnet-ts's native backend, images/s over the other framework's (above 1: faster):", '', summaryTable(input.cases), '');
  }
  parts.push('### Inference and training', '');
  for (const c of input.cases) parts.push(caseTable(c), '');
  const bf16 = bf16Note(input.cases);
  if (bf16 !== null) parts.push(bf16, '');
  const versus = jsVersusTfjsCpu(input.cases);
  if (versus !== null) parts.push(`**${versus}**`, '');
  parts.push(
    '### Per-layer forward times (torchvision AlexNet, 224×224, batch 1)',
    '',
    'Median ms per forward pass, each layer timed by wrapping its forward (no hooks, so Conv2d/Linear + ReLU',
    'still run as one fused kernel, counted in the Conv2d/Linear row). Measured in separate processes.',
    '',
    input.layers.length > 0 ? layerTable(input.layers) : 'Not measured in this run (neither native nor js among --frameworks, or no native addon).',
    '',
  );
  if (input.notes.length > 0) parts.push('### Notes', '', ...input.notes.map((n) => `- ${n}`), '');
  return { heading, text: parts.join('\n').trimEnd() };
}
