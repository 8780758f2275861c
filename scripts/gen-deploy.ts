/** Regenerates the Helm chart's generated files (policy, HookRun and HookRunJournal CRDs, controller RBAC rules): node scripts/gen-deploy.ts */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chartPolicyYaml } from '../src/admission/deploy.ts';
import { chartControllerRulesYaml, chartCrdYaml, chartJournalCrdYaml } from '../src/controller/deploy.ts';

const chart = join(import.meta.dirname, '..', 'deploy', 'helm', 'kubehooks');
const files: readonly (readonly [string, string])[] = [
  [join(chart, 'files', 'policy.yaml'), chartPolicyYaml()],
  [join(chart, 'crds', 'hookruns.kubehooks.dev.yaml'), chartCrdYaml()],
  [join(chart, 'crds', 'hookrunjournals.kubehooks.dev.yaml'), chartJournalCrdYaml()],
  [join(chart, 'files', 'controller-rules.yaml'), chartControllerRulesYaml()],
];
for (const [file, text] of files) {
  writeFileSync(file, text);
  process.stdout.write(`wrote ${file}\n`);
}
