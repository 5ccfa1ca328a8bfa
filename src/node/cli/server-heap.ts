/**
 * `alexnet serve` runs with V8's old generation sized from the start
 * (--initial-old-space-size). Without it, V8 keeps a fresh process's old
 * generation limit a megabyte or two above what is live while no size was
 * configured (it scales the limit down by how little survives its
 * scavenges), and a server's objects (requests, promises, sockets) live tens
 * of milliseconds: measured at concurrency 8, a full mark-compact every 0.8 s
 * on the thread that answers every request and starts every layer, 7–13 ms
 * of pause each. With the flag: one every 8 s, p99 latency 105–116 → 95–96 ms
 * and +8% images/s (Zen 4, 224×224 JPEGs). V8 reads the flag only when the
 * process starts, and Node.js refuses it in NODE_OPTIONS, so a server
 * process without it runs the same command again in a child that has it.
 * The parent only passes SIGTERM and SIGINT on and waits; the child drains
 * on those, and also when the parent disappears (`watchParent`).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { constants } from 'node:os';

const FLAG = '--initial-old-space-size';
/** MiB: the live heap of a busy server is about 15 MB; V8 then collects the old generation about every 14 MB it grows. */
export const SERVER_INITIAL_OLD_SPACE_MB = 64;

/** Signals a server drains on: passed on to the child, which drains and exits with its code. */
const FORWARDED: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

/** Whether this process was started with --initial-old-space-size (any value: a user's own choice is kept). */
export function hasServerHeapFlag(execArgv: readonly string[] = process.execArgv): boolean {
  // V8 takes --initial-old-space-size=64, --initial-old-space-size 64 and --initial_old_space_size=64 alike.
  return execArgv.some((arg) => arg.split('=')[0].replaceAll('_', '-') === FLAG);
}

/**
 * Runs this process's command again in a child with the flag, when this process lacks it, and resolves true once
 * the child exited (its exit code becomes this process's); resolves false when this process should serve itself:
 * it has the flag, or the child could not be started.
 */
export async function relaunchWithServerHeap(): Promise<boolean> {
  if (hasServerHeapFlag()) return false;
  const args = [...process.execArgv, `${FLAG}=${SERVER_INITIAL_OLD_SPACE_MB}`, ...process.argv.slice(1)];
  // The IPC channel tells the child when this process is gone, even killed with SIGKILL: it then drains and exits.
  const child = spawn(process.execPath, args, { stdio: ['inherit', 'inherit', 'inherit', 'ipc'] });
  const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
  for (const signal of FORWARDED) process.on(signal, forward);
  try {
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    process.exitCode = code ?? 128 + (signal === null ? 0 : constants.signals[signal]);
    return true;
  } catch {
    // spawn failed (out of processes or memory): serve from this process, without the flag.
    return false;
  } finally {
    for (const signal of FORWARDED) process.off(signal, forward);
  }
}

/**
 * In a child started by relaunchWithServerHeap: the IPC channel no longer keeps this process alive by itself, so
 * that an error before the server listens (a port in use) ends it; once listening, the server keeps it alive.
 */
export function releaseParentChannel(): void {
  process.channel?.unref();
}

/** In a child started by relaunchWithServerHeap: calls `onParentGone` once the parent has exited, however it ended. */
export function watchParent(onParentGone: () => void): void {
  if (process.connected) process.once('disconnect', onParentGone);
}
