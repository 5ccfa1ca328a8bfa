/**
 * `alexnet web` as a user runs it: a child process that prints its URL,
 * serves the folder with the isolation headers, and stops on SIGTERM; bad
 * flags fail in one line.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { isLoopbackHost, isolationNote } from '../../src/node/cli/commands/web.js';
import { assertOneLineError, cli } from '../helpers/cli.js';
import { assertIsolationHeaders, get } from './http.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'alexnet-web-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));
const site = join(work, 'site');
mkdirSync(site);
writeFileSync(join(site, 'index.html'), '<!doctype html><title>page</title>');
writeFileSync(join(site, 'alexnet-ts.js'), 'export {};\n');

interface RunningWeb {
  url: string;
  /** What it printed up to its URL line. */
  stdout: string;
  child: ChildProcess;
  exited: Promise<number | null>;
}

/** `alexnet web ARGS` in a child process, resolved once it prints the URL it serves at. */
async function startWeb(args: string[]): Promise<RunningWeb> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/node/cli/main.ts', '--backend', 'js', 'web', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  after(() => child.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed in 30 s:\n${stdout}\n${stderr}`)), 30_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = / at (http:\/\/\S+\/) /.exec(stdout);
      if (match !== null) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', () => reject(new Error(`alexnet web exited early:\n${stdout}\n${stderr}`)));
  });
  return { url, stdout, child, exited };
}

test('alexnet web --port 0 --root DIR prints its URL, serves with COOP/COEP, and exits 0 on SIGTERM', { timeout: 60_000 }, async () => {
  const { url, stdout, child, exited } = await startWeb(['--port', '0', '--root', site]);
  assert.match(stdout, /^alexnet web: serving .* at http:\/\/127\.0\.0\.1:\d+\/ \(cross-origin isolated: COOP\/COEP headers sent\)/);
  const page = await get(url, '/');
  assert.equal(page.status, 200);
  assert.match(page.body, /<title>page<\/title>/);
  assertIsolationHeaders(page, '/');
  const bundle = await get(url, '/alexnet-ts.js');
  assert.equal(bundle.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal((await get(url, '/../package.json')).status, 400);
  assert.equal((await get(url, '/missing.js')).status, 404);
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
});

test('bad flags and folders fail in one line', async () => {
  assertOneLineError(await cli('web', '--port', '70000', '--root', work), /--port '70000': expected 0 to 65535/);
  assertOneLineError(await cli('web', '--port', 'x'), /--port 'x'/);
  assertOneLineError(await cli('web', '--port', '0', '--root', join(work, 'nope')), /--root .*nope: no such folder/);
  const empty = mkdtempSync(join(work, 'empty-'));
  assertOneLineError(await cli('web', '--port', '0', '--root', empty), /no index\.html in it \(build the page with `npm run build:web`\)/);
});

test('a port already in use is named', { timeout: 60_000 }, async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  after(() => blocker.close());
  const port = (blocker.address() as { port: number }).port;
  assertOneLineError(await cli('web', '--port', String(port), '--root', site), new RegExp(`--port ${port}: 127\\.0\\.0\\.1:${port} is already in use`));
});

test('--host at a non-loopback address says the isolation headers work only over HTTPS or on localhost', { timeout: 60_000 }, async () => {
  // Browsers ignore COOP/COEP outside a secure context, so a page opened at http://<LAN address>/ is not isolated.
  const { url, stdout, child, exited } = await startWeb(['--host', '0.0.0.0', '--port', '0', '--root', site]);
  assert.match(url, /^http:\/\/0\.0\.0\.0:\d+\/$/);
  assert.match(stdout, /browsers honour them only over HTTPS or on localhost/);
  assert.doesNotMatch(stdout, /\(cross-origin isolated/, 'it does not promise isolation it cannot give');
  assertIsolationHeaders(await get(url.replace('0.0.0.0', '127.0.0.1'), '/'), '/');
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
});

test('which hosts count as loopback (secure for browsers without HTTPS)', () => {
  for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', 'app.localhost', '::1', '[::1]', '::ffff:127.0.0.1']) {
    assert.equal(isLoopbackHost(host), true, host);
    assert.match(isolationNote(host), /^cross-origin isolated/, host);
  }
  for (const host of ['0.0.0.0', '::', '192.168.1.20', '10.0.0.1', 'example.com', 'localhost.example.com', '128.0.0.1', '::2']) {
    assert.equal(isLoopbackHost(host), false, host);
    assert.match(isolationNote(host), /only over HTTPS or on localhost/, host);
  }
});
