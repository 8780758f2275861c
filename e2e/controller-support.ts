/**
 * What the controller e2e files share: the shipped RBAC applied under a name of the test, a
 * directory laid out like a pod's service account mount, `kubehooks controller` started with
 * in-cluster configuration only, and HookRun reads.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnOwned } from '../src/testing/owned-process.ts';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import type { E2eContext } from './harness/index.ts';
import { kubectl, kubehooks } from './admission-support.ts';

export const BIN = resolve(import.meta.dirname, '..', 'bin', 'kubehooks.js');

export type Obj = Record<string, unknown> & { kind: string; metadata: { name: string; namespace?: string } };

export interface Result { namespace: string; pod: string; container: string; index: number; status: string; stdout: string; reasonCode?: string; reason: string | null }
export interface HookRunJson {
  metadata: { name: string; uid: string };
  status?: { phase?: string; completionTime?: string; startTime?: string; summary?: { attempted: number; failed: number; succeeded: number; pending: number; running: number }; results?: Result[]; conditions?: { type: string; status: string; reason: string; message: string }[]; plannedPods?: unknown[] };
}

/** The shipped RBAC and ServiceAccount, applied for real under a name of this test; returns the SA name. */
export async function installController(ctx: E2eContext, t: TestContext): Promise<string> {
  const name = `khc-${randomBytes(3).toString('hex')}`;
  const out = await kubehooks(['manifests', 'controller', '--image', 'kubehooks:e2e', '-n', ctx.namespace, '--name', name]);
  assert.equal(out.code, 0, out.stderr);
  const objects = parseAllDocuments(out.stdout).map((d) => d.toJS() as Obj);
  const crd = objects.filter((o) => o.kind === 'CustomResourceDefinition');
  const applied = await kubectl(ctx.kubeconfigPath, ['apply', '-f', '-'], crd.map((o) => JSON.stringify(o)).join('\n'));
  assert.equal(applied.code, 0, applied.stderr);
  const est = await kubectl(ctx.kubeconfigPath, ['wait', '--for=condition=Established', '--timeout=30s', 'crd/hookruns.kubehooks.dev', 'crd/hookrunjournals.kubehooks.dev']);
  assert.equal(est.code, 0, est.stderr);
  const rbac = objects.filter((o) => ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'].includes(o.kind));
  const created = await kubectl(ctx.kubeconfigPath, ['apply', '-f', '-'], rbac.map((o) => JSON.stringify(o)).join('\n'));
  assert.equal(created.code, 0, created.stderr);
  t.after(async () => {
    await kubectl(ctx.kubeconfigPath, ['delete', 'clusterrolebinding', name, '--ignore-not-found']);
    await kubectl(ctx.kubeconfigPath, ['delete', 'clusterrole', name, '--ignore-not-found']);
  });
  return name;
}

/** A directory laid out like a pod's service account mount: token, ca.crt, namespace. */
export async function serviceAccountDir(ctx: E2eContext, sa: string, t: TestContext): Promise<{ dir: string; host: string; port: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'kubehooks-sa-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const token = await kubectl(ctx.kubeconfigPath, ['create', 'token', sa, '-n', ctx.namespace, '--duration', '1h']);
  assert.equal(token.code, 0, token.stderr);
  const kubeconfig = parseYaml(await readFile(ctx.kubeconfigPath, 'utf8')) as { clusters: { cluster: { server: string; 'certificate-authority'?: string; 'certificate-authority-data'?: string } }[] };
  const cluster = kubeconfig.clusters[0]?.cluster;
  assert.ok(cluster !== undefined);
  const ca = cluster['certificate-authority-data'] !== undefined
    ? Buffer.from(cluster['certificate-authority-data'], 'base64').toString('utf8')
    : await readFile(resolve(join(ctx.kubeconfigPath, '..'), cluster['certificate-authority'] ?? ''), 'utf8');
  await writeFile(join(dir, 'token'), token.stdout.trim());
  await writeFile(join(dir, 'ca.crt'), ca);
  await writeFile(join(dir, 'namespace'), ctx.namespace);
  const url = new URL(cluster.server);
  return { dir, host: url.hostname, port: url.port };
}

export interface Controller {
  readonly child: ChildProcess;
  stderr(): string;
  /** `signal` to the controller's process group, then waits for its exit (SIGKILL after 15 s). */
  kill(signal: NodeJS.Signals): Promise<void>;
}

/**
 * `kubehooks controller` with in-cluster configuration only: no kubeconfig anywhere, HOME empty.
 * Owned by this test process (src/testing/owned-process.ts): stopped in the test's `after` hook, at
 * the test's end even when an earlier after hook threw (node:test then skips the rest; the controller
 * used to keep the test file alive for ever), and on every way this process ends (SIGTERM from
 * node --test or with-cluster, a crash, SIGKILL).
 */
export async function startController(sa: { dir: string; host: string; port: string }, env: Record<string, string>, args: readonly string[], t: TestContext): Promise<Controller> {
  const home = await mkdtemp(join(tmpdir(), 'kubehooks-home-'));
  t.after(() => rm(home, { recursive: true, force: true }));
  const owned = spawnOwned(process.execPath, [BIN, 'controller', ...args], {
    env: { PATH: process.env['PATH'] ?? '', HOME: home, KUBERNETES_SERVICE_HOST: sa.host, KUBERNETES_SERVICE_PORT: sa.port, KUBEHOOKS_SERVICE_ACCOUNT_DIR: sa.dir, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
    t,
  });
  const child = owned.child;
  let err = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => {
    err += d;
  });
  const c: Controller = {
    child,
    stderr: () => err,
    kill: async (signal) => {
      await owned.stop({ signal, graceMs: 15_000 });
    },
  };
  return c;
}

export async function getHookRun(ctx: E2eContext, name: string): Promise<HookRunJson> {
  const r = await kubectl(ctx.kubeconfigPath, ['get', 'hookrun', name, '-n', ctx.namespace, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as HookRunJson;
}

export async function waitFinished(ctx: E2eContext, name: string, controller: Controller, timeoutMs = 90_000): Promise<HookRunJson> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hr = await getHookRun(ctx, name);
    if (hr.status?.completionTime !== undefined) return hr;
    if (Date.now() > deadline) throw new Error(`HookRun ${name} did not finish in ${timeoutMs} ms: ${JSON.stringify(hr.status)}\ncontroller stderr:\n${controller.stderr()}`);
    await sleep(250);
  }
}

export function hookRunYaml(ns: string, name: string, spec: unknown): string {
  return JSON.stringify({ apiVersion: 'kubehooks.dev/v1alpha1', kind: 'HookRun', metadata: { name, namespace: ns }, spec });
}
