/**
 * KubeVirt's own Velero hooks. virt-controller puts freeze/unfreeze annotations on every virt-launcher
 * pod (unless `kubevirt.io/skip-backup-hooks: "true"` is on the VMI or the KubeVirt CR):
 * pre  = `["/usr/bin/virt-freezer", "--freeze", "--name", VMI, "--namespace", NS]` in `compute`, timeout 60s;
 * post = the same with `--unfreeze` (no timeout annotation: Velero's 30s).
 * virt-freezer exits 0 without freezing when the VM has no guest agent or is paused, so a successful
 * hook does not prove a consistent snapshot.
 */
import type { DeclaredExecHook } from '../model/hook.ts';

export const VIRT_FREEZER = '/usr/bin/virt-freezer';
export const KUBEVIRT_COMPUTE_CONTAINER = 'compute';
/** On the VMI (or the KubeVirt CR, for every VM): "true" stops KubeVirt from adding the hook annotations. */
export const KUBEVIRT_SKIP_HOOKS_ANNOTATION = 'kubevirt.io/skip-backup-hooks';
/** KubeVirt's label on virt-launcher pods. */
export const VIRT_LAUNCHER_LABEL = { key: 'kubevirt.io', value: 'virt-launcher' } as const;

/** Who put a hook there when it was not the user: `plan` shows it as `injectedBy`. */
export type HookInjector = 'kubevirt';

export interface KubeVirtFreezeHook {
  readonly action: 'freeze' | 'unfreeze';
  /** `--name` and `--namespace` as written (the VMI), when present. */
  readonly vmi: string | undefined;
  readonly vmiNamespace: string | undefined;
}

function flagValue(argv: readonly string[], flag: string): string | undefined {
  const at = argv.indexOf(flag);
  return at >= 0 ? argv[at + 1] : undefined;
}

/** The annotation hook is KubeVirt's virt-freezer call (argv as KubeVirt writes it), else undefined. */
export function readKubevirtFreezeHook(hook: Pick<DeclaredExecHook, 'source' | 'command'>): KubeVirtFreezeHook | undefined {
  if (hook.source !== 'annotation' || hook.command[0] !== VIRT_FREEZER) return undefined;
  const action = hook.command.includes('--freeze') ? 'freeze' : hook.command.includes('--unfreeze') ? 'unfreeze' : undefined;
  if (action === undefined) return undefined;
  return { action, vmi: flagValue(hook.command, '--name'), vmiNamespace: flagValue(hook.command, '--namespace') };
}

export function hookInjector(hook: Pick<DeclaredExecHook, 'source' | 'command'>): HookInjector | undefined {
  return readKubevirtFreezeHook(hook) === undefined ? undefined : 'kubevirt';
}

export function isVirtLauncherPod(labels: Readonly<Record<string, string>> | undefined): boolean {
  return labels?.[VIRT_LAUNCHER_LABEL.key] === VIRT_LAUNCHER_LABEL.value;
}
