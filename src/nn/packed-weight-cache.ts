/**
 * A layer's weight prepared for inference by the current backend (packed into
 * its kernel layout, converted to bf16), made once and reused while the
 * backend, the precision and a fingerprint of the weight stay the same.
 * Layers drop it on train(), loadStateDict() and setPrecision().
 */
import type { Backend } from '../backend/backend.js';
import type { Precision } from '../backend/precision.js';

interface Entry<P> {
  backend: Backend;
  precision: Precision;
  fingerprint: number;
  packed: P;
}

export class PackedWeightCache<P extends { dispose(): void }> {
  private entry: Entry<P> | null = null;

  /** The packed weight for (backend, precision, weight), from `pack` when the cached one does not match. */
  get(backend: Backend, precision: Precision, weight: Float32Array, pack: () => P): P {
    const fingerprint = sampleFingerprint(weight);
    const e = this.entry;
    if (e !== null && e.backend === backend && e.precision === precision && e.fingerprint === fingerprint) return e.packed;
    this.drop();
    const packed = pack();
    this.entry = { backend, precision, fingerprint, packed };
    return packed;
  }

  drop(): void {
    this.entry?.packed.dispose();
    this.entry = null;
  }
}

/** A cheap summary of 64 evenly spaced values: catches a weight rewritten in place (new training, manual edits). */
function sampleFingerprint(data: Float32Array): number {
  let h = data.length;
  const step = Math.max(1, Math.floor(data.length / 64));
  for (let i = 0; i < data.length; i += step) h = (Math.imul(h, 31) + Math.round(data[i] * 1e6)) | 0;
  return h;
}
