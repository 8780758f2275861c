/**
 * The "Examples:" and "Exit codes:" sections of every command's --help, in one table so that no
 * command goes without them (help.test.ts checks every registered command). `run` and `plan` keep
 * theirs beside their flags.
 */
import type { Command } from 'commander';
import { addHelpSections, USAGE_EXIT, type Example, type ExitCode } from './help.ts';

interface Sections {
  readonly examples: readonly Example[];
  readonly exitCodes: readonly ExitCode[];
}

export const HELP_SECTIONS: Readonly<Record<string, Sections>> = {
  lint: {
    examples: [
      ['lint k8s/', 'every *.yaml, *.yml and *.json under k8s/'],
      ['lint -o json - < app.yaml', 'from stdin, as JSON'],
      ['lint -o sarif k8s/ > kubehooks.sarif', 'SARIF 2.1.0 for code scanning'],
    ],
    exitCodes: [[0, 'no errors (warnings allowed)'], [1, 'errors found'], [2, 'usage error or unreadable input']],
  },
  inject: {
    examples: [
      ['inject --restore restore.yaml k8s/', 'the manifests with the Restore\'s init hooks, as YAML'],
      ['inject --restore restore.yaml k8s/ | kubectl apply -f -', 'apply what Velero would restore'],
    ],
    exitCodes: [[0, 'written'], [1, 'nothing written: input that does not parse, or a pod the API server (or Velero) would refuse'], USAGE_EXIT],
  },
  demo: {
    examples: [['demo', 'the whole hook lifecycle on a local control plane (from a checkout: npm run demo)']],
    exitCodes: [[0, 'every step as expected'], [1, 'a step did not go as expected'], [2, 'no Go toolchain to build the local control plane, or a usage error'], [130, 'interrupted (the cluster is torn down)']],
  },
  webhook: {
    examples: [
      ['webhook --listen 0.0.0.0:8443 --tls-cert-file tls.crt --tls-private-key-file tls.key', 'warnings at admission'],
      ['webhook --listen 127.0.0.1:8443 --tls-cert-file tls.crt --tls-private-key-file tls.key --deny-on error', 'deny objects with errors'],
    ],
    exitCodes: [[0, 'stopped by SIGINT or SIGTERM'], [2, 'usage error, unreadable certificate, or the address cannot be listened on']],
  },
  manifests: {
    examples: [['manifests webhook --service velero/kubehooks-webhook --ca-bundle-file ca.crt | kubectl apply -f -', 'register the webhook']],
    exitCodes: [[0, 'printed'], USAGE_EXIT],
  },
  'manifests webhook': {
    examples: [
      ['manifests webhook --service velero/kubehooks-webhook --ca-bundle-file ca.crt | kubectl apply -f -', 'the webhook behind a Service'],
      ['manifests webhook --url https://127.0.0.1:8443/validate --ca-bundle-file ca.crt --fail-closed', 'a webhook outside the cluster; refuse applies while it is down'],
    ],
    exitCodes: [[0, 'printed'], [2, 'usage error: neither or both of --url and --service, a bad name or timeout, or a CA file that is not PEM']],
  },
  'manifests controller': {
    examples: [
      ['manifests controller --image registry.example/kubehooks:0.1.0 | kubectl apply -f -', 'CRD, RBAC and Deployment, cluster-wide'],
      ['manifests controller --image registry.example/kubehooks:0.1.0 --watch-namespace db', 'a Role in namespace db only'],
    ],
    exitCodes: [[0, 'printed'], USAGE_EXIT],
  },
  policy: {
    examples: [
      ['policy | kubectl apply -f -', 'warnings from the API server itself, no webhook'],
      ['policy --deny', 'refuse bad objects instead'],
    ],
    exitCodes: [[0, 'printed'], USAGE_EXIT],
  },
  controller: {
    examples: [
      ['controller', 'run HookRuns in every namespace, with the in-cluster service account'],
      ['controller -n db --kubeconfig ~/.kube/config', 'only HookRuns in namespace db, from a workstation'],
    ],
    exitCodes: [[0, 'stopped by SIGINT or SIGTERM'], [2, 'usage error, or the kubeconfig or API server could not be used']],
  },
  completion: {
    examples: [
      ['completion bash', 'source <(kubehooks completion bash) in ~/.bashrc'],
      ['completion zsh', 'in ~/.zshrc, after compinit'],
      ['completion fish', '| source in ~/.config/fish/config.fish'],
    ],
    exitCodes: [[0, 'printed'], USAGE_EXIT],
  },
};

/** The program's own help: a few first steps and the exit codes every command shares. */
export function addProgramHelp(program: Command): void {
  addHelpSections(program, [
    ['lint k8s/', 'check hook annotations and Backup/Restore hooks'],
    ['plan -n db', 'which pre-backup hooks would run in namespace db'],
    ['run pre-backup -n db', 'run them (then post-backup after the snapshot)'],
    ['<command> --help', 'examples and exit codes of one command'],
  ], [[0, 'success'], [1, 'findings: lint errors, a hook that failed, …'], USAGE_EXIT, [130, 'interrupted by SIGINT (143: SIGTERM)']]);
}

/**
 * Adds the sections to each registered command and subcommand that has an entry, keyed by its path
 * below the program (`manifests webhook`); run and plan add their own.
 */
export function addCommandHelp(program: Command, prefix = ''): void {
  for (const command of program.commands) {
    const path = `${prefix}${command.name()}`;
    const sections = HELP_SECTIONS[path];
    if (sections !== undefined) addHelpSections(command, sections.examples, sections.exitCodes);
    addCommandHelp(command, `${path} `);
  }
}

/** Every command path below the program (`lint`, `manifests`, `manifests webhook`, …), for tests. */
export function commandPaths(program: Command, prefix = ''): string[] {
  return program.commands.flatMap((c) => [`${prefix}${c.name()}`, ...commandPaths(c, `${prefix}${c.name()} `)]);
}
