/**
 * The list of commands. Add a command by writing commands/<name>.ts that
 * exports `register(program: Command): void`, and listing it here.
 */
import type { Command } from 'commander';

type Register = (program: Command) => void;

const commands: Register[] = [];

export function registerCommands(program: Command): void {
  for (const register of commands) register(program);
}
