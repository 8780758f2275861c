import { injectDocuments } from '../load/inject-documents.ts';
import { terminalSafe } from '../report/terminal-text.ts';
import { objectDiagnostic } from '../load/source.ts';

const INVALID_OUTPUT_HINT = 'Rename the init container (or the existing one), or add the volume to the pod spec.volumes, so that the API server accepts the restored pod.';
import type { CliCommand } from './command.ts';
import { EXIT_FINDINGS, EXIT_OK, UsageError, writeError } from './context.ts';
import { loadRestoreFile } from './hook-file.ts';
import { logDiagnostics, readManifests } from './options.ts';

/** `kubehooks inject --restore FILE [PATH|-]...`: the manifests with restore init hooks applied, as YAML. */
export const injectCommand: CliCommand = {
  name: 'inject',
  register(program, ctx) {
    program
      .command('inject')
      .description('print the manifests with the Restore\'s init hooks injected into pods and pod templates, as Velero would')
      .argument('[paths...]', 'manifests (files, directories, - for stdin)')
      .requiredOption('--restore <file>', 'Velero Restore manifest whose init hooks to inject')
      .action(async (paths: string[], opts: { restore: string }) => {
        if (paths.length === 0) throw new UsageError('inject needs at least one PATH (a file, a directory, or - for stdin)');
        const restore = await loadRestoreFile(opts.restore, ctx.deps);
        const { load, unreadable, readWarnings } = await readManifests(paths, ctx.deps);
        logDiagnostics(ctx.deps, [...unreadable, ...readWarnings, ...load.diagnostics]);
        if (unreadable.length > 0) throw new UsageError(`cannot read ${unreadable.map((d) => d.file).join(', ')}`);
        // Printing the rest would silently drop the broken documents from what gets applied.
        if (load.failedFiles.length > 0) {
          writeError(ctx.deps.io, `not writing anything: ${terminalSafe(load.failedFiles.join(', '))} could not be parsed`);
          ctx.setExitCode(EXIT_FINDINGS);
          return;
        }
        const generateName = ctx.deps.generateInitName ?? (() => 'velero-restore-init-00000000');
        const result = injectDocuments(load.documents, restore, { generateName });
        if (result.problems.length > 0) {
          // The API server would refuse the output: `inject … | kubectl apply -f -` must not half-apply it.
          logDiagnostics(ctx.deps, result.problems.map((p) => objectDiagnostic(p.object.origin.file, p.object.ref, p.object.locate(p.key), 'inject-invalid-output', 'error', p.key, p.message, INVALID_OUTPUT_HINT)));
          writeError(ctx.deps.io, `not writing anything: the API server would refuse ${result.problems.length === 1 ? 'this' : `these ${result.problems.length}`} (see above)`);
          ctx.setExitCode(EXIT_FINDINGS);
          return;
        }
        ctx.deps.io.stdout.write(result.text);
        for (const f of result.failures) writeError(ctx.deps.io, `Velero would fail the restore of ${terminalSafe(f.message)}`);
        ctx.deps.io.stderr.write(`injected init hooks into ${result.changed} pod${result.changed === 1 ? '' : 's'} or template${result.changed === 1 ? '' : 's'}${result.moved > 0 ? `; moved ${result.moved} object${result.moved === 1 ? '' : 's'} to ${result.moved === 1 ? 'its' : 'their'} target namespace (spec.namespaceMapping)` : ''}\n`);
        ctx.setExitCode(result.failures.length > 0 ? EXIT_FINDINGS : EXIT_OK);
      });
  },
};
