/**
 * The `alexnet` command line. Each command lives in commands/<name>.ts and
 * exports `register(program)`; this file only assembles them.
 */
import { Command } from 'commander';
import { registerCommands } from './commands/index.js';
import { reportError } from './run-action.js';

export async function runCli(argv: readonly string[]): Promise<void> {
  const program = new Command();
  program
    .name('alexnet')
    .description('AlexNet in TypeScript: summary, inference, training and evaluation, identical to PyTorch')
    .option('--verbose', 'show stack traces on errors')
    .showHelpAfterError();
  registerCommands(program);
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    reportError(error);
    process.exitCode = 1;
  }
}
