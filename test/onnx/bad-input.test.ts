/**
 * ONNX models that must be refused, each with one clear message naming the
 * file and the problem: bytes that are not a model, operator sets and
 * operators we do not run, graphs that cannot be ordered, initializers whose
 * data does not fit their dims (checked before anything is allocated),
 * attributes and weights we would silently mishandle, wrong feeds, and
 * external data that is missing, too short or outside the model's folder.
 * The models are built here with the project's own encoder.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

import { FormatError } from '../../src/formats/errors.js';
import { readOnnxModelFile } from '../../src/node/onnx/onnx-files.js';
import { importOnnx, OnnxTensor, type OnnxModel } from '../../src/onnx/index.js';
import { ModelProtoType } from '../../src/onnx/schema.js';
import { type TensorProtoMessage, tensorToProto } from '../../src/onnx/tensor-proto.js';

interface ValueInfoMessage {
  type: { tensorType: { elemType: number } };
}
import {
  addGraph,
  floatInitializer,
  graphBytes,
  type GraphSpec,
  int,
  ints,
  lrnPoolGraph,
  node,
  reshapeMatMul,
  shapeIfGraph,
  tinyConvNet,
  valueInfo,
} from '../helpers/onnx-graphs.js';

const SOURCE = 'bad.onnx';

/** The error `fn` throws: an Error (not a TypeError or RangeError from inside a parser), one line, matching `pattern`. */
function refusal(fn: () => unknown, pattern: RegExp): Error {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof Error, `expected an error matching ${pattern}, got ${caught === undefined ? 'none' : String(caught)}`);
  assert.ok(
    caught instanceof FormatError || caught.constructor === Error,
    `expected the importer's own error, got ${caught.constructor.name}: ${caught.message}`,
  );
  assert.doesNotMatch(caught.message, /\n/, 'one line');
  assert.match(caught.message, pattern);
  return caught;
}

/** An import refused with a message that starts with the file's name. */
function refusedImport(bytes: Uint8Array, pattern: RegExp): Error {
  const error = refusal(() => importOnnx(bytes, { source: SOURCE }), pattern);
  assert.ok(error.message.startsWith(`${SOURCE}: `), error.message);
  return error;
}

/** One Relu on x [N, 3, 4, 4], plus whatever the test changes. */
function reluSpec(changes: Partial<GraphSpec> = {}): GraphSpec {
  return {
    nodes: [node('Relu', ['x'], ['y'], 'relu')],
    inputs: [valueInfo('x', ['N', 3, 4, 4])],
    outputs: [valueInfo('y', ['N', 3, 4, 4])],
    ...changes,
  };
}

/** A Relu model with one float initializer `w` (read by nothing but kept in the state dict). */
function withInitializer(w: TensorProtoMessage): Uint8Array {
  return graphBytes(reluSpec({ initializers: [w] }));
}

describe('bytes that are not an ONNX model', () => {
  test('an empty file', () => {
    refusedImport(new Uint8Array(0), /empty file: expected an ONNX model/);
  });

  test('random bytes', () => {
    let state = 12345;
    const byte = (): number => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state >>> 24;
    };
    for (const length of [1, 2, 7, 64, 500, 4096]) {
      for (let k = 0; k < 5; k++) refusedImport(Uint8Array.from({ length }, byte), /not a valid ONNX model|not an ONNX model|imports no operator set/);
    }
  });

  test('a valid model cut at every length is refused, never half-loaded', () => {
    const bytes = tinyConvNet();
    importOnnx(bytes, { source: SOURCE }); // the whole file loads
    const messages = new Set<string>();
    for (let length = 0; length < bytes.length; length++) {
      const error = refusedImport(bytes.subarray(0, length), /empty file|not a valid ONNX model|not an ONNX model|imports no operator set/);
      messages.add(error.message.replace(/\d+/g, 'N'));
    }
    assert.ok(messages.size >= 3, [...messages].join('; '));
  });

  test('a model with no graph', () => {
    refusedImport(Uint8Array.of(0x08, 0x07), /not an ONNX model: the file has no graph/); // ir_version 7 and nothing else
  });
});

describe('operator sets and operators', () => {
  test('opset 18 is refused with the supported range', () => {
    refusedImport(graphBytes(reluSpec({ opset: 18 })), /opset 18 is not supported \(expected 1 to 17\)/);
  });

  test('a model importing no operator set is refused with the range that loads (opset 1 to 17, as MIN_OPSET says)', () => {
    refusedImport(graphBytes(reluSpec({ opsets: new Map() })), /imports no operator set \(IR version 7\); expected opset 1 to 17 of the default domain$/);
  });

  test('a model importing only a custom domain', () => {
    refusedImport(graphBytes(reluSpec({ opsets: new Map([['com.example', 1]]) })), /does not import the default ONNX operator set \(ai\.onnx\)/);
  });

  test('an unsupported operator: the message names the op and its node and lists what is supported', () => {
    const error = refusedImport(
      graphBytes(reluSpec({ nodes: [node('Frobnicate', ['x'], ['y'], 'frob_1')] })),
      /unsupported operator Frobnicate \(node 'frob_1'\); supported: /,
    );
    for (const op of ['Conv', 'Gemm', 'MaxPool', 'Relu', 'Softmax', 'LRN']) assert.match(error.message, new RegExp(`\\b${op}\\b`));
  });

  test('two unsupported operators are reported together in one message', () => {
    const nodes = [node('Frobnicate', ['x'], ['t'], 'frob_1'), node('Relu', ['t'], ['u'], 'relu'), node('Wibble', ['u'], ['y'], 'wib_2')];
    refusedImport(graphBytes(reluSpec({ nodes })), /unsupported operators Frobnicate \(node 'frob_1'\), Wibble \(node 'wib_2'\); supported: /);
  });

  test("an operator from another domain is named with its domain, even when its name is one of ONNX's", () => {
    const custom = { ...node('Relu', ['x'], ['y'], 'custom_relu'), domain: 'com.example' };
    refusedImport(
      graphBytes(
        reluSpec({
          nodes: [custom],
          opsets: new Map([
            ['', 13],
            ['com.example', 1],
          ]),
        }),
      ),
      /unsupported operator com\.example\.Relu \(node 'custom_relu'\)/,
    );
  });
});

describe('graphs that cannot run', () => {
  test('a node reading a value nothing produces', () => {
    refusedImport(
      graphBytes(reluSpec({ nodes: [node('Add', ['x', 'ghost'], ['y'], 'add_1')] })),
      /node 'add_1' \(Add\) reads 'ghost', which no node, input or initializer produces/,
    );
  });

  test('a cycle', () => {
    const nodes = [node('Add', ['x', 'b'], ['a'], 'first'), node('Relu', ['a'], ['b'], 'second'), node('Relu', ['a'], ['y'], 'third')];
    refusedImport(graphBytes(reluSpec({ nodes })), /the graph has a cycle through node '(first|second)'/);
  });

  test('a value produced twice', () => {
    const nodes = [node('Relu', ['x'], ['y'], 'one'), node('Neg', ['x'], ['y'], 'two')];
    refusedImport(graphBytes(reluSpec({ nodes })), /value 'y' is produced twice \(node 'two'\)/);
  });

  test('a graph output that no node computes is refused at import, not at the first run', () => {
    refusedImport(graphBytes(reluSpec({ outputs: [valueInfo('nowhere', null)] })), /graph output 'nowhere' is not produced by any node, input or initializer/);
  });
});

describe('initializers whose data does not fit their dims', () => {
  const w = floatInitializer('w', [2, 3]);

  test('raw_data shorter than the dims need', () => {
    refusedImport(
      withInitializer({ ...w, rawData: w.rawData!.subarray(0, 20) }),
      /initializer 'w': raw_data holds 20 bytes, expected 24 \(6 elements for shape \[2, 3\]\)/,
    );
  });

  test('float_data with fewer values than the dims need', () => {
    refusedImport(
      withInitializer({ name: 'w', dims: [2, 3], dataType: 1, floatData: [1, 2, 3] }),
      /initializer 'w': float_data holds 3 values, expected 6 elements/,
    );
  });

  test('dims whose product exceeds 2^31 - 1 are refused before anything is allocated', () => {
    const before = process.memoryUsage().arrayBuffers;
    refusedImport(withInitializer({ ...w, dims: [65536, 65536, 65536] }), /initializer 'w': shape \[65536, 65536, 65536\] holds more than 2147483647 elements/);
    // 2^48 float32 would be 1 PiB; not even 2^31 elements (8 GiB) were set aside.
    assert.ok(process.memoryUsage().arrayBuffers - before < 2 ** 30);
    // A zero dimension makes the tensor empty, however large the others (onnx.checker takes [2^40, 0]).
    const empty = importOnnx(withInitializer({ name: 'w', dataType: 1, dims: [2 ** 40, 0] }), { source: SOURCE });
    assert.deepEqual(empty.stateDict().get('w')?.shape, [2 ** 40, 0]);
  });

  test('a negative dim', () => {
    refusedImport(withInitializer({ ...w, dims: [2, -3] }), /initializer 'w': invalid dimension -3 in shape \[2, -3\]/);
  });

  test('an element type we do not hold (float16)', () => {
    refusedImport(
      withInitializer({ name: 'w', dims: [2], dataType: 10, rawData: new Uint8Array(4) }),
      /initializer 'w': element type FLOAT16 is not supported/,
    );
  });

  test('a graph input or output declared float16, bfloat16 or string (it would be fed float32 silently)', () => {
    for (const [index, code, name] of [
      [0, 10, 'FLOAT16'],
      [0, 16, 'BFLOAT16'],
      [1, 8, 'STRING'],
    ] as const) {
      const message = ModelProtoType.decode(graphBytes(reluSpec())) as unknown as { graph: { input: ValueInfoMessage[]; output: ValueInfoMessage[] } };
      const info = index === 0 ? message.graph.input[0] : message.graph.output[0];
      info.type.tensorType.elemType = code;
      const bytes = ModelProtoType.encode(message as never).finish();
      const what = index === 0 ? "input 'x'" : "output 'y'";
      refusedImport(bytes, new RegExp(`graph ${what} is declared ${name}, which is not supported \\(float32, float64, integers and bool are\\)`));
    }
  });

  test('an initializer without a name', () => {
    refusedImport(withInitializer({ ...w, name: '' }), /initializer 0 has no name/);
  });
});

describe('attributes and weights the importer would mishandle', () => {
  test('an unknown attribute on a known operator is refused by name', () => {
    refusedImport(graphBytes(reluSpec({ nodes: [node('Relu', ['x'], ['y'], 'relu', { foo: int(1) })] })), /node 'relu' \(Relu\): unsupported attribute 'foo'/);
  });

  test('an attribute of the wrong type', () => {
    const nodes = [node('Flatten', ['x'], ['y'], 'flat', { axis: { kind: 'string', value: 'one' } })];
    refusedImport(graphBytes(reluSpec({ nodes, outputs: [valueInfo('y', null)] })), /node 'flat' \(Flatten\): attribute 'axis' must be int, got string/);
  });

  test('a Conv with a 3-D weight: only 2-D convolutions', () => {
    const nodes = [node('Conv', ['x', 'w'], ['y'], 'conv1d')];
    const spec = reluSpec({ nodes, initializers: [floatInitializer('w', [2, 3, 3])], inputs: [valueInfo('x', ['N', 3, 8])], outputs: [valueInfo('y', null)] });
    refusedImport(graphBytes(spec), /node 'conv1d' \(Conv\): only 2-D convolutions are supported.*got weight \[2, 3, 3\]/);
  });
});

describe('sizes and values that only show at run time are refused by node, before allocating', () => {
  const x = OnnxTensor.zeros('float32', [1, 1, 4, 4]);

  function convWithPads(pads: number[]): OnnxModel {
    const spec: GraphSpec = {
      nodes: [node('Conv', ['x', 'w'], ['y'], 'conv', { pads: ints(pads) })],
      initializers: [floatInitializer('w', [2, 1, 3, 3])],
      inputs: [valueInfo('x', [1, 1, 4, 4])],
      outputs: [valueInfo('y', null)],
    };
    return importOnnx(graphBytes(spec), { source: SOURCE });
  }

  test('Conv pads that would make a padded input of billions of elements (asymmetric: padded first)', () => {
    refusal(
      () => convWithPads([0, 0, 70000, 70000]).run({ x }),
      /^bad\.onnx: node 'conv' \(Conv\): pad: .* would make 4900560016 elements \(at most 2147483647\)/,
    );
  });

  test('Conv pads that would make an output of billions of elements (symmetric: inside the layer)', () => {
    refusal(() => convWithPads([70000, 70000, 70000, 70000]).run({ x }), /^bad\.onnx: node 'conv' \(Conv\): .*gives a 140002×140002 output, too large/);
  });

  test('AveragePool pads that would make an output of billions of elements (valid: the kernel is larger)', () => {
    const spec: GraphSpec = {
      nodes: [
        node('AveragePool', ['x'], ['y'], 'avg', { kernel_shape: ints([200001, 200001]), pads: ints([200000, 200000, 200000, 200000]), strides: ints([1, 1]) }),
      ],
      initializers: [],
      inputs: [valueInfo('x', [1, 1, 4, 4])],
      outputs: [valueInfo('y', null)],
    };
    refusal(
      () => importOnnx(graphBytes(spec), { source: SOURCE }).run({ x }),
      /^bad\.onnx: node 'avg' \(AveragePool\): .*the output \[1, 1, 200004, 200004\] would hold 40001600016 elements \(at most 2147483647\)/,
    );
  });

  test('the same Conv with small pads runs', () => {
    assert.deepEqual(convWithPads([1, 1, 1, 1]).run({ x }).get('y')!.shape, [1, 2, 4, 4]);
    assert.deepEqual(convWithPads([0, 0, 1, 1]).run({ x }).get('y')!.shape, [1, 2, 3, 3]);
  });

  test("a 3-D input to a 2-D Conv or MaxPool is refused, as onnxruntime refuses it (torch's layers take it unbatched)", () => {
    const x3 = OnnxTensor.zeros('float32', [1, 4, 4]);
    // Inputs of undeclared shape, so that the node itself sees the 3-D value.
    const undeclared = (n: ReturnType<typeof node>, initializers: TensorProtoMessage[] = []): OnnxModel =>
      importOnnx(graphBytes({ nodes: [n], initializers, inputs: [valueInfo('x', null)], outputs: [valueInfo('y', null)] }), { source: SOURCE });
    const conv = undeclared(node('Conv', ['x', 'w'], ['y'], 'conv', { pads: ints([1, 1, 1, 1]) }), [floatInitializer('w', [2, 1, 3, 3])]);
    refusal(() => conv.run({ x: x3 }), /^bad\.onnx: node 'conv' \(Conv\): expected an input of rank 4, got \[1, 4, 4\]/);
    const pool = undeclared(node('MaxPool', ['x'], ['y'], 'pool', { kernel_shape: ints([2, 2]) }));
    refusal(() => pool.run({ x: x3 }), /^bad\.onnx: node 'pool' \(MaxPool\): expected an input of rank 4, got \[1, 4, 4\]/);
  });

  test('a broadcast to more than 2^31 - 1 elements', () => {
    const spec: GraphSpec = {
      nodes: [node('Add', ['row', 'column'], ['y'], 'add')],
      initializers: [floatInitializer('row', [1, 65536], new Float32Array(65536)), floatInitializer('column', [65536, 1], new Float32Array(65536))],
      inputs: [],
      outputs: [valueInfo('y', null)],
    };
    const model = importOnnx(graphBytes(spec), { source: SOURCE });
    refusal(
      () => model.run({}),
      /^bad\.onnx: node 'add' \(Add\): shapes \[1, 65536\] and \[65536, 1\] broadcast to \[65536, 65536\], more than 2147483647 elements/,
    );
  });

  test('integer division by zero (int64 and int32)', () => {
    for (const type of ['int64', 'int32'] as const) {
      const divisor = type === 'int64' ? OnnxTensor.fromInt64([2, 0]) : new OnnxTensor('int32', [2], Int32Array.of(2, 0));
      const spec: GraphSpec = {
        nodes: [node('Div', ['n', 'd'], ['q'], 'div')],
        initializers: [tensorToProto('d', divisor)],
        inputs: [valueInfo('n', [2], type)],
        outputs: [valueInfo('q', [2], type)],
      };
      const model = importOnnx(graphBytes(spec), { source: SOURCE });
      const n = type === 'int64' ? OnnxTensor.fromInt64([7, 7]) : new OnnxTensor('int32', [2], Int32Array.of(7, 7));
      refusal(() => model.run({ n }), /^bad\.onnx: node 'div' \(Div\): integer division by zero$/);
      const ok = type === 'int64' ? OnnxTensor.fromInt64([-7, 9]) : new OnnxTensor('int32', [2], Int32Array.of(-7, 9));
      const divisorOk = importOnnx(
        graphBytes({
          ...spec,
          initializers: [tensorToProto('d', type === 'int64' ? OnnxTensor.fromInt64([2, 4]) : new OnnxTensor('int32', [2], Int32Array.of(2, 4)))],
        }),
        { source: SOURCE },
      );
      assert.deepEqual([...divisorOk.run({ n: ok }).get('q')!.data].map(Number), [-3, 2], `${type} division truncates toward zero`);
    }
  });
});

describe('feeding a model', () => {
  const model = importOnnx(graphBytes(reluSpec()), { source: SOURCE });
  const good = OnnxTensor.zeros('float32', [2, 3, 4, 4]);

  test('the right feed runs', () => {
    const x = new OnnxTensor(
      'float32',
      [1, 3, 4, 4],
      Float32Array.from({ length: 48 }, (_, i) => i - 24),
    );
    const y = model.run({ x }).get('y')!;
    assert.deepEqual(y.shape, [1, 3, 4, 4]);
    assert.deepEqual(
      y.data,
      Float32Array.from(x.data as Float32Array, (v) => Math.max(v, 0)),
    );
  });

  test('a wrong input name names it and lists the inputs with their shapes', () => {
    refusal(() => model.run({ z: good }), /unknown input 'z': the graph's inputs are 'x' float32\[N, 3, 4, 4\]/);
    refusal(() => model.run({ x: good, z: good }), /unknown input 'z'/);
  });

  test('a missing input', () => {
    refusal(() => model.run({}), /missing input 'x': the graph's inputs are 'x' float32\[N, 3, 4, 4\]/);
  });

  test('a wrong element type', () => {
    refusal(() => model.run({ x: OnnxTensor.zeros('float64', [2, 3, 4, 4]) }), /input 'x': expected float32, got float64/);
  });

  test('a wrong fixed dim or rank names the input and the expected shape', () => {
    refusal(() => model.run({ x: OnnxTensor.zeros('float32', [2, 3, 5, 4]) }), /input 'x': expected shape \[N, 3, 4, 4\], got \[2, 3, 5, 4\]/);
    refusal(() => model.run({ x: OnnxTensor.zeros('float32', [3, 4, 4]) }), /input 'x': expected shape \[N, 3, 4, 4\], got \[3, 4, 4\]/);
  });

  test('the symbolic dim takes any size', () => {
    assert.deepEqual(model.run({ x: OnnxTensor.zeros('float32', [5, 3, 4, 4]) }).get('y')!.shape, [5, 3, 4, 4]);
  });

  test('a layer that fails on what the graph feeds it is named by its node', () => {
    // The graph declares no input shape, so the feed is not checked: Gemm's Linear gets 5 features, not 4.
    const gemm = graphBytes({
      nodes: [node('Gemm', ['x', 'w', 'b'], ['y'], 'fc', { transB: int(1) })],
      initializers: [floatInitializer('w', [2, 4]), floatInitializer('b', [2])],
      inputs: [valueInfo('x', null)],
      outputs: [valueInfo('y', null)],
    });
    const fc = importOnnx(gemm, { source: SOURCE });
    assert.deepEqual(fc.run({ x: OnnxTensor.zeros('float32', [1, 4]) }).get('y')!.shape, [1, 2]);
    refusal(() => fc.run({ x: OnnxTensor.zeros('float32', [1, 5]) }), /^bad\.onnx: node 'fc' \(Gemm\): .*\[1, 5\]/);
  });
});

describe('the small models built for these tests and the fuzzer run', () => {
  const zeros = (model: OnnxModel) =>
    new Map(
      model.inputs.map((i) => [
        i.name,
        OnnxTensor.zeros(
          'float32',
          i.shape!.map((d) => (typeof d === 'number' ? d : 2)),
        ),
      ]),
    );

  test('each imports and computes its declared output shape', () => {
    for (const [bytes, shape] of [
      [tinyConvNet(), [2, 3]],
      [tinyConvNet(9), [2, 3]],
      [reshapeMatMul(), [2, 2]],
      [lrnPoolGraph(), [1, 2]],
      [shapeIfGraph(), [2, 48]],
    ] as const) {
      const model = importOnnx(bytes, { source: SOURCE });
      assert.deepEqual(model.run(zeros(model)).get(model.outputs[0].name)!.shape, shape);
    }
  });

  test('the two-input Add graph the CLI tests use adds', () => {
    const model = importOnnx(addGraph([2, 3]), { source: SOURCE });
    const a = new OnnxTensor('float32', [2, 3], Float32Array.from([1, 2, 3, 4, 5, 6]));
    const b = new OnnxTensor('float32', [2, 3], Float32Array.from([10, 20, 30, 40, 50, 60]));
    assert.deepEqual(model.run({ a, b }).get('sum')!.data, Float32Array.from([11, 22, 33, 44, 55, 66]));
  });

  test("If runs after the nodes that compute its branches' inputs, even when its own input is ready first", () => {
    const x = new OnnxTensor(
      'float32',
      [1, 3, 4, 4],
      Float32Array.from({ length: 48 }, (_, i) => i - 24),
    );
    const [relu, neg] = [shapeIfGraph(true), shapeIfGraph(false)].map((b) => importOnnx(b, { source: SOURCE }).run({ x }).get('y')!);
    assert.deepEqual(relu.shape, [1, 48]);
    assert.deepEqual(
      relu.data,
      Float32Array.from(x.data as Float32Array, (v) => Math.max(v, 0)),
    );
    assert.deepEqual(
      neg.data,
      Float32Array.from(x.data as Float32Array, (v) => -v),
    );
  });
});

describe('external data', () => {
  const root = mkdtempSync(join(tmpdir(), 'alexnet-onnx-external-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const folder = join(root, 'model');
  mkdirSync(folder);
  const values = Float32Array.from([1.5, -2, 3.25, 0.5, -0.75, 4]);
  const valueBytes = new Uint8Array(values.buffer);
  // 16 bytes of something else first: the tensor starts at offset 16.
  writeFileSync(join(folder, 'weights.bin'), Buffer.concat([Buffer.alloc(16, 0xee), valueBytes]));
  writeFileSync(join(root, 'secret.bin'), valueBytes);
  symlinkSync(join(root, 'secret.bin'), join(folder, 'link.bin'));

  /** y = x * w, with w [2, 3] stored outside the model as `entries` say. */
  function externalModel(entries: Record<string, string>): Uint8Array {
    const w: TensorProtoMessage = {
      name: 'w',
      dims: [2, 3],
      dataType: 1,
      dataLocation: 1,
      externalData: Object.entries(entries).map(([key, value]) => ({ key, value })),
    };
    return graphBytes({
      nodes: [node('Mul', ['x', 'w'], ['y'], 'mul')],
      initializers: [w],
      inputs: [valueInfo('x', [2, 3])],
      outputs: [valueInfo('y', [2, 3])],
    });
  }

  /** Writes the model into the folder and reads it back through the file loader (which supplies the external data). */
  function load(name: string, entries: Record<string, string>): Promise<OnnxModel> {
    const path = join(folder, name);
    writeFileSync(path, externalModel(entries));
    return readOnnxModelFile(path);
  }

  async function refusedLoad(name: string, entries: Record<string, string>, pattern: RegExp): Promise<void> {
    const path = join(folder, name);
    await assert.rejects(load(name, entries), (error: Error) => {
      assert.ok(error instanceof FormatError, `${error.constructor.name}: ${error.message}`);
      assert.doesNotMatch(error.message, /\n/);
      assert.ok(error.message.startsWith(`${path}: `), error.message);
      assert.match(error.message, pattern);
      return true;
    });
  }

  test('a tensor in a file beside the model loads and computes', async () => {
    const model = await load('good.onnx', { location: 'weights.bin', offset: '16', length: '24' });
    assert.deepEqual(model.stateDict().get('w')!.data, values);
    const x = new OnnxTensor('float32', [2, 3], Float32Array.from([1, 2, 3, 4, 5, 6]));
    assert.deepEqual(
      model.run({ x }).get('y')!.data,
      Float32Array.from(values, (v, i) => v * (i + 1)),
    );
  });

  test('without a length, the tensor runs from the offset to what its shape needs', async () => {
    const model = await load('no-length.onnx', { location: 'weights.bin', offset: '16' });
    assert.deepEqual(model.stateDict().get('w')!.data, values);
  });

  test("a location with '..' is refused: it leaves the model's folder", async () => {
    await refusedLoad('up.onnx', { location: '../secret.bin', offset: '0', length: '24' }, /external data '\.\.\/secret\.bin' leaves the model's folder/);
  });

  test('an absolute location is refused', async () => {
    await refusedLoad('absolute.onnx', { location: join(root, 'secret.bin') }, /external data '.*secret\.bin' must be a path relative to the model/);
  });

  test('a symbolic link in the folder that points outside it is refused', async () => {
    await refusedLoad(
      'link.onnx',
      { location: 'link.bin', offset: '0', length: '24' },
      /external data 'link\.bin' leaves the model's folder \(through a symbolic link\)/,
    );
  });

  test("a FIFO or the model's folder itself is refused as not a file, without blocking on the FIFO", async () => {
    execFileSync('mkfifo', [join(folder, 'pipe.bin')]);
    await refusedLoad('fifo.onnx', { location: 'pipe.bin', offset: '0', length: '24' }, /external data 'pipe\.bin' is not a file/);
    await refusedLoad('dot.onnx', { location: '.', offset: '0', length: '24' }, /external data '\.' names the model's folder, not a file/);
  });

  test('a tensor running past the end of the file is refused', async () => {
    await refusedLoad(
      'past-end.onnx',
      { location: 'weights.bin', offset: '32', length: '24' },
      /external data 'weights\.bin' holds 40 bytes; the tensor needs bytes 32 to 56/,
    );
  });

  test("a length that is not the shape's size is refused", async () => {
    await refusedLoad(
      'long.onnx',
      { location: 'weights.bin', offset: '0', length: '4000' },
      /initializer 'w': external data length 4000 does not match the 24 bytes its shape needs/,
    );
  });

  test('a location naming a folder is refused with its name', async () => {
    mkdirSync(join(folder, 'tensors'), { recursive: true });
    await refusedLoad('folder.onnx', { location: 'tensors' }, /external data 'tensors' is not a file/);
  });

  test('an offset past the end of the file is refused', async () => {
    await refusedLoad(
      'far.onnx',
      { location: 'weights.bin', offset: '4000' },
      /external data 'weights\.bin' holds 40 bytes; the tensor (starts at byte 4000|needs bytes 4000 to)/,
    );
  });

  test('a missing file is refused with its name', async () => {
    await refusedLoad('missing.onnx', { location: 'nowhere.bin' }, /external data 'nowhere\.bin' does not exist/);
  });

  test('a negative offset is refused', async () => {
    await refusedLoad('negative.onnx', { location: 'weights.bin', offset: '-8' }, /initializer 'w': invalid external data offset '-8'/);
  });

  test('importOnnx without a reader says to load the model from a file path', () => {
    refusedImport(
      externalModel({ location: 'weights.bin', offset: '16', length: '24' }),
      /initializer 'w': the data is in an external file \(weights\.bin\); load the model from a file path/,
    );
  });
});
