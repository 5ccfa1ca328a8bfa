#!/usr/bin/env node
/**
 * The `alexnet` command line. Each command lives in commands/<name>.ts and
 * exports `register(program)`; this file only assembles them.
 */
import { Command } from 'commander';
import { registerCommands } from './commands/index.js';
import { reportError } from './run-action.js';

const program = new Command();
program
  .name('alexnet')
  .description('AlexNet in TypeScript: summary, inference, training and evaluation, identical to PyTorch')
  .option('--verbose', 'show stack traces on errors')
  .showHelpAfterError();

registerCommands(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  reportError(error);
  process.exitCode = 1;
});
