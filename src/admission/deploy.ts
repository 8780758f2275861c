/** What deploy/ carries that is generated here (kept in step by src/admission/deploy.test.ts). */
import { stringify } from 'yaml';
import { validatingAdmissionPolicy } from './policy.ts';

/** deploy/helm/kubehooks/files/policy.yaml: the ValidatingAdmissionPolicy of `kubehooks policy` (the chart templates the binding). */
export function chartPolicyYaml(): string {
  const [policy] = validatingAdmissionPolicy();
  return stringify(policy, { lineWidth: 0 });
}
