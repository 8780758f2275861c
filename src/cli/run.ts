/**
 * `kubehooks run pre-backup|post-backup|post-restore|backup`: the command itself, thin. Its flags and
 * settings are in run-settings.ts, what it is wired to in run-wiring.ts, one phase's run and report
 * in run-execute.ts, the quiesce window (`run backup`) in run-backup.ts, signals in signals.ts.
 */
import type { CliCommand, CommandContext } from './command.ts';
import { EXIT_USAGE, UsageError, describeError, writeError } from './context.ts';
import { executeWindowRun, parseWindowSettings, type WindowWiring } from './run-backup.ts';
import { executeRun } from './run-execute.ts';
import { declareRunFlags, runSettingsFromFlags, type RawRunOptions } from './run-settings.ts';
import { defaultRunWiring } from './run-wiring.ts';
import type { Command } from 'commander';

export type { RunWiring } from './run-wiring.ts';

/** Builds the `run` command with the given wiring (the registry uses the real cluster). */
export function createRunCommand(wiring: () => WindowWiring): CliCommand {
  return {
    name: 'run',
    register(program: Command, ctx: CommandContext): void {
      const flags = declareRunFlags(program);
      flags.cmd.action(async (kind: string, argv: string[], raw: RawRunOptions) => {
        const { settings, isWindow } = runSettingsFromFlags(kind, argv, raw, flags);
        const window = isWindow ? parseWindowSettings(settings, raw, argv) : undefined;
        try {
          if (window !== undefined) {
            ctx.setExitCode(await executeWindowRun(window, ctx.deps, wiring()));
            return;
          }
          const outcome = await executeRun(settings, ctx.deps, wiring());
          ctx.setExitCode(outcome.exitCode);
        } catch (error) {
          if (error instanceof UsageError) throw error;
          writeError(ctx.deps.io, describeError(error));
          ctx.setExitCode(EXIT_USAGE);
        }
      });
    },
  };
}

/** `kubehooks run pre-backup|post-backup [--backup FILE]` / `kubehooks run post-restore [--restore FILE]` / `run backup … -- COMMAND` */
export const runCommand: CliCommand = createRunCommand(defaultRunWiring);
