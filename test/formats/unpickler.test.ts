import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unpickle, type UnpickleHooks } from '../../src/formats/pickle/unpickler.js';
import { refuseAll } from './helpers.js';
import { PyDict, type PySet, PyTuple } from '../../src/formats/pickle/py-values.js';
import { resolveTorchGlobal } from '../../src/formats/pth/torch-globals.js';
import { PickleWriter } from '../../src/formats/pickle/pickle-writer.js';
import { FormatError } from '../../src/formats/errors.js';
import { skipUnlessPython, runPython } from './helpers.js';

const load = (bytes: number[] | Uint8Array) => unpickle(Uint8Array.from(bytes), 0, 'p.pkl', 'pickle', refuseAll).value;

test('plain values written by Python (protocols 2-5) read back', { skip: skipUnlessPython('pickle') }, () => {
  const value =
    "{'i': [0, 255, 65535, -1, 2**31, -(2**63), 2**100], 'f': [0.5, -1e300], 's': 'ünï', 'b': b'\\x00\\xff', 't': (1, (2,), ()), 'n': None, 'yes': True, 'no': False, 'set': {3}, 'fs': frozenset([4]), 'shared': [[7]] * 2}";
  for (const protocol of [2, 3, 4, 5]) {
    const hex = runPython(`import pickle; print(pickle.dumps(${value}, protocol=${protocol}).hex())`).trim();
    const bytes = Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));
    // The torch allow-list: protocol 2 spells bytes as _codecs.encode(text, 'latin1') and sets as __builtin__.set.
    const hooks: UnpickleHooks = { ...refuseAll, resolveGlobal: (m, n) => resolveTorchGlobal('p.pkl', m, n) };
    const v = unpickle(bytes, 0, 'p.pkl', 'pickle', hooks).value as PyDict;
    assert.ok(v instanceof PyDict, `protocol ${protocol}`);
    const get = (k: string) => v.items.get(k);
    assert.deepStrictEqual(get('i'), [0, 255, 65535, -1, 2 ** 31, -(2n ** 63n), 2n ** 100n], `protocol ${protocol}`);
    assert.deepStrictEqual(get('f'), [0.5, -1e300]);
    assert.equal(get('s'), 'ünï');
    assert.deepStrictEqual([...(get('b') as Uint8Array)], [0, 255]);
    assert.deepStrictEqual(get('t'), new PyTuple([1, new PyTuple([2]), new PyTuple([])]));
    assert.equal(get('n'), null);
    assert.equal(get('yes'), true);
    assert.equal(get('no'), false);
    assert.deepStrictEqual((get('set') as PySet).items, [3]);
    assert.deepStrictEqual((get('fs') as PySet).items, [4]);
    const shared = get('shared') as unknown[][];
    assert.equal(shared[0], shared[1], 'memo keeps identity');
  }
});

test('our pickle writer and Python agree on integers of every size', { skip: skipUnlessPython('pickle') }, () => {
  const ints = [0, 1, 255, 256, 65535, 65536, -1, -129, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 2 ** 53 - 1, -(2 ** 53) + 1];
  const bigs = [2n ** 63n, -(2n ** 63n), 2n ** 64n - 1n, 2n ** 200n, -(2n ** 200n)];
  const p = new PickleWriter().proto().emptyList().mark();
  for (const v of [...ints, ...bigs]) p.int(v);
  const bytes = p.appends().stop();
  const out = runPython(`import pickle, sys; print(repr(pickle.loads(bytes.fromhex(sys.argv[1]))))`, [Buffer.from(bytes).toString('hex')]);
  assert.equal(out.trim(), `[${[...ints, ...bigs].map(String).join(', ')}]`);
  assert.deepStrictEqual(load(bytes), [...ints, ...bigs]);
});

test('malformed streams fail with the opcode offset', () => {
  const cases: [number[], RegExp][] = [
    [[0x80, 0x02, 0x2e], /stack underflow \(opcode at offset 2\)/],
    [[0x80, 0x02, 0x4e], /truncated: pickle: opcode \(pickle ended without STOP\)/],
    [[0x80, 0x09], /unsupported pickle protocol 9/],
    [[0x58, 0xff, 0xff, 0xff, 0x7f, 0x61], /truncated: pickle: BINUNICODE string needs 2147483647 bytes at offset 5, only 1 left/],
    [[0x68, 0x05, 0x2e], /memo entry 5 is not defined/],
    [[0x4e, 0x4e, 0x73, 0x2e], /stack underflow/],
    [[0x7d, 0x5d, 0x4e, 0x73, 0x2e], /unsupported dict key type list of 0/],
    [[0x5d, 0x4e, 0x28, 0x75, 0x2e], /cannot set items on None/],
    [[0xff], /unknown opcode 0xff/],
    [[0x69], /INST\/OBJ opcodes/],
    [[0x74], /no MARK to pop to/],
    [[0x8d, 0, 0, 0, 0, 0, 0, 0x40, 0], /BINUNICODE8 length is \d+, far beyond any real file/],
  ];
  for (const [bytes, message] of cases) {
    assert.throws(
      () => load(bytes),
      (e: Error) => {
        assert.ok(e instanceof FormatError, `${bytes}: ${e.message}`);
        assert.match(e.message, /^p\.pkl: /);
        assert.match(e.message, message);
        return true;
      },
    );
  }
});

test('GLOBAL and STACK_GLOBAL go through the allow-list hook', () => {
  const seen: string[] = [];
  const hooks: UnpickleHooks = {
    ...refuseAll,
    resolveGlobal: (m, n) => {
      seen.push(`${m}.${n}`);
      return 42;
    },
  };
  const text = new TextEncoder().encode('cos\nsystem\n.');
  assert.equal(unpickle(text, 0, 'p', 'pickle', hooks).value, 42);
  const stackGlobal = [0x8c, 2, 0x6f, 0x73, 0x8c, 6, ...new TextEncoder().encode('system'), 0x93, 0x2e];
  assert.equal(unpickle(Uint8Array.from(stackGlobal), 0, 'p', 'pickle', hooks).value, 42);
  assert.deepStrictEqual(seen, ['os.system', 'os.system']);
});

/** hooks as the .pth reader's: the torch allow-list, no storages. */
const torchHooks: UnpickleHooks = { ...refuseAll, resolveGlobal: (m, n) => resolveTorchGlobal('p.pkl', m, n) };

/** A pickle that memoizes `value` (opcodes), then calls module.name on it `times` times (6 bytes a call). */
function repeatedCalls(module: string, name: string, value: number[], times: number): Uint8Array {
  const global = [0x63, ...new TextEncoder().encode(`${module}\n${name}\n`)];
  const call = [0x68, 2, 0x68, 1, 0x85, 0x52]; // BINGET fn, BINGET value, TUPLE1, REDUCE
  const calls: number[] = [];
  for (let i = 0; i < times; i++) calls.push(...call);
  return Uint8Array.from([0x80, 2, ...value, 0x71, 1, 0x30, ...global, 0x71, 2, 0x30, 0x28, ...calls, 0x6c, 0x2e]);
}

test('calls that copy one memoized value again and again are refused before the pickle expands in memory', () => {
  const bytes = [0x42, 0xa0, 0x86, 0x01, 0x00, ...new Array(100_000).fill(0)]; // BINBYTES of 100,000 (0x0186a0) bytes
  const list = [0x28, ...new Array(20_000).fill([0x4b, 1]).flat(), 0x6c]; // MARK, 20,000 × BININT1 1, LIST
  for (const [module, name, value] of [
    ['builtins', 'bytes', bytes],
    ['builtins', 'set', list],
    ['collections', 'OrderedDict', [0x28, ...new Array(20_000).fill([0x4b, 1, 0x4b, 2, 0x86]).flat(), 0x6c]],
  ] as const) {
    // Once is a copy the size of the pickle: read.
    assert.ok(unpickle(repeatedCalls(module, name, [...value], 1), 0, 'p.pkl', 'pickle', torchHooks).value);
    assert.throws(
      () => unpickle(repeatedCalls(module, name, [...value], 200), 0, 'p.pkl', 'pickle', torchHooks),
      new RegExp(`calling ${module}\\.${name} here would pass its calls more values than a pickle of \\d+ bytes holds, the same values passed again and again`),
    );
  }
});

test('integers: LONG4 beyond 256 bytes and text integers beyond 620 digits are refused (a 400 kB LONG4 took 73 s)', () => {
  const long4 = (n: number, fill: number) => [0x80, 2, 0x8b, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, 0, ...new Array(n).fill(fill), 0x2e];
  assert.equal(load(long4(256, 0xff)), -1);
  assert.equal(load(long4(256, 0x00)), 0);
  assert.throws(() => load(long4(400_000, 0x11)), /an integer of 400000 bytes \(at most 256 are read\)/);
  const textLong = (digits: number) => [...new TextEncoder().encode(`L${'7'.repeat(digits)}L\n.`)];
  assert.equal(load(textLong(20)), 77777777777777777777n);
  assert.throws(() => load(textLong(5000)), /an integer of 5000 digits \(at most 620 are read\)/);
});
