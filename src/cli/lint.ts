import { lintObjects } from '../lint/engine.ts';
import type { Diagnostic } from '../model/diagnostic.ts';
import type { LoadedObject } from '../load/loaded-object.ts';
import { renderDiagnosticsJson } from '../report/diagnostics-json.ts';
import { renderDiagnosticsText } from '../report/diagnostics-text.ts';
import type { CliCommand } from './command.ts';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError } from './context.ts';
import { Option } from 'commander';
import { lintCodeCatalog } from '../lint/catalog.ts';
import { renderDiagnosticsJunit } from '../report/diagnostics-junit.ts';
import { renderDiagnosticsSarif } from '../report/diagnostics-sarif.ts';
import { versionInfo } from './version.ts';
import { readManifests } from './options.ts';
import { veleroVersionFlag, veleroVersionOption } from './plan.ts';

const LINT_FORMATS = ['text', 'json', 'sarif', 'junit'] as const;
type LintFormat = (typeof LINT_FORMATS)[number];

function isLintFormat(v: unknown): v is LintFormat {
  return typeof v === 'string' && (LINT_FORMATS as readonly string[]).includes(v);
}

/** `kubehooks lint [PATH|-]...`: exit 0 no errors, 1 errors, 2 usage or unreadable input. */
export const lintCommand: CliCommand = {
  name: 'lint',
  register(program, ctx) {
    program
      .command('lint')
      .description('check hook annotations, workload templates and Backup/Restore spec.hooks for mistakes')
      .argument('[paths...]', 'files, directories (recursive *.yaml, *.yml, *.json) or - for stdin')
      .addOption(
        new Option('-o, --output <format>', 'output format: text, json, sarif (SARIF 2.1.0, for code scanning) or junit (JUnit XML)')
          .choices(LINT_FORMATS)
          .default('text'),
      )
      .addOption(veleroVersionOption())
      .action(async (paths: string[], opts: { output: unknown; veleroVersion?: string }) => {
        if (!isLintFormat(opts.output)) throw new UsageError(`--output must be one of ${LINT_FORMATS.join(', ')}`);
        if (paths.length === 0) {
          throw new UsageError('lint needs at least one PATH (a file, a directory, or - for stdin)');
        }
        const veleroVersion = veleroVersionFlag(opts.veleroVersion);
        const { load, unreadable, readWarnings } = await readManifests(paths, ctx.deps);
        const diagnostics: Diagnostic[] = [...unreadable, ...readWarnings, ...load.diagnostics, ...lintObjects(load.objects, { veleroVersion })];
        ctx.deps.io.stdout.write(render(opts.output, diagnostics, load.objects));
        if (unreadable.length > 0) ctx.setExitCode(EXIT_USAGE);
        else ctx.setExitCode(diagnostics.some((d) => d.severity === 'error') ? EXIT_FINDINGS : EXIT_OK);
      });
  },
};

function render(format: LintFormat, diagnostics: readonly Diagnostic[], objects: readonly LoadedObject[]): string {
  switch (format) {
    case 'json':
      return renderDiagnosticsJson(diagnostics);
    case 'sarif':
      return renderDiagnosticsSarif(diagnostics, { toolVersion: versionInfo().version, catalog: lintCodeCatalog() });
    case 'junit':
      // Every pod, pod template and Backup/Schedule/Restore is a testcase; other objects only when reported on.
      return renderDiagnosticsJunit(
        diagnostics,
        objects.filter((o) => o.type !== 'other').map((o) => ({ file: o.origin.file, ref: o.ref })),
      );
    case 'text':
      return renderDiagnosticsText(diagnostics);
  }
}
