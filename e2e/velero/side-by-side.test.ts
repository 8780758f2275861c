/**
 * Velero and kubehooks side by side on the same cluster: for each scenario the same pods and the same
 * hooks run once through a real Velero (velero backup create + velero restore create with a namespace
 * mapping) and once through `kubehooks run` on an identical namespace. Outcomes are compared hook by
 * hook (marker files the hook commands write, Velero's `restore describe --details` errors and
 * hookStatus, kubehooks' JSON report). Where they differ the scenario names the deviation, and the
 * name must be a row of docs/compatibility.md: an undocumented difference fails the test.
 *
 * The missing-container scenario comes last: on Velero 1.18 it leaves its restore in Finalizing, and
 * the single-threaded restore finalizer then holds every later restore (Velero #9744).
 */
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- client-node's models are
   data-only classes and its serializer takes plain objects. */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { stringify, parseAllDocuments } from 'yaml';
import { fakePod } from '../harness/index.ts';
import type { FakePodOptions } from '../harness/index.ts';
import {
  clients,
  createFromCli,
  createNamespace,
  documentedDeviations,
  kubehooks,
  markers,
  restoreErrors,
  suffix,
  veleroSkipReason,
  waitPods,
  waitTerminal,
  writeYaml,
} from './support.ts';
import type { Clients } from './support.ts';

const skip = veleroSkipReason();

/** ran / not-run, and -failed when the side counts the hook as failed. */
type Outcome = 'ran' | 'ran-failed' | 'not-run' | 'not-run-failed';

interface HookCase {
  /** Marker file the hook writes; also the spec entry name of a spec hook. */
  readonly key: string;
  readonly pod: string;
  readonly container: string;
  /** The hook's name as Velero reports it (`<from-annotation>` for annotation hooks, else the entry name). */
  readonly veleroName?: string;
  readonly velero: Outcome;
  readonly kubehooks: Outcome;
  /** Required when the outcomes differ: a deviation name from docs/compatibility.md. */
  readonly deviation?: string;
}

type PodDef = Omit<FakePodOptions, 'namespace' | 'nodeName'> & { readonly initContainers?: V1Container[] };

interface RestoreScenario {
  readonly id: string;
  readonly pods: (live: string) => PodDef[];
  readonly hooks?: (live: string) => Record<string, unknown>[];
  readonly cases: readonly HookCase[];
  /** Velero's expected hookStatus, or 'stuck-finalizing' (restore never finishes, Q4). */
  readonly veleroStatus: { attempted: number; failed: number } | 'stuck-finalizing';
  readonly kubehooksSummary: { attempted: number; failed: number };
  /** Extra checks on the collected marker names of each side. */
  readonly extra?: (sides: { velero: Set<string>; kubehooks: Set<string> }) => void;
}

const sh = (script: string): string[] => ['/bin/sh', '-c', script];
/** A hook command that leaves <live>/<key> (and then does `rest`). */
const mark = (live: string, key: string, rest = 'true'): string[] => sh(`touch '${live}/${key}'; ${rest}`);

function specHook(
  name: string,
  exec: Record<string, unknown>,
): Record<string, unknown> {
  return { name, postHooks: [{ exec }] };
}

async function createPods(c: Clients, namespace: string, defs: PodDef[]): Promise<void> {
  for (const def of defs) {
    const { initContainers, ...rest } = def;
    const pod: V1Pod = fakePod({ ...rest, namespace, nodeName: c.nodeName });
    if (initContainers !== undefined && pod.spec !== undefined) pod.spec.initContainers = initContainers;
    await c.core.createNamespacedPod({ namespace, body: pod });
  }
}

interface KubehooksJsonReport {
  summary: { attempted: number; failed: number };
  results: { pod: string; container: string; name: string; index: number; status: string; reasonCode?: string }[];
}

function veleroOutcome(h: HookCase, ran: boolean, errors: readonly string[]): Outcome {
  const name = h.veleroName ?? h.key;
  const failed = errors.some((e) => e.includes(`hook ${name} in container ${h.container} `));
  return `${ran ? 'ran' : 'not-run'}${failed ? '-failed' : ''}` as Outcome;
}

function kubehooksOutcome(h: HookCase, ran: boolean, report: KubehooksJsonReport): Outcome {
  const result = report.results.find(
    (r) => r.pod === h.pod && r.container === h.container && (r.name === h.key || h.veleroName === '<from-annotation>'),
  );
  const failed = result !== undefined && result.status !== 'succeeded';
  return `${ran ? 'ran' : 'not-run'}${failed ? '-failed' : ''}` as Outcome;
}

/** Asserts each hook's outcome on both sides, and that every difference is a documented deviation. */
function compare(
  cases: readonly HookCase[],
  observed: { velero: Outcome; kubehooks: Outcome }[],
  context: string,
): void {
  const documented = documentedDeviations();
  const table = cases.map(
    (h, i) => `${h.pod}/${h.container}/${h.key}: velero ${observed[i]?.velero} kubehooks ${observed[i]?.kubehooks}`,
  );
  cases.forEach((h, i) => {
    const o = observed[i];
    assert.ok(o !== undefined);
    assert.equal(o.velero, h.velero, `Velero, hook ${h.key} (${context}):\n${table.join('\n')}`);
    assert.equal(o.kubehooks, h.kubehooks, `kubehooks, hook ${h.key} (${context}):\n${table.join('\n')}`);
    if (o.velero !== o.kubehooks) {
      assert.ok(h.deviation !== undefined, `undocumented difference for hook ${h.key}: ${table[i] ?? ''}`);
      assert.ok(
        documented.has(h.deviation),
        `hook ${h.key} differs (${table[i] ?? ''}) but deviation ${h.deviation} is not in docs/compatibility.md`,
      );
    } else {
      assert.equal(h.deviation, undefined, `hook ${h.key} names deviation ${String(h.deviation)} but the outcomes agree`);
    }
  });
}

async function runRestoreScenario(t: TestContext, s: RestoreScenario): Promise<void> {
  const c = clients();
  const id = suffix();
  const src = `sbs-${s.id}-${id}`;
  const dst = `${src}-v`;
  const kns = `${src}-k`;
  const m = await markers(t);
  const defs = s.pods(m.live);
  const hooks = s.hooks?.(m.live);
  await createNamespace(c, src);
  await createPods(c, src, defs);
  await waitPods(c, src, defs.length, () => true);

  // Velero: backup the namespace, restore it into dst; Velero runs its post-restore hooks.
  const backupName = `b-${id}`;
  const restoreName = `r-${id}`;
  await createFromCli(c, 'backups', ['backup', 'create', backupName, '--include-namespaces', src]);
  const b = await waitTerminal(c, 'backups', backupName);
  assert.equal(b.phase, 'Completed', `backup ${backupName}: ${JSON.stringify(b)}`);
  await createFromCli(
    c,
    'restores',
    ['restore', 'create', restoreName, '--from-backup', backupName, '--namespace-mappings', `${src}:${dst}`],
    hooks === undefined ? {} : { hooks: { resources: hooks } },
  );
  const stuck = s.veleroStatus === 'stuck-finalizing';
  const status = await waitTerminal(c, 'restores', restoreName, stuck ? 25_000 : 120_000);
  const errors = stuck ? [] : (await restoreErrors(restoreName)).errors;
  const vm = await m.collect('velero');
  t.diagnostic(`velero restore ${restoreName}: ${JSON.stringify(status)}; errors: ${JSON.stringify(errors)}`);
  if (stuck) {
    assert.equal(status.phase, 'Finalizing', `Velero 1.18 leaves the restore in Finalizing: ${JSON.stringify(status)}`);
  } else if (status.hookStatus === undefined || Object.keys(status.hookStatus).length === 0) {
    // Observed, not explained (docs/compatibility.md, "Observed side by side"): now and then, on a
    // loaded machine, Velero 1.18.3 finishes a restore whose hooks ran with no hookStatus at all
    // (and Completed despite a failed hook). The hooks are still compared one by one below.
    assert.equal(status.phase !== undefined && ['Completed', 'PartiallyFailed'].includes(status.phase), true);
    t.diagnostic(`Velero left hookStatus empty for ${restoreName} (phase ${String(status.phase)})`);
  } else {
    assert.deepEqual(
      { attempted: status.hookStatus.hooksAttempted ?? 0, failed: status.hookStatus.hooksFailed ?? 0 },
      s.veleroStatus,
      `Velero hookStatus: ${JSON.stringify(status)}; errors ${JSON.stringify(errors)}`,
    );
    const anyFailed = (status.hookStatus.hooksFailed ?? 0) > 0;
    assert.equal(status.phase, anyFailed ? 'PartiallyFailed' : 'Completed');
  }

  // kubehooks: the same pods in a fresh namespace, the same hooks.
  await createNamespace(c, kns);
  await createPods(c, kns, defs);
  const restoreFile = await writeYaml(t, 'restore.yaml', {
    apiVersion: 'velero.io/v1',
    kind: 'Restore',
    metadata: { name: restoreName, namespace: 'velero' },
    spec: { backupName, ...(hooks === undefined ? {} : { hooks: { resources: hooks } }) },
  });
  const r = await kubehooks([
    'run', 'post-restore', '--restore', restoreFile, '--kubeconfig', c.kubeconfigPath, '-n', kns, '-o', 'json', '--deadline', '90s',
  ]);
  const report = JSON.parse(r.stdout) as KubehooksJsonReport;
  const km = await m.collect('kubehooks');
  t.diagnostic(`kubehooks: exit ${String(r.code)} ${JSON.stringify(report.summary)} ${JSON.stringify(report.results.map((x) => `${x.pod}/${x.container}/${x.name}#${x.index}:${x.status}/${x.reasonCode ?? ''}`))}`);
  assert.deepEqual({ attempted: report.summary.attempted, failed: report.summary.failed }, s.kubehooksSummary, r.stderr);

  const observed = s.cases.map((h) => ({
    velero: veleroOutcome(h, vm.names.has(h.key), errors),
    kubehooks: kubehooksOutcome(h, km.names.has(h.key), report),
  }));
  compare(s.cases, observed, s.id);
  s.extra?.({ velero: vm.names, kubehooks: km.names });
}

const ANN = '<from-annotation>';
const ann = (live: string, key: string, extra: Record<string, string> = {}, rest = 'true'): Record<string, string> => ({
  'post.hook.restore.velero.io/command': JSON.stringify(mark(live, key, rest)),
  ...extra,
});

const restoreScenarios: RestoreScenario[] = [
  {
    id: 'success',
    pods: (live) => [{ name: 'db', annotations: ann(live, 'db-ok') }],
    cases: [{ key: 'db-ok', pod: 'db', container: 'app', veleroName: ANN, velero: 'ran', kubehooks: 'ran' }],
    veleroStatus: { attempted: 1, failed: 0 },
    kubehooksSummary: { attempted: 1, failed: 0 },
  },
  {
    id: 'continue',
    pods: () => [{ name: 'db' }],
    hooks: (live) => [
      specHook('e1-fails', { container: 'app', command: mark(live, 'e1-fails', 'exit 3'), onError: 'Continue' }),
      specHook('e2-after', { container: 'app', command: mark(live, 'e2-after') }),
    ],
    cases: [
      { key: 'e1-fails', pod: 'db', container: 'app', velero: 'ran-failed', kubehooks: 'ran-failed' },
      { key: 'e2-after', pod: 'db', container: 'app', velero: 'ran', kubehooks: 'ran' },
    ],
    veleroStatus: { attempted: 2, failed: 1 },
    kubehooksSummary: { attempted: 2, failed: 1 },
  },
  {
    id: 'fail',
    pods: () => [{ name: 'db' }],
    hooks: (live) => [
      specHook('e1-fails', { container: 'app', command: mark(live, 'e1-fails', 'exit 3'), onError: 'Fail' }),
      specHook('e2-after', { container: 'app', command: mark(live, 'e2-after') }),
    ],
    cases: [
      { key: 'e1-fails', pod: 'db', container: 'app', velero: 'ran-failed', kubehooks: 'ran-failed' },
      { key: 'e2-after', pod: 'db', container: 'app', velero: 'not-run-failed', kubehooks: 'not-run-failed' },
    ],
    veleroStatus: { attempted: 2, failed: 2 },
    kubehooksSummary: { attempted: 2, failed: 2 },
  },
  {
    id: 'exec-timeout',
    pods: (live) => [
      {
        name: 'db',
        annotations: ann(live, 'slow', { 'post.hook.restore.velero.io/exec-timeout': '2s' }, `sleep 6; touch '${live}/slow-finished'`),
      },
    ],
    cases: [{ key: 'slow', pod: 'db', container: 'app', veleroName: ANN, velero: 'ran-failed', kubehooks: 'ran-failed' }],
    veleroStatus: { attempted: 1, failed: 1 },
    kubehooksSummary: { attempted: 1, failed: 1 },
    // Neither side stops the remote command: it runs to its end after the timeout (Velero 1.18 keeps
    // the stream; kubehooks closes its WebSocket, and kube-apiserver keeps the kubelet stream).
    extra: ({ velero, kubehooks: k }) => {
      assert.ok(velero.has('slow-finished'), 'Velero: the remote command ran on after its exec timeout');
      assert.ok(k.has('slow-finished'), 'kubehooks: the remote command ran on after its exec timeout');
    },
  },
  {
    id: 'wait-timeout',
    // Two hooks in one container: the first may wait 2s, the second 60s (so Velero's pod watch lasts);
    // the container runs only 15s after the pod is created (kubehooks' wait clock starts with its
    // run, a few seconds after the pods are created when the machine is loaded).
    pods: () => [{ name: 'db', startDelayMs: 15_000 }],
    hooks: (live) => [
      specHook('e1-short', { container: 'app', command: mark(live, 'e1-short'), waitTimeout: '2s', onError: 'Continue' }),
      specHook('e2-long', { container: 'app', command: mark(live, 'e2-long'), waitTimeout: '60s' }),
    ],
    cases: [
      { key: 'e1-short', pod: 'db', container: 'app', velero: 'ran-failed', kubehooks: 'not-run-failed', deviation: 'Q6' },
      { key: 'e2-long', pod: 'db', container: 'app', velero: 'ran', kubehooks: 'ran' },
    ],
    veleroStatus: { attempted: 2, failed: 1 },
    kubehooksSummary: { attempted: 2, failed: 1 },
  },
  {
    id: 'wait-for-ready',
    pods: (live) => [
      {
        name: 'late',
        readyDelayMs: 1_000,
        containers: ['late'],
        annotations: ann(live, 'late-ready', { 'post.hook.restore.velero.io/wait-for-ready': 'true', 'post.hook.restore.velero.io/wait-timeout': '20s' }),
      },
      {
        name: 'never',
        ready: false,
        containers: ['never'],
        annotations: ann(live, 'never-ready', { 'post.hook.restore.velero.io/wait-for-ready': 'true', 'post.hook.restore.velero.io/wait-timeout': '4s' }),
      },
    ],
    cases: [
      { key: 'late-ready', pod: 'late', container: 'late', veleroName: ANN, velero: 'ran', kubehooks: 'ran' },
      { key: 'never-ready', pod: 'never', container: 'never', veleroName: ANN, velero: 'not-run-failed', kubehooks: 'not-run-failed' },
    ],
    veleroStatus: { attempted: 2, failed: 1 },
    kubehooksSummary: { attempted: 2, failed: 1 },
  },
  {
    id: 'two-containers',
    pods: () => [{ name: 'db', containers: ['app', 'sidecar'] }],
    hooks: (live) => [
      specHook('e1-app', { container: 'app', command: mark(live, 'e1-app') }),
      specHook('e2-sidecar', { container: 'sidecar', command: mark(live, 'e2-sidecar') }),
    ],
    cases: [
      { key: 'e1-app', pod: 'db', container: 'app', velero: 'ran', kubehooks: 'ran' },
      { key: 'e2-sidecar', pod: 'db', container: 'sidecar', velero: 'ran', kubehooks: 'ran' },
    ],
    veleroStatus: { attempted: 2, failed: 0 },
    kubehooksSummary: { attempted: 2, failed: 0 },
  },
  {
    id: 'annotation-over-spec',
    pods: (live) => [{ name: 'db', annotations: ann(live, 'from-annotation') }],
    hooks: (live) => [specHook('e1-spec', { container: 'app', command: mark(live, 'e1-spec') })],
    cases: [
      { key: 'from-annotation', pod: 'db', container: 'app', veleroName: ANN, velero: 'ran', kubehooks: 'ran' },
      { key: 'e1-spec', pod: 'db', container: 'app', velero: 'not-run', kubehooks: 'not-run' },
    ],
    veleroStatus: { attempted: 1, failed: 0 },
    kubehooksSummary: { attempted: 1, failed: 0 },
  },
  {
    id: 'one-pod-fails',
    // Pod a's hook fails at once (Continue); pod b runs only after 5s.
    pods: (live) => [
      { name: 'a', containers: ['a'], annotations: ann(live, 'a-fails', {}, 'exit 3') },
      { name: 'b', containers: ['b'], startDelayMs: 5_000, annotations: ann(live, 'b-later') },
    ],
    cases: [
      { key: 'a-fails', pod: 'a', container: 'a', veleroName: ANN, velero: 'ran-failed', kubehooks: 'ran-failed' },
      { key: 'b-later', pod: 'b', container: 'b', veleroName: ANN, velero: 'not-run-failed', kubehooks: 'ran', deviation: 'Q5' },
    ],
    veleroStatus: { attempted: 2, failed: 2 },
    kubehooksSummary: { attempted: 2, failed: 1 },
  },
];

void describe('Velero and kubehooks side by side: post-restore exec hooks', () => {
  // A first backup and restore without hooks: the server's first restore is not a compared one.
  void test('warm-up: a first backup and restore without hooks complete', { skip, timeout: 300_000 }, async (t) => {
    const c = clients();
    const id = suffix();
    const src = `sbs-warmup-${id}`;
    await createNamespace(c, src);
    await createPods(c, src, [{ name: 'plain' }]);
    await waitPods(c, src, 1, () => true);
    await createFromCli(c, 'backups', ['backup', 'create', `b-${id}`, '--include-namespaces', src]);
    assert.equal((await waitTerminal(c, 'backups', `b-${id}`)).phase, 'Completed');
    await createFromCli(c, 'restores', ['restore', 'create', `r-${id}`, '--from-backup', `b-${id}`, '--namespace-mappings', `${src}:${src}-v`]);
    const status = await waitTerminal(c, 'restores', `r-${id}`);
    t.diagnostic(JSON.stringify(status));
    assert.equal(status.phase, 'Completed', JSON.stringify(status));
  });
  for (const s of restoreScenarios) {
    void test(s.id, { skip, timeout: 300_000 }, (t) => runRestoreScenario(t, s));
  }
});

// ---- backup hooks ----------------------------------------------------------------------------

interface BackupCase {
  readonly key: string;
  readonly velero: 'ran' | 'not-run';
  readonly kubehooks: 'ran' | 'not-run';
  readonly deviation?: string;
}

async function runBackupScenario(
  t: TestContext,
  input: {
    id: string;
    pods: (live: string) => PodDef[];
    backupSpec: (namespace: string) => Record<string, unknown>;
    cases: readonly BackupCase[];
    veleroStatus: { attempted: number; failed: number };
  },
): Promise<void> {
  const c = clients();
  const id = suffix();
  const src = `sbs-${input.id}-${id}`;
  const kns = `${src}-k`;
  const m = await markers(t);
  const defs = input.pods(m.live);
  await createNamespace(c, src);
  await createPods(c, src, defs);
  await waitPods(c, src, defs.length, (p) => p.status?.phase === 'Running');
  const backupName = `b-${id}`;
  await createFromCli(c, 'backups', ['backup', 'create', backupName], input.backupSpec(src));
  const b = await waitTerminal(c, 'backups', backupName);
  const vm = await m.collect('velero');
  t.diagnostic(`velero backup ${backupName}: ${JSON.stringify(b)}`);
  assert.deepEqual(
    { attempted: b.hookStatus?.hooksAttempted ?? 0, failed: b.hookStatus?.hooksFailed ?? 0 },
    input.veleroStatus,
    JSON.stringify(b),
  );

  await createNamespace(c, kns);
  await createPods(c, kns, defs);
  await waitPods(c, kns, defs.length, (p) => p.status?.phase === 'Running');
  const file = await writeYaml(t, 'backup.yaml', {
    apiVersion: 'velero.io/v1',
    kind: 'Backup',
    metadata: { name: backupName, namespace: 'velero' },
    spec: input.backupSpec(kns),
  });
  for (const kind of ['pre-backup', 'post-backup']) {
    const r = await kubehooks(['run', kind, '--backup', file, '--kubeconfig', c.kubeconfigPath, '-n', kns, '-o', 'json']);
    t.diagnostic(`kubehooks ${kind}: exit ${String(r.code)} ${r.stdout.slice(0, 2000)} ${r.stderr.slice(0, 2000)}`);
  }
  const km = await m.collect('kubehooks');
  const documented = documentedDeviations();
  for (const h of input.cases) {
    const v = vm.names.has(h.key) ? 'ran' : 'not-run';
    const k = km.names.has(h.key) ? 'ran' : 'not-run';
    assert.equal(v, h.velero, `Velero, hook ${h.key}`);
    assert.equal(k, h.kubehooks, `kubehooks, hook ${h.key}`);
    if (v !== k) {
      assert.ok(h.deviation !== undefined && documented.has(h.deviation), `undocumented difference for ${h.key}: Velero ${v}, kubehooks ${k}`);
    }
  }
}

const backupAnn = (live: string, phase: 'pre' | 'post', key: string, container?: string): Record<string, string> => ({
  [`${phase}.hook.backup.velero.io/command`]: JSON.stringify(mark(live, key)),
  ...(container === undefined ? {} : { [`${phase}.hook.backup.velero.io/container`]: container }),
});

void describe('Velero and kubehooks side by side: backup hooks', () => {
  // kubehooks applies the Backup's own scope (its namespaces and label selector), as Velero does:
  // the unlabelled pod `web` gets no pre hook from either.
  void test('pre/post hooks with the Backup scope (namespaces, label selector)', { skip, timeout: 300_000 }, (t) =>
    runBackupScenario(t, {
      id: 'backup-scope',
      pods: (live) => [
        { name: 'db', labels: { backup: 'yes' }, annotations: { ...backupAnn(live, 'pre', 'db-pre'), ...backupAnn(live, 'post', 'db-post') } },
        { name: 'web', annotations: backupAnn(live, 'pre', 'web-pre') },
      ],
      backupSpec: (namespace) => ({ includedNamespaces: [namespace], labelSelector: { matchLabels: { backup: 'yes' } } }),
      cases: [
        { key: 'db-pre', velero: 'ran', kubehooks: 'ran' },
        { key: 'db-post', velero: 'ran', kubehooks: 'ran' },
        { key: 'web-pre', velero: 'not-run', kubehooks: 'not-run' },
      ],
      veleroStatus: { attempted: 2, failed: 0 },
    }),
  );

  void test('a backup hook for a native sidecar', { skip, timeout: 300_000 }, (t) =>
    runBackupScenario(t, {
      id: 'sidecar',
      pods: (live) => [
        {
          name: 'db',
          initContainers: [{ name: 'proxy', image: 'registry.invalid/kubehooks/fake:1', restartPolicy: 'Always' }],
          annotations: backupAnn(live, 'pre', 'sidecar-pre', 'proxy'),
        },
      ],
      backupSpec: (namespace) => ({ includedNamespaces: [namespace] }),
      cases: [{ key: 'sidecar-pre', velero: 'not-run', kubehooks: 'ran', deviation: 'Q8' }],
      veleroStatus: { attempted: 1, failed: 1 },
    }),
  );
});

// ---- init hooks: Velero's restored pod versus kubehooks inject ------------------------------------

const initView = (pod: { spec?: { initContainers?: V1Container[] } } | undefined): unknown[] =>
  (pod?.spec?.initContainers ?? []).map((c) => ({ name: c.name, image: c.image, command: c.command ?? null, args: c.args ?? null }));

void describe('Velero and kubehooks side by side: init hooks', () => {
  void test('init hooks injected by Velero versus kubehooks inject: the pod specs agree', { skip, timeout: 300_000 }, async (t) => {
    const c = clients();
    const id = suffix();
    const src = `sbs-init-${id}`;
    const dst = `${src}-v`;
    const defs: PodDef[] = [
      {
        name: 'annotated',
        annotations: {
          'init.hook.restore.velero.io/container-image': 'registry.invalid/restore-tool:1',
          'init.hook.restore.velero.io/container-name': 'restore-db',
          'init.hook.restore.velero.io/command': '["/bin/restore", "--from", "/backup"]',
        },
      },
      {
        name: 'spec',
        initContainers: [{ name: 'existing', image: 'registry.invalid/existing:1', command: ['/bin/true'] }],
      },
    ];
    const hooks = [
      {
        name: 'init-all',
        includedNamespaces: [dst],
        postHooks: [
          {
            init: {
              initContainers: [
                { name: 'warm-cache', image: 'registry.invalid/warm:1', command: ['/bin/warm', 'all'] },
                { name: 'check', image: 'registry.invalid/check:1', command: ['/bin/check'], args: ['--strict'] },
              ],
            },
          },
        ],
      },
    ];
    await createNamespace(c, src);
    await createPods(c, src, defs);
    await waitPods(c, src, defs.length, () => true);
    const backupName = `b-${id}`;
    const restoreName = `r-${id}`;
    await createFromCli(c, 'backups', ['backup', 'create', backupName, '--include-namespaces', src]);
    assert.equal((await waitTerminal(c, 'backups', backupName)).phase, 'Completed');
    await createFromCli(
      c,
      'restores',
      ['restore', 'create', restoreName, '--from-backup', backupName, '--namespace-mappings', `${src}:${dst}`],
      { hooks: { resources: hooks } },
    );
    const status = await waitTerminal(c, 'restores', restoreName);
    assert.equal(status.phase, 'Completed', JSON.stringify(status));
    const restored = await waitPods(c, dst, defs.length, () => true);

    const podsFile = await writeYaml(t, 'pods.yaml', { kind: 'List', apiVersion: 'v1', items: [] });
    const manifests = defs.map((d) => {
      const { initContainers, ...rest } = d;
      const pod = fakePod({ ...rest, namespace: src, nodeName: c.nodeName });
      if (initContainers !== undefined && pod.spec !== undefined) pod.spec.initContainers = initContainers;
      return stringify(pod);
    });
    await writeFile(podsFile, manifests.join('---\n'));
    const restoreFile = await writeYaml(t, 'restore.yaml', {
      apiVersion: 'velero.io/v1',
      kind: 'Restore',
      metadata: { name: restoreName, namespace: 'velero' },
      spec: { backupName, namespaceMapping: { [src]: dst }, hooks: { resources: hooks } },
    });
    const r = await kubehooks(['inject', '--restore', restoreFile, podsFile]);
    assert.equal(r.code, 0, r.stderr);
    const injected = parseAllDocuments(r.stdout).map((d) => d.toJS() as { metadata?: { name?: string }; spec?: { initContainers?: V1Container[] } });
    for (const def of defs) {
      const velero = restored.find((p) => p.metadata?.name === def.name);
      const ours = injected.find((p) => p.metadata?.name === def.name);
      const vv = initView(velero);
      const kv = initView(ours);
      t.diagnostic(`${def.name}: Velero ${JSON.stringify(vv)}; kubehooks ${JSON.stringify(kv)}`);
      assert.ok(vv.length > 0, `Velero injected init containers into ${def.name}`);
      assert.deepEqual(kv, vv, `init containers of ${def.name}: kubehooks inject versus Velero's restored pod`);
    }
  });
});

// ---- last: the missing container (Velero's restore stays in Finalizing) ---------------------------

void describe('Velero and kubehooks side by side: a hook for a missing container (last)', () => {
  void test('missing container', { skip, timeout: 300_000 }, (t) =>
    runRestoreScenario(t, {
      id: 'missing-container',
      pods: () => [{ name: 'db' }],
      hooks: (live) => [
        specHook('e1-missing', { container: 'nope', command: mark(live, 'e1-missing') }),
        specHook('e2-present', { container: 'app', command: mark(live, 'e2-present') }),
      ],
      cases: [
        { key: 'e1-missing', pod: 'db', container: 'nope', velero: 'not-run', kubehooks: 'not-run-failed', deviation: 'Q4' },
        { key: 'e2-present', pod: 'db', container: 'app', velero: 'ran', kubehooks: 'ran' },
      ],
      veleroStatus: 'stuck-finalizing',
      kubehooksSummary: { attempted: 2, failed: 1 },
    }),
  );
});
