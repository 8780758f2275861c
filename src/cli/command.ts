import type { Command } from 'commander';
import type { CliDeps } from './context.ts';

/** What a command module gets: the wiring and a way to report its exit code. */
export interface CommandContext {
  readonly deps: CliDeps;
  setExitCode(code: number): void;
}

/**
 * One CLI command, one file. `register` adds a subcommand to `program` (use `program.command(...)`
 * so the parent's error handling and output settings are inherited) whose action calls
 * `ctx.setExitCode`. Throw UsageError for usage problems.
 */
export interface CliCommand {
  readonly name: string;
  register(program: Command, ctx: CommandContext): void;
}
