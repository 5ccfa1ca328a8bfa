/**
 * Child process of loader.test.ts: loads the addon the way the CLI does and
 * prints what it got as one JSON line (the warning, if any, goes to stderr).
 */
import { installNativeBackend, nativeInfo } from '../../src/node/native/load.js';

const first = installNativeBackend();
const second = installNativeBackend(); // a second attempt must not warn again
process.stdout.write(`${JSON.stringify({ backend: first?.name ?? null, again: second?.name ?? null, info: nativeInfo() })}\n`);
