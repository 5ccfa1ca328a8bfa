/** `alexnet serve` as a user runs it: a child process, its flags, and SIGTERM under load. */
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import sharp from 'sharp';
import { assertOneLineError, cli } from '../helpers/cli.js';
import { graphBytes, int64Initializer, node, valueInfo } from '../helpers/onnx-graphs.js';
import { listenError } from '../../src/node/cli/commands/serve.js';
import { startServeCli, tinyModelFile } from '../helpers/serve.js';

/** POSTs on a connection of its own; resolves with the status, or the error's code when no answer came. */
function post(url: string, body: Buffer, onSent: () => void): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(
      `${url}/v1/classify`,
      { method: 'POST', agent: false, headers: { 'content-type': 'image/jpeg', 'content-length': body.length } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    req.end(body, onSent);
  });
}

// The batching delay is ten minutes: the test ends (within its timeout) only if the drain runs the queued batch at once.
test('SIGTERM under load: every accepted request is answered, later ones are refused, the exit code is 0', { timeout: 120_000 }, async () => {
  const model = tinyModelFile();
  // A long batching delay keeps the requests queued when the signal arrives: the drain must flush them.
  const server = await startServeCli(['--weights', model, '--max-delay-ms', '600000', '--max-batch', '64']);
  // A failed assertion must not leave the server running (the test process would never end).
  after(() => server.child.kill('SIGKILL'));
  const image = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#a0522d' } })
    .jpeg()
    .toBuffer();
  let sent = 0;
  let allSent: () => void = () => {};
  const everySent = new Promise<void>((resolve) => {
    allSent = resolve;
  });
  const statuses = Promise.all(
    Array.from({ length: 40 }, () =>
      post(server.url, image, () => {
        if (++sent === 40) allSent();
      }),
    ),
  );
  await everySent;
  // Let the server read and queue them: its metrics count requests only when answered, so wait on the queue instead.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const exit = server.stop('SIGTERM');
  const results = await statuses;
  assert.deepEqual(new Set(results), new Set([200]), `every accepted request answered 200: ${results.join(' ')}`);
  assert.equal(await exit, 0);
  assert.match(server.stderr(), /SIGTERM: finishing accepted requests/);
  assert.match(server.stderr(), /alexnet serve: stopped/);
  const late = await post(server.url, image, () => {});
  assert.equal(late, 'ECONNREFUSED');
});

test('bad serve flags fail in one line before anything loads', async () => {
  for (const [flags, message] of [
    [['--max-batch', '0'], /--max-batch '0': expected a positive integer/],
    [['--port', '70000'], /--port '70000': expected 0 to 65535/],
    [['--max-body-mb', 'lots'], /--max-body-mb 'lots': expected a number of MiB/],
    [['--max-pending-mb', '0'], /--max-pending-mb '0': expected a number of MiB above 0 and at most 4096/],
    // A budget smaller than one body of the largest size would refuse such bodies for ever (503, retry later).
    [['--max-pending-mb', '10'], /--max-pending-mb 10: expected at least --max-body-mb \(20\), or a body of that size could never be read/],
    [['--model-name', 'a/b'], /--model-name 'a\/b': expected letters, digits/],
    // Node's timers fire after 1 ms beyond 2^31 − 1 ms: every request would have been a 504.
    [['--timeout-ms', '2147483648'], /--timeout-ms '2147483648': expected at most 2147483647 ms/],
    // The warm-up batch is allocated at once: 100,000 images would be a RangeError naming no flag.
    [['--max-batch', '100000'], /--max-batch 100000: expected at most --max-queue \(256\), from which batches are drawn/],
  ] as const) {
    assertOneLineError(await cli('serve', ...flags), message);
  }
});

test('a port in use ends serve with one line naming it and a non-zero exit, not a process that never exits', { timeout: 60_000 }, async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const { port } = blocker.address() as AddressInfo;
  try {
    assertOneLineError(
      await cli('serve', '--weights', tinyModelFile(), '--port', String(port)),
      new RegExp(`--port ${port}: 127\\.0\\.0\\.1:${port} is already in use`),
    );
  } finally {
    blocker.close();
  }
});

test("an address serve cannot listen on ends serve with one line naming --host, not the resolver's or the kernel's error", { timeout: 120_000 }, async () => {
  const model = tinyModelFile();
  // Not an IP address, and no name the resolver knows (ENOTFOUND; EAI_AGAIN without a network).
  assertOneLineError(
    await cli('serve', '--weights', model, '--host', '999.1.1.1', '--port', '0'),
    /--host 999\.1\.1\.1: not an IP address or a host name that resolves/,
  );
  // TEST-NET-1 (RFC 5737): an address, but of no machine's interface (EADDRNOTAVAIL).
  assertOneLineError(await cli('serve', '--weights', model, '--host', '192.0.2.1', '--port', '0'), /--host 192\.0\.2\.1: not an address of this machine/);
});

test("a port below 1024 without privileges is named as such, the kernel's error kept as the cause", () => {
  // Root may listen on any port, so the kernel's EACCES is made here rather than provoked.
  const denied = Object.assign(new Error('listen EACCES: permission denied 0.0.0.0:80'), { code: 'EACCES' });
  const error = listenError(denied, '0.0.0.0', 80);
  assert.match(error.message, /^--port 80: listening on 0\.0\.0\.0:80 needs privileges \(pick a port above 1023 with --port, or 0 for any\)$/);
  assert.equal(error.cause, denied);
  const other = Object.assign(new Error('listen EMFILE'), { code: 'EMFILE' });
  assert.equal(listenError(other, '0.0.0.0', 80), other, 'an error without a flag to blame is passed on as it is');
});

test('a model that fails its warm-up ends serve with the error and a non-zero exit, not a server never ready', { timeout: 60_000 }, async () => {
  // Runs only at batch 5: the warm-up batch (--max-batch 4) cannot reshape.
  const path = join(mkdtempSync(join(tmpdir(), 'alexnet-serve-')), 'reshape.onnx');
  writeFileSync(
    path,
    graphBytes({
      nodes: [node('GlobalAveragePool', ['input'], ['p'], 'pool'), node('Reshape', ['p', 'shape'], ['logits'], 'reshape')],
      initializers: [int64Initializer('shape', [5, 3])],
      inputs: [valueInfo('input', ['batch', 3, 224, 224])],
      outputs: [valueInfo('logits', ['batch', 3])],
    }),
  );
  const r = await cli('serve', '--weights', path, '--port', '0', '--max-batch', '4');
  assert.notEqual(r.code, 0);
  assert.match(r.stderr.trimEnd().split('\n').at(-1) ?? '', /^alexnet: error: .*node 'reshape' \(Reshape\)/);
});
