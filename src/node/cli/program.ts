/**
 * The `alexnet` command line. Each command lives in commands/<name>.ts and
 * exports `register(program)`; this file only assembles them.
 */
import { Command } from 'commander';
import { commandName } from './command-name.js';
import { registerCommands } from './commands/index.js';
import { reportError } from './run-action.js';

export async function runCli(argv: readonly string[]): Promise<void> {
  ignoreClosedStdout();
  const program = new Command();
  const named = commandName(argv.slice(2));
  const help = (): string => {
    const known = program.commands.some((c) => c.name() === named);
    return known ? `alexnet ${named} --help lists its options` : 'alexnet --help lists the commands';
  };
  program
    .name('alexnet')
    .description('AlexNet in TypeScript: summary, inference, training and evaluation, identical to PyTorch')
    .option('--verbose', 'show stack traces on errors')
    // Each command's help lists --backend and --verbose too, not only `alexnet --help`.
    .configureHelp({ showGlobalOptions: true })
    // A usage error (unknown option, missing argument) is one line like every other error, with where to look.
    .configureOutput({ outputError: (text, write) => write(`alexnet: ${text.trim()} (${help()})\n`) });
  registerCommands(program);
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    reportError(error);
    process.exitCode = 1;
  }
}

/**
 * `alexnet classify ... | head -1`: once the reader has gone, stdout's writes
 * fail with EPIPE, which unhandled would crash the process with a stack trace
 * part-way through a command (visualize, train) that still has files to write.
 * Further output is dropped instead and the command finishes its work.
 */
function ignoreClosedStdout(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.stdout.write = (() => true) as typeof process.stdout.write;
  });
}
