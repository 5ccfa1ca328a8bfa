/**
 * `alexnet summary`: the torchinfo table of a model for an input shape.
 * With --col-width 17 (the default here) the table for
 * `--model alexnet --input 1,3,416,416` is the article's, character for character.
 */
import { Option, type Command } from 'commander';
import { formatSummary, MAX_COL_WIDTH } from '../../../summary/format.js';
import { summary } from '../../../summary/summary.js';
import { runAction } from '../run-action.js';
import { modelOption, numClassesOption, parseInputShape, parseModel, parseNonNegativeInt, parsePositiveInt, resolveModel, weightsOption } from '../options.js';
import type { Module } from '../../../nn/module.js';
import { modelInputChannels } from '../../../models/input-channels.js';

interface SummaryFlags {
  model: string;
  input?: string;
  depth: string;
  colWidth: string;
  numClasses?: string;
  weights?: string;
}

/** The article printed its table with torchinfo's col_width=17 (torchinfo's own default is 25). */
const CLI_COL_WIDTH = '17';

export function register(program: Command): void {
  program
    .command('summary')
    .description('print the layer table (output shapes, parameters, mult-adds, memory) like torchinfo.summary')
    .addOption(modelOption())
    .addOption(new Option('--input <N,C,H,W>', "input shape; C also sets the model's input channels (default: 1,3,S,S at the model's own input size)"))
    .addOption(new Option('--depth <d>', 'deepest level of nested layers to show').default('3'))
    .addOption(new Option('--col-width <w>', "width of the shape and parameter columns (torchinfo's col_width)").default(CLI_COL_WIDTH))
    .addOption(numClassesOption())
    .addOption(weightsOption())
    .action(
      runAction(async (flags: SummaryFlags) => {
        const depth = parseNonNegativeInt(flags.depth, '--depth');
        const colWidth = parsePositiveInt(flags.colWidth, '--col-width');
        if (colWidth > MAX_COL_WIDTH) throw new Error(`--col-width ${colWidth}: expected at most ${MAX_COL_WIDTH} characters`);
        const requested = flags.input === undefined ? null : parseInputShape(flags.input);
        let model: Module;
        let inputShape: number[];
        if (flags.weights === undefined) {
          const entry = parseModel(flags.model);
          const numClasses = flags.numClasses === undefined ? undefined : parsePositiveInt(flags.numClasses, '--num-classes');
          inputShape = requested ?? [1, 3, entry.inputSize, entry.inputSize];
          model = entry.create({ numClasses, inChannels: inputShape[1] });
        } else {
          // Weights (or an ONNX graph) decide the classes and input channels; an ONNX graph also the input size.
          const resolved = await resolveModel({ model: flags.model, weights: flags.weights, numClasses: flags.numClasses });
          model = resolved.model;
          const channels = modelInputChannels(resolved.model) ?? 3;
          inputShape = requested ?? [resolved.fixedBatch ?? 1, channels, resolved.entry.inputSize, resolved.entry.inputSize];
        }
        process.stdout.write(`${formatSummary(summary(model, inputShape, { depth }), { colWidth })}\n`);
      }),
    );
}
