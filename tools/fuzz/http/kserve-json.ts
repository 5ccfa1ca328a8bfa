/**
 * KServe v2 /infer bodies: a valid request for the tiny model (a full
 * [N, 3, 224, 224] tensor, flat or nested, or a small mismatched one), then
 * broken in its tree (values replaced by wrong types, NaN-like strings,
 * non-JSON literals, huge numbers and deep nesting; keys dropped, unknown
 * keys added; shapes with huge, zero, negative or fractional N) and in its
 * text (cut, bit-flipped, duplicate keys, a BOM, UTF-16, invalid UTF-8).
 */
import { lengthFields, mutate } from '../mutate.js';
import type { Rand } from './random.js';

export interface KserveBody {
  bytes: Uint8Array;
  detail: string;
}

/** Text put into the JSON as it is: non-JSON literals (NaN), numbers JSON.stringify would rewrite, and deep nesting. */
class Raw {
  constructor(readonly text: string) {}
}

type Json = unknown;
type Path = (string | number)[];

const IMAGE_VALUES = 3 * 224 * 224;

function deep(r: Rand): Raw {
  const depth = r.pick([8, 100, 1000, 5000, 20_000, 100_000]);
  const [open, close] = r.chance(0.5) ? ['[', ']'] : ['{"a":', '}'];
  return new Raw(`${open.repeat(depth)}${r.pick(['0', '"x"', 'null', '[]'])}${close.repeat(depth)}`);
}

function weirdValue(r: Rand): Json {
  return r.weighted<() => Json>([
    [() => r.pick(['NaN', 'Infinity', '-Infinity', 'nan', '1e999', '0x10', '', ' 1', '１']), 10],
    [() => new Raw(r.pick(['NaN', 'Infinity', '-Infinity', 'undefined', '1e400', '-1e400', '1e-400', '-0', '0.0000000000000000000001', '01', '.5', '+1'])), 10],
    [() => r.pick([null, true, false, 0, -1, 1.5, 2 ** 53 + 1, 1e21, -1e308, 4294967297]), 12],
    [() => ({}), 3],
    [() => [], 3],
    [() => [[[]]], 2],
    [() => JSON.parse('{"__proto__":{"x":1},"constructor":{"prototype":2}}') as Json, 2],
    [() => 'x'.repeat(r.range(1000, 200_000)), 3],
    [() => '\ud800\udfff\u0000\u2028é', 2],
    [() => deep(r), 8],
    [() => Array.from({ length: r.range(1, 5000) }, () => r.int(1000)), 3],
  ])();
}

function weirdShape(r: Rand): Json {
  const n = r.pick([0, -1, 2, 3, 64, 65, 1000, 1e9, 2 ** 31, 2 ** 53, 1e300, 1.5, -0]);
  return r.weighted<Json>([
    [[n, 3, 224, 224], 40],
    [[1, 3, 224], 5],
    [[1, 3, 224, 224, 1], 5],
    [[1, 224, 224, 3], 5],
    [['1', '3', '224', '224'], 5],
    [[1, 3, 224, 224.0000001], 3],
    [[], 3],
    [[1, 1, 1, 150528], 3],
    [[1, 3, 112, 448], 3],
    [new Raw('[1,3,224,1e400]'), 2],
    ['1,3,224,224', 3],
  ]);
}

function fullData(r: Rand, n: number, nested: boolean): Json {
  const value = r.chance(0.6) ? (): number => 0 : (): number => r.int(201) / 100 - 1;
  if (!nested) return Array.from({ length: n * IMAGE_VALUES }, value);
  return Array.from({ length: n }, () => Array.from({ length: 3 }, () => Array.from({ length: 224 }, () => Array.from({ length: 224 }, value))));
}

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Raw);
}

/** Paths to nodes of the tree, long arrays sampled at a few indices. */
function paths(r: Rand, value: Json, path: Path, out: Path[]): void {
  out.push(path);
  if (Array.isArray(value)) {
    const indices = value.length <= 8 ? value.keys() : new Set([0, 1, value.length - 1, r.int(value.length)]);
    for (const i of indices) paths(r, value[i], [...path, i], out);
  } else if (isObject(value)) {
    for (const key of Object.keys(value)) paths(r, value[key], [...path, key], out);
  }
}

function parentOf(root: Json, path: Path): Json {
  let node = root;
  for (const key of path.slice(0, -1)) node = (node as Record<string | number, Json>)[key];
  return node;
}

/** One change to the tree; returns the new root (a change at the root replaces it). */
function mutateTree(root: Json, r: Rand, notes: string[]): Json {
  const all: Path[] = [];
  paths(r, root, [], all);
  // Most changes go to the fields the server checks.
  const interesting = all.filter((p) => p.length >= 1 && p.length <= 4);
  const path = r.chance(0.7) && interesting.length > 0 ? r.pick(interesting) : r.pick(all);
  const where = path.length === 0 ? '$' : path.join('.');
  const op = r.weighted([
    ['replace', 45],
    ['shape', 12],
    ['delete', 12],
    ['unknown-key', 8],
    ['wrap', 8],
    ['deep-data-element', 8],
    ['datatype', 7],
  ] as const);
  if (path.length === 0 || op === 'replace') {
    const value = weirdValue(r);
    notes.push(`${where} = ${describe(value)}`);
    if (path.length === 0) return value;
    (parentOf(root, path) as Record<string | number, Json>)[path[path.length - 1]] = value;
    return root;
  }
  const input = isObject(root) && Array.isArray(root.inputs) && isObject(root.inputs[0]) ? root.inputs[0] : null;
  const parent = parentOf(root, path) as Record<string | number, Json>;
  const key = path[path.length - 1];
  switch (op) {
    case 'shape': {
      if (input === null) return root;
      input.shape = weirdShape(r);
      notes.push(`shape = ${describe(input.shape)}`);
      return root;
    }
    case 'delete':
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key];
      notes.push(`delete ${where}`);
      return root;
    case 'unknown-key': {
      const target = isObject(parent[key]) ? (parent[key] as Record<string, Json>) : isObject(root) ? root : null;
      if (target === null) return root;
      const name = r.pick(['extra', 'parameters', 'binary_data', '__proto__', 'constructor', 'outputs', 'id', '']);
      Object.defineProperty(target, name, {
        value: r.chance(0.3) ? { binary_data: true, binary_data_size: 1e9 } : weirdValue(r),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      notes.push(`add key '${name}' at ${isObject(parent[key]) ? where : '$'}`);
      return root;
    }
    case 'wrap':
      parent[key] = r.chance(0.5) ? [parent[key]] : { value: parent[key] };
      notes.push(`wrap ${where}`);
      return root;
    case 'deep-data-element': {
      if (input === null || !Array.isArray(input.data) || input.data.length === 0) return root;
      const i = r.chance(0.5) ? 0 : r.int(input.data.length);
      input.data[i] = r.chance(0.7) ? deep(r) : weirdValue(r);
      notes.push(`data[${i}] = ${describe(input.data[i])}`);
      return root;
    }
    default: {
      if (input === null) return root;
      input.datatype = r.pick(['FP16', 'fp32', 'FP64', 'BYTES', 'INT8', '', null, 32, ['FP32']]);
      notes.push(`datatype = ${describe(input.datatype)}`);
      return root;
    }
  }
}

function describe(value: Json): string {
  if (value instanceof Raw) return value.text.length > 40 ? `raw ${value.text.slice(0, 12)}…(${value.text.length} chars)` : `raw ${value.text}`;
  if (typeof value === 'string') return value.length > 40 ? `string(${value.length})` : JSON.stringify(value);
  if (Array.isArray(value)) return value.length > 8 ? `array(${value.length})` : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

function serialize(value: Json): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_key, v: Json) => {
    if (v instanceof Raw) {
      raws.push(v.text);
      return `\u0001RAW${raws.length - 1}\u0001`;
    }
    return v;
  });
  return (text ?? 'undefined').replace(/"\\u0001RAW(\d+)\\u0001"/g, (_m, i: string) => raws[Number(i)]);
}

function mutateText(text: string, r: Rand, notes: string[]): Uint8Array {
  const op = r.weighted([
    ['bytes', 30],
    ['duplicate-key', 12],
    ['bom', 8],
    ['utf16', 6],
    ['invalid-utf8', 10],
    ['trailing', 10],
    ['comment', 6],
    ['nul', 6],
  ] as const);
  notes.push(`text: ${op}`);
  const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8');
  switch (op) {
    case 'bytes': {
      const bytes = utf8(text);
      return mutate(bytes, lengthFields(bytes), r.next);
    }
    case 'duplicate-key': {
      const key = r.pick(['inputs', 'name', 'shape', 'datatype', 'data']);
      return utf8(text.replace(`"${key}":`, `"${key}":${r.pick(['null', '1', '"x"', '[]', '{}'])},"${key}":`));
    }
    case 'bom':
      return utf8(`\ufeff${text}`);
    case 'utf16':
      return Buffer.from(text, 'utf16le');
    case 'invalid-utf8': {
      const bytes = Buffer.from(text, 'utf8');
      const at = r.int(bytes.length + 1);
      return Buffer.concat([
        bytes.subarray(0, at),
        Buffer.from(r.pick([[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x80]])),
        bytes.subarray(at),
      ]);
    }
    case 'trailing':
      return utf8(text + r.pick([' ', '\n', '}', ',', 'garbage', '{"inputs":[]}', '\u0000']));
    case 'comment':
      return utf8(`/* c */${text.replace(',', ', // c\n')}`);
    default:
      return utf8(text.replace(':', ':\u0000'));
  }
}

export function kserveBody(r: Rand): KserveBody {
  const notes: string[] = [];
  const size = r.weighted([
    ['small', 70],
    ['full', 24],
    ['full2', 4],
    ['full8', 2],
  ] as const);
  const n = size === 'full' ? 1 : size === 'full2' ? 2 : size === 'full8' ? 8 : r.pick([1, 1, 2, 64, 65]);
  const nested = size !== 'small' && size !== 'full8' && r.chance(0.3);
  const data = size === 'small' ? Array.from({ length: r.pick([0, 1, 5, 224, IMAGE_VALUES - 1]) }, () => r.int(10)) : fullData(r, n, nested);
  notes.push(`${size} N=${n}${nested ? ' nested' : ''}`);
  let root: Json = {
    ...(r.chance(0.3) ? { id: r.pick(['req-1', '', 'x'.repeat(500)]) } : {}),
    inputs: [{ name: 'input', shape: [n, 3, 224, 224], datatype: 'FP32', data }],
    ...(r.chance(0.3) ? { outputs: [{ name: 'logits' }] } : {}),
    ...(r.chance(0.15) ? { parameters: { binary_data_output: false } } : {}),
  };
  // Full valid tensors are sent unchanged now and then, so the happy path runs among the broken ones.
  const changes =
    size !== 'small' && r.chance(0.25)
      ? 0
      : r.weighted([
          [1, 60],
          [2, 25],
          [3, 15],
        ] as const);
  for (let i = 0; i < changes; i++) root = mutateTree(root, r, notes);
  const text = serialize(root);
  const bytes = r.chance(0.2) ? mutateText(text, r, notes) : Buffer.from(text, 'utf8');
  return { bytes, detail: notes.join('; ') };
}
