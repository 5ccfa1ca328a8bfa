/**
 * `alexnet convert IN OUT`: weights between .pth, .safetensors and .onnx.
 * The input's format is read from its content, the output's from its
 * extension. A state dict becomes ONNX through a model (--model, or guessed
 * from the keys); an ONNX file gives its initializers under their names,
 * which for torch's exports are the state_dict keys.
 */
import { extname } from 'node:path';
import { Option, type Command } from 'commander';
import { detectWeightsFormat, readStateDict } from '../../../formats/weights-file.js';
import type { StateDict } from '../../../formats/state-dict.js';
import { getModelEntry } from '../../../models/registry.js';
import { readFileBytes, savePthFile, saveSafetensorsFile } from '../../weights/weight-files.js';
import { assertWritableOutput, refuseInputAsOutput } from '../output-paths.js';
import { runAction } from '../run-action.js';
import { loadModel } from '../options.js';
import { firstConvChannels, onnxWriteOptions, type OnnxWriteFlags, parseOnnxWriteFlags, writeModelAsOnnx } from './export.js';

interface ConvertFlags extends OnnxWriteFlags {
  model?: string;
}

const OUTPUT_FORMATS = ['.pth', '.safetensors', '.onnx'];

/** The options (commander's key, the flag) that only an .onnx output uses. */
const ONNX_ONLY_OPTIONS: readonly (readonly [string, string])[] = [
  ['opset', '--opset'],
  ['batch', '--batch'],
  ['inputSize', '--input-size'],
  ['model', '--model'],
];

export function register(program: Command): void {
  const command = program
    .command('convert')
    .description('convert weights between .pth, .safetensors and .onnx (the output format follows its extension)')
    .argument('<in>', 'a .pth, .safetensors or .onnx file')
    .argument('<out>', 'the file to write: .pth, .safetensors or .onnx')
    .addOption(new Option('--model <name>', 'the model a state dict belongs to, for .onnx output (default: recognized from the keys)'));
  for (const option of onnxWriteOptions()) command.addOption(option);
  command.action(
    runAction(async (input: string, output: string, flags: ConvertFlags, self: Command) => {
      const format = extname(output).toLowerCase();
      if (!OUTPUT_FORMATS.includes(format)) throw new Error(`${output}: unknown output format '${format}': expected ${OUTPUT_FORMATS.join(', ')}`);
      // The ONNX options shape a traced graph; a .pth or .safetensors copy of the tensors has none to shape.
      const onnxOnly = ONNX_ONLY_OPTIONS.filter(([key]) => self.getOptionValueSource(key) === 'cli').map(([, flag]) => flag);
      if (format !== '.onnx' && onnxOnly.length > 0) {
        throw new Error(`${onnxOnly.join(', ')}: ${onnxOnly.length === 1 ? 'applies' : 'apply'} to .onnx output only, and ${output} is ${format}`);
      }
      const settings = parseOnnxWriteFlags(flags);
      if (flags.model !== undefined) getModelEntry(flags.model);
      await assertWritableOutput(output, 'output', `out${format}`);
      await refuseInputAsOutput({ path: output, flag: 'output' }, [{ path: input, flag: 'input' }]);
      const bytes = await readFileBytes(input);
      const inputFormat = detectWeightsFormat(bytes);
      if (inputFormat === 'onnx' && format === '.onnx') throw new Error(`${input} is already ONNX`);
      const state = readStateDict(bytes, { source: input });
      if (format === '.pth') await savePthFile(output, state);
      else if (format === '.safetensors') await saveSafetensorsFile(output, state, { format: 'pt' });
      else {
        const entry = getModelEntry(flags.model ?? recognizeModel(state, input));
        // The input is a positional argument, and the model may not have been named at all: say so, not "--weights".
        const how = flags.model === undefined ? 'recognized from its keys; name another with --model' : 'named by --model';
        const misfit = `${input} does not fit model '${entry.name}' (${how})`;
        const { model } = await loadModel(entry, { weights: input }, { state, source: input, misfit });
        await writeModelAsOnnx(model, entry, firstConvChannels(model), settings, output);
      }
      process.stdout.write(`wrote ${output} (${state.size} tensors from ${input})\n`);
    }),
  );
}

/** Which registered model a state dict is for, from its keys and conv2's shape (grouped or not). */
export function recognizeModel(state: StateDict, source: string): string {
  if (state.has('features.0.weight') && state.has('classifier.6.weight')) return 'alexnet';
  const conv2 = state.get('net.4.weight');
  if (conv2 !== undefined && state.has('classifier.6.weight')) return conv2.shape[1] === 48 ? 'alexnet-original-grouped' : 'alexnet-original';
  throw new Error(`${source}: the keys are not those of a known model; name it with --model`);
}
