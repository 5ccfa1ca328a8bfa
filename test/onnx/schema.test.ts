/**
 * Our ONNX schema (src/onnx/schema.ts) against python3-onnx's own protobuf
 * descriptors: every field we declare has onnx.proto's number, wire type and
 * repetition, and every enum value its number. The element-type codes of
 * onnx-tensor.ts are checked against TensorProto.DataType the same way.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import protobuf from 'protobufjs/light.js';
import { ONNX_DATA_TYPE } from '../../src/onnx/onnx-tensor.js';
import { onnxSchemaRoot } from '../../src/onnx/schema.js';
import { pythonExecutable } from '../helpers/torch.js';

interface PyField {
  number: number;
  type: number;
  repeated: boolean;
  ref: string | null;
}
interface Dump {
  messages: Record<string, Record<string, PyField>>;
  enums: Record<string, Record<string, number>>;
}

/** google.protobuf FieldDescriptor.TYPE_* numbers of protobufjs' scalar type names. */
const SCALAR_TYPES: Record<string, number> = { double: 1, float: 2, int64: 3, uint64: 4, int32: 5, string: 9, bytes: 12 };
const TYPE_MESSAGE = 11;
const TYPE_ENUM = 14;

function dumpPythonSchema(): Dump | string {
  const r = spawnSync(pythonExecutable(), ['tools/onnx/dump_schema.py'], { encoding: 'utf8' });
  if (r.status !== 0) return `python3-onnx is not importable (${r.stderr.trim().split('\n').at(-1)})`;
  return JSON.parse(r.stdout) as Dump;
}

const dump = dumpPythonSchema();

const snake = (name: string): string => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function* ourTypes(ns: protobuf.NamespaceBase): Generator<protobuf.Type | protobuf.Enum> {
  for (const nested of ns.nestedArray) {
    if (nested instanceof protobuf.Type || nested instanceof protobuf.Enum) yield nested;
    if (nested instanceof protobuf.Namespace || nested instanceof protobuf.Type) yield* ourTypes(nested);
  }
}

test('every message field has onnx.proto number, type and repetition', { skip: typeof dump === 'string' ? dump : false }, () => {
  const { messages } = dump as Dump;
  let checked = 0;
  for (const type of ourTypes(onnxSchemaRoot)) {
    if (!(type instanceof protobuf.Type)) continue;
    const fullName = type.fullName.slice(1);
    const theirs = messages[fullName];
    assert.ok(theirs !== undefined, `${fullName} is not an ONNX message`);
    for (const field of type.fieldsArray) {
      const python = theirs[snake(field.name)];
      assert.ok(python !== undefined, `${fullName}.${snake(field.name)} does not exist in onnx.proto`);
      assert.equal(field.id, python.number, `${fullName}.${field.name}: field number`);
      assert.equal(field.repeated, python.repeated, `${fullName}.${field.name}: repeated`);
      field.resolve();
      if (field.resolvedType instanceof protobuf.Type) {
        assert.equal(python.type, TYPE_MESSAGE, `${fullName}.${field.name}: message`);
        assert.equal(field.resolvedType.fullName.slice(1), python.ref, `${fullName}.${field.name}: message type`);
      } else if (field.resolvedType instanceof protobuf.Enum) {
        assert.equal(python.type, TYPE_ENUM, `${fullName}.${field.name}: enum`);
        assert.equal(field.resolvedType.fullName.slice(1), python.ref, `${fullName}.${field.name}: enum type`);
      } else {
        assert.equal(SCALAR_TYPES[field.type], python.type, `${fullName}.${field.name}: scalar type ${field.type}`);
      }
      checked++;
    }
  }
  assert.ok(checked > 60, `checked ${checked} fields`);
});

test('every enum value has its onnx.proto number', { skip: typeof dump === 'string' ? dump : false }, () => {
  const { enums } = dump as Dump;
  for (const type of ourTypes(onnxSchemaRoot)) {
    if (!(type instanceof protobuf.Enum)) continue;
    const theirs = enums[type.fullName.slice(1)];
    assert.ok(theirs !== undefined, `${type.fullName} is not an ONNX enum`);
    for (const [name, value] of Object.entries(type.values)) assert.equal(value, theirs[name], `${type.fullName}.${name}`);
  }
  const dataTypes = enums['onnx.TensorProto.DataType'];
  const onnxNames: Record<string, string> = { float32: 'FLOAT', float64: 'DOUBLE' };
  for (const [ours, code] of Object.entries(ONNX_DATA_TYPE)) assert.equal(code, dataTypes[onnxNames[ours] ?? ours.toUpperCase()], `data type ${ours}`);
});
