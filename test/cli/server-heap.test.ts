/**
 * `alexnet serve` runs in a child Node.js process started with V8's server
 * heap flag (src/node/cli/server-heap.ts): which command lines relaunch,
 * that the server process has the flag, and that it drains and exits when
 * the launching process is killed outright.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import { commandName } from '../../src/node/cli/command-name.js';
import { hasServerHeapFlag } from '../../src/node/cli/server-heap.js';
import { startServeCli } from '../helpers/serve.js';

test('the command is the first argument past the program-wide options', () => {
  assert.equal(commandName(['serve', '--port', '0']), 'serve');
  assert.equal(commandName(['--backend', 'native', 'serve', '--max-batch', '8']), 'serve');
  assert.equal(commandName(['--backend=js', '--verbose', 'classify', 'serve.jpg']), 'classify');
  assert.equal(commandName(['--backend', 'serve', 'info']), 'info', "the backend's value is not the command");
  assert.equal(commandName(['--help']), undefined);
  assert.equal(commandName([]), undefined);
});

test('the heap flag is found in every spelling V8 accepts', () => {
  assert.equal(hasServerHeapFlag(['--initial-old-space-size=64']), true);
  assert.equal(hasServerHeapFlag(['--import', 'tsx', '--initial_old_space_size=256']), true);
  assert.equal(hasServerHeapFlag(['--initial-old-space-size', '32']), true);
  assert.equal(hasServerHeapFlag(['--max-old-space-size=4096', '--import', 'tsx']), false);
  assert.equal(hasServerHeapFlag([]), false);
});

/** Child processes of `pid` (from /proc: Linux). */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Field 4 of /proc/PID/stat, after the command name in parentheses, is the parent's pid.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) children.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return children;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('the server runs in a child with the flag, and drains and exits when the launcher is killed', {
  timeout: 120_000,
  skip: process.platform !== 'linux' && 'reads /proc',
}, async () => {
  const serve = await startServeCli([]);
  const launcher = serve.child.pid!;
  const servers = childrenOf(launcher).filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('main.ts'));
  assert.equal(servers.length, 1, `one server process under the launcher, found ${servers.length}`);
  const server = servers[0];
  const cmdline = readFileSync(`/proc/${server}/cmdline`, 'utf8').split('\0');
  assert.ok(hasServerHeapFlag(cmdline), `the server's command line has the flag: ${cmdline.join(' ')}`);
  assert.equal((await fetch(`${serve.url}/v2/health/ready`)).status, 200);

  assert.equal(await serve.stop('SIGKILL'), null, 'the launcher was killed');
  for (let waited = 0; alive(server) && waited < 30_000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(alive(server), false, 'the server exited after its launcher was gone');
  assert.match(serve.stderr(), /the launching process exited: finishing accepted requests, then exiting/);
  assert.match(serve.stderr(), /alexnet serve: stopped/);
});
