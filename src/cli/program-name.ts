import { basename } from 'node:path';

/** The kubectl plugin's executable: `kubectl backup-hooks …` runs it (docs/adr/0005-kubectl-plugin-name.md). */
export const KUBECTL_PLUGIN_EXECUTABLE = 'kubectl-backup_hooks';
export const KUBECTL_PLUGIN_COMMAND = 'kubectl backup-hooks';

/**
 * The name usage and help show: `kubectl backup-hooks` when started as the kubectl plugin (kubectl
 * passes the plugin's path as argv[0]; an npm bin link or a copy of the binary is argv[1] or the
 * executable itself), else `kubehooks`.
 */
export function programName(argv0: string = process.argv0, script: string | undefined = process.argv[1]): string {
  const names = [argv0, script ?? ''].map((path) => basename(path));
  return names.some((name) => name === KUBECTL_PLUGIN_EXECUTABLE) ? KUBECTL_PLUGIN_COMMAND : 'kubehooks';
}
