/**
 * `npm run bench:bf16-accuracy`: how far bf16 inference (setPrecision('bf16'),
 * native backend) is from fp32, written to bench/BF16-ACCURACY.md:
 *
 * 1. the max relative logit difference, bf16 vs fp32 (and vs PyTorch's fp32),
 *    on the committed model parity fixtures (deterministic weights and inputs);
 * 2. top-1 accuracy of a Fashion-MNIST-trained checkpoint on the 10,000 test
 *    images in fp32 and bf16 (`alexnet eval`), when --checkpoint is given;
 * 3. the top-1 class of every photo in scikit-image's data folder, fp32 vs
 *    bf16, with torchvision-shaped weights (`alexnet classify`; --weights).
 *
 *   node --import tsx bench/bf16-accuracy.ts [--checkpoint run/checkpoint.pth] [--about "how it was trained"]
 *       [--weights bench/out/alexnet.pth] [--output bench/BF16-ACCURACY.md]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { noGrad } from '../src/autograd/grad-mode.js';
import { setBackend } from '../src/backend/registry.js';
import { createModel } from '../src/models/registry.js';
import { writeFileAtomic } from '../src/node/fs/atomic-write.js';
import { nativeBackend } from '../src/node/native/load.js';
import { decodeTensor } from '../test/helpers/fixtures.js';
import { maxRelativeArrayDifference } from './lib/agreement.js';
import { fixtureInput, loadModelFixture, prepareModel } from '../test/helpers/model-fixtures.js';

const { values: options } = parseArgs({
  options: {
    checkpoint: { type: 'string' },
    /** How the checkpoint was trained (printed with it). */
    about: { type: 'string' },
    weights: { type: 'string', default: 'bench/out/alexnet.pth' },
    output: { type: 'string', default: 'bench/BF16-ACCURACY.md' },
  },
});

const PHOTOS = '/usr/lib/python3/dist-packages/skimage/data';
const native = nativeBackend();
if (native === null) throw new Error('bf16 accuracy needs the native addon');
const reason = native.precisionSupport('bf16');
if (reason !== null) throw new Error(reason);
setBackend(native);

const cli = (args: string[]): string =>
  execFileSync(process.execPath, ['--import', 'tsx', 'src/node/cli/main.ts', ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });

const lines: string[] = [
  '# bf16 inference accuracy',
  '',
  `Produced by \`npm run bench:bf16-accuracy\` (bench/bf16-accuracy.ts) on ${new Date().toISOString()}, CPU ${native.info().cpu.description} (${native.info().cpu.brand}), bf16 kernels ${native.info().bf16}. Do not edit by hand: rerun it.`,
  '',
  'bf16 here: weights converted once to bfloat16, activations rounded where they enter a matrix product (in Winograd layers, the transformed input tiles), fp32 accumulation, fp32 everywhere else.',
  '',
  '## Logits on the parity fixtures',
  '',
  '| model | input | max rel. diff bf16 vs fp32 | bf16 vs PyTorch fp32 | fp32 vs PyTorch fp32 | same argmax |',
  '| --- | --- | ---: | ---: | ---: | --- |',
];
for (const [name, h, w] of [
  ['alexnet', 224, 224],
  ['alexnet', 63, 63],
  ['alexnet', 100, 80],
  ['alexnet-original', 227, 227],
  ['alexnet-original-grouped', 227, 227],
] as const) {
  const fixture = loadModelFixture(name, h, w);
  const model = createModel(name);
  prepareModel(model, fixture);
  model.eval();
  const x = fixtureInput(fixture);
  const torch = decodeTensor(fixture.logits).data;
  const fp32 = noGrad(() => model.call(x)).data;
  model.setPrecision('bf16');
  const bf16 = noGrad(() => model.call(x)).data;
  const classes = fp32.length / x.shape[0];
  let same = true;
  for (let i = 0; i < x.shape[0]; i++) {
    const argmax = (v: Float32Array): number => v.subarray(i * classes, (i + 1) * classes).reduce((best, value, j, row) => (value > row[best] ? j : best), 0);
    same &&= argmax(fp32) === argmax(bf16);
  }
  lines.push(
    `| ${name} | ${x.shape.join('×')} | ${maxRelativeArrayDifference(bf16, fp32).toExponential(2)} | ${maxRelativeArrayDifference(bf16, torch).toExponential(2)} | ${maxRelativeArrayDifference(fp32, torch).toExponential(2)} | ${same ? 'yes' : 'no'} |`,
  );
}

if (options.checkpoint !== undefined) {
  lines.push(
    '',
    '## Fashion-MNIST test set (10,000 images)',
    '',
    `Checkpoint: torchvision AlexNet, 1 channel, 10 classes, 64 px${options.about === undefined ? ` (\`${options.checkpoint}\`)` : `, trained with \`${options.about}\``}.`,
    '',
    '| precision | top-1 accuracy | top-5 accuracy | mean loss |',
    '| --- | ---: | ---: | ---: |',
  );
  const accuracy: Record<string, number> = {};
  for (const precision of ['fp32', 'bf16']) {
    const report = JSON.parse(
      cli([
        'eval',
        '--model',
        'alexnet',
        '--weights',
        options.checkpoint,
        '--dataset',
        'fashion-mnist',
        '--image-size',
        '64',
        '--precision',
        precision,
        '--json',
      ]),
    ) as { top1_error: number; top5_error: number; loss: number };
    accuracy[precision] = 1 - report.top1_error;
    lines.push(
      `| ${precision} | ${(100 * (1 - report.top1_error)).toFixed(2)}% | ${(100 * (1 - report.top5_error)).toFixed(2)}% | ${report.loss.toFixed(4)} |`,
    );
  }
  lines.push('', `Difference: ${(100 * (accuracy.bf16 - accuracy.fp32)).toFixed(2)} points.`);
}

if (existsSync(options.weights) && existsSync(PHOTOS)) {
  // truncated.jpg is cut short on purpose (scikit-image tests its reader with it).
  const photos = readdirSync(PHOTOS)
    .filter((f) => /\.(png|jpe?g)$/i.test(f) && f !== 'truncated.jpg')
    .sort()
    .map((f) => join(PHOTOS, f));
  const top = (precision: string): { file: string; top: { index: number; prob: number }[] }[] =>
    JSON.parse(cli(['classify', ...photos, '--weights', options.weights, '--precision', precision, '--topk', '1', '--json']));
  const fp32 = top('fp32'),
    bf16 = top('bf16');
  const same = fp32.filter((r, i) => r.top[0].index === bf16[i].top[0].index).length;
  lines.push(
    '',
    '## Photos',
    '',
    `scikit-image's ${photos.length} photos (${PHOTOS}), torchvision's transforms, \`${options.weights}\` (torchvision AlexNet with PyTorch's seeded initialization, from tools/export_onnx.py):`,
    `the top-1 class is the same in bf16 as in fp32 for **${same} of ${photos.length}** photos.`,
  );
  const differing = fp32.filter((r, i) => r.top[0].index !== bf16[i].top[0].index);
  for (const r of differing) {
    const b = bf16[fp32.indexOf(r)];
    lines.push(
      `- ${r.file.split('/').at(-1)}: fp32 class ${r.top[0].index} (p ${r.top[0].prob.toFixed(4)}), bf16 class ${b.top[0].index} (p ${b.top[0].prob.toFixed(4)})`,
    );
  }
}

await writeFileAtomic(options.output, `${lines.join('\n')}\n`);
process.stdout.write(`${lines.join('\n')}\n`);
