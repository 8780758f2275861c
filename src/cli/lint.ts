import { dirname, join, resolve } from 'node:path';
import { lintObjects } from '../lint/engine.ts';
import type { Diagnostic } from '../model/diagnostic.ts';
import type { LoadedObject } from '../load/loaded-object.ts';
import type { SkippedPath } from '../load/read-inputs.ts';
import { colorsFor, type Colors } from '../report/color.ts';
import { diagnosticsToJson, renderDiagnosticsJson } from '../report/diagnostics-json.ts';
import { renderYaml } from '../report/yaml-output.ts';
import { renderDiagnosticsText } from '../report/diagnostics-text.ts';
import type { CliCommand } from './command.ts';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError } from './context.ts';
import type { CliDeps } from './context.ts';
import { Option } from 'commander';
import { lintCodeCatalog } from '../lint/catalog.ts';
import { CONFIG_FILE_NAME, parseLintConfig } from '../lint/config.ts';
import { applySuppressions } from '../lint/suppress.ts';
import type { DisabledCodes, SuppressedDiagnostic } from '../lint/suppress.ts';
import { renderDiagnosticsJunit } from '../report/diagnostics-junit.ts';
import { renderDiagnosticsSarif } from '../report/diagnostics-sarif.ts';
import { terminalSafe } from '../report/terminal-text.ts';
import { versionInfo } from './version.ts';
import { readManifests } from './options.ts';
import { veleroVersionFlag, veleroVersionOption } from './plan.ts';

const LINT_FORMATS = ['text', 'json', 'yaml', 'sarif', 'junit'] as const;
type LintFormat = (typeof LINT_FORMATS)[number];
const FAIL_ON = ['error', 'warning'] as const;
type FailOn = (typeof FAIL_ON)[number];

/** A config file is a few lines; anything bigger is not ours. */
const MAX_CONFIG_BYTES = 256 * 1024;

function isLintFormat(v: unknown): v is LintFormat {
  return typeof v === 'string' && (LINT_FORMATS as readonly string[]).includes(v);
}

function isFailOn(v: unknown): v is FailOn {
  return typeof v === 'string' && (FAIL_ON as readonly string[]).includes(v);
}

interface LintFlags {
  readonly output: unknown;
  readonly veleroVersion?: string;
  readonly failOn: unknown;
  readonly quiet?: boolean;
  /** A path, or false for --no-config. */
  readonly config?: string | false;
}

async function isFile(deps: CliDeps, path: string): Promise<boolean> {
  try {
    return (await deps.io.fs.stat(path)).isFile();
  } catch {
    return false;
  }
}

/** `.kubehooks.yaml` in the working directory or the nearest parent that has one. */
async function findConfig(deps: CliDeps, cwd: string): Promise<string | undefined> {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const candidate = join(dir, CONFIG_FILE_NAME);
    if (await isFile(deps, candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** Reads and checks the config; any problem is a usage error (exit 2) that names the file and key. */
async function loadConfig(deps: CliDeps, flag: string | false | undefined, known: ReadonlySet<string>): Promise<DisabledCodes | undefined> {
  if (flag === false) return undefined;
  const file = flag ?? (await findConfig(deps, deps.cwd ?? process.cwd()));
  if (file === undefined) return undefined;
  let bytes: Uint8Array;
  try {
    bytes = await deps.io.fs.readCapped(file, { maxBytes: MAX_CONFIG_BYTES, signal: deps.signal });
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
    throw new UsageError(`cannot read the lint config ${terminalSafe(file)}: ${code === 'ENOENT' ? 'no such file' : code === '' ? String(error) : code}`);
  }
  if (bytes.length > MAX_CONFIG_BYTES) throw new UsageError(`${terminalSafe(file)} is larger than ${MAX_CONFIG_BYTES} bytes; is it the lint config?`);
  const result = parseLintConfig(new TextDecoder().decode(bytes), file, known);
  if (!result.ok) throw new UsageError(`the lint config is not valid:\n  ${result.errors.map(terminalSafe).join('\n  ')}`);
  return result.config;
}

function fails(d: Diagnostic, failOn: FailOn): boolean {
  return d.severity === 'error' || (failOn === 'warning' && d.severity === 'warning');
}

const LINT_HELP = `
Examples:
  kubehooks lint k8s/                          # every *.yaml, *.yml, *.json below k8s/
  helm template web ./chart | kubehooks lint - # a Helm chart: lint what it renders to
  kubehooks lint --fail-on warning -o sarif k8s/ > kubehooks.sarif

Turning checks off:
  on an object:  metadata.annotations: ignore-check.kubehooks.dev/<code>: "<why>"  (a reason is required)
  for a project: .kubehooks.yaml (found in the working directory or a parent):
                   lint:
                     disable: [annotation-overrides-spec]
  Suppressed diagnostics are listed under "suppressed" in --output json and as suppressions in SARIF.

Exit status: 0 no errors (warnings allowed, unless --fail-on warning); 1 errors found;
2 usage error, unreadable input or an invalid .kubehooks.yaml.
`;

/** `kubehooks lint [PATH|-]...`: exit 0 no errors, 1 errors, 2 usage or unreadable input. */
export const lintCommand: CliCommand = {
  name: 'lint',
  register(program, ctx) {
    program
      .command('lint')
      .description('check hook annotations, workload templates and Backup/Restore spec.hooks for mistakes')
      .argument('[paths...]', 'files, directories (recursive *.yaml, *.yml, *.json) or - for stdin')
      .addOption(
        new Option('-o, --output <format>', 'output format: text, json, yaml (the JSON document as YAML), sarif (SARIF 2.1.0, for code scanning) or junit (JUnit XML)')
          .choices(LINT_FORMATS)
          .default('text'),
      )
      .addOption(new Option('--fail-on <severity>', 'the least severity that makes lint exit 1: error or warning').choices(FAIL_ON).default('error'))
      .option('-q, --quiet', 'report errors only (warnings and info still count for --fail-on and in the JSON counts)')
      .option('--config <file>', `lint config to use instead of the nearest ${CONFIG_FILE_NAME}`)
      .option('--no-config', `do not read any ${CONFIG_FILE_NAME}`)
      .addOption(veleroVersionOption())
      .addHelpText('after', LINT_HELP)
      .action(async (paths: string[], opts: LintFlags) => {
        if (!isLintFormat(opts.output)) throw new UsageError(`--output must be one of ${LINT_FORMATS.join(', ')}`);
        if (!isFailOn(opts.failOn)) throw new UsageError(`--fail-on must be one of ${FAIL_ON.join(', ')}`);
        if (paths.length === 0) {
          throw new UsageError('lint needs at least one PATH (a file, a directory, or - for stdin)');
        }
        const veleroVersion = veleroVersionFlag(opts.veleroVersion);
        const catalog = lintCodeCatalog();
        const known = new Set(catalog.map((c) => c.code));
        const config = await loadConfig(ctx.deps, opts.config, known);
        const { load, unreadable, readWarnings, skipped } = await readManifests(paths, ctx.deps);
        const found: Diagnostic[] = [...unreadable, ...readWarnings, ...load.diagnostics, ...lintObjects(load.objects, { veleroVersion })];
        const { active, suppressed } = applySuppressions(found, load.objects, known, config);
        const report: LintReport = {
          active,
          shown: opts.quiet === true ? active.filter((d) => d.severity === 'error') : active,
          suppressed,
          skipped,
          failOn: opts.failOn,
          quiet: opts.quiet === true,
        };
        ctx.deps.io.stdout.write(render(opts.output, report, load.objects, colorsFor(ctx.deps.io.color?.stdout === true)));
        if (unreadable.length > 0) ctx.setExitCode(EXIT_USAGE);
        else ctx.setExitCode(active.some((d) => fails(d, report.failOn)) ? EXIT_FINDINGS : EXIT_OK);
      });
  },
};

interface LintReport {
  /** Every diagnostic that counts. */
  readonly active: readonly Diagnostic[];
  /** Those the report lists (`--quiet`: errors only). */
  readonly shown: readonly Diagnostic[];
  readonly suppressed: readonly SuppressedDiagnostic[];
  readonly skipped: readonly SkippedPath[];
  readonly failOn: FailOn;
  readonly quiet: boolean;
}

function render(format: LintFormat, report: LintReport, objects: readonly LoadedObject[], colors: Colors): string {
  const quiet = report.quiet;
  const quietSuppressed = quiet ? report.suppressed.filter((d) => d.severity === 'error') : report.suppressed;
  switch (format) {
    case 'json':
      return renderDiagnosticsJson(report.shown, { counted: report.active, suppressed: report.suppressed, skipped: report.skipped });
    case 'yaml':
      return renderYaml(diagnosticsToJson(report.shown, { counted: report.active, suppressed: report.suppressed, skipped: report.skipped }));
    case 'sarif':
      return renderDiagnosticsSarif(report.shown, { toolVersion: versionInfo().version, catalog: lintCodeCatalog(), suppressed: quietSuppressed });
    case 'junit':
      // Every pod, pod template and Backup/Schedule/Restore is a testcase; other objects only when reported on.
      return renderDiagnosticsJunit(
        report.shown,
        objects.filter((o) => o.type !== 'other').map((o) => ({ file: o.origin.file, ref: o.ref })),
        { failOn: report.failOn, suppressed: quietSuppressed },
      );
    case 'text':
      // --quiet: errors and the summary only.
      return renderDiagnosticsText(report.shown, { counted: report.active, suppressed: report.suppressed.length, skipped: quiet ? [] : report.skipped, colors });
  }
}
