import { stringify } from 'yaml';
import { POLICY_LIMITS, validatingAdmissionPolicy } from '../admission/policy.ts';
import type { ValidationAction } from '../admission/policy.ts';
import type { CliCommand } from './command.ts';
import { EXIT_OK, UsageError } from './context.ts';
import { collect } from './options.ts';

const ACTIONS: readonly ValidationAction[] = ['Warn', 'Audit', 'Deny'];

export function parseActions(deny: boolean, raw: readonly string[] | undefined): ValidationAction[] {
  if (raw === undefined || raw.length === 0) return deny ? ['Deny', 'Audit'] : ['Warn', 'Audit'];
  const actions = raw.flatMap((r) => r.split(',')).map((a) => a.trim());
  const bad = actions.find((a) => !(ACTIONS as readonly string[]).includes(a));
  if (bad !== undefined) throw new UsageError(`--validation-action: "${bad}" is not one of ${ACTIONS.join(', ')}`);
  if (actions.includes('Deny') && actions.includes('Warn')) {
    throw new UsageError('--validation-action: Deny and Warn together are refused by the API server; use Deny,Audit');
  }
  const set = [...new Set(actions)] as ValidationAction[];
  if (deny && !set.includes('Deny')) throw new UsageError('--deny conflicts with --validation-action without Deny');
  return set;
}

/** Names are DNS subdomains. */
function checkName(name: string): string {
  if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(name)) throw new UsageError(`--name "${name}" is not a valid object name (lower-case DNS subdomain)`);
  return name;
}

/** `kubehooks policy`: prints the ValidatingAdmissionPolicy and its binding; no server needed. */
export const policyCommand: CliCommand = {
  name: 'policy',
  register(program, ctx) {
    program
      .command('policy')
      .description('print a ValidatingAdmissionPolicy + binding (admissionregistration.k8s.io/v1, Kubernetes ≥ 1.30) that checks Velero hook settings in the API server, with no webhook')
      .option('--deny', 'refuse bad objects (validationActions [Deny, Audit]) instead of warning')
      .option('--validation-action <action>', 'binding validationActions, repeatable or comma-separated: Warn, Audit, Deny (default Warn,Audit)', collect)
      .option('--name <name>', 'name of the policy and the binding', 'kubehooks-velero-hooks')
      .option('--exclude-namespace <ns>', 'namespace to leave alone besides kube-system (repeatable)', collect)
      .addHelpText(
        'after',
        `\nWhat the policy does not cover, compared with \`kubehooks webhook\` (the full lint engine):\n${POLICY_LIMITS.map((l) => `  - ${l}`).join('\n')}\n`,
      )
      .action((opts: { deny?: boolean; validationAction?: string[]; name: string; excludeNamespace?: string[] }) => {
        const actions = parseActions(opts.deny === true, opts.validationAction);
        const [policy, binding] = validatingAdmissionPolicy({
          validationActions: actions,
          name: checkName(opts.name),
          ...(opts.excludeNamespace === undefined ? {} : { excludeNamespaces: opts.excludeNamespace }),
        });
        ctx.deps.io.stdout.write(`${stringify(policy, { lineWidth: 0 })}---\n${stringify(binding, { lineWidth: 0 })}`);
        ctx.setExitCode(EXIT_OK);
      });
  },
};
