/**
 * A full garbage collection, now. V8 gives a dropped ArrayBuffer's memory
 * back only when it next collects, which it does under pressure: after
 * `--precision bf16` freed AlexNet's float32 linear weights (about 235 MB),
 * that was during the first inference, on top of its activations (batch 32:
 * peak RSS 522 MiB instead of 450). V8 offers gc() only to a process started
 * with --expose-gc; a context created after the flag is set gets it too, which
 * is how Jest's --logHeapUsage reaches it.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  try {
    (runInNewContext('gc') as () => void)();
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}
