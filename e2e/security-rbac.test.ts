/**
 * The documented least-privilege Role (docs/rbac.md) is no broader than needed: each verb is taken
 * away in turn from a ServiceAccount that runs pre-backup and post-restore hooks, and what breaks is
 * recorded. And kubehooks writes nothing to the cluster but Events (none with --no-events): the API
 * server's own request counters (/metrics, apiserver_request_total) are compared before and after
 * runs as that ServiceAccount.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { KubeClient } from '../src/kube/index.ts';
import { e2eContext, e2eSkipReason } from './harness/index.ts';
import type { E2eContext } from './harness/index.ts';
import { writeYaml } from './run-harness.ts';
import { kubehooksCli, outcomes, parseReport, serviceAccountWithRole, shJson, type RoleRule } from './fault-support.ts';

const skip = e2eSkipReason();

type Rule = RoleRule;

async function documentedRules(): Promise<Rule[]> {
  const text = await readFile(resolve(import.meta.dirname, '..', 'docs', 'rbac.md'), 'utf8');
  const block = /```yaml\n([\s\S]*?)```/.exec(text)?.[1];
  if (block === undefined) throw new Error('docs/rbac.md has no yaml block');
  const role = parseAllDocuments(block)
    .map((d) => d.toJSON() as { kind: string; rules?: Rule[] })
    .find((d) => d.kind === 'Role');
  if (role?.rules === undefined) throw new Error('docs/rbac.md: no Role with rules');
  return role.rules;
}

/** The rules with one verb removed from one resource (a rule left with no verbs is dropped). */
function without(rules: readonly Rule[], resource: string, verb: string): Rule[] {
  return rules
    .map((r) => (r.resources.includes(resource) ? { ...r, verbs: r.verbs.filter((v) => v !== verb) } : r))
    .filter((r) => r.verbs.length > 0);
}

const bind = serviceAccountWithRole;

interface Phases {
  pre: string;
  post: string;
  warnings: string;
}

async function runBoth(
  ctx: E2eContext,
  kubeconfig: string,
  backup: string,
  restore: string,
  extra: string[] = [],
  beforePostRestore: () => Promise<unknown> = () => Promise.resolve(),
): Promise<Phases> {
  const common = ['--kubeconfig', kubeconfig, '-n', ctx.namespace, '-o', 'json', ...extra];
  const show = async (args: string[]): Promise<{ text: string; stderr: string }> => {
    const run = await kubehooksCli([...args, ...common], { timeoutMs: 60_000 });
    const text = run.code === 2 ? `exit 2` : `exit ${String(run.code)} ${outcomes(parseReport(run)).join(',')}`;
    return { text, stderr: run.stderr };
  };
  const pre = await show(['run', 'pre-backup', '--backup', backup]);
  await beforePostRestore();
  const post = await show(['run', 'post-restore', '--restore', restore, '--deadline', '20s']);
  const warnings = [pre.stderr, post.stderr].join('\n').split('\n').filter((l) => /warning|forbidden/i.test(l)).join('\n');
  return { pre: pre.text, post: post.text, warnings };
}

/** Sum of apiserver_request_total per `VERB group/resource/subresource`, mutating verbs only. */
async function mutatingRequests(client: KubeClient): Promise<Map<string, number>> {
  const res = await client.stream('/metrics', { signal: AbortSignal.timeout(10_000), what: 'read metrics' });
  let text = '';
  for await (const chunk of res) text += (chunk as Buffer).toString();
  const counts = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const labels: Record<string, string> = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m): [string, string] => [m[1] ?? '', m[2] ?? '']));
    const verb = labels['verb'] ?? '';
    if (['GET', 'LIST', 'WATCH', 'WATCHLIST'].includes(verb)) continue;
    const key = `${verb} ${labels['group'] ?? ''}/${labels['resource'] ?? ''}/${labels['subresource'] ?? ''}`;
    counts.set(key, (counts.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return counts;
}

function diff(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of after) {
    const d = v - (before.get(k) ?? 0);
    if (d > 0) out[k] = d;
  }
  return out;
}

/** Writes the simulated node (kwok) makes on its own: heartbeats and leases, pod status. */
const BACKGROUND = /^(PATCH|PUT|POST|APPLY|UPDATE) (coordination\.k8s\.io\/leases\/|\/nodes\/(status)?|\/pods\/status)$/;

void describe('RBAC no broader than needed; nothing written but Events', { skip }, () => {
  void it('[R-59][R-60][R-61][R-62][S-19] taking away each verb of the documented Role: what still works', async (t) => {
    const ctx = await e2eContext(t);
    await ctx.createPod({
      name: 'db',
      annotations: {
        'pre.hook.backup.velero.io/command': shJson('echo frozen'),
        'post.hook.restore.velero.io/command': shJson('echo restored'),
      },
    });
    await ctx.waitForRunning('db');
    const backup = await writeYaml(t, 'backup.yaml', { apiVersion: 'velero.io/v1', kind: 'Backup', metadata: { name: 'b' }, spec: {} });
    const restore = await writeYaml(t, 'restore.yaml', { apiVersion: 'velero.io/v1', kind: 'Restore', metadata: { name: 'r' }, spec: { backupName: 'b' } });
    const rules = await documentedRules();
    const variants: [string, Rule[]][] = [
      ['the documented Role', rules],
      ['without pods get', without(rules, 'pods', 'get')],
      ['without pods list', without(rules, 'pods', 'list')],
      ['without pods watch', without(rules, 'pods', 'watch')],
      ['without pods/exec create', without(rules, 'pods/exec', 'create')],
      ['without pods/exec get', without(rules, 'pods/exec', 'get')],
      ['without events create', without(rules, 'events', 'create')],
    ];
    const observed: Record<string, Phases> = {};
    let i = 0;
    for (const [label, r] of variants) {
      const name = `v${i++}`;
      const kubeconfig = await bind(ctx, name, r);
      // A pod that starts during the post-restore run (created just before it; the binary takes 1-2 s
      // to list, but more than 4 s was seen on a loaded machine), so that run has to wait (watch) for it.
      const late = (): Promise<unknown> =>
        ctx.createPod({ name: `late-${name}`, startDelayMs: 10_000, annotations: { 'post.hook.restore.velero.io/command': shJson('echo late') } });
      observed[label] = await runBoth(ctx, kubeconfig, backup, restore, [], late);
    }
    process.stderr.write(`# RBAC matrix:\n${Object.entries(observed).map(([k, v]) => `#   ${k}: pre-backup ${v.pre}; post-restore ${v.post}${v.warnings === '' ? '' : ` [${v.warnings.replace(/\n/g, ' | ').slice(0, 300)}]`}`).join('\n')}\n`);
    const get = (label: string): Phases => {
      const phases = observed[label];
      assert.ok(phases !== undefined, label);
      return phases;
    };
    const ok = { pre: 'exit 0 db:succeeded', post: /^exit 0 (db|late-v\d):succeeded(,(db|late-v\d):succeeded)*$/ };
    const works = (label: string): void => {
      assert.equal(get(label).pre, ok.pre, label);
      assert.match(get(label).post, ok.post, label);
    };
    works('the documented Role');
    assert.equal(get('the documented Role').warnings, '');
    // Listing pods is the plan for both phases: without it nothing runs.
    assert.deepEqual([get('without pods list').pre, get('without pods list').post], ['exit 2', 'exit 2']);
    // Waiting needs the watch: post-restore cannot run its hook, pre-backup does not watch.
    assert.equal(get('without pods watch').pre, ok.pre);
    assert.match(get('without pods watch').post, /^exit 1 .*late-v3:not-run\/watch-failed/);
    // Exec is the hook itself; a 1.36 API server authorizes the WebSocket upgrade as get AND create.
    for (const label of ['without pods/exec create', 'without pods/exec get']) {
      assert.match(get(label).pre, /^exit 1 db:failed\/forbidden$/, label);
      assert.match(get(label).post, /^exit 1 (\S+:failed\/forbidden,?)+$/, label);
    }
    // Events only: hooks unaffected, one warning per run.
    works('without events create');
    assert.match(get('without events create').warnings, /cannot record Events/);
    // The one verb a successful run does without: pods get, used only to re-read a pod and name why
    // an exec was refused (container not running, pod gone). Kept in the Role for those messages.
    works('without pods get');
  });

  void it('[S-20] the API server counts no write from a run but Events, and none at all with --no-events', async (t) => {
    const ctx = await e2eContext(t);
    await ctx.createPod({
      name: 'db',
      annotations: {
        'pre.hook.backup.velero.io/command': shJson('echo frozen'),
        'post.hook.restore.velero.io/command': shJson('echo restored; exit 4'),
      },
    });
    await ctx.waitForRunning('db');
    const backup = await writeYaml(t, 'backup.yaml', { apiVersion: 'velero.io/v1', kind: 'Backup', metadata: { name: 'b' }, spec: {} });
    const restore = await writeYaml(t, 'restore.yaml', { apiVersion: 'velero.io/v1', kind: 'Restore', metadata: { name: 'r' }, spec: { backupName: 'b' } });
    const kubeconfig = await bind(ctx, 'hooks', await documentedRules());
    const admin = KubeClient.load({ kubeconfigPath: ctx.kubeconfigPath });
    try {
      const measure = async (extra: string[]): Promise<{ writes: Record<string, number>; phases: Phases }> => {
        const before = await mutatingRequests(admin);
        const phases = await runBoth(ctx, kubeconfig, backup, restore, extra);
        const after = await mutatingRequests(admin);
        return { writes: diff(before, after), phases };
      };
      const withEvents = await measure([]);
      const noEvents = await measure(['--no-events']);
      process.stderr.write(`# writes with Events: ${JSON.stringify(withEvents.writes)}\n# writes with --no-events: ${JSON.stringify(noEvents.writes)}\n`);
      for (const m of [withEvents, noEvents]) {
        assert.equal(m.phases.pre, 'exit 0 db:succeeded');
        assert.equal(m.phases.post, 'exit 1 db:failed/non-zero-exit');
      }
      const ours = (writes: Record<string, number>): Record<string, number> =>
        Object.fromEntries(Object.entries(writes).filter(([k]) => !BACKGROUND.test(k) && !/\/pods\/exec$/.test(k)));
      // Two hooks, two Events (HookSucceeded, HookFailed): core/v1 or events.k8s.io, whichever the recorder uses.
      const events = ours(withEvents.writes);
      assert.deepEqual(Object.values(events).reduce((a, b) => a + b, 0), 2, JSON.stringify(events));
      assert.ok(Object.keys(events).every((k) => /^(POST|CREATE) (events\.k8s\.io)?\/events\/$/.test(k)), JSON.stringify(events));
      assert.deepEqual(ours(noEvents.writes), {}, 'nothing written with --no-events');
      // The exec connections themselves are counted as requests on pods/exec; they change no object.
      assert.ok(Object.keys(withEvents.writes).some((k) => /\/pods\/exec$/.test(k)), JSON.stringify(withEvents.writes));
    } finally {
      admin.close();
    }
  });
});
