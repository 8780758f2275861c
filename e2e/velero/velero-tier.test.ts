/**
 * The Velero tier itself: the pinned versions answer, the CRDs came from the binary, and every
 * process of the cluster (controllers, object store, Velero and any plugin process it runs in its group)
 * listens on 127.0.0.1 only.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { clients, velero, veleroE2e, veleroSkipReason } from './support.ts';

const skip = veleroSkipReason();

/** PIDs in the process groups led by the recorded processes (Velero's plugins are in its group). */
function groupMembers(leaders: readonly number[]): Set<number> {
  const out = execFileSync('ps', ['-eo', 'pid=,pgid='], { encoding: 'utf8' });
  const members = new Set<number>();
  for (const line of out.split('\n')) {
    const [pid, pgid] = line.trim().split(/\s+/).map(Number);
    if (pid !== undefined && pgid !== undefined && leaders.includes(pgid)) members.add(pid);
  }
  return members;
}

void describe('Velero tier', () => {
  void test('velero version: client and server are the pinned release', { skip }, async () => {
    const r = await velero(['version', '--timeout', '30s']);
    assert.equal(r.code, 0, r.stderr);
    const pinned = veleroE2e().versions['velero'] ?? '';
    assert.match(r.stdout, new RegExp(`Client:\\s*\\n\\s*Version:\\s*${pinned.replace(/\./g, '\\.')}`));
    assert.match(r.stdout, new RegExp(`Server:\\s*\\n\\s*Version:\\s*${pinned.replace(/\./g, '\\.')}`));
  });

  void test('the Velero CRDs are established and the storage location is Available', { skip }, async () => {
    const c = clients();
    const list = (await c.custom.listClusterCustomObject({
      group: 'apiextensions.k8s.io',
      version: 'v1',
      plural: 'customresourcedefinitions',
    })) as { items: { metadata: { name: string } }[] };
    const names = list.items.map((i) => i.metadata.name).filter((n) => n.endsWith('.velero.io'));
    for (const crd of ['backups.velero.io', 'restores.velero.io', 'backupstoragelocations.velero.io', 'schedules.velero.io']) {
      assert.ok(names.includes(crd), `${crd} in ${names.join(', ')}`);
    }
    const r = await velero(['backup-location', 'get', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const bsl = JSON.parse(r.stdout) as { spec: { provider: string; config: Record<string, string> }; status: { phase: string } };
    assert.equal(bsl.spec.provider, 'aws');
    assert.equal(bsl.spec.config['s3Url'], veleroE2e().s3Url);
    assert.equal(bsl.status.phase, 'Available');
  });

  void test('every listening socket of the cluster, Velero and its plugins is on 127.0.0.1', { skip }, () => {
    const state = JSON.parse(readFileSync(join(veleroE2e().runDir, 'cluster.json'), 'utf8')) as {
      processes: { name: string; pid: number }[];
    };
    const names = state.processes.map((p) => p.name);
    for (const n of ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok', 'object-store', 'velero-server']) {
      assert.ok(names.includes(n), `${n} recorded in cluster.json (${names.join(', ')})`);
    }
    const pids = groupMembers(state.processes.map((p) => p.pid));
    const listening: string[] = [];
    for (const line of execFileSync('ss', ['-ltnpH'], { encoding: 'utf8' }).split('\n')) {
      const owners = [...line.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
      if (!owners.some((p) => pids.has(p))) continue;
      const local = line.trim().split(/\s+/)[3] ?? '';
      listening.push(local);
    }
    assert.ok(listening.length >= 8, `sockets found: ${listening.join(', ')}`);
    const foreign = listening.filter((l) => !l.startsWith('127.0.0.1:'));
    assert.deepEqual(foreign, [], `sockets not on 127.0.0.1: ${foreign.join(', ')} (all: ${listening.join(', ')})`);
  });
});
