/**
 * Request bodies against the server's limits, over raw sockets to an
 * in-process server on 127.0.0.1: the server-wide budget of body bytes held
 * (--max-pending-mb) refuses with 503 and every way a request ends gives its
 * bytes back; an answer given before the body arrived closes the connection
 * after it (one answer, never a late 408); a compressed body is refused by
 * its Content-Encoding before it is read.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { startInProcess, tinyModelFile, type InProcessServer } from '../helpers/serve.js';

const KIB = 1024;

let modelPath: string;
let jpeg: Buffer;
const servers: InProcessServer[] = [];

before(async () => {
  modelPath = tinyModelFile();
  jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#336699' } })
    .jpeg()
    .toBuffer();
});

after(async () => {
  for (const s of servers) await s.close();
});

async function start(options: Parameters<typeof startInProcess>[1]): Promise<{ s: InProcessServer; port: number }> {
  const s = await startInProcess(modelPath, options);
  servers.push(s);
  return { s, port: Number(new URL(s.url).port) };
}

interface OpenRequest {
  socket: Socket;
  /** Everything the server sent, once the connection closed. */
  closed: Promise<string>;
  /** The connection's error codes (ECONNRESET: the server closed it with bytes unread). */
  errors: string[];
}

/** Writes `head` and `body` on a new connection and leaves it open: the rest of the body never comes. */
function openRequest(port: number, head: string, body: string | Buffer = ''): OpenRequest {
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (d: Buffer) => {
    received += d.toString('latin1');
  });
  const errors: string[] = [];
  socket.on('error', (error: NodeJS.ErrnoException) => errors.push(error.code ?? error.message));
  socket.write(head);
  if (body.length > 0) socket.write(body);
  return { socket, errors, closed: new Promise((resolve) => socket.once('close', () => resolve(received))) };
}

/** A POST's head; `length` 'chunked' sends Transfer-Encoding: chunked. */
function postHead(path: string, length: number | 'chunked', type = 'image/jpeg'): string {
  const framing = length === 'chunked' ? 'Transfer-Encoding: chunked' : `Content-Length: ${length}`;
  return `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\n${framing}\r\n\r\n`;
}

/** Waits (up to 10 s) for the server's body bytes held to be `bytes`; fails naming what it saw. */
async function pendingBecomes(s: InProcessServer, bytes: number, what: string): Promise<void> {
  for (let i = 0; i < 500 && s.server.pendingBodyBytes !== bytes; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(s.server.pendingBodyBytes, bytes, `${what}: body bytes held`);
}

async function metric(s: InProcessServer, name: string): Promise<number> {
  const text = await (await fetch(`${s.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line, `${name} in /metrics`);
  return Number(line.split(' ')[1]);
}

/** The status lines in what a connection received: one per answer. */
function statusLines(received: string): string[] {
  return received.match(/HTTP\/1\.1 \d{3}/g) ?? [];
}

test('bodies held at once are bounded by --max-pending-mb: 503 past it, with Retry-After, the connection closed', async () => {
  const { s, port } = await start({ maxBodyBytes: 64 * KIB, maxPendingBodyBytes: 160 * KIB });
  // Two bodies of 64 KiB of which one byte came: their declared lengths are held before the bytes arrive.
  const first = openRequest(port, postHead('/v1/classify', 64 * KIB), 'x');
  const second = openRequest(port, postHead('/v2/models/tiny/infer', 64 * KIB, 'application/json'), '{');
  await pendingBecomes(s, 128 * KIB, 'two bodies declared');
  assert.equal(await metric(s, 'alexnet_request_body_bytes_pending'), 128 * KIB);

  // A third would hold 192 KiB: refused before its body is read.
  const refused = await openRequest(port, postHead('/v1/classify', 64 * KIB), 'x').closed;
  assert.match(refused, /^HTTP\/1\.1 503 /);
  assert.match(refused, /\r\nRetry-After: 1\r\n/i);
  assert.match(refused, /\r\nConnection: close\r\n/i);
  assert.match(refused, /131072 of 163840 bytes of request bodies held, --max-pending-mb; 65536 more requested/);

  // A chunked body is counted as it arrives: 40 KiB do not fit in the 32 KiB left.
  const chunk = 'y'.repeat(40 * KIB);
  const refusedChunked = await openRequest(port, postHead('/v1/classify', 'chunked'), `${chunk.length.toString(16)}\r\n${chunk}\r\n`).closed;
  assert.match(refusedChunked, /^HTTP\/1\.1 503 /);
  assert.match(refusedChunked, /--max-pending-mb/);
  assert.equal(statusLines(refusedChunked).length, 1, refusedChunked);

  // A small body still fits, and gives its bytes back once answered.
  const image = await fetch(`${s.url}/v1/classify`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: jpeg });
  assert.equal(image.status, 200);
  await pendingBecomes(s, 128 * KIB, 'after a request answered 200');

  // Clients that leave in the middle of their bodies give their bytes back, each once.
  first.socket.destroy();
  await pendingBecomes(s, 64 * KIB, 'after one client left');
  second.socket.destroy();
  await Promise.all([first.closed, second.closed]);
  await pendingBecomes(s, 0, 'after both clients left');
  assert.equal(await metric(s, 'alexnet_request_body_bytes_pending'), 0);
  assert.equal((await fetch(`${s.url}/v1/classify`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: jpeg })).status, 200);
});

test('every way a request ends gives its body bytes back: answers, errors, 413 while reading, the deadline', async () => {
  const { s, port } = await start({ maxBodyBytes: 64 * KIB, maxPendingBodyBytes: 160 * KIB, timeoutMs: 1000 });
  const post = (path: string, body: string | Buffer, type: string) => fetch(`${s.url}${path}`, { method: 'POST', headers: { 'content-type': type }, body });
  const ends: [string, () => Promise<number>, number][] = [
    ['an image classified', async () => (await post('/v1/classify', jpeg, 'image/jpeg')).status, 200],
    ['bytes that are not an image', async () => (await post('/v1/classify', 'not an image', 'image/jpeg')).status, 400],
    ['an infer body that is not JSON', async () => (await post('/v2/models/tiny/infer', '{"inputs": [', 'application/json')).status, 400],
    ['a multipart form without files', async () => (await fetch(`${s.url}/v1/classify`, { method: 'POST', body: formWithField() })).status, 400],
    [
      'a chunked body past --max-body-mb',
      async () => {
        const chunk = 'z'.repeat(65 * KIB);
        const received = await openRequest(port, postHead('/v1/classify', 'chunked'), `${chunk.length.toString(16)}\r\n${chunk}\r\n`).closed;
        return Number(statusLines(received)[0]?.slice(9));
      },
      413,
    ],
    [
      'a body that never arrives, cut off at --timeout-ms',
      async () => Number(statusLines(await openRequest(port, postHead('/v1/classify', 32 * KIB), 'x').closed)[0]?.slice(9)),
      408,
    ],
  ];
  for (const [what, send, status] of ends) {
    assert.equal(await send(), status, what);
    await pendingBecomes(s, 0, what);
  }
  assert.equal(await metric(s, 'alexnet_request_body_bytes_pending'), 0);
});

function formWithField(): FormData {
  const form = new FormData();
  form.append('note', 'no image here');
  return form;
}

test('an answer given before the body arrived closes the connection: one answer, never a late 408', async () => {
  const { s, port } = await start({ maxBodyBytes: 1024 * KIB, timeoutMs: 1500 });
  const cases: [string, string, number][] = [
    ['Content-Length over --max-body-mb', postHead('/v1/classify', 2_000_000), 413],
    ['an unknown route', postHead('/v1/clasify', 20_000), 404],
    ['a wrong method', `PUT /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: 20000\r\n\r\n`, 405],
    ['a Content-Type not taken', postHead('/v1/classify', 20_000, 'text/plain'), 415],
    ['topk out of range', postHead('/v1/classify?topk=0', 20_000), 400],
  ];
  for (const [what, head, status] of cases) {
    // Part of the body is sent and the rest never: before, the answer kept the connection alive, Node read on
    // until --timeout-ms, then wrote an unasked 408 on it.
    const received = await openRequest(port, head, 'abc').closed;
    assert.deepEqual(statusLines(received), [`HTTP/1.1 ${status}`], `${what}: ${JSON.stringify(received)}`);
    assert.match(received, /\r\nConnection: close\r\n/i, what);
    assert.doesNotMatch(received, /keep-alive/i, what);
  }

  // A client that keeps sending its body reads the whole answer, and the connection ends without a reset: what
  // it sends is read and dropped until it closes its side (closed with those bytes unread, the kernel resets it).
  const sender = openRequest(port, postHead('/v1/classify', 2_000_000));
  const block = Buffer.alloc(64 * KIB, 1);
  let answered = false; // the server's side ended: writing on would be the client's own error (EPIPE), not a reset
  sender.socket.once('end', () => {
    answered = true;
  });
  const pump = (): void => {
    while (!answered && sender.socket.writable && sender.socket.write(block));
  };
  sender.socket.on('drain', pump);
  pump();
  const sent = await sender.closed;
  assert.match(sent, /^HTTP\/1\.1 413 [\s\S]*\r\n\r\n\{"error":"the request body is larger than the limit of 1048576 bytes \(--max-body-mb\)"\}$/);
  assert.deepEqual(sender.errors, [], 'the connection was not reset');
  await pendingBecomes(s, 0, 'after answers given before the bodies arrived');
  assert.equal((await fetch(`${s.url}/v2/health/live`)).status, 200);
});

test('a compressed body gets 415 naming Content-Encoding before it is read; identity is taken', async () => {
  const { s } = await start({});
  const gzipped = gzipSync(jpeg);
  for (const [path, type, body] of [
    ['/v1/classify', 'image/jpeg', gzipped],
    ['/v2/models/tiny/infer', 'application/json', gzipSync('{"inputs": []}')],
  ] as const) {
    const response = await fetch(`${s.url}${path}`, { method: 'POST', headers: { 'content-type': type, 'content-encoding': 'gzip' }, body });
    assert.equal(response.status, 415, path);
    assert.match(((await response.json()) as { error: string }).error, /^Content-Encoding 'gzip' is not accepted: send the body uncompressed/, path);
  }
  const form = new FormData();
  form.append('image', new Blob([gzipped], { type: 'image/jpeg' }), 'a.jpg.gz');
  const multipart = await fetch(`${s.url}/v1/classify`, { method: 'POST', headers: { 'content-encoding': 'br' }, body: form });
  assert.equal(multipart.status, 415);
  assert.match(((await multipart.json()) as { error: string }).error, /Content-Encoding 'br' is not accepted/);
  const identity = await fetch(`${s.url}/v1/classify`, {
    method: 'POST',
    headers: { 'content-type': 'image/jpeg', 'content-encoding': 'identity' },
    body: jpeg,
  });
  assert.equal(identity.status, 200);
  await pendingBecomes(s, 0, 'after compressed bodies');
});
