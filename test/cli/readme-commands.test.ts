/**
 * The README's `npx alexnet …` commands, run as written on small local data so
 * that they cannot rot (an option renamed, a command that rejects what the
 * README passes). The only changes: files the README names by example
 * (photo.jpg, alexnet.pth, x.npy, .onnx files, --weights DEFAULT, the run folder) become
 * local ones, the full Fashion-MNIST becomes the embedded subset, training
 * stops after 2 steps and benchmarks time one run.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { saveNpy } from '../../src/formats/npy.js';
import { createModel } from '../../src/models/registry.js';
import { nativeBackend } from '../../src/node/native/load.js';
import { savePthFile } from '../../src/node/weights/weight-files.js';
import { Generator } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const main = join(repo, 'src', 'node', 'cli', 'main.ts');
const dir = await mkdtemp(join(tmpdir(), 'alexnet-readme-'));
after(() => rm(dir, { recursive: true, force: true }));

/** Every `npx alexnet …` line of the README's sh blocks, continuation lines joined. */
function readmeCommands(): string[] {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  const commands: string[] = [];
  for (const block of readme.matchAll(/```sh\n([\s\S]*?)```/g)) {
    const joined = block[1].replace(/\\\n\s*/g, ' ');
    for (const line of joined.split('\n')) {
      const command = line.replace(/\s+#.*$/, '').trim();
      if (command.startsWith('npx alexnet ')) commands.push(command);
    }
  }
  return commands;
}

const weights = join(dir, 'alexnet.pth');
const photo = existsSync('/usr/lib/python3/dist-packages/skimage/data/chelsea.png')
  ? '/usr/lib/python3/dist-packages/skimage/data/chelsea.png'
  : join(repo, 'test', 'fixtures', 'image', 'photos', 'chelsea.png');

before(async () => {
  // Seeded random weights stand in for torchvision's (no download in tests).
  const model = createModel('alexnet');
  await savePthFile(weights, model.stateDict());
  writeFileSync(join(dir, 'x.npy'), saveNpy(Tensor.randn([1, 3, 224, 224], 0, 1, new Generator(3))));
  // The README's photos/ folder: the photo twice, one in a subfolder.
  mkdirSync(join(dir, 'photos', 'sub'), { recursive: true });
  copyFileSync(photo, join(dir, 'photos', 'a.png'));
  copyFileSync(photo, join(dir, 'photos', 'sub', 'b.png'));
});

/** The command with the README's example names made local and its work made small. */
function localized(command: string): string[] {
  const args = command.slice('npx alexnet '.length).split(/\s+/);
  const out = args.map((quoted) => {
    // No shell runs the command: quotes that keep a glob from the shell are dropped here instead.
    const a = quoted.replace(/^'(.*)'$/, '$1');
    if (a === 'photo.jpg') return photo;
    if (a.startsWith('photos/')) return join(dir, a);
    if (a.endsWith('.jsonl')) return join(dir, a);
    if (a === 'DEFAULT' || a === 'alexnet.pth' || a === 'w.pth') return weights;
    // ONNX files the README's commands write (in README order) and read; the zoo's BVLC file stands for the export.
    if (a === 'bvlcalexnet-9.onnx') return join(dir, 'alexnet.onnx');
    if (/^[\w-]+\.(onnx|safetensors)$/.test(a)) return join(dir, a);
    if (a === 'x.npy' || a === 'y.npy') return join(dir, a);
    if (a === 'fashion-mnist') return 'fashion-mnist-subset';
    if (a.startsWith('.runs/')) return join(dir, a);
    return a;
  });
  if (out[0] === 'train') out.push('--max-steps', '2');
  if (out[0] === 'bench') out.push('--iters', '1', '--warmup', '0');
  return out;
}

const native = nativeBackend({ warn: false });
/** Null when this machine runs bf16 (AVX512-BF16), else why not. */
const bf16Unsupported = native === null ? 'no native backend' : (native.precisionSupport?.('bf16') ?? null);

const commands = readmeCommands();

test('the README shows the commands this test runs', () => {
  assert.ok(commands.length >= 8, `${commands.length} commands found`);
  for (const name of ['summary', 'classify', 'run', 'train', 'eval', 'bench', 'export', 'convert', 'info']) {
    assert.ok(
      commands.some((c) => c.startsWith(`npx alexnet ${name} `) || c === `npx alexnet ${name}`),
      `README has an alexnet ${name} example`,
    );
  }
});

// In README order: eval reads the checkpoint train writes.
for (const [i, command] of commands.entries()) {
  const skip = command.includes('--precision bf16') && bf16Unsupported !== null ? `bf16 unavailable here: ${bf16Unsupported}` : false;
  test(`README command ${i + 1}: ${command}`, { skip, timeout: 5 * 60 * 1000 }, () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', main, ...localized(command)], { cwd: repo, encoding: 'utf8' });
    assert.equal(r.status, 0, `exit ${r.status}: ${r.stderr}`);
    const output = command.match(/--output (\S+)/)?.[1];
    if (output !== undefined) assert.ok(existsSync(join(dir, output)), `it wrote ${output}`);
    else assert.ok(r.stdout.trim().length > 0, 'it printed its result');
  });
}
