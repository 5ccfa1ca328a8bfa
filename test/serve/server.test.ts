/**
 * The inference server on 127.0.0.1, spoken to over HTTP: answers equal the
 * CLI's, batching shows in /metrics, overload answers 503 and recovers,
 * deadlines answer 504, KServe v2 tensors round-trip, and bad input gets a
 * 4xx without hurting the next request.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import type { HttpError } from '../../src/node/serve/http-io.js';
import { inferResponse } from '../../src/node/serve/kserve.js';
import { resolveModel } from '../../src/node/cli/options.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { cli } from '../helpers/cli.js';
import { pngDeclaring } from '../image/helpers.js';
import { startInProcess, tinyModelFile, type InProcessServer } from '../helpers/serve.js';

const PHOTOS_DIR = '/usr/lib/python3/dist-packages/skimage/data';
const PHOTOS = ['chelsea.png', 'coffee.png', 'astronaut.png', 'hubble_deep_field.jpg'].map((name) => `${PHOTOS_DIR}/${name}`);
const noPhotos = PHOTOS.every(existsSync) ? false : `skimage's photos are not installed (apt-get install python3-skimage)`;

let modelPath: string;
let server: InProcessServer;
let jpeg: Buffer;

before(async () => {
  modelPath = tinyModelFile();
  server = await startInProcess(modelPath, { maxDelayMs: 20 });
  const source = noPhotos ? sharp({ create: { width: 300, height: 200, channels: 3, background: '#336699' } }) : sharp(PHOTOS[0]);
  jpeg = await source.resize(224, 224).jpeg().toBuffer();
});

after(() => server.close());

interface Classified {
  file: string;
  top: { index: number; label: string | null; prob: number }[];
}

function postImage(body: Uint8Array, type = 'image/jpeg', query = ''): Promise<Response> {
  return fetch(`${server.url}/v1/classify${query}`, { method: 'POST', headers: { 'content-type': type }, body });
}

/** Every preprocessing slab row is given back once the requests are answered (polled: a batch may still finish). */
async function assertRowsReturned(s: InProcessServer, what: string): Promise<void> {
  for (let i = 0; i < 100 && s.slab.inUse > 0; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(s.slab.inUse, 0, `${what}: ${s.slab.inUse} slab rows still lent`);
}

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line, `${name} in /metrics`);
  return Number(line.split(' ')[1]);
}

test('photos classified over HTTP, one per request and several in one form, equal `alexnet classify --json`', { skip: noPhotos }, async () => {
  const expected = JSON.parse((await cli('classify', '--weights', modelPath, '--topk', '3', '--json', ...PHOTOS)).stdout) as Classified[];
  assert.equal(expected.length, PHOTOS.length);
  const compare = (got: Classified, want: Classified, what: string): void => {
    assert.deepEqual(
      got.top.map((p) => p.index),
      want.top.map((p) => p.index),
      what,
    );
    for (const [i, p] of got.top.entries()) assert.ok(Math.abs(p.prob - want.top[i].prob) <= 1e-5, `${what}: prob ${p.prob} vs ${want.top[i].prob}`);
  };
  for (const [i, path] of PHOTOS.entries()) {
    const type = path.endsWith('.jpg') ? 'image/jpeg' : 'image/png';
    const response = await postImage(readFileSync(path), type, '?topk=3');
    assert.equal(response.status, 200);
    const [result] = (await response.json()) as Classified[];
    assert.equal(result.file, 'body');
    compare(result, expected[i], path);
  }
  const form = new FormData();
  for (const path of PHOTOS) form.append('images', new Blob([readFileSync(path)]), path.split('/').at(-1));
  const response = await fetch(`${server.url}/v1/classify?topk=3`, { method: 'POST', body: form });
  assert.equal(response.status, 200);
  const results = (await response.json()) as Classified[];
  assert.deepEqual(
    results.map((r) => r.file),
    PHOTOS.map((p) => p.split('/').at(-1)),
  );
  for (const [i, result] of results.entries()) compare(result, expected[i], `form file ${result.file}`);
});

test('200 concurrent requests are all answered, merged into batches larger than one', async () => {
  const batchesBefore = await metric('alexnet_batch_size_count');
  const imagesBefore = await metric('alexnet_batch_size_sum');
  const responses = await Promise.all(Array.from({ length: 200 }, () => postImage(jpeg)));
  assert.deepEqual(new Set(responses.map((r) => r.status)), new Set([200]));
  const bodies = (await Promise.all(responses.map((r) => r.json()))) as Classified[][];
  assert.equal(new Set(bodies.map((b) => JSON.stringify(b))).size, 1, 'the same image gets the same answer in every batch');
  const batches = (await metric('alexnet_batch_size_count')) - batchesBefore;
  const images = (await metric('alexnet_batch_size_sum')) - imagesBefore;
  assert.equal(images, 200);
  assert.ok(batches < 200, `200 images ran in ${batches} batches: some held more than one`);
  assert.equal(await metric('alexnet_queue_depth'), 0);
  await assertRowsReturned(server, '200 concurrent requests');
});

test('the decoding hook says when the first image starts decoding and when the last is done', async () => {
  const events: boolean[] = [];
  const watched = await startInProcess(modelPath, {}, true, { decoding: (busy) => events.push(busy) });
  try {
    const post = () => fetch(`${watched.url}/v1/classify`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: jpeg });
    for (const concurrent of [1, 8]) {
      const responses = await Promise.all(Array.from({ length: concurrent }, post));
      assert.deepEqual(new Set(responses.map((r) => r.status)), new Set([200]));
    }
    const text = await fetch(`${watched.url}/v1/classify`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: 'not a jpeg' });
    assert.equal(text.status, 400, 'an image that fails to decode ends its decoding too');
    assert.ok(events.length >= 4, `events: ${events}`);
    assert.ok(
      events.every((busy, i) => busy === (i % 2 === 0)),
      `starts and ends alternate, beginning with a start: ${events}`,
    );
    assert.equal(events.at(-1), false, 'nothing is left decoding');
  } finally {
    await watched.close();
  }
});

test('a full queue answers 503 with Retry-After, and the server recovers', async () => {
  const small = await startInProcess(modelPath, { maxBatch: 1, maxQueue: 2, maxDelayMs: 0 });
  try {
    const url = `${small.url}/v1/classify`;
    const responses = await Promise.all(
      Array.from({ length: 60 }, () => fetch(url, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: jpeg })),
    );
    const statuses = responses.map((r) => r.status);
    assert.ok(
      statuses.every((s) => s === 200 || s === 503),
      `statuses ${[...new Set(statuses)]}`,
    );
    const refused = responses.filter((r) => r.status === 503);
    assert.ok(refused.length > 0, 'some requests found the queue full');
    assert.equal(refused[0].headers.get('retry-after'), '1');
    assert.match(((await refused[0].json()) as { error: string }).error, /the server is at capacity \(\d+ of 2 images in flight/);
    const again = await fetch(url, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: jpeg });
    assert.equal(again.status, 200);
    await assertRowsReturned(small, 'a full queue');
  } finally {
    await small.close();
  }
});

test('requests past --timeout-ms get 504 and the rest are still answered', async () => {
  // 64 images in batches of at most 4 are 16 forward passes of AlexNet one after another, far more than
  // 100 ms on any machine, so the last requests must pass the deadline; 100 ms (not 1) leaves Node's own
  // request timeout, which the server derives from the same option, time to read the bodies even on a
  // loaded machine (with 1 ms a busy CI machine answered every request 408 before any could reach 504).
  const hurried = await startInProcess(modelPath, { timeoutMs: 100, maxBatch: 4 });
  try {
    const responses = await Promise.all(
      Array.from({ length: 64 }, () => fetch(`${hurried.url}/v1/classify`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: jpeg })),
    );
    const statuses = responses.map((r) => r.status);
    assert.ok(
      statuses.every((s) => s === 200 || s === 504 || s === 408),
      `statuses ${[...new Set(statuses)]}`,
    );
    const late = responses.find((r) => r.status === 504);
    assert.ok(late, '16 forward passes take longer than 100 ms');
    assert.match(((await late.json()) as { error: string }).error, /no answer within 100 ms/);
    assert.equal((await fetch(`${hurried.url}/v2/health/live`)).status, 200);
    await assertRowsReturned(hurried, 'requests past the deadline');
  } finally {
    await hurried.close();
  }
});

test('KServe v2: health, metadata, and infer with flat or nested data equal the model', async () => {
  assert.deepEqual(await (await fetch(`${server.url}/v2/health/live`)).json(), { live: true });
  assert.deepEqual(await (await fetch(`${server.url}/v2/health/ready`)).json(), { ready: true });
  assert.equal((await fetch(`${server.url}/v2/models/tiny/ready`)).status, 200);
  const metadata = (await (await fetch(`${server.url}/v2/models/tiny`)).json()) as Record<string, unknown>;
  assert.deepEqual(metadata, {
    name: 'tiny',
    versions: ['1'],
    platform: 'alexnet-ts',
    inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 3, 224, 224] }],
    outputs: [{ name: 'logits', datatype: 'FP32', shape: [-1, 10] }],
  });
  const server2 = (await (await fetch(`${server.url}/v2`)).json()) as { name: string };
  assert.equal(server2.name, 'alexnet-ts');

  const n = 2;
  const data = Float32Array.from({ length: n * 3 * 224 * 224 }, (_, i) => Math.sin(i * 0.001));
  const { model } = await resolveModel({ model: 'alexnet', weights: modelPath });
  const expected = model.call(new Tensor(data, [n, 3, 224, 224])).data;
  const nested = Array.from({ length: n }, (_, b) =>
    Array.from({ length: 3 }, (_, c) =>
      Array.from({ length: 224 }, (_, y) => Array.from(data.subarray(((b * 3 + c) * 224 + y) * 224, ((b * 3 + c) * 224 + y + 1) * 224))),
    ),
  );
  for (const [what, payload] of [
    ['flat', Array.from(data)],
    ['nested', nested],
  ] as const) {
    const response = await fetch(`${server.url}/v2/models/tiny/versions/1/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'r1', inputs: [{ name: 'input', shape: [n, 3, 224, 224], datatype: 'FP32', data: payload }] }),
    });
    assert.equal(response.status, 200, what);
    const body = (await response.json()) as { id: string; model_name: string; outputs: { name: string; shape: number[]; datatype: string; data: number[] }[] };
    assert.equal(body.id, 'r1');
    assert.equal(body.model_name, 'tiny');
    assert.deepEqual(body.outputs[0].shape, [n, 10]);
    assert.equal(body.outputs[0].name, 'logits');
    for (const [i, v] of body.outputs[0].data.entries())
      assert.ok(Math.abs(v - expected[i]) <= 1e-5 * Math.max(1, Math.abs(expected[i])), `${what} output ${i}`);
  }
  // Finite inputs whose logits overflow (a model of larger weights than this one): JSON cannot carry NaN or
  // infinity (they were null in a 200).
  const signature = { name: 'tiny', inputName: 'input', outputName: 'logits', inputShape: [3, 224, 224] as [number, number, number], classes: 2 };
  assert.throws(
    () => inferResponse(signature, { batch: 2, data: new Float32Array(0) }, Float32Array.of(1, 2, 3, Number.NaN)),
    (error: HttpError) => {
      assert.equal(error.status, 422);
      assert.match(error.message, /^infer request: the logits of image 1 are not finite \(NaN at class 1\), which JSON cannot carry/);
      return true;
    },
  );
});

test('readiness waits for the warm-up batch', async () => {
  const cold = await startInProcess(modelPath, {}, false);
  try {
    assert.equal((await fetch(`${cold.url}/v2/health/ready`)).status, 503);
    assert.equal((await fetch(`${cold.url}/v2/health/live`)).status, 200);
    await cold.server.warmUp();
    assert.equal((await fetch(`${cold.url}/v2/health/ready`)).status, 200);
  } finally {
    await cold.close();
  }
});

/**
 * Sends raw bytes on a new connection, `gapMs` apart; resolves with what came
 * back ('' if the server closed without an answer) and how many of the chunks
 * were written before the connection ended.
 */
function rawExchange(port: number, chunks: (string | Buffer)[], gapMs = 0): Promise<{ received: string; sent: number }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let sent = 0;
    socket.on('data', (d) => {
      received += d.toString('latin1');
    });
    socket.on('error', () => resolve({ received, sent }));
    socket.on('close', () => resolve({ received, sent }));
    socket.on('connect', async () => {
      for (const chunk of chunks) {
        if (socket.destroyed || socket.writableEnded) return;
        socket.write(chunk);
        sent++;
        if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
      }
    });
  });
}

test('bad input gets one clear 4xx each, and the server keeps serving', async () => {
  const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } })
    .png()
    .toBuffer();
  const cases: [string, () => Promise<Response>, number, RegExp][] = [
    ['empty body', () => postImage(new Uint8Array(0)), 400, /the request body is empty/],
    ['truncated JPEG', () => postImage(jpeg.subarray(0, jpeg.length >> 1)), 400, /body is not a decodable image/],
    ['text', () => postImage(Buffer.from('hello, this is not an image'), 'text/plain'), 415, /Content-Type 'text\/plain' is not accepted/],
    ['text sent as a JPEG', () => postImage(Buffer.from('hello, this is not an image')), 400, /not a decodable image/],
    // An SVG is code for a renderer: refused before any decoder sees it, as is any format but JPEG, PNG and WebP.
    [
      'an SVG',
      () => postImage(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>'), 'image/svg+xml'),
      400,
      /body is not a decodable image \(JPEG, PNG or WebP expected\)/,
    ],
    [
      'a GIF',
      () => postImage(Buffer.from('GIF89a\x08\x00\x08\x00\x00\x00\x00;', 'latin1'), 'image/gif'),
      415,
      /body is a GIF image: this server takes JPEG, PNG or WebP/,
    ],
    [
      'a TIFF (the decoder reads it; the server does not take it)',
      () => postImage(Buffer.from('II*\x00\x08\x00\x00\x00\x00\x00', 'latin1'), 'image/tiff'),
      415,
      /body is a TIFF image: this server takes JPEG, PNG or WebP/,
    ],
    ['a path that looks like a host', () => fetch(`${server.url}//evil.example/v2/health/live`), 404, /no route \/\/evil\.example\/v2\/health\/live/],
    ['a PNG declaring 100,000×100,000 pixels', () => postImage(pngDeclaring(png, 100_000, 100_000), 'image/png'), 400, /100000×100000 is 10000000000 pixels/],
    ['topk out of range', () => postImage(jpeg, 'image/jpeg', '?topk=0'), 400, /topk=0: expected an integer from 1 to 10/],
    ['unknown route', () => fetch(`${server.url}/v1/clasify`), 404, /no route \/v1\/clasify/],
    ['wrong method', () => fetch(`${server.url}/v1/classify`), 405, /GET is not allowed on \/v1\/classify: use POST/],
    ['unknown model', () => fetch(`${server.url}/v2/models/resnet50`), 404, /unknown model 'resnet50': this server serves 'tiny'/],
    ['multipart without files', () => fetch(`${server.url}/v1/classify`, { method: 'POST', body: new URLSearchParams({ a: '1' }) }), 415, /not accepted/],
    [
      'multipart with a field only',
      () => {
        const form = new FormData();
        form.append('note', 'no image here');
        return fetch(`${server.url}/v1/classify`, { method: 'POST', body: form });
      },
      400,
      /the multipart form holds no file/,
    ],
    [
      'multipart with a good image and a truncated one',
      () => {
        const form = new FormData();
        form.append('good', new Blob([jpeg], { type: 'image/jpeg' }), 'good.jpg');
        form.append('bad', new Blob([jpeg.subarray(0, 100)], { type: 'image/jpeg' }), 'cut.jpg');
        return fetch(`${server.url}/v1/classify`, { method: 'POST', body: form });
      },
      400,
      /cut\.jpg is not a decodable image/,
    ],
    [
      'infer: not JSON',
      () => fetch(`${server.url}/v2/models/tiny/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"inputs": [' }),
      400,
      /the body is not valid JSON/,
    ],
    [
      'infer: wrong shape',
      () =>
        fetch(`${server.url}/v2/models/tiny/infer`, {
          method: 'POST',
          body: JSON.stringify({ inputs: [{ name: 'input', shape: [1, 3, 32, 32], datatype: 'FP32', data: [] }] }),
        }),
      400,
      /inputs\[0\]\.shape is \[1, 3, 32, 32\], expected \[N, 3, 224, 224\]/,
    ],
    [
      'infer: a value beyond FP32',
      () =>
        fetch(`${server.url}/v2/models/tiny/infer`, {
          method: 'POST',
          body: `{"inputs": [{"name": "input", "shape": [1, 3, 224, 224], "datatype": "FP32", "data": [1e39${', 0'.repeat(3 * 224 * 224 - 1)}]}]}`,
        }),
      400,
      /inputs\[0\]\.data\[0\] is 1e\+39, outside FP32's finite range/,
    ],
    [
      'infer: binary data',
      () =>
        fetch(`${server.url}/v2/models/tiny/infer`, {
          method: 'POST',
          body: JSON.stringify({ inputs: [{ name: 'input', shape: [1, 3, 224, 224], datatype: 'FP32', parameters: { binary_data_size: 602112 } }] }),
        }),
      400,
      /binary tensor data is not supported/,
    ],
  ];
  for (const [what, send, status, message] of cases) {
    const response = await send();
    assert.equal(response.status, status, what);
    const body = (await response.json()) as { error: string };
    assert.match(body.error, message, what);
  }
  assert.equal((await postImage(jpeg)).status, 200, 'a good request after all that');
  await assertRowsReturned(server, 'bad input');
});

test('a body over the limit gets 413 before it is read; a slow client is cut off at the deadline', async () => {
  const strict = await startInProcess(modelPath, { maxBodyBytes: 1024, timeoutMs: 1500 });
  try {
    const port = Number(new URL(strict.url).port);
    const big = await fetch(`${strict.url}/v1/classify`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: jpeg });
    assert.equal(big.status, 413);
    assert.match(((await big.json()) as { error: string }).error, /larger than the limit of 1024 bytes/);
    // No Content-Length: the limit is found while reading.
    const { received: chunked } = await rawExchange(port, [
      'POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nTransfer-Encoding: chunked\r\n\r\n',
      `800\r\n${'a'.repeat(0x800)}\r\n`,
    ]);
    assert.match(chunked, /^HTTP\/1\.1 413/);
    // One byte a second: once --timeout-ms passes the server answers 408 and closes the connection, without
    // waiting for the body; one answer only (before, a 504 kept the connection, and an unasked 408 followed).
    const slowRequest = ['POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: 100\r\n\r\n', ...'abcdefghij'];
    const { received: slow, sent } = await rawExchange(port, slowRequest, 1000);
    assert.match(slow, /^HTTP\/1\.1 408 /, `got ${JSON.stringify(slow.slice(0, 40))}`);
    assert.match(slow, /\r\nConnection: close\r\n/i);
    assert.match(slow, /the request's body did not arrive within 1500 ms \(--timeout-ms\)/);
    assert.equal(slow.split('HTTP/1.1 ').length - 1, 1, `one answer: ${JSON.stringify(slow)}`);
    assert.ok(sent < slowRequest.length, `cut off after ${sent} of ${slowRequest.length} chunks, before the client finished`);
    assert.equal((await fetch(`${strict.url}/v2/health/live`)).status, 200);
  } finally {
    await strict.close();
  }
});

test('HEAD is GET without a body; a client that leaves is counted as 499, not 200', async () => {
  const head = await fetch(`${server.url}/v2/health/live`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(await head.text(), '');
  const wrong = await fetch(`${server.url}/v2/health/live`, { method: 'DELETE' });
  assert.equal(wrong.status, 405);
  assert.equal(wrong.headers.get('allow'), 'GET, HEAD');

  const left = 'alexnet_requests_total{route="/v1/classify",status="499"}';
  const before = await metric(left).catch(() => 0);
  // A whole image sent, then the connection closed before the answer.
  const port = Number(new URL(server.url).port);
  const header = `POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: ${jpeg.length}\r\n\r\n`;
  await leaveDuringRequest(port, (socket, leave) => {
    socket.write(header);
    socket.end(jpeg, () => setTimeout(leave, 20));
  });
  const after = await metricAfterChange(left, before);
  assert.equal(after, before + 1);
  await assertRowsReturned(server, 'client that left');

  // Leaving in the middle of the body is leaving too: 499, not a 400 nobody received.
  const bad = 'alexnet_requests_total{route="/v1/classify",status="400"}';
  const badBefore = await metric(bad).catch(() => 0);
  await leaveDuringRequest(port, (socket, leave) => {
    socket.write(header);
    socket.write(jpeg.subarray(0, 100), () => setTimeout(leave, 50));
  });
  assert.equal(await metricAfterChange(left, after), after + 1);
  assert.equal(await metric(bad).catch(() => 0), badBefore);
});

/** Connects, lets `send` write part or all of a request and then call `leave` (closing the socket); resolves once closed. */
function leaveDuringRequest(port: number, send: (socket: Socket, leave: () => void) => void): Promise<void> {
  return new Promise<void>((resolve) => {
    const socket = connect(port, '127.0.0.1', () => send(socket, () => socket.destroy()));
    socket.on('close', () => resolve());
    socket.on('error', () => undefined);
  });
}

/** The metric's value once it differs from `from` (polled for up to 5 s: the server counts a request when it closes). */
async function metricAfterChange(name: string, from: number): Promise<number> {
  let value = from;
  for (let i = 0; i < 100 && value === from; i++) {
    await new Promise((r) => setTimeout(r, 50));
    value = await metric(name).catch(() => 0);
  }
  return value;
}

test('a client pipelining requests without reading the answers is cut off after 32; the server stays live', async () => {
  const port = Number(new URL(server.url).port);
  const { received } = await rawExchange(port, ['GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(2000)]);
  const answers = received.split('HTTP/1.1 200').length - 1;
  assert.ok(answers <= 32, `${answers} answers before the connection closed`);
  assert.equal((await fetch(`${server.url}/v2/health/live`)).status, 200);
});

test('multipart file names in UTF-8 come back as sent', async () => {
  const form = new FormData();
  form.append('images', new Blob([jpeg], { type: 'image/jpeg' }), 'chaté_猫.jpg');
  const response = await fetch(`${server.url}/v1/classify`, { method: 'POST', body: form });
  assert.equal(response.status, 200);
  const [answer] = (await response.json()) as Classified[];
  assert.equal(answer.file, 'chaté_猫.jpg');
});

test('shutdown ends within --timeout-ms even when a client stops reading its answers', async () => {
  const s = await startInProcess(modelPath, { timeoutMs: 1000 });
  const port = Number(new URL(s.url).port);
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  // Thousands of pipelined requests whose answers are never read: the server's writes back up.
  socket.pause();
  socket.write('GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(100_000));
  await new Promise((r) => setTimeout(r, 3000));
  // Before, the drain waited for this client for ever: a hang, caught here after 30 s (it takes about 2).
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => {
    timer = setTimeout(() => resolve('hung'), 30_000);
  });
  const outcome = await Promise.race([s.close().then(() => 'closed' as const), hung]);
  clearTimeout(timer);
  socket.destroy();
  assert.equal(outcome, 'closed');
});

test('a request of more images than --max-queue admits at once gets 413, not a 503 that retrying cannot cure', async () => {
  const small = await startInProcess(modelPath, { maxQueue: 2, maxImagesPerRequest: 8 });
  try {
    const form = new FormData();
    for (let i = 0; i < 3; i++) form.append(`f${i}`, new Blob([jpeg], { type: 'image/jpeg' }), `${i}.jpg`);
    const response = await fetch(`${small.url}/v1/classify`, { method: 'POST', body: form });
    assert.equal(response.status, 413);
    assert.match(((await response.json()) as { error: string }).error, /more than 2 images in one request/);
    const two = new FormData();
    for (let i = 0; i < 2; i++) two.append(`f${i}`, new Blob([jpeg], { type: 'image/jpeg' }), `${i}.jpg`);
    assert.equal((await fetch(`${small.url}/v1/classify`, { method: 'POST', body: two })).status, 200);
    // An infer tensor's N is its number of images: the same 413.
    const infer = await fetch(`${small.url}/v2/models/tiny/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [{ name: 'input', shape: [3, 3, 224, 224], datatype: 'FP32', data: new Array(3 * 3 * 224 * 224).fill(0) }] }),
    });
    assert.equal(infer.status, 413);
    assert.match(((await infer.json()) as { error: string }).error, /3 images, more than 2 in one request/);
  } finally {
    await small.close();
  }
});
