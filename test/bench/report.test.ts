import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Precision } from '../../src/backend/precision.js';
import { nativeBackend } from '../../src/node/native/load.js';
import { bf16UnsupportedReason, runChild, type Measurement } from '../../bench/lib/child.js';
import { cpuFromAddonInfo, cpuFromProcCpuinfo, type Environment } from '../../bench/lib/environment.js';
import { recordOutcome } from '../../bench/lib/outcome.js';
import { CASES } from '../../bench/lib/plan.js';
import {
  BF16_NOTE,
  bf16Note,
  caseTable,
  jsVersusTfjsCpu,
  renderCpuSection,
  summaryTable,
  type CaseResult,
  type FrameworkResult,
} from '../../bench/lib/report.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function measurement(framework: string, times: number[], batch: number, precision: Precision = 'fp32'): Measurement {
  return {
    framework,
    model: 'alexnet',
    mode: 'inference',
    batch,
    input_size: 224,
    backend: 'cpu',
    precision,
    images_per_s: 0,
    ms_per_batch: 0,
    peak_rss_mb: 100,
    warmup: 1,
    iters: times.length,
    times_ms: times,
  };
}

const b1 = CASES.find((c) => c.id === 'alexnet-b1')!;
const NO_BF16 = 'bf16 precision needs a CPU with AVX512-BF16; this one (Intel family 6 model 85, Intel(R) Xeon(R) Gold 6148) has none';

test('case tables pool the runs of every process and give ratios to onnxruntime and PyTorch', () => {
  const result: CaseResult = {
    benchCase: b1,
    reference: 'pytorch',
    results: [
      { id: 'js', measurements: [measurement('alexnet-ts', [400, 500], 1), measurement('alexnet-ts', [300], 1)], failures: [], agreement: 2e-7 },
      { id: 'onnxruntime', measurements: [measurement('ort', [40], 1)], failures: [], agreement: 1e-7 },
      { id: 'pytorch', measurements: [measurement('pytorch', [100], 1)], failures: [], agreement: 0 },
      { id: 'tfjs-cpu', measurements: [measurement('tfjs', [2000], 1)], failures: [] },
      { id: 'native', measurements: [], failures: [], skipped: 'the native addon is not available in this build' },
    ],
  };
  const table = caseTable(result);
  // js: median of 400, 500, 300 = 400 ms → 2.5 images/s; onnxruntime 25/s; PyTorch 10/s.
  assert.match(table, /\| alexnet-ts js \| cpu \| 400\.0 \| 2\.50 \| 0\.10× \| 0\.25× \| 100 \| 2\.0e-7 \| 3 \(300–500\) \|/);
  assert.match(table, /\| PyTorch \| cpu \| 100\.0 \| 10\.00 \| 0\.40× \| 1\.00× \| 100 \| reference \| 1 \(100–100\) \|/);
  assert.match(table, /- alexnet-ts native: the native addon is not available in this build/);
  assert.equal(
    jsVersusTfjsCpu([result]),
    'Against TensorFlow.js cpu (pure JS, 2000 ms per image; target 3× faster): alexnet-ts js: 400 ms per image, 5.00× faster.',
  );
});

test('a bf16 child that finds no AVX512-BF16 gives its reason; other failures do not count as unsupported', () => {
  assert.equal(bf16UnsupportedReason(`alexnet: error: ${NO_BF16}`), NO_BF16);
  assert.equal(
    bf16UnsupportedReason('alexnet: error: bf16 precision uses AVX-512 kernels, but the SIMD level is lowered to avx2 (ALEXNET_SIMD)'),
    'bf16 precision uses AVX-512 kernels, but the SIMD level is lowered to avx2 (ALEXNET_SIMD)',
  );
  assert.equal(bf16UnsupportedReason('alexnet: error: bench/out/alexnet.pth: no such file'), null);
  assert.equal(bf16UnsupportedReason('timed out after 600 s'), null);
});

test("bf16 unsupported on this CPU: the row is skipped with the child's reason, not failed", () => {
  const bf16: FrameworkResult = { id: 'native-bf16', measurements: [], failures: [] };
  const logged = recordOutcome(bf16, { ok: false, reason: `alexnet: error: ${NO_BF16}`, wallMs: 900 });
  assert.equal(bf16.skipped, `skipped on this CPU: ${NO_BF16}`);
  assert.equal(logged, bf16.skipped);
  assert.deepEqual(bf16.failures, []);
  const result: CaseResult = {
    benchCase: b1,
    results: [
      { id: 'native', measurements: [measurement('alexnet-ts', [20], 1)], failures: [] },
      bf16,
      { id: 'onnxruntime', measurements: [measurement('ort', [16], 1)], failures: [] },
    ],
  };
  const table = caseTable(result);
  assert.ok(table.includes(`- alexnet-ts native, bf16: skipped on this CPU: ${NO_BF16}`), table);
  assert.doesNotMatch(table, /failed/);
  assert.match(summaryTable([result]), /\| alexnet-b1 \| 0\.80× \| skipped \| — \| skipped \|/);
  assert.equal(bf16Note([result]), null, 'no bf16 numbers, no bf16 note');
});

test('other outcomes of a bf16 child: a real failure stays a failure; an fp32 record is not taken as bf16', () => {
  const failed: FrameworkResult = { id: 'native-bf16', measurements: [], failures: [] };
  recordOutcome(failed, { ok: false, reason: 'alexnet: error: out of memory', wallMs: 1 });
  assert.deepEqual(failed.failures, ['alexnet: error: out of memory']);
  assert.equal(failed.skipped, undefined);
  const fp32: FrameworkResult = { id: 'native-bf16', measurements: [], failures: [] };
  assert.equal(recordOutcome(fp32, { ok: true, measurement: measurement('alexnet-ts', [10], 1), wallMs: 1 }), 'failed: ran in fp32, not bf16');
  assert.equal(fp32.measurements.length, 0);
  const ok: FrameworkResult = { id: 'native-bf16', measurements: [], failures: [] };
  recordOutcome(ok, { ok: true, measurement: measurement('alexnet-ts', [10], 1, 'bf16'), wallMs: 1 });
  assert.equal(ok.measurements.length, 1);
});

test('`alexnet bench --precision bf16` refused by the CPU ends up as a skip with its reason', {
  skip: nativeBackend({ warn: false }) === null && 'no native addon',
}, async () => {
  // ALEXNET_SIMD=avx2 turns the bf16 kernels off on any CPU: the same path as a CPU without AVX512-BF16.
  const outcome = await runChild(
    {
      program: 'env',
      args: [
        'ALEXNET_SIMD=avx2',
        process.execPath,
        '--import',
        'tsx',
        `${ROOT}src/node/cli/main.ts`,
        'bench',
        '--backend',
        'native',
        '--precision',
        'bf16',
        '--model',
        'alexnet',
        '--input-size',
        '63',
        '--iters',
        '1',
        '--warmup',
        '0',
        '--json',
      ],
    },
    120_000,
  );
  const r: FrameworkResult = { id: 'native-bf16', measurements: [], failures: [] };
  recordOutcome(r, outcome);
  assert.match(r.skipped ?? `not skipped: ${JSON.stringify(outcome)}`, /^skipped on this CPU: bf16 precision (needs|uses) /);
  assert.match(caseTable({ benchCase: b1, results: [r] }), /- alexnet-ts native, bf16: skipped on this CPU: bf16 precision/);
});

test('bf16 rows: ratios as for the others, the precision in the backend cell, a ~1e-2 difference printed with a note', () => {
  const result: CaseResult = {
    benchCase: b1,
    reference: 'pytorch',
    results: [
      { id: 'native', measurements: [{ ...measurement('alexnet-ts', [20], 1), backend: 'native' }], failures: [], agreement: 6e-7 },
      { id: 'native-bf16', measurements: [{ ...measurement('alexnet-ts', [10], 1, 'bf16'), backend: 'native' }], failures: [], agreement: 1.2e-2 },
      { id: 'onnxruntime', measurements: [measurement('ort', [16], 1)], failures: [], agreement: 4e-7 },
      { id: 'pytorch', measurements: [measurement('pytorch', [40], 1)], failures: [], agreement: 0 },
    ],
  };
  const table = caseTable(result);
  assert.match(table, /\| alexnet-ts native \| native \| 20\.0 \| 50\.00 \| 0\.80× \| 2\.00× \| 100 \| 6\.0e-7 \|/);
  assert.match(table, /\| alexnet-ts native, bf16 \| native, bf16 \| 10\.0 \| 100\.00 \| 1\.60× \| 4\.00× \| 100 \| 1\.2e-2 \|/);
  assert.match(summaryTable([result]), /\| alexnet-b1 \| 0\.80× \| 1\.60× \| 2\.00× \| 4\.00× \|/);
  assert.equal(bf16Note([result]), BF16_NOTE);
  assert.match(BF16_NOTE, /differ from PyTorch's fp32 ones at bf16 precision/);
});

const AMD_INFO = {
  simd: 'avx512',
  bestSimd: 'avx512',
  threads: 2,
  spinMicros: 1000,
  tileRows: 8,
  tileColumns: 48,
  cpu: { vendor: 'AuthenticAMD', brand: 'AMD EPYC', family: 25, model: 17, l1d: 32768, l2: 1 << 20, l3: 32 << 20, description: 'AMD family 25 model 17' },
  tuning: 'zen4',
  bf16: 'avx512_bf16',
  bf16Unsupported: '',
  bf16Levels: ['avx512_bf16'],
  cpuFeatures: ['avx2', 'fma', 'avx512f', 'avx512_bf16'],
  sparseLinear: true,
  settingProblems: [],
} as const;

test('the CPU from the addon: heading, identity, caches and kernels', () => {
  const cpu = cpuFromAddonInfo({ ...AMD_INFO, cpuFeatures: [...AMD_INFO.cpuFeatures] });
  assert.equal(cpu.description, 'AMD EPYC (AMD family 25 model 17, tuning zen4)');
  assert.equal(cpu.model, 'AMD EPYC, AuthenticAMD family 25 model 17');
  assert.equal(cpu.caches, 'L1d 32 KiB, L2 1 MiB per core; L3 32 MiB shared');
  assert.equal(cpu.kernels, 'avx512, tuning zen4, GEMM tile 8×48; bf16: avx512_bf16');
  const noBf16 = cpuFromAddonInfo({ ...AMD_INFO, cpuFeatures: [], bf16: null, bf16Unsupported: NO_BF16 });
  assert.match(noBf16.kernels!, /bf16: none \(bf16 precision needs a CPU with AVX512-BF16/);
});

test('the CPU from /proc/cpuinfo when the addon does not load: the same heading less the tuning, bf16 and AMX flags', () => {
  const cpuinfo =
    'processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 143\n' +
    'model name\t: Intel(R) Xeon(R) Platinum 8480+\ncache size\t: 107520 KB\n' +
    'flags\t\t: fpu sse avx2 fma avx512f avx512_bf16 amx_bf16 amx_tile amx_int8\n\nprocessor\t: 1\n';
  const cpu = cpuFromProcCpuinfo(cpuinfo)!;
  assert.equal(cpu.description, 'Intel(R) Xeon(R) Platinum 8480+ (Intel family 6 model 143)');
  assert.deepEqual(cpu.features, ['avx2', 'fma', 'avx512f', 'avx512_bf16', 'amx_tile', 'amx_bf16', 'amx_int8']);
  assert.equal(cpu.kernels, null);
  assert.equal(cpuFromProcCpuinfo(''), null);
});

test('a CPU section: heading, environment with the CPU features, the summary above the case tables', () => {
  const env: Environment = {
    date: '2026-12-01T12:00:00Z',
    cpu: cpuFromAddonInfo({ ...AMD_INFO, cpuFeatures: [...AMD_INFO.cpuFeatures] }),
    cores: 2,
    node: 'v20.20.2',
    torch: null,
    onnxruntime: '1.30.0',
    tfjs: '4.22.0',
    commit: 'abc1234',
  };
  const bf16: FrameworkResult = { id: 'native-bf16', measurements: [], failures: [], skipped: `skipped on this CPU: ${NO_BF16}` };
  const section = renderCpuSection({
    env,
    command: 'npm run bench',
    layers: [],
    notes: ['a note'],
    load: 'load average 1.00',
    cases: [{ benchCase: b1, results: [{ id: 'native', measurements: [measurement('alexnet-ts', [20], 1)], failures: [] }, bf16] }],
  });
  assert.equal(section.heading, 'AMD EPYC (AMD family 25 model 17, tuning zen4)');
  const { text } = section;
  assert.ok(text.startsWith('## AMD EPYC (AMD family 25 model 17, tuning zen4)\n\nMeasured on 2026-12-01T12:00:00Z by `npm run bench`.'));
  assert.match(text, /^\| CPU \| AMD EPYC, AuthenticAMD family 25 model 17, 2 cores visible \|$/m);
  assert.match(text, /^\| CPU features \| avx2, fma, avx512f, avx512_bf16 \|$/m);
  assert.match(text, /^\| caches \| L1d 32 KiB, L2 1 MiB per core; L3 32 MiB shared \|$/m);
  assert.match(text, /^\| machine load \| load average 1\.00 \|$/m);
  assert.ok(text.indexOf('### Summary') < text.indexOf('#### torchvision AlexNet'));
  assert.ok(text.includes(`- alexnet-ts native, bf16: skipped on this CPU: ${NO_BF16}`));
  assert.doesNotMatch(text, /^## (?!AMD EPYC)/m, "one `## ` heading: the CPU's");
  assert.match(text, /### Notes\n\n- a note$/);
});
