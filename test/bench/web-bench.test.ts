/**
 * bench/web (npm run bench:web): the pure parts only — request paths to files,
 * the plan and options, the .npy reader of the worker, the tables and targets,
 * and the splice of its subsection into RESULTS.md. No browser, no timing.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { mergeResults, mergeSubsection, SERVING_HEADING, splitSections, splitSubsections, WEB_HEADING } from '../../bench/lib/sections.js';
import type { Environment } from '../../bench/lib/environment.js';
import { parseNpy } from '../../bench/web/browser/npy.js';
import { parseWebOptions, quickCase, rotate, WEB_CASES, webRuns } from '../../bench/web/plan.js';
import {
  formatMs,
  renderWeb,
  speedup,
  threadScaling,
  type WebCaseResult,
  type WebReport,
  type WebRowResult,
  webCaseTable,
  webTargets,
} from '../../bench/web/report.js';
import { type Mount, resolveRequest, responseHeaders, startBenchServer } from '../../bench/web/server.js';
import { saveNpy } from '../../src/formats/npy.js';
import { Tensor } from '../../src/tensor/tensor.js';

const MOUNTS: Mount[] = [
  { prefix: '/alexnet/', dir: '/srv/dist/browser' },
  { prefix: '/ort/', dir: '/srv/ort', files: ['ort.wasm.min.mjs', 'ort-wasm-simd-threaded.wasm'] },
  { prefix: '/data/web/', dir: '/srv/out/web', files: ['input-b8-s224.npy'] },
  { prefix: '/data/', dir: '/srv/out', files: ['alexnet.pth'] },
];

test('resolveRequest: a plain file name under a mount, nothing else', () => {
  assert.equal(resolveRequest('/alexnet/alexnet-ts.js', MOUNTS), '/srv/dist/browser/alexnet-ts.js');
  assert.equal(resolveRequest('/alexnet/alexnet-simd.wasm', MOUNTS), '/srv/dist/browser/alexnet-simd.wasm');
  assert.equal(resolveRequest('/ort/ort.wasm.min.mjs', MOUNTS), '/srv/ort/ort.wasm.min.mjs');
  assert.equal(resolveRequest('/data/alexnet.pth', MOUNTS), '/srv/out/alexnet.pth');
  assert.equal(resolveRequest('/data/web/input-b8-s224.npy', MOUNTS), '/srv/out/web/input-b8-s224.npy');
  for (const path of [
    '/alexnet/../package.json',
    '/alexnet/%2e%2e/package.json',
    '/alexnet/%2e%2e%2fpackage.json',
    '/alexnet/..%5cpackage.json',
    '/alexnet/sub/file.js',
    '/alexnet//etc/passwd.js',
    '/alexnet/.hidden.js',
    '/alexnet/..js',
    '/alexnet/file.ts',
    '/alexnet/file.js%00.wasm',
    '/alexnet/%E0%A4%A',
    '/alexnet/',
    '/ort/ort.min.mjs',
    '/data/alexnet.onnx',
    '/data/web/../alexnet.pth',
    '/package.json',
    '/node_modules/onnxruntime-web/dist/ort.wasm.min.mjs',
  ]) {
    assert.equal(resolveRequest(path, MOUNTS), null, path);
  }
});

test('responseHeaders: COOP/COEP only on the isolated server', () => {
  const isolated = responseHeaders('text/html', true);
  assert.equal(isolated['cross-origin-opener-policy'], 'same-origin');
  assert.equal(isolated['cross-origin-embedder-policy'], 'require-corp');
  const plain = responseHeaders('text/html', false);
  assert.equal(plain['cross-origin-opener-policy'], undefined);
  assert.equal(plain['cross-origin-embedder-policy'], undefined);
  assert.equal(plain['content-type'], 'text/html');
});

/** A GET with the path sent as is (fetch would normalize '..' away). */
function rawGet(url: string, path: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/`, { path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('the server answers mounted files and documents, refuses the rest', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'web-bench-'));
  await writeFile(join(dir, 'a.js'), 'export const a = 1;\n');
  await writeFile(join(dir, 'secret.js'), 'no\n');
  const server = await startBenchServer({
    isolated: true,
    mounts: [{ prefix: '/m/', dir, files: ['a.js'] }],
    documents: { '/': { type: 'text/html; charset=utf-8', body: '<!doctype html>' } },
  });
  try {
    const page = await rawGet(server.url, '/');
    assert.equal(page.status, 200);
    assert.equal(page.body, '<!doctype html>');
    assert.equal(page.headers['cross-origin-embedder-policy'], 'require-corp');
    const file = await rawGet(server.url, '/m/a.js');
    assert.equal(file.status, 200);
    assert.equal(file.body, 'export const a = 1;\n');
    assert.match(String(file.headers['content-type']), /^text\/javascript/);
    for (const path of ['/m/secret.js', '/m/../a.js', '/m/%2e%2e%2fa.js', '/toString', '/__proto__'])
      assert.equal((await rawGet(server.url, path)).status, 404, path);
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('plan: single-threaded runs on a plain page, the threaded ones isolated; rotation; options', () => {
  assert.deepEqual(
    webRuns(2).map((r) => `${r.framework}/${r.threads}/${r.isolated}`),
    ['alexnet-ts/1/false', 'tfjs/1/false', 'ort/1/false', 'alexnet-ts/2/true', 'tfjs/2/true', 'ort/2/true'],
  );
  assert.equal(webRuns(1).length, 3);
  assert.deepEqual(rotate([1, 2, 3], 0), [1, 2, 3]);
  assert.deepEqual(rotate([1, 2, 3], 4), [2, 3, 1]);
  assert.deepEqual(
    WEB_CASES.map((c) => c.batch),
    [1, 8],
  );
  assert.deepEqual(
    WEB_CASES.map(quickCase).map((c) => [c.warmup, c.iters]),
    [
      [1, 2],
      [1, 2],
    ],
  );
  assert.deepEqual(parseWebOptions([], '/r.md'), { rounds: 3, quick: false, output: '/r.md', skipNode: false });
  assert.equal(parseWebOptions(['--quick'], '/r.md').rounds, 1);
  assert.equal(parseWebOptions(['--quick', '--rounds', '2'], '/r.md').rounds, 2);
  assert.equal(parseWebOptions(['--output', '-'], '/r.md').output, null);
  assert.throws(() => parseWebOptions(['--rounds', '0'], '/r.md'), /--rounds '0'/);
  assert.throws(() => parseWebOptions(['--frameworks', 'x'], '/r.md'));
});

test("parseNpy reads what alexnet-ts's npy writer writes, refuses other dtypes", () => {
  const t = new Tensor(Float32Array.from([1, -2, 3.5, 4, 5, 6]), [2, 3]);
  const parsed = parseNpy(saveNpy(t), 'x.npy');
  assert.deepEqual(parsed.shape, [2, 3]);
  assert.deepEqual(Array.from(parsed.data), [1, -2, 3.5, 4, 5, 6]);
  const f8 = saveNpy(t);
  const text = new TextDecoder().decode(f8.subarray(10, 60)).replace('<f4', '<f8');
  f8.set(new TextEncoder().encode(text), 10);
  assert.throws(() => parseNpy(f8, 'y.npy'), /y\.npy: expected little-endian float32/);
  assert.throws(() => parseNpy(new Uint8Array(16), 'z.npy'), /not a \.npy file/);
});

function row(framework: WebRowResult['framework'], threads: number, times: number[], extra: Partial<WebRowResult> = {}): WebRowResult {
  return { framework, threads, isolated: threads > 1, backend: `${framework} build`, times, maxRelDiff: 1e-6, failures: [], ...extra };
}

const B1: WebCaseResult = {
  benchCase: WEB_CASES[0],
  rows: [
    row('alexnet-ts', 1, [20, 21, 19]),
    row('tfjs', 1, [60, 61, 59]),
    row('ort', 1, [30, 31, 29]),
    row('alexnet-ts', 2, [25, 25]),
    row('tfjs', 2, [40]),
    row('ort', 2, [], { failures: ['worker error: boom'], backend: null, maxRelDiff: null }),
  ],
};
const B8: WebCaseResult = { benchCase: WEB_CASES[1], rows: [row('alexnet-ts', 1, [160]), row('alexnet-ts', 2, [100])] };

test('tables: ms per batch and per image, ratios at the same thread count, failures under the table', () => {
  assert.equal(formatMs(123.4), '123');
  assert.equal(formatMs(12.34), '12.3');
  assert.equal(formatMs(1.234), '1.23');
  assert.equal(speedup(B1.rows[0], B1.rows[1]), 3);
  const b1 = webCaseTable(B1, 'PyTorch').join('\n');
  assert.match(b1, /^#### torchvision AlexNet, 224×224, batch 1$/m);
  assert.match(b1, /\| alexnet-ts wasm \| 1 \| not isolated \| alexnet-ts build \| 20\.0 \| 20\.0 \| 3\.00× \| 1\.50× \| 1\.0e-6 \| 3 \(19\.0–21\.0\) \|/);
  assert.match(b1, /\| TensorFlow\.js wasm \| 1 \| not isolated \| tfjs build \| 60\.0 \| 60\.0 \| 1\.00× \| 0\.50× \|/);
  assert.match(b1, /\| alexnet-ts wasm \| 2 \| isolated \| alexnet-ts build \| 25\.0 \| 25\.0 \| 1\.60× \| — \|/);
  assert.match(b1, /- onnxruntime-web \(wasm EP\), 2 threads: failed: worker error: boom/);
  assert.match(b1, /max rel\. diff vs PyTorch/);
  // alexnet-ts at 2 threads (25 ms) is slower than at 1 (20 ms): said in bold.
  assert.match(threadScaling(B1)!, /alexnet-ts wasm 0\.80× at 2, TensorFlow\.js wasm 1\.50× at 2\. \*\*alexnet-ts's threaded build at 2 threads is slower/);
  const b8 = webCaseTable(B8, 'PyTorch').join('\n');
  assert.match(b8, /\| alexnet-ts wasm \| 1 \| not isolated \| alexnet-ts build \| 160 \| 20\.0 \| — \| — \|/);
  assert.doesNotMatch(threadScaling(B8)!, /slower/);
});

test('targets: batch 1 against TF.js (≥ 2×) and onnxruntime-web (≥ 1.25×) per thread count, Node.js wasm against js (≥ 5×)', () => {
  const node = [
    { backend: 'wasm' as const, detail: 'wasm', times: [40], maxRelDiff: 1e-6, failures: [] },
    { backend: 'js' as const, detail: 'js', times: [600], maxRelDiff: 1e-7, failures: [] },
  ];
  const targets = webTargets({ cases: [B1, B8], node });
  assert.deepEqual(
    targets.map((t) => [t.name, t.pass]),
    [
      ['batch 1, 1 thread: alexnet-ts wasm vs TF.js wasm', true],
      ['batch 1, 2 threads: alexnet-ts wasm vs TF.js wasm', false],
      ['batch 1, 1 thread: alexnet-ts wasm vs onnxruntime-web', true],
      ['batch 1, 2 threads: alexnet-ts wasm vs onnxruntime-web', null],
      ['Node.js, batch 1: wasm backend vs js backend', true],
    ],
  );
  assert.equal(targets[0].measured, '3.00× (20.0 vs 60.0 ms)');
  assert.equal(targets[3].measured, 'not measured');
  assert.equal(targets[4].measured, '15.00× (40.0 vs 600 ms)');
});

const HEADING = 'AMD EPYC (AMD family 25 model 17, tuning zen4)';

function report(marker: string): WebReport {
  const env: Environment = {
    date: '2026-12-01T00:00:00Z',
    cpu: { description: HEADING, model: 'AMD EPYC, AuthenticAMD family 25 model 17', features: [], caches: null, kernels: null },
    cores: 2,
    node: 'v20.0.0',
    torch: null,
    onnxruntime: '1.30.0',
    tfjs: '4.22.0',
    commit: 'abc1234',
  };
  return {
    env,
    command: 'npm run bench:web',
    browser: 'Chromium 1',
    versions: { tfjs: '4.22.0', tfjsWasm: '4.22.0', ortWeb: '1.30.0' },
    rounds: 3,
    quick: false,
    reference: 'PyTorch',
    referenceShort: 'PyTorch',
    data: 'bench/out',
    cases: [B1, B8],
    node: null,
    load: 'load average 1.00',
    notes: [marker],
  };
}

const EXISTING = [
  '# Benchmarks',
  '',
  'Header.',
  '',
  `## ${HEADING}`,
  '',
  '| | |',
  '| --- | --- |',
  '| CPU | AMD EPYC, AuthenticAMD family 25 model 17, 2 cores visible |',
  '',
  '### Summary',
  '',
  'summary text',
  '',
  `### ${SERVING_HEADING}`,
  '',
  'serving text',
  '',
  '#### 224×224 JPEGs',
  '',
  'jpeg table',
  '',
  '## Training: Fashion-MNIST',
  '',
  'training text',
  '',
].join('\n');

test('the subsection goes into its CPU section, after the others, and replaces itself on the next run', () => {
  const section = renderWeb(report('first run'));
  assert.equal(section.heading, WEB_HEADING);
  assert.ok(section.text.startsWith(`### ${WEB_HEADING}\n`));
  // A section holding only this subsection must still read as a CPU section: the CPU row.
  assert.match(section.text, /^\| CPU \| AMD EPYC, AuthenticAMD family 25 model 17, 2 cores visible \|$/m);

  const once = mergeSubsection(EXISTING, HEADING, section);
  const cpu = splitSections(once).sections.find((s) => s.heading === HEADING)!;
  assert.deepEqual(
    splitSubsections(cpu.text).sections.map((s) => s.heading),
    ['Summary', SERVING_HEADING, WEB_HEADING],
  );
  assert.match(once, /serving text\n\n#### 224×224 JPEGs\n\njpeg table/);
  assert.match(once, /## Training: Fashion-MNIST\n\ntraining text/);
  assert.match(once, /- first run/);

  const twice = mergeSubsection(once, HEADING, renderWeb(report('second run')));
  assert.doesNotMatch(twice, /first run/);
  assert.equal(twice.split(`### ${WEB_HEADING}`).length, 2);
  assert.match(twice, /serving text/);

  const withNode = renderWeb({
    ...report('node'),
    node: [
      { backend: 'wasm', detail: 'alexnet-ts wasm (Node.js)', times: [40], maxRelDiff: 1e-6, failures: [] },
      { backend: 'js', detail: null, times: [], maxRelDiff: null, failures: ['exit code 1'] },
    ],
  }).text;
  assert.match(withNode, /#### Node\.js: the wasm backend against the js backend, batch 1/);
  assert.match(withNode, /\| alexnet-ts wasm \(Node\.js\) \| 40\.0 \| — \| 1\.0e-6 \| 1 \(40\.0–40\.0\) \|/);
  assert.match(withNode, /- js: failed: exit code 1/);

  // A CPU without a section gets one.
  const fresh = mergeSubsection(null, HEADING, section);
  assert.match(fresh, new RegExp(`## ${HEADING.replace(/[()]/g, '\\$&')}\\n\\n### ${WEB_HEADING.replace(/[()]/g, '\\$&')}`));
});

test('npm run bench keeps the subsection when it rewrites the CPU section', () => {
  const withWeb = mergeSubsection(EXISTING, HEADING, renderWeb(report('kept')));
  const rerun = {
    heading: HEADING,
    text: [
      `## ${HEADING}`,
      '',
      '| | |',
      '| --- | --- |',
      '| CPU | AMD EPYC, AuthenticAMD family 25 model 17, 2 cores visible |',
      '',
      '### Summary',
      '',
      'new summary',
    ].join('\n'),
  };
  const merged = mergeResults(withWeb, rerun);
  assert.match(merged, /new summary/);
  assert.doesNotMatch(merged, /summary text/);
  assert.match(merged, /- kept/);
  assert.match(merged, /serving text/);
});
