/**
 * `alexnet serve` as the benchmark runs it: from source, in its own
 * process (so its RSS is its own and a crash is seen), on a free port. The
 * pattern of test/helpers/serve.ts's startServeCli, with the native backend
 * and the exit kept for the report.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { SERVER_INITIAL_OLD_SPACE_MB } from '../../src/node/cli/server-heap.js';

const READY_TIMEOUT_MS = 120_000;
/** A drain answers what was accepted: at most a few batches here. */
const STOP_TIMEOUT_MS = 60_000;

export interface ServerProcess {
  url: string;
  pid: number;
  /** The command line, for the report. */
  command: string;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  /** null while it runs; its exit code (or signal) once it exited. */
  exited(): { code: number | null; signal: NodeJS.Signals | null } | null;
  /** SIGTERM, then the exit; SIGKILL after STOP_TIMEOUT_MS (reported as the signal). */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function tail(text: string, lines = 20): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Starts the server with `serveArgs` (after `serve --port 0`) and resolves once it logs that it is ready (warm-up batch done). */
export function startServer(root: string, serveArgs: string[]): Promise<ServerProcess> {
  // With the server's heap flag given, `alexnet serve` runs in this child itself (no relaunch): child.pid is the
  // server whose memory the soak samples.
  const args = [
    '--import',
    'tsx',
    `--initial-old-space-size=${SERVER_INITIAL_OLD_SPACE_MB}`,
    'src/node/cli/main.ts',
    '--backend',
    'native',
    'serve',
    '--port',
    '0',
    ...serveArgs,
  ];
  // stdout is not read: the server logs to stderr only.
  const child: ChildProcess = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    }),
  );
  child.stderr!.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`alexnet serve was not ready after ${READY_TIMEOUT_MS / 1000} s:\n${tail(stderr)}`));
    }, READY_TIMEOUT_MS);
    child.stderr!.on('data', (chunk: string) => {
      stderr += chunk;
      const url = /listening on (http:\/\/\S+)/.exec(stderr)?.[1];
      if (url === undefined || !stderr.includes('alexnet serve: ready')) return;
      clearTimeout(timer);
      resolve({
        url,
        pid: child.pid!,
        command: `node ${args.join(' ')}`,
        stderr: () => stderr,
        exited: () => exit,
        stop: () => {
          if (exit !== null) return exited;
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
          return exited.finally(() => clearTimeout(killer));
        },
      });
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      // After `resolve`, this reject does nothing; the caller sees the exit through exited().
      reject(new Error(`alexnet serve exited (${signal ?? `code ${code}`}) before it was ready:\n${tail(stderr)}`));
    });
  });
}

/** Throws with the server's last words when it is no longer running: the numbers after a crash mean nothing. */
export function assertRunning(server: ServerProcess): void {
  const exit = server.exited();
  if (exit !== null) throw new Error(`alexnet serve exited (${exit.signal ?? `code ${exit.code}`}) during the benchmark:\n${tail(server.stderr())}`);
}
