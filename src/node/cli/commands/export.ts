/**
 * `alexnet export`: a model (with --weights, or its initialization) as an
 * ONNX file that onnxruntime, Triton, TensorRT or OpenVINO can serve. The
 * graph is traced at the model's input size (--input-size to change it);
 * the batch axis is dynamic unless --batch fixes it.
 */
import { Option, type Command } from 'commander';
import { EXPORT_MAX_OPSET, EXPORT_MIN_OPSET, exportOnnx } from '../../../onnx/export.js';
import type { Module } from '../../../nn/module.js';
import { writeOnnxFile } from '../../onnx/onnx-files.js';
import { assertWritableOutput } from '../output-paths.js';
import { runAction } from '../run-action.js';
import { loadModel, modelOption, numClassesOption, parseModel, parsePositiveInt, weightsOption, type ModelFlags } from '../options.js';
import { checkInputSize, type ModelEntry } from '../../../models/registry.js';
import { modelInputChannels } from '../../../models/input-channels.js';
import { packageVersion } from '../../package-version.js';

interface ExportFlags extends ModelFlags {
  model: string;
  output: string;
  opset: string;
  batch: string;
  inputSize?: string;
  inChannels?: string;
}

/** The ONNX-side options every command that writes ONNX shares (export, convert). */
export function onnxWriteOptions(): Option[] {
  return [
    new Option('--opset <v>', `ONNX operator set (${EXPORT_MIN_OPSET} to ${EXPORT_MAX_OPSET})`).default('13'),
    new Option('--batch <b>', "'dynamic' (any batch size) or a fixed batch size").default('dynamic'),
    new Option('--input-size <s>', "input height and width traced into the graph (default: the model's own)"),
  ];
}

export interface OnnxWriteFlags {
  opset: string;
  batch: string;
  inputSize?: string;
}

/** The shared flags' values; the input size stays undefined for the model's own. */
export interface OnnxWriteSettings {
  opset: number;
  batch: number | 'dynamic';
  inputSize: number | undefined;
}

/** Parses the shared flags: called before the weights are read, so that a typo fails at once. */
export function parseOnnxWriteFlags(flags: OnnxWriteFlags): OnnxWriteSettings {
  const opset = /^\d+$/.test(flags.opset.trim()) ? Number(flags.opset.trim()) : NaN; // not Number(): '1.5e1' and '0x0d' are no opset
  if (!Number.isSafeInteger(opset) || opset < EXPORT_MIN_OPSET || opset > EXPORT_MAX_OPSET) {
    throw new Error(`--opset '${flags.opset}': expected an integer from ${EXPORT_MIN_OPSET} to ${EXPORT_MAX_OPSET}`);
  }
  const batch = flags.batch === 'dynamic' ? 'dynamic' : parsePositiveInt(flags.batch, '--batch');
  const inputSize = flags.inputSize === undefined ? undefined : parsePositiveInt(flags.inputSize, '--input-size');
  return { opset, batch, inputSize };
}

/** Exports a loaded model to `path` with the parsed shared flags. */
export async function writeModelAsOnnx(model: Module, entry: ModelEntry, inChannels: number, settings: OnnxWriteSettings, path: string): Promise<void> {
  const size = settings.inputSize ?? entry.inputSize;
  checkInputSize(entry, size, '--input-size');
  const proto = exportOnnx(model, [inChannels, size, size], {
    opset: settings.opset,
    batch: settings.batch,
    graphName: entry.name,
    producerVersion: packageVersion(),
  });
  await writeOnnxFile(path, proto);
}

export function register(program: Command): void {
  const command = program
    .command('export')
    .description('write a model as ONNX (checked by onnx.checker and onnxruntime in the tests)')
    .addOption(modelOption())
    .addOption(weightsOption('holds the weights'))
    .addOption(numClassesOption())
    .addOption(new Option('--in-channels <c>', 'input channels (default: 3, or what --weights hold)'))
    .addOption(new Option('--output <model.onnx>', 'where to write the model').makeOptionMandatory());
  for (const option of onnxWriteOptions()) command.addOption(option);
  command.action(
    runAction(async (flags: ExportFlags) => {
      const entry = parseModel(flags.model);
      const inChannels = flags.inChannels === undefined ? undefined : parsePositiveInt(flags.inChannels, '--in-channels');
      const settings = parseOnnxWriteFlags(flags);
      if (settings.inputSize !== undefined) checkInputSize(entry, settings.inputSize, '--input-size');
      await assertWritableOutput(flags.output, '--output', 'model.onnx');
      // With --weights the weights decide; a matching --in-channels is accepted (the help's default says so).
      const withChannels: ModelEntry =
        inChannels === undefined || flags.weights !== undefined ? entry : { ...entry, create: (o = {}) => entry.create({ ...o, inChannels }) };
      const { model } = await loadModel(withChannels, flags);
      const channels = firstConvChannels(model);
      if (inChannels !== undefined && inChannels !== channels)
        throw new Error(`--in-channels ${inChannels}: the weights in ${flags.weights} take ${channels}-channel input`);
      await writeModelAsOnnx(model, entry, channels, settings, flags.output);
    }),
  );
}

export function firstConvChannels(model: Module): number {
  return modelInputChannels(model) ?? 3;
}
