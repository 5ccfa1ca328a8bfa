/**
 * Which backend runs the kernels. The core defaults to the portable `js`
 * backend; Node-only code (src/node/backend.ts) installs `native` when the
 * addon loads. Swapping is global, like torch's default device.
 */
import type { Backend } from './backend.js';
import { JsBackend } from './js/index.js';

const jsBackend = new JsBackend();
let current: Backend = jsBackend;

export function getBackend(): Backend {
  return current;
}

export function setBackend(backend: Backend): void {
  current = backend;
}

/** The reference backend, whatever is current (tests compare against it). */
export function referenceBackend(): Backend {
  return jsBackend;
}

/** Runs fn with `backend` current, restoring the previous one afterwards. */
export function withBackend<T>(backend: Backend, fn: () => T): T {
  const previous = current;
  current = backend;
  try {
    return fn();
  } finally {
    current = previous;
  }
}
