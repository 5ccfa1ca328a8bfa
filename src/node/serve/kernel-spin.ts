/**
 * How long the native kernel threads spin between parallel loops, while a
 * server runs. Spinning keeps a thread ready for the next loop (waking one
 * from sleep costs tens of microseconds, more in a VM), but a spinning thread
 * holds a core that the image decoders may need. So: spin while nothing is
 * being decoded, sleep at once while something is. Measured at concurrency 64
 * with 224×224 JPEGs on a 2-core Zen 4, seven interleaved pairs of runs:
 * +6.6% images/s over never spinning, the cores idle 5.2% of the time instead
 * of 7.1%; always spinning (the kernels' default) lost 15-20%.
 */
import type { Backend } from '../../backend/backend.js';
import type { ServerHooks } from './server.js';

/** A backend whose kernel threads spin (the native one): the spin in effect, and a setter. */
interface SpinControl {
  info(): { spinMicros: number };
  setSpinMicros(us: number): number;
}

function hasSpinControl(backend: Backend): backend is Backend & SpinControl {
  const candidate = backend as Partial<SpinControl>;
  return typeof candidate.setSpinMicros === 'function' && typeof candidate.info === 'function';
}

/**
 * The server hook that sets the backend's spin as decoding starts and stops:
 * 0 while decoding, the kernels' own spin otherwise (as when the server
 * starts, nothing decoding). None when the backend has no spin to set or
 * `fixedSpin` (ALEXNET_SPIN_US) says the user chose one.
 */
export function kernelSpinHooks(backend: Backend, fixedSpin: string | undefined): ServerHooks {
  if (!hasSpinControl(backend) || fixedSpin !== undefined) return {};
  const ownSpin = backend.info().spinMicros;
  return { decoding: (busy) => void backend.setSpinMicros(busy ? 0 : ownSpin) };
}
