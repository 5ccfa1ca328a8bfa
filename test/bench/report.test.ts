import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Measurement } from '../../bench/lib/child.js';
import { CASES } from '../../bench/lib/plan.js';
import { caseTable, extractTrainingSection, jsVersusTfjsCpu, type CaseResult } from '../../bench/lib/report.js';

function measurement(framework: string, times: number[], batch: number): Measurement {
  return {
    framework, model: 'alexnet', mode: 'inference', batch, input_size: 224, backend: 'cpu', precision: 'fp32', images_per_s: 0,
    ms_per_batch: 0, peak_rss_mb: 100, warmup: 1, iters: times.length, times_ms: times,
  };
}

test('the Fashion-MNIST section is carried over up to the next section', () => {
  const md = '# Benchmarks\n\nold table\n\n## Training: Fashion-MNIST\n\n| epoch | acc |\n| 1 | 0.9 |\n\n## Other\n\nmore\n';
  assert.equal(extractTrainingSection(md), '## Training: Fashion-MNIST\n\n| epoch | acc |\n| 1 | 0.9 |\n');
  assert.equal(extractTrainingSection('# Benchmarks\n'), null);
  assert.equal(extractTrainingSection('## Training: Fashion-MNIST\nlast'), '## Training: Fashion-MNIST\nlast');
});

test('case tables pool the runs of every process and give ratios to onnxruntime and PyTorch', () => {
  const benchCase = CASES.find((c) => c.id === 'alexnet-b1')!;
  const result: CaseResult = {
    benchCase,
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
  assert.equal(jsVersusTfjsCpu([result]), 'Against TensorFlow.js cpu (pure JS, 2000 ms per image; target 3× faster): alexnet-ts js: 400 ms per image, 5.00× faster.');
});
