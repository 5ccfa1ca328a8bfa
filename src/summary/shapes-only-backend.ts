/**
 * A backend whose kernels do nothing. The summary needs every layer's output
 * shape, not its values; the shapes come from the ops (which allocate their
 * outputs before calling a kernel), so running the model's own forward code
 * with this backend walks the real control flow in microseconds instead of
 * seconds (AlexNet at 416×416 is 2.4 G mult-adds per image).
 * Outputs are all zeros; nothing else is touched.
 */
import type { Backend } from '../backend/backend.js';
import { referenceBackend } from '../backend/registry.js';

const skip = (): number => 0;

let cached: Backend | null = null;

/** Every Backend method becomes a no-op (numeric results are 0); `async` is absent. */
export function shapesOnlyBackend(): Backend {
  cached ??= new Proxy(referenceBackend(), {
    get(target, property, receiver) {
      if (property === 'name') return 'shapes-only';
      if (property === 'async') return undefined;
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? skip : value;
    },
  });
  return cached;
}
