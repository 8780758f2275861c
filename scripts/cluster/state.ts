/**
 * The run directory's record of a cluster: cluster.json (everything) plus one <name>.pid file per
 * component for people and shell tools. `down` and stale-run cleanup read only this record.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isOurs } from './processes.ts';
import type { ProcessRecord } from './processes.ts';

export const STATE_FILE = 'cluster.json';

export interface ClusterPorts {
  readonly etcdClient: number;
  readonly etcdPeer: number;
  readonly apiserver: number;
  readonly kwok: number;
  readonly kubeControllerManager?: number | undefined;
  readonly kubeScheduler?: number | undefined;
}

export interface ClusterState {
  readonly version: 1;
  readonly runDir: string;
  readonly kubeconfigPath: string;
  readonly server: string;
  readonly nodeName: string;
  readonly ports: ClusterPorts;
  /** In start order; stopped in reverse. */
  readonly processes: readonly ProcessRecord[];
  /** The process that started the cluster; the e2e wrapper's runs are stale once it is gone. */
  readonly ownerPid: number;
  readonly startedAt: string;
  readonly versions: Readonly<Record<string, string>>;
}

export async function writeState(state: ClusterState): Promise<void> {
  await writeFile(join(state.runDir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
  await Promise.all(state.processes.map((p) => writeFile(join(state.runDir, `${p.name}.pid`), `${p.pid}\n`)));
}

export async function readState(runDir: string): Promise<ClusterState | undefined> {
  let text: string;
  try {
    text = await readFile(join(runDir, STATE_FILE), 'utf8');
  } catch {
    return undefined;
  }
  const parsed = JSON.parse(text) as Partial<ClusterState>;
  if (parsed.version !== 1 || !Array.isArray(parsed.processes)) return undefined;
  return parsed as ClusterState;
}

/** Which recorded processes are still ours and running. */
export function liveProcesses(state: ClusterState): ProcessRecord[] {
  return state.processes.filter(isOurs);
}
