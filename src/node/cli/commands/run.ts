/**
 * `alexnet run`: one eval-mode forward pass of raw tensors read from .npy
 * (float32 for a built-in model; an ONNX graph's declared input types), the
 * outputs written to .npy. No preprocessing: the tensor goes into the model
 * as it is, so the result can be compared with PyTorch's
 * `model.eval()(torch.from_numpy(np.load(x)))` or onnxruntime's session.run.
 * With an ONNX model as --weights, any supported graph runs: one --input per
 * graph input and one --output per graph output, in the graph's order.
 */
import { Option, type Command } from 'commander';
import { noGradAsync } from '../../../autograd/grad-mode.js';
import { DTYPE_SIZE, toFloat32 } from '../../../formats/dtypes.js';
import { loadNpyRaw, type RawNpy, saveNpyChunks } from '../../../formats/npy.js';
import { OnnxModel } from '../../../onnx/onnx-model.js';
import { shapeToString } from '../../../tensor/shape.js';
import { Tensor } from '../../../tensor/tensor.js';
import { writeFileAtomic } from '../../fs/atomic-write.js';
import { onnxFeedFromNpy } from '../npy-feeds.js';
import { assertWritableOutput, refuseInputAsOutput } from '../output-paths.js';
import { runAction } from '../run-action.js';
import { modelOption, numClassesOption, precisionOption, readOptionFile, resolveModel, weightsOption, type ModelFlags } from '../options.js';

interface RunFlags extends ModelFlags {
  model: string;
  input: string[];
  output: string[];
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function register(program: Command): void {
  program
    .command('run')
    .description("eval-mode forward pass of tensors (.npy) to the model's outputs (.npy)")
    .addOption(modelOption())
    .addOption(weightsOption())
    .addOption(numClassesOption())
    .addOption(precisionOption())
    .addOption(
      new Option(
        '--input <x.npy>',
        'input tensor (.npy; any numeric dtype, converted to float32): [N, C, H, W], or one per input of an ONNX graph (cast to its declared type when exact)',
      )
        .argParser(collect)
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--output <y.npy>', 'where to write each output as float32 .npy (one per output of an ONNX graph)').argParser(collect).makeOptionMandatory(),
    )
    .action(
      runAction(async (flags: RunFlags) => {
        const inputFiles = flags.input.map((path) => ({ path, flag: '--input' }));
        for (const output of flags.output) {
          await assertWritableOutput(output, '--output', 'y.npy');
          await refuseInputAsOutput({ path: output, flag: '--output' }, inputFiles);
        }
        // Read as stored: a graph's input may be int64 (indices) or another type; a built-in model takes float32.
        const inputs: RawNpy[] = [];
        for (const path of flags.input) inputs.push(loadNpyRaw(await readOptionFile(path, '--input'), { source: path }));
        const { model } = await resolveModel(flags, { anyGraph: true });
        const outputs =
          model instanceof OnnxModel ? await runGraph(model, inputs, flags) : [await runImageModel(model.callAsync.bind(model), inputs.map(asFloat32), flags)];
        for (const [i, path] of flags.output.entries()) await writeFileAtomic(path, saveNpyChunks(outputs[i]));
      }),
    );
}

async function runImageModel(call: (x: Tensor) => Promise<Tensor>, inputs: Tensor[], flags: RunFlags): Promise<Tensor> {
  if (inputs.length !== 1 || flags.output.length !== 1) throw new Error(`--model ${flags.model} takes one --input and writes one --output`);
  const [x] = inputs;
  if (x.ndim !== 4) throw new Error(`--input ${flags.input[0]}: expected an NCHW tensor [N, C, H, W], got shape ${shapeToString(x.shape)}`);
  try {
    return await noGradAsync(() => call(x));
  } catch (error) {
    throw new Error(`--input ${flags.input[0]}: ${(error as Error).message}`, { cause: error });
  }
}

/** Feeds the graph's inputs in order; outputs come back in the graph's order. */
async function runGraph(model: OnnxModel, inputs: RawNpy[], flags: RunFlags): Promise<Tensor[]> {
  const names = model.inputs.map((i) => `'${i.name}'`).join(', ');
  if (inputs.length !== model.inputs.length) throw new Error(`--input: the graph takes ${model.inputs.length} input(s) (${names}), got ${inputs.length}`);
  if (flags.output.length !== model.outputs.length) {
    throw new Error(
      `--output: the graph has ${model.outputs.length} output(s) (${model.outputs.map((o) => `'${o.name}'`).join(', ')}), got ${flags.output.length}`,
    );
  }
  const feeds = new Map(
    model.inputs.map((info, i) => [info.name, onnxFeedFromNpy(inputs[i], info.elementType, `--input ${flags.input[i]} (graph input '${info.name}')`)]),
  );
  const results = await noGradAsync(() => model.runAsync(feeds));
  return model.outputs.map((info) => {
    const value = results.get(info.name)!;
    if (value.type === 'float32') return value.toTensor(info.name);
    // Integer and bool outputs are written as float32 too (.npy float32 is the one output format here).
    return new Tensor(Float32Array.from(value.data as ArrayLike<number>, Number), value.shape);
  });
}

/** A raw .npy as the float32 tensor a built-in model takes (any numeric dtype converts). */
function asFloat32(raw: RawNpy): Tensor {
  return new Tensor(toFloat32(raw.data, 0, raw.data.length / DTYPE_SIZE[raw.dtype], raw.dtype), raw.shape);
}
