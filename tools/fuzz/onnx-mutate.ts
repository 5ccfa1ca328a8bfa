/**
 * Mutations of an ONNX model that keep it a well-formed protobuf: the model
 * is decoded, one to three of its values are changed (an attribute, a dim,
 * an integer initializer's element, a node's op_type or inputs, an element
 * type, the opset) and it is encoded again. Byte mutations (mutate.ts)
 * mostly break the protobuf and stop in the decoder; these reach the
 * operators with extreme sizes, axes, pads and shapes.
 */
import { supportedOperators } from '../../src/onnx/index.js';
import { ModelProtoType } from '../../src/onnx/schema.js';

/** Integers that break size arithmetic: 0, ±1, small, 2^31 and 2^32 edges, 2^53, int64's extremes. */
const INTS: readonly (number | string)[] = [
  0,
  1,
  -1,
  2,
  3,
  7,
  16,
  255,
  65535,
  2 ** 31 - 1,
  2 ** 31,
  -(2 ** 31),
  2 ** 32,
  2 ** 53,
  -(2 ** 53),
  '9223372036854775807',
  '-9223372036854775808',
];
const FLOATS: readonly number[] = [0, -1, 0.5, Number.NaN, Number.POSITIVE_INFINITY, 1e30, -1e-30];
/** TensorProto.DataType codes: held ones, and FLOAT16, STRING, UNDEFINED. */
const DATA_TYPES: readonly number[] = [0, 1, 2, 3, 6, 7, 8, 9, 10, 11, 12, 13];
const ATTRIBUTE_NAMES: readonly string[] = [
  'axis',
  'axes',
  'pads',
  'kernel_shape',
  'strides',
  'dilations',
  'group',
  'perm',
  'split',
  'to',
  'keepdims',
  'ceil_mode',
  'size',
  'start',
  'end',
];

/** protobufjs' plain-object form, loosely typed: only what the mutations touch. */
interface Message {
  [field: string]: unknown;
}

type Edit = () => void;

export function mutateOnnx(base: Uint8Array, rand: () => number): Uint8Array | null {
  const pick = <T>(values: readonly T[]): T => values[Math.floor(rand() * values.length)];
  const at = (length: number): number => Math.floor(rand() * length);
  const model = ModelProtoType.toObject(ModelProtoType.decode(base), { longs: String, bytes: Array }) as Message;
  const edits: Edit[] = [];
  const names = new Set<string>(['']);

  const tensor = (t: Message): void => {
    const dims = (t.dims as unknown[] | undefined) ?? [];
    if (dims.length > 0) edits.push(() => (dims[at(dims.length)] = pick(INTS)));
    edits.push(() => (t.dataType = pick(DATA_TYPES)));
    const raw = t.rawData as number[] | undefined;
    if (t.dataType === 7 && raw !== undefined && raw.length >= 8) {
      edits.push(() => {
        const view = new DataView(new ArrayBuffer(8));
        view.setBigInt64(0, BigInt.asIntN(64, BigInt(pick(INTS))), true);
        raw.splice(8 * at(raw.length / 8), 8, ...new Uint8Array(view.buffer));
      });
    }
  };

  const graph = (g: Message): void => {
    const nodes = (g.node as Message[] | undefined) ?? [];
    for (const node of nodes) {
      for (const n of [...((node.input as string[] | undefined) ?? []), ...((node.output as string[] | undefined) ?? [])]) names.add(n);
      const attributes = ((node.attribute as Message[] | undefined) ?? []) as Message[];
      node.attribute = attributes;
      for (const a of attributes) {
        if (a.i !== undefined) edits.push(() => (a.i = pick(INTS)));
        if (a.f !== undefined) edits.push(() => (a.f = pick(FLOATS)));
        const ints = a.ints as unknown[] | undefined;
        if (ints !== undefined && ints.length > 0) {
          edits.push(() => (ints[at(ints.length)] = pick(INTS)));
          edits.push(() => ints.pop());
          edits.push(() => ints.push(pick(INTS)));
        }
        edits.push(() => (a.type = at(9)));
        if (a.g !== undefined && a.g !== null) graph(a.g as Message);
        if (a.t !== undefined && a.t !== null) tensor(a.t as Message);
      }
      edits.push(() => attributes.push({ name: pick(ATTRIBUTE_NAMES), type: 7, ints: [pick(INTS), pick(INTS)].slice(0, 1 + at(2)) }));
      edits.push(() => (node.opType = pick(supportedOperators())));
      edits.push(() => {
        const inputs = [...((node.input as string[] | undefined) ?? [])];
        inputs[at(inputs.length + 1)] = pick([...names]);
        node.input = inputs;
      });
      edits.push(() => (node.input = ((node.input as string[] | undefined) ?? []).slice(0, -1)));
    }
    for (const t of (g.initializer as Message[] | undefined) ?? []) tensor(t);
    for (const info of [...((g.input as Message[] | undefined) ?? []), ...((g.output as Message[] | undefined) ?? [])]) {
      const tensorType = (info.type as Message | undefined)?.tensorType as Message | undefined;
      if (tensorType === undefined) continue;
      const dims = ((tensorType.shape as Message | undefined)?.dim as Message[] | undefined) ?? [];
      if (dims.length > 0) edits.push(() => (dims[at(dims.length)] = { dimValue: pick(INTS) }));
      edits.push(() => (tensorType.elemType = pick(DATA_TYPES)));
    }
  };

  if (model.graph !== undefined && model.graph !== null) graph(model.graph as Message);
  const opsets = (model.opsetImport as Message[] | undefined) ?? [];
  if (opsets.length > 0) edits.push(() => (opsets[0].version = pick([1, 6, 7, 9, 10, 11, 12, 13, 15, 17, 18])));
  for (let k = 1 + at(3); k > 0 && edits.length > 0; k--) pick(edits)();
  try {
    return new Uint8Array(ModelProtoType.encode(ModelProtoType.fromObject(model)).finish());
  } catch {
    return null; // a value protobufjs will not encode: the caller mutates bytes instead
  }
}
