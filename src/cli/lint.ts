import { lintObjects } from '../lint/engine.ts';
import type { Diagnostic } from '../model/diagnostic.ts';
import { renderDiagnosticsJson } from '../report/diagnostics-json.ts';
import { renderDiagnosticsText } from '../report/diagnostics-text.ts';
import type { CliCommand } from './command.ts';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError } from './context.ts';
import { isOutputFormat, outputOption, readManifests } from './options.ts';

/** `kubehooks lint [PATH|-]...`: exit 0 no errors, 1 errors, 2 usage or unreadable input. */
export const lintCommand: CliCommand = {
  name: 'lint',
  register(program, ctx) {
    program
      .command('lint')
      .description('check hook annotations, workload templates and Backup/Restore spec.hooks for mistakes')
      .argument('[paths...]', 'files, directories (recursive *.yaml, *.yml, *.json) or - for stdin')
      .addOption(outputOption())
      .action(async (paths: string[], opts: { output: unknown }) => {
        if (!isOutputFormat(opts.output)) throw new UsageError(`--output must be text or json`);
        if (paths.length === 0) {
          throw new UsageError('lint needs at least one PATH (a file, a directory, or - for stdin)');
        }
        const { load, unreadable, readWarnings } = await readManifests(paths, ctx.deps);
        const diagnostics: Diagnostic[] = [...unreadable, ...readWarnings, ...load.diagnostics, ...lintObjects(load.objects)];
        ctx.deps.io.stdout.write(opts.output === 'json' ? renderDiagnosticsJson(diagnostics) : renderDiagnosticsText(diagnostics));
        if (unreadable.length > 0) ctx.setExitCode(EXIT_USAGE);
        else ctx.setExitCode(diagnostics.some((d) => d.severity === 'error') ? EXIT_FINDINGS : EXIT_OK);
      });
  },
};
