/** The js backend on several threads (Node only): see threaded-js-backend.ts. */
export { ThreadedJsBackend, type ThreadedJsBackendOptions } from './threaded-js-backend.js';
