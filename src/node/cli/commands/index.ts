/**
 * The list of commands. Add a command by writing commands/<name>.ts that
 * exports `register(program: Command): void`, and listing it here.
 */
import type { Command } from 'commander';
import { registerGlobalOptions } from '../options.js';
import { register as registerSummary } from './summary.js';
import { register as registerRun } from './run.js';
import { register as registerClassify } from './classify.js';
import { register as registerInfo } from './info.js';
import { register as registerTrain } from './train.js';
import { register as registerEval } from './eval.js';
import { register as registerBench } from './bench.js';
import { register as registerExport } from './export.js';
import { register as registerConvert } from './convert.js';
import { register as registerServe } from './serve.js';
import { register as registerVisualize } from './visualize.js';
import { register as registerWeb } from './web.js';

type Register = (program: Command) => void;

const commands: Register[] = [
  registerGlobalOptions,
  registerSummary,
  registerRun,
  registerClassify,
  registerInfo,
  registerTrain,
  registerEval,
  registerBench,
  registerExport,
  registerConvert,
  registerServe,
  registerVisualize,
  registerWeb,
];

export function registerCommands(program: Command): void {
  for (const register of commands) register(program);
}
