/**
 * bench/RESULTS.md from the measurements: one table per case with medians
 * and ratios, the agreement of the outputs, and the per-layer times. The
 * `## Training: Fashion-MNIST` section belongs to the training benchmark and
 * is carried over unchanged.
 */
import { median } from '../../src/node/bench/stats.js';
import type { Measurement } from './child.js';
import type { Environment } from './environment.js';
import { FRAMEWORK_LABELS, type BenchCase, type FrameworkId } from './plan.js';

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
      const why = r.skipped ?? (r.failures.length > 0 ? `failed: ${r.failures[0]}` : 'not run');
      notes.push(`- ${label}: ${why}`);
      continue;
    }
    const first = r.measurements[0];
    const backend = first.threads === undefined ? first.backend : `${first.backend}, ${first.threads} threads`;
    const spread = `${s.runs} (${fmt(s.minMs, s.minMs < 100 ? 1 : 0)}–${fmt(s.maxMs, s.maxMs < 100 ? 1 : 0)})`;
    lines.push(`| ${label} | ${backend} | ${fmt(s.ms, 1)} | ${fmt(s.imagesPerS, 2)} | ${ratioCell(s, ortSummary)} | ${ratioCell(s, torchSummary)} | ${fmt(s.peakRssMb, 0)} | ${agreementCell(r, c.reference)} | ${spread} |`);
    if (r.failures.length > 0) notes.push(`- ${label}: ${r.failures.length} of its processes failed (${r.failures[0]})`);
  }
  return [`### ${benchCase.title}`, '', ...lines, ...(notes.length > 0 ? ['', ...notes] : [])].join('\n');
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

export interface ReportInput {
  env: Environment;
  command: string;
  cases: CaseResult[];
  layers: LayerResult[];
  notes: string[];
  /** How busy the machine was during the run (load averages, CPU pressure), in words. */
  load?: string;
  /** The `## Training: Fashion-MNIST` section of the previous RESULTS.md, kept verbatim. */
  trainingSection: string | null;
}

export function renderReport(input: ReportInput): string {
  const { env } = input;
  const parts = [
    '# Benchmarks',
    '',
    `Produced by \`${input.command}\` (bench/run.ts) on ${env.date}. Do not edit by hand: rerun it.`,
    '',
    '| | |',
    '| --- | --- |',
    `| CPU | ${env.cpu}, ${env.cores} cores visible |`,
    `| Node.js | ${env.node} |`,
    `| PyTorch | ${env.torch ?? 'not available'} |`,
    `| onnxruntime-node | ${env.onnxruntime} |`,
    `| TensorFlow.js | ${env.tfjs} |`,
    `| alexnet-ts commit | ${env.commit ?? 'unknown'} |`,
    ...(input.load === undefined ? [] : [`| machine load | ${input.load} |`]),
    '',
    'Every framework runs the same network with the same weights on the same input batch',
    '(tools/export_onnx.py writes them into bench/out/: seeded PyTorch initialization, seeded N(0, 1) inputs).',
    'Each measurement is its own process (so peak RSS is per case), started several times',
    'with the frameworks of a case interleaved; the times are the median over all timed runs of',
    'all those processes, after warm-up runs in each. Ratios are images/s over the other framework\'s',
    'images/s (above 1: faster). The machine is shared and noisy: read the ratios, not the digits.',
    'The Node.js runners load through tsx, which adds some tens of MiB to their peak RSS.',
    '',
    '## Inference and training',
    '',
  ];
  const versus = jsVersusTfjsCpu(input.cases);
  for (const c of input.cases) parts.push(caseTable(c), '');
  if (versus !== null) parts.push(`**${versus}**`, '');
  parts.push(
    '## Per-layer forward times (torchvision AlexNet, 224×224, batch 1)',
    '',
    'Median ms per forward pass, each layer timed by wrapping its forward (no hooks, so Conv2d/Linear + ReLU',
    'still run as one fused kernel, counted in the Conv2d/Linear row). Measured in separate processes.',
    '',
    layerTable(input.layers),
    '',
  );
  if (input.notes.length > 0) parts.push('## Notes', '', ...input.notes.map((n) => `- ${n}`), '');
  if (input.trainingSection !== null) parts.push(input.trainingSection.trimEnd(), '');
  return parts.join('\n');
}

/** The `## Training: Fashion-MNIST` section (heading to the next `## ` heading or the end), or null. */
export function extractTrainingSection(markdown: string): string | null {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l.trim().startsWith('## Training: Fashion-MNIST'));
  if (start < 0) return null;
  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++) {
    if (/^## /.test(lines[i])) {
      end = i;
      break;
    }
  }
  return lines.slice(start, end).join('\n');
}
