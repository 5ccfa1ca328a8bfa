/**
 * `alexnet train` killed with SIGKILL at 20 seeded moments, half of them while
 * a checkpoint is being written: every time, the run folder's checkpoint loads
 * (with our reader and with torch.load), metrics.jsonl parses, and --resume
 * finishes with weights bit-identical to an uninterrupted run of the same
 * seed, leaving no temporary file behind. A write that fails (a file-size
 * limit makes the checkpoint write fail with EFBIG) stops the run with one
 * clear line and leaves the previous checkpoint as it was.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

import { loadCheckpoint } from '../../src/node/train/checkpoint.js';
import { seededRandom } from '../../tools/fuzz/mutate.js';

const main = fileURLToPath(new URL('../../src/node/cli/main.ts', import.meta.url));
// Checkpoints are about 450 MB, written some 80 times: in memory (/dev/shm) where there is one, so that the
// test costs seconds of fsync rather than minutes of disk.
const root = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'alexnet-kill-'));
after(() => rm(root, { recursive: true, force: true }));
const data = join(root, 'data');
const TEMP = /^\.checkpoint\.pth\.\d+\.[0-9a-f]+\.tmp$/;

/** 4 steps of 8 images (one epoch), a checkpoint after step 2 and at the end: two checkpoint writes. */
const trainArgs = (out: string): string[] => [
  main,
  'train',
  '--dataset',
  data,
  '--image-size',
  '63',
  '--batch-size',
  '8',
  '--epochs',
  '1',
  '--checkpoint-every',
  '2',
  '--seed',
  '11',
  '--out',
  out,
];

before(async () => {
  // Two classes of 70×70 PNGs: 16 training and 4 validation images each.
  for (const [split, count] of [
    ['train', 16],
    ['val', 4],
  ] as const) {
    for (const label of ['a', 'b']) {
      mkdirSync(join(data, split, label), { recursive: true });
      for (let i = 0; i < count; i++) {
        const raw = Buffer.alloc(70 * 70 * 3);
        for (let k = 0; k < raw.length; k++) raw[k] = (k * (i + 3) + (label === 'a' ? 0 : 100)) & 0xff;
        await sharp(raw, { raw: { width: 70, height: 70, channels: 3 } })
          .png()
          .toFile(join(data, split, label, `${i}.png`));
      }
    }
  }
});

function run(args: string[]): Promise<{ status: number | null; stderr: string; ms: number }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stderr, ms: performance.now() - t0 })));
}

/** The model weights of a run's checkpoint, as bytes per key. */
async function weights(dir: string): Promise<Map<string, Uint8Array>> {
  const checkpoint = await loadCheckpoint(join(dir, 'checkpoint.pth'));
  return new Map([...checkpoint.model].map(([k, t]) => [k, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)]));
}

function metricsLines(dir: string): { step: number }[] {
  const path = join(dir, 'metrics.jsonl');
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  assert.ok(text === '' || text.endsWith('\n'), `${path} ends with a whole line`);
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { step: number });
}

/** torch.load in one long-lived Python process (importing torch takes seconds), or null without torch. */
function torchLoader(): { load(path: string): Promise<string>; close(): void } | null {
  if (spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status !== 0) return null;
  const child = spawn(
    '/usr/bin/python3',
    [
      '-u',
      '-c',
      [
        'import sys, torch',
        'for line in sys.stdin:',
        '    try:',
        '        c = torch.load(line.strip(), map_location="cpu")',
        '        print("ok", len(c["model"]), flush=True)',
        '    except Exception as e:',
        '        print("error", repr(e).replace("\\n", " "), flush=True)',
      ].join('\n'),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  // One request at a time: the two kill lanes share the process.
  let queue: Promise<unknown> = Promise.resolve();
  return {
    load(path) {
      const answer = queue.then(async () => {
        child.stdin!.write(`${path}\n`);
        return String((await lines.next()).value);
      });
      queue = answer;
      return answer;
    },
    close: () => child.stdin!.end(),
  };
}

/** Kills `child` once `when` resolves; resolves with whether it was still running then. */
function killWhen(child: ChildProcess, when: Promise<void>): Promise<boolean> {
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return Promise.race([when.then(() => child.kill('SIGKILL')), exited.then(() => false)]).then(async (killed) => {
    await exited;
    return killed;
  });
}

/** Resolves when the `n`-th checkpoint temporary file (counting distinct names) has appeared in `dir`, plus `extraMs`. */
async function nthCheckpointWrite(dir: string, n: number, extraMs: number, child: ChildProcess): Promise<void> {
  const seen = new Set<string>();
  while (child.exitCode === null && seen.size < n) {
    if (existsSync(dir)) for (const name of readdirSync(dir)) if (TEMP.test(name)) seen.add(name);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await new Promise((resolve) => setTimeout(resolve, extraMs));
}

test('SIGKILL at 20 seeded moments: the checkpoint always loads and --resume ends bit-identical to an uninterrupted run', {
  timeout: 30 * 60 * 1000,
}, async () => {
  const reference = join(root, 'reference');
  const straight = await run(trainArgs(reference));
  assert.equal(straight.status, 0, straight.stderr);
  const expected = await weights(reference);
  const expectedSteps = metricsLines(reference).map((m) => m.step);
  const torch = torchLoader();
  let killed = 0;
  let duringWrites = 0;
  /** Kill i: a fresh run killed at its seeded moment, checked, resumed to the end and compared. */
  const killAndResume = async (i: number, attempt = 0): Promise<void> => {
    const rand = seededRandom(20261201 + 100 * i + attempt);
    const dir = join(root, `run-${i}`);
    const child = spawn(process.execPath, ['--import', 'tsx', ...trainArgs(dir)], { stdio: 'ignore' });
    // A retry (the run finished before its moment, on a loaded machine) aims earlier: the first write, or sooner.
    const moment =
      i % 2 === 0
        ? nthCheckpointWrite(dir, attempt === 0 ? 1 + Math.floor(rand() * 2) : 1, Math.floor(rand() * (attempt === 0 ? 200 : 50)), child)
        : new Promise<void>((resolve) => setTimeout(resolve, 300 + (rand() * 0.8 * straight.ms) / (attempt + 1)));
    if (!(await killWhen(child, moment))) {
      await rm(dir, { recursive: true, force: true });
      if (attempt < 4) return killAndResume(i, attempt + 1);
      return; // never caught running: counted below
    }
    killed++;
    if (existsSync(dir) && readdirSync(dir).some((name) => TEMP.test(name))) duringWrites++;

    // What a kill leaves is usable: the checkpoint (if any) loads in both readers, the metrics parse.
    const checkpoint = join(dir, 'checkpoint.pth');
    if (existsSync(checkpoint)) {
      await loadCheckpoint(checkpoint);
      if (torch !== null) assert.match(await torch.load(checkpoint), /^ok 16$/, `kill ${i}: torch.load(${checkpoint})`);
    }
    metricsLines(dir);

    const holdsRun = existsSync(join(dir, 'config.json')) || existsSync(checkpoint);
    const resumed = await run([...trainArgs(dir), ...(holdsRun ? ['--resume'] : [])]);
    assert.equal(resumed.status, 0, `kill ${i}: resume failed: ${resumed.stderr}`);
    const got = await weights(dir);
    for (const [key, bytes] of expected) assert.ok(Buffer.from(got.get(key)!).equals(bytes), `kill ${i}: ${key} differs from the uninterrupted run`);
    assert.deepEqual(
      metricsLines(dir).map((m) => m.step),
      expectedSteps,
      `kill ${i}: metrics.jsonl lists each evaluation once`,
    );
    assert.deepEqual(
      readdirSync(dir).filter((name) => name.endsWith('.tmp')),
      [],
      `kill ${i}: no temporary file left`,
    );
    await rm(dir, { recursive: true, force: true });
  };
  try {
    // Two lanes of ten kills each, side by side (a run spends much of its time writing and starting up).
    await Promise.all(
      [0, 1].map(async (lane) => {
        for (let i = lane; i < 20; i += 2) await killAndResume(i);
      }),
    );
  } finally {
    torch?.close();
  }
  assert.equal(killed, 20, `${killed} of 20 runs were killed before finishing`);
  assert.ok(duringWrites >= 5, `${duringWrites} kills landed inside a checkpoint write`);
});

test('a checkpoint write that fails stops the run with one line and keeps the previous checkpoint', {
  skip: process.platform !== 'linux' && 'needs ulimit -f',
}, async () => {
  const dir = join(root, 'failing-write');
  const first = await run([...trainArgs(dir), '--max-steps', '2']);
  assert.equal(first.status, 0, first.stderr);
  const before = readFileSync(join(dir, 'checkpoint.pth'));
  // 100 MB of file size at most (the checkpoint is about 450 MB): the next checkpoint write fails with EFBIG
  // (SIGXFSZ ignored, so the write returns the error instead of killing the process).
  const args = [...trainArgs(dir), '--resume'].map((a) => `'${a}'`).join(' ');
  const limited = spawnSync('sh', ['-c', `trap '' XFSZ; ulimit -f 200000; exec '${process.execPath}' --import tsx ${args}`], { encoding: 'utf8' });
  assert.equal(limited.status, 1, limited.stderr);
  assert.match(limited.stderr, /^alexnet: error: cannot write .*checkpoint\.pth: .*(EFBIG|too large)/m);
  // One error line (the progress bar's line before it is not an error), no stack trace.
  assert.equal(limited.stderr.split('\n').filter((l) => l.startsWith('alexnet: error')).length, 1, limited.stderr);
  assert.doesNotMatch(limited.stderr, /^\s+at /m, 'no stack trace without --verbose');
  assert.ok(readFileSync(join(dir, 'checkpoint.pth')).equals(before), 'the previous checkpoint is intact');
  assert.deepEqual(
    readdirSync(dir).filter((name) => name.endsWith('.tmp')),
    [],
  );
  await loadCheckpoint(join(dir, 'checkpoint.pth'));
});
