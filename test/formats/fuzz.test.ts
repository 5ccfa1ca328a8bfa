/**
 * Seeded fuzzing of every reader: valid files are mutated (bit flips,
 * truncations, insertions, deletions, and edits of length/size fields) and
 * each mutant must either load or throw a FormatError that names the file.
 * Never another error type, never a hang, never an allocation out of
 * proportion to the input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadPth } from '../../src/formats/pth/pth-reader.js';
import { loadSafetensors } from '../../src/formats/safetensors.js';
import { loadNpy } from '../../src/formats/npy.js';
import { loadStateDict } from '../../src/formats/weights-file.js';
import { FormatError } from '../../src/formats/errors.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { fixture, seededRandom } from './helpers.js';

type Loader = (bytes: Uint8Array, source: string, rand: () => number) => unknown;

const loadAnyPth: Loader = (bytes, source, rand) => loadPth(bytes, { source, verifyChecksums: rand() < 0.3 });

const BASES: { name: string; load: Loader; cases: number }[] = [
  { name: 'zip_checkpoint.pth', load: loadAnyPth, cases: 300 },
  { name: 'zip_noncontiguous.pth', load: loadAnyPth, cases: 150 },
  { name: 'legacy_state_dict.pth', load: loadAnyPth, cases: 250 },
  { name: 'legacy_noncontiguous.pth', load: loadAnyPth, cases: 150 },
  { name: 'tensors.safetensors', load: (b, source) => loadSafetensors(b, { source }), cases: 250 },
  { name: 'f4.npy', load: (b, source) => loadNpy(b, { source }), cases: 150 },
  { name: 'version2.npy', load: (b, source) => loadNpy(b, { source }), cases: 50 },
  { name: 'zip_state_dict.pth', load: (b, source) => loadStateDict(b, { source, verifyChecksums: false }), cases: 100 },
];

/** Offsets of fields that hold lengths, counts, sizes or shapes in each format. */
function lengthFields(bytes: Uint8Array): number[] {
  const at: number[] = [];
  const u32 = (i: number) => (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24)) >>> 0;
  for (let i = 0; i + 4 <= bytes.length; i++) {
    const sig = u32(i);
    if (sig === 0x04034b50) at.push(i + 18, i + 22, i + 26, i + 28); // local header: sizes, name/extra lengths
    if (sig === 0x02014b50) at.push(i + 20, i + 24, i + 28, i + 30, i + 42); // central: sizes, lengths, header offset
    if (sig === 0x06054b50) at.push(i + 10, i + 12, i + 16); // end record: count, directory size/offset
    if (sig === 0x06064b50) at.push(i + 32, i + 40, i + 48);
    if (sig === 0x07064b50) at.push(i + 8);
    // Pickle opcodes followed by an integer or a length: BININT1/2, BININT, BINUNICODE, LONG1, BINGET/BINPUT.
    if ([0x4b, 0x4d, 0x4a, 0x58, 0x8a, 0x68, 0x71].includes(bytes[i])) at.push(i + 1);
  }
  at.push(0, 8); // safetensors header length; .npy header length
  return at.filter((i) => i < bytes.length);
}

const EXTREMES = [0, 1, 0x7f, 0xff, 0x7fff, 0xffff, 0x7fffffff, 0xffffffff, 1e12];

function mutate(base: Uint8Array, fields: number[], rand: () => number): Uint8Array {
  const pick = (n: number) => Math.floor(rand() * n);
  const bytes = base.slice();
  switch (pick(6)) {
    case 0: {
      // flip 1-4 bits
      for (let k = 1 + pick(4); k > 0; k--) bytes[pick(bytes.length)] ^= 1 << pick(8);
      return bytes;
    }
    case 1: // truncate
      return bytes.slice(0, pick(bytes.length));
    case 2: {
      // insert 1-16 random bytes
      const at = pick(bytes.length + 1);
      const junk = Uint8Array.from({ length: 1 + pick(16) }, () => pick(256));
      return Uint8Array.from([...bytes.subarray(0, at), ...junk, ...bytes.subarray(at)]);
    }
    case 3: {
      // delete a range
      const at = pick(bytes.length);
      return Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + 1 + pick(32))]);
    }
    case 4: {
      // set a length field to an extreme or off-by-one value
      const at = fields[pick(fields.length)];
      const width = [1, 2, 4, 8][pick(4)];
      const view = new DataView(bytes.buffer);
      const old = at + 4 <= bytes.length ? view.getUint32(at, true) : bytes[at];
      const value = rand() < 0.5 ? EXTREMES[pick(EXTREMES.length)] : old + (rand() < 0.5 ? 1 : -1);
      let v = BigInt(Math.max(0, Math.floor(value)));
      for (let i = 0; i < width && at + i < bytes.length; i++, v >>= 8n) bytes[at + i] = Number(v & 0xffn);
      return bytes;
    }
    default: {
      // rewrite digits in a text header (safetensors JSON, .npy dict) with a huge number
      const text = new TextDecoder('latin1').decode(bytes.subarray(0, 400));
      const runs = [...text.matchAll(/\d+/g)];
      if (runs.length === 0) return bytes;
      const run = runs[pick(runs.length)];
      const replacement = rand() < 0.5 ? '9'.repeat(run[0].length) : '1000000000000';
      return Uint8Array.from([...bytes.subarray(0, run.index!), ...new TextEncoder().encode(replacement), ...bytes.subarray(run.index! + run[0].length)]);
    }
  }
}

/** Bytes allocated for tensors, counting each distinct buffer once and not the input's. */
function allocatedBytes(value: unknown, input: Uint8Array): number {
  const buffers = new Set<ArrayBufferLike>();
  const seen = new Set<unknown>();
  const stack = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null || seen.has(v)) continue;
    seen.add(v);
    if (v instanceof Tensor) {
      if (v.data.buffer !== input.buffer) buffers.add(v.data.buffer);
    } else if (v instanceof Map) {
      for (const [k, x] of v) stack.push(k, x);
    } else if (Array.isArray(v)) {
      stack.push(...v);
    } else if (!(v instanceof Uint8Array)) {
      stack.push(...Object.values(v));
    }
  }
  let total = 0;
  for (const b of buffers) total += b.byteLength;
  return total;
}

test('mutated .pth (zip and legacy), .safetensors and .npy files load or fail with a FormatError', () => {
  const rand = seededRandom(20240613);
  let total = 0;
  for (const base of BASES) {
    const original = fixture(base.name);
    const fields = lengthFields(original);
    let loaded = 0;
    let failed = 0;
    for (let i = 0; i < base.cases; i++) {
      const mutant = mutate(original, fields, rand);
      const source = `${base.name}#${i}`;
      try {
        const value = base.load(mutant, source, rand);
        loaded++;
        const allocated = allocatedBytes(value, mutant);
        assert.ok(allocated <= 16 * mutant.length + 2 ** 26, `${source}: ${allocated} bytes allocated for a ${mutant.length}-byte input`);
      } catch (error) {
        failed++;
        if (!(error instanceof FormatError)) {
          assert.fail(`${source}: expected a FormatError, got ${(error as Error).name}: ${(error as Error).message}`);
        }
        assert.ok(error.message.includes(source), `${source}: message does not name the file: ${error.message}`);
      }
      total++;
    }
    assert.ok(failed > 0, `${base.name}: no mutant failed; the mutations are not reaching the parser`);
    assert.ok(loaded + failed === base.cases);
  }
  assert.ok(total >= 1000, `${total} cases`);
});
