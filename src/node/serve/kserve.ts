/**
 * The KServe v2 / Triton inference protocol's JSON form for one image
 * model: the model's metadata and /infer's request and response. Tensors are
 * FP32 [N, 3, H, W] in and FP32 [N, classes] (the model's raw output) out;
 * `data` may be flat in row-major order or nested as the shape, as the
 * protocol allows. Binary tensor data (Triton's extension) is refused by name.
 */
import { HttpError } from './http-io.js';

/** What the server says about its model (GET /v2/models/{name}). */
export interface ModelSignature {
  name: string;
  inputName: string;
  outputName: string;
  /** [channels, height, width] of one image. */
  inputShape: readonly [number, number, number];
  classes: number;
}

export const MODEL_VERSION = '1';

export function modelMetadata(model: ModelSignature): unknown {
  return {
    name: model.name,
    versions: [MODEL_VERSION],
    platform: 'alexnet-ts',
    inputs: [{ name: model.inputName, datatype: 'FP32', shape: [-1, ...model.inputShape] }],
    outputs: [{ name: model.outputName, datatype: 'FP32', shape: [-1, model.classes] }],
  };
}

export interface InferRequest {
  id?: string;
  /** Images in the batch. */
  batch: number;
  /** batch × C × H × W values. */
  data: Float32Array;
}

/** A client's value in an error message: short, and never a walk of a nested value (JSON.stringify overflows the stack on deep ones). */
function shown(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  const text = JSON.stringify(value) ?? typeof value;
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function bad(message: string): HttpError {
  return new HttpError(400, `infer request: ${message}`);
}

/** Refuses Triton's binary extension, which this server does not speak. */
function refuseBinary(parameters: unknown, where: string): void {
  if (parameters === undefined) return;
  if (!isObject(parameters)) throw bad(`${where}.parameters must be an object`);
  for (const key of ['binary_data', 'binary_data_size', 'binary_data_output']) {
    if (parameters[key] !== undefined && parameters[key] !== false)
      throw bad(`${where}.parameters.${key}: binary tensor data is not supported, send JSON numbers`);
  }
}

/** Writes the numbers of `value` (flat, or nested as `shape`) into `out`, checking the count or the nesting. */
function fillData(value: unknown, shape: readonly number[], out: Float32Array, flat: boolean): void {
  if (!Array.isArray(value)) throw bad('inputs[0].data must be an array of numbers');
  if (flat) {
    if (value.length !== out.length) throw bad(`inputs[0].data holds ${value.length} numbers, the shape [${shape.join(', ')}] needs ${out.length}`);
    for (let i = 0; i < value.length; i++) out[i] = toFloat(value[i], i);
    return;
  }
  let written = 0;
  const walk = (node: unknown, depth: number): void => {
    if (!Array.isArray(node) || node.length !== shape[depth]) throw bad(`inputs[0].data is not nested as the shape [${shape.join(', ')}] at depth ${depth}`);
    if (depth === shape.length - 1) {
      for (const v of node) out[written] = toFloat(v, written++);
    } else {
      for (const child of node) walk(child, depth + 1);
    }
  };
  walk(value, 0);
}

function toFloat(value: unknown, index: number): number {
  if (typeof value !== 'number') throw bad(`inputs[0].data[${index}] is ${shown(value)}, expected a number`);
  // JSON's 1e999 parses to Infinity, and 1e39 becomes one as FP32: the logits would be NaN (null in the answer).
  if (!Number.isFinite(Math.fround(value))) throw bad(`inputs[0].data[${index}] is ${value}, outside FP32's finite range (±3.4028235e38)`);
  return value;
}

/** Checks a parsed /infer body against the model and returns its batch. */
export function parseInferRequest(body: unknown, model: ModelSignature, maxBatch: number): InferRequest {
  if (!isObject(body)) throw bad('expected a JSON object with "inputs"');
  const known = new Set(['id', 'inputs', 'outputs', 'parameters']);
  const unknown = Object.keys(body).filter((key) => !known.has(key));
  if (unknown.length > 0) throw bad(`unknown field '${unknown[0]}': expected id, inputs, outputs, parameters`);
  if (body.id !== undefined && typeof body.id !== 'string') throw bad('"id" must be a string');
  refuseBinary(body.parameters, 'request');
  const { inputs, outputs } = body;
  if (!Array.isArray(inputs) || inputs.length !== 1) throw bad(`expected "inputs" to hold exactly one tensor, '${model.inputName}'`);
  const input: unknown = inputs[0];
  if (!isObject(input)) throw bad('inputs[0] must be an object with name, shape, datatype and data');
  if (input.name !== model.inputName) throw bad(`inputs[0].name is ${shown(input.name)}, expected '${model.inputName}'`);
  if (input.datatype !== 'FP32') throw bad(`inputs[0].datatype is ${shown(input.datatype)}, expected 'FP32'`);
  refuseBinary(input.parameters, 'inputs[0]');
  const shape = input.shape;
  const [c, h, w] = model.inputShape;
  const expected = `[N, ${c}, ${h}, ${w}] with 1 ≤ N ≤ ${maxBatch}`;
  if (!Array.isArray(shape) || shape.length !== 4 || !shape.every((d) => Number.isSafeInteger(d))) throw bad(`inputs[0].shape must be ${expected}`);
  const [n, ...rest] = shape as number[];
  if (n < 1 || rest[0] !== c || rest[1] !== h || rest[2] !== w) throw bad(`inputs[0].shape is [${shape.join(', ')}], expected ${expected}`);
  // Too many images is the request's size, as for a multipart form: 413.
  if (n > maxBatch) throw new HttpError(413, `infer request: inputs[0].shape is [${shape.join(', ')}]: ${n} images, more than ${maxBatch} in one request`);
  if (outputs !== undefined) {
    if (!Array.isArray(outputs)) throw bad('"outputs" must be an array');
    for (const [i, output] of outputs.entries()) {
      if (!isObject(output) || output.name !== model.outputName) throw bad(`outputs[${i}].name must be '${model.outputName}'`);
      refuseBinary(output.parameters, `outputs[${i}]`);
    }
  }
  const data = new Float32Array(n * c * h * w);
  const flat = Array.isArray(input.data) && (input.data.length === 0 || !Array.isArray(input.data[0]));
  fillData(input.data, shape as number[], data, flat);
  return { id: body.id as string | undefined, batch: n, data };
}

export function inferResponse(model: ModelSignature, request: InferRequest, outputs: Float32Array): unknown {
  // JSON has no NaN or infinity (they would be null): finite inputs whose logits overflow are refused by name.
  const nonFinite = outputs.findIndex((v) => !Number.isFinite(v));
  if (nonFinite >= 0) {
    const row = Math.floor(nonFinite / model.classes);
    throw new HttpError(
      422,
      `infer request: the logits of image ${row} are not finite (${outputs[nonFinite]} at class ${nonFinite % model.classes}), which JSON cannot carry: are the inputs normalized?`,
    );
  }
  return {
    model_name: model.name,
    model_version: MODEL_VERSION,
    ...(request.id === undefined ? {} : { id: request.id }),
    outputs: [{ name: model.outputName, datatype: 'FP32', shape: [request.batch, model.classes], data: Array.from(outputs) }],
  };
}
