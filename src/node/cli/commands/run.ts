/**
 * `alexnet run`: one eval-mode forward pass of a raw NCHW float32 tensor read
 * from .npy, the output (logits) written to .npy. No preprocessing: the tensor
 * goes into the model as it is, so the result can be compared with PyTorch's
 * `model.eval()(torch.from_numpy(np.load(x)))`.
 */
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Option, type Command } from 'commander';
import { noGradAsync } from '../../../autograd/grad-mode.js';
import { loadNpy, saveNpyChunks } from '../../../formats/npy.js';
import { shapeToString } from '../../../tensor/shape.js';
import type { Tensor } from '../../../tensor/tensor.js';
import { writeFileAtomic } from '../../fs/atomic-write.js';
import { runAction } from '../run-action.js';
import { loadModel, modelOption, numClassesOption, parseModel, precisionOption, readOptionFile, weightsOption, type ModelFlags } from '../options.js';

interface RunFlags extends ModelFlags {
  model: string;
  input: string;
  output: string;
}

export function register(program: Command): void {
  program
    .command('run')
    .description("eval-mode forward pass of an NCHW float32 tensor (.npy) to the model's output (.npy)")
    .addOption(modelOption())
    .addOption(weightsOption())
    .addOption(numClassesOption())
    .addOption(precisionOption())
    .addOption(new Option('--input <x.npy>', 'input tensor [N, C, H, W] (.npy; any numeric dtype, converted to float32)').makeOptionMandatory())
    .addOption(new Option('--output <y.npy>', 'where to write the output [N, classes] as float32 .npy').makeOptionMandatory())
    .action(
      runAction(async (flags: RunFlags) => {
        const entry = parseModel(flags.model);
        await assertDirectory(dirname(flags.output), flags.output);
        const x = loadNpy(await readOptionFile(flags.input, '--input'), { source: flags.input });
        if (x.ndim !== 4) throw new Error(`--input ${flags.input}: expected an NCHW tensor [N, C, H, W], got shape ${shapeToString(x.shape)}`);
        const { model } = await loadModel(entry, flags);
        let y: Tensor;
        try {
          y = await noGradAsync(() => model.callAsync(x));
        } catch (error) {
          throw new Error(`--input ${flags.input}: ${(error as Error).message}`);
        }
        await writeFileAtomic(flags.output, saveNpyChunks(y));
      }),
    );
}

/** Fails before any work when the output could not be written anyway. */
async function assertDirectory(dir: string, output: string): Promise<void> {
  const info = await stat(dir).catch(() => null);
  if (info === null || !info.isDirectory()) throw new Error(`--output ${output}: directory ${dir} does not exist`);
}
