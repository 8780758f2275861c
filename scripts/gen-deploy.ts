/** Regenerates the Helm chart's copy of the policy: node scripts/gen-deploy.ts */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chartPolicyYaml } from '../src/admission/deploy.ts';

const file = join(import.meta.dirname, '..', 'deploy', 'helm', 'kubehooks', 'files', 'policy.yaml');
writeFileSync(file, chartPolicyYaml());
process.stdout.write(`wrote ${file}\n`);
