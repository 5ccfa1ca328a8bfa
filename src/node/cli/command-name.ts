/**
 * The command an `alexnet` command line names, read before commander parses
 * it: the first argument that is neither a program-wide option (--verbose,
 * --backend NAME or --backend=NAME; see program.ts and options.ts) nor its
 * value. undefined when there is none (help, or only options).
 */
export function commandName(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--backend') i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}
