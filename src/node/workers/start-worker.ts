/**
 * Starts a worker thread on a module next to the caller. Compiled, the
 * worker is the `.js` file; run from sources through tsx (tests,
 * `node --import tsx`) it is the `.ts` file, and Node 20 does not apply
 * `--import tsx` to workers: a one-line bootstrap registers tsx in the
 * worker first.
 */
import { Worker } from 'node:worker_threads';

/** `callerUrl`: the caller's `import.meta.url`; `name`: the worker module's file name without extension. */
export function startWorker(callerUrl: string, name: string, workerData: unknown): Worker {
  const fromSource = callerUrl.endsWith('.ts');
  const entry = new URL(`./${name}.${fromSource ? 'ts' : 'js'}`, callerUrl);
  if (!fromSource) return new Worker(entry, { workerData });
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}
