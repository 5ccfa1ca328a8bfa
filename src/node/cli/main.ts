#!/usr/bin/env node
/**
 * The `alexnet` executable. It loads the commands (program.ts) only after
 * deciding whether this process runs them: `alexnet serve` without V8's
 * server heap flag runs again in a child that has it (server-heap.ts), and
 * the parent that waits for it should not hold sharp, the native addon and
 * every command in memory meanwhile.
 */
import { commandName } from './command-name.js';
import { relaunchWithServerHeap } from './server-heap.js';

if (!(commandName(process.argv.slice(2)) === 'serve' && (await relaunchWithServerHeap()))) {
  const { runCli } = await import('./program.js');
  await runCli(process.argv);
}
