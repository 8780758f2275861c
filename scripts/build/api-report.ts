/**
 * The checked report of the public API (ADR 0017): docs/api/kubehooks.api.md, made by API Extractor
 * from the declarations of src/index.ts. `npm run api:check` (part of `npm run lint`) fails when the
 * surface differs from the report, so every change to the API shows in review; `npm run api:update`
 * writes the new report. A type that an export uses but the barrel does not export is an error
 * (ae-forgotten-export): the surface is closed.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';

const REPO = join(import.meta.dirname, '..', '..');
const TYPES = join(REPO, 'dist', 'api-types');
const REPORT = 'docs/api/kubehooks.api.md';
const update = process.argv.includes('--update');

// Its own declarations, from the sources as they are (not a dist/ that may be older than them).
rmSync(TYPES, { recursive: true, force: true });
execFileSync(join(REPO, 'node_modules', '.bin', 'tsc'), ['-p', join(REPO, 'tsconfig.build.json'), '--outDir', TYPES], { stdio: 'inherit' });

const config = ExtractorConfig.loadFileAndPrepare(join(REPO, 'api-extractor.json'));
const result = Extractor.invoke(config, { localBuild: update, showVerboseMessages: false });
if (result.succeeded) {
  process.stdout.write(`api-report: ${update && result.apiReportChanged ? 'updated' : 'matches'} ${REPORT}\n`);
} else {
  process.stderr.write(
    result.apiReportChanged && result.errorCount === 0
      ? `api-report: the public API differs from ${REPORT}; run \`npm run api:update\` and review the diff\n`
      : `api-report: ${result.errorCount} error(s), ${result.warningCount} warning(s)\n`,
  );
  process.exitCode = 1;
}
