/**
 * Shared by the format tests: fixture paths, the canonical JSON form that
 * tools/gen_format_fixtures.py also writes (so loaded values compare exactly
 * with what torch/numpy saved), and a seeded PRNG for the fuzz test.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { UnpickleHooks } from '../../src/formats/pickle/unpickler.js';
import { Tensor } from '../../src/tensor/tensor.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/formats/', import.meta.url));

export function fixture(name: string): Uint8Array {
  const b = readFileSync(join(FIXTURES, name));
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export interface Expectation {
  value?: unknown;
  error?: string;
  metadata?: Record<string, string>;
}

export const EXPECTED: Record<string, Expectation> = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8'));

function floatValue(x: number): number | string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  return x;
}

/** The JSON form of a loaded value (see `canonical` in tools/gen_format_fixtures.py). */
export function canonical(v: unknown): unknown {
  if (v instanceof Tensor) return { tensor: { shape: [...v.shape], values: Array.from(v.data, floatValue) } };
  if (v instanceof Map) return { map: [...v.entries()].map(([k, x]) => [canonical(k), canonical(x)]) };
  if (v instanceof Uint8Array) return { bytes: [...v] };
  if (Array.isArray(v)) return v.map(canonical);
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'object' && v !== null) return { object: Object.entries(v).map(([k, x]) => [k, canonical(x)]) };
  return v;
}

/** mulberry32: a tiny seeded PRNG, so fuzz cases are reproducible. */
export { seededRandom } from '../../tools/fuzz/mutate.js';

const PYTHON = '/usr/bin/python3';
const available = new Map<string, boolean>();

/**
 * Whether /usr/bin/python3 has `module` (found without importing it, which
 * for torch would cost seconds). Tests that need it skip otherwise.
 */
export function pythonHas(module: string): boolean {
  let ok = available.get(module);
  if (ok === undefined) {
    const r = spawnSync(PYTHON, ['-c', `import importlib.util, sys; sys.exit(0 if importlib.util.find_spec(${JSON.stringify(module)}) else 1)`], {
      timeout: 30_000,
    });
    ok = r.status === 0;
    available.set(module, ok);
  }
  return ok;
}

/** A node:test `skip` option: false when python has the module, else the reason. */
export function skipUnlessPython(module: string): false | string {
  return pythonHas(module) ? false : `/usr/bin/python3 cannot import ${module}`;
}

/** Runs a Python snippet with /usr/bin/python3 and returns its stdout (throws with stderr on failure). */
export function runPython(code: string, args: string[] = []): string {
  const r = spawnSync(PYTHON, ['-c', code, ...args], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`python failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** Unpickler hooks that refuse every global, persistent id and BUILD: for pickles of plain values. */
export const refuseAll: UnpickleHooks = {
  resolveGlobal: (m, n) => {
    throw new Error(`global ${m}.${n}`);
  },
  persistentLoad: () => {
    throw new Error('pid');
  },
  build: () => {
    throw new Error('build');
  },
};

/** A test body given a fresh temporary folder (named `prefix`…), removed afterwards whatever happens. */
export function withTempDir(prefix: string, body: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    try {
      await body(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}
