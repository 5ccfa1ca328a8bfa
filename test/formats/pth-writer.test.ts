import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPth } from '../../src/formats/pth/pth-reader.js';
import { savePth, savePthChunks, type PthValue } from '../../src/formats/pth/pth-writer.js';
import { concatBytes } from '../../src/formats/byte-writer.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { Generator } from '../../src/tensor/random.js';
import { canonical, fixture, skipUnlessPython, runPython } from './helpers.js';

/** A training-checkpoint-shaped tree: state dict, optimizer state with int keys, metadata. */
function sampleCheckpoint() {
  const g = new Generator(7);
  const weight = Tensor.randn([4, 3, 2, 2], 0, 1, g);
  const model = new Map([
    ['features.0.weight', weight],
    ['features.0.bias', Tensor.randn([4], 0, 1, g)],
    ['classifier.1.weight', Tensor.randn([5, 16], 0, 1, g)],
    ['scalar', Tensor.scalar(-0.125)],
    ['empty', Tensor.zeros([0, 2])],
  ]);
  return {
    model,
    optimizer: {
      state: new Map<number, PthValue>([
        [0, { momentum_buffer: Tensor.randn([4, 3, 2, 2], 0, 1, g) }],
        [1, {}],
      ]),
      param_groups: [{ lr: 0.01, momentum: 0.9, weight_decay: 5e-4, nesterov: false, params: [0, 1, 2] }],
    },
    epoch: 12,
    step: 2 ** 40,
    huge: 2n ** 70n,
    negative: -70000,
    arch: 'alexnet — ünïcode',
    rng: [123456789, 362436069, 521288629, 88675123],
    note: null,
    raw: new Uint8Array([0, 1, 128, 255]),
  };
}

test('savePth → loadPth round-trips values, key types and order', () => {
  const ckpt = sampleCheckpoint();
  const loaded = loadPth(savePth(ckpt), { source: 'roundtrip.pth' }) as Record<string, unknown>;
  assert.deepStrictEqual(canonical(loaded), canonical({ ...ckpt, huge: 2n ** 70n }));
  assert.equal(loaded.huge, 2n ** 70n);
  assert.ok((loaded.model as Map<string, Tensor>) instanceof Map);
  assert.deepStrictEqual([...(loaded.optimizer as { state: Map<number, unknown> }).state.keys()], [0, 1]);
});

test('tensors sharing a data array are stored once and stay shared', () => {
  const w = Tensor.from([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  const sd = new Map([
    ['w', w],
    ['alias', w],
    ['view', w.reshape([3, 2])],
  ]);
  const bytes = savePth(sd);
  const storages = new TextDecoder('latin1').decode(bytes).match(/archive\/data\/\d+/g) ?? [];
  assert.equal(new Set(storages).size, 1, 'one storage record');
  const loaded = loadPth(bytes) as Map<string, Tensor>;
  assert.equal(loaded.get('w'), loaded.get('alias'));
  assert.equal(loaded.get('view')!.data.buffer, loaded.get('w')!.data.buffer);
  assert.deepStrictEqual(loaded.get('view')!.shape, [3, 2]);
});

test('re-saving a torch-written checkpoint keeps its contents', () => {
  for (const name of ['zip_checkpoint.pth', 'legacy_dtypes.pth', 'zip_noncontiguous.pth']) {
    const first = loadPth(fixture(name));
    const again = loadPth(savePth(first as never));
    assert.deepStrictEqual(canonical(again), canonical(first), name);
  }
});

test('chunks reference tensor memory instead of copying it', () => {
  const t = Tensor.from([1, 2, 3, 4]);
  const chunks = savePthChunks(new Map([['t', t]]));
  assert.ok(
    chunks.some((c) => c.buffer === t.data.buffer),
    'a chunk is a view of the tensor data',
  );
  assert.deepStrictEqual(concatBytes(chunks), savePth(new Map([['t', t]])));
});

test('unsupported values are named with their path', () => {
  assert.throws(() => savePth({ model: { when: new Date(0) } } as never), /savePth: cannot store a Date at 'model\.when'/);
  assert.throws(() => savePth(new Map([[{}, 1]]) as never), /Map keys must be strings, numbers or booleans/);
});

test('torch.load reads what savePth writes (weights_only for a state dict)', { skip: skipUnlessPython('torch') }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'alexnet-pth-'));
  try {
    const ckpt = sampleCheckpoint();
    const ckptPath = join(dir, 'ckpt.pth');
    const sdPath = join(dir, 'sd.pth');
    writeFileSync(ckptPath, savePth(ckpt));
    writeFileSync(sdPath, savePth(ckpt.model));
    const out = runPython(
      `
import sys, json, math, collections, torch
def canon(v):
    if isinstance(v, torch.Tensor):
        assert v.dtype == torch.float32 and v.is_contiguous()
        return {'tensor': {'shape': list(v.shape), 'values': v.reshape(-1).tolist()}}
    if isinstance(v, dict):
        plain = not isinstance(v, collections.OrderedDict) and all(isinstance(k, str) for k in v)
        return {'object' if plain else 'map': [[canon(k), canon(x)] for k, x in v.items()]}
    if isinstance(v, (list, tuple)): return [canon(x) for x in v]
    if isinstance(v, bytes): return {'bytes': list(v)}
    if isinstance(v, int) and abs(v) > 2**53: return str(v)
    return v
ckpt = torch.load(sys.argv[1])
sd = torch.load(sys.argv[2], weights_only=True)
assert ckpt['optimizer']['param_groups'][0]['params'] == [0, 1, 2]
print(json.dumps({'ckpt': canon(ckpt), 'sd_keys': list(sd.keys()), 'type': type(sd).__name__}))
`,
      [ckptPath, sdPath],
    );
    const result = JSON.parse(out);
    const expected = canonical({ ...ckpt, huge: String(2n ** 70n) });
    assert.deepStrictEqual(result.ckpt, expected);
    assert.equal(result.type, 'OrderedDict');
    assert.deepStrictEqual(result.sd_keys, [...ckpt.model.keys()]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
