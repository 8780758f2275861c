/**
 * Helpers for the Velero tier (e2e/velero/*.test.ts, run by `npm run test:e2e:velero`): the wrapper
 * starts the cluster with its controllers and a real Velero server, and describes Velero in
 * KUBEHOOKS_E2E_VELERO. Scenarios run Velero's own hooks (velero backup/restore) and kubehooks' on
 * identical namespaces; hook commands leave marker files (kwok runs exec argv as local processes),
 * and each side's markers are moved aside before the other side runs.
 */
import { runOwned } from '../../src/testing/owned-process.ts';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import type { V1Pod } from '@kubernetes/client-node';
import { stringify } from 'yaml';
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- client-node models are data-only classes. */
import { e2eKubeconfigPath, e2eNodeName, e2eSkipReason } from '../harness/index.ts';

export interface VeleroE2e {
  readonly velero: string;
  readonly namespace: string;
  readonly s3Url: string;
  readonly runDir: string;
  readonly versions: Readonly<Record<string, string>>;
}

export function controllersSkipReason(): string | false {
  const base = e2eSkipReason();
  if (base !== false) return base;
  if (process.env['KUBEHOOKS_E2E_CONTROLLERS'] !== '1') {
    return 'needs kube-controller-manager and kube-scheduler: run through npm run test:e2e:velero';
  }
  return false;
}

export function veleroSkipReason(): string | false {
  const base = controllersSkipReason();
  if (base !== false) return base;
  if ((process.env['KUBEHOOKS_E2E_VELERO'] ?? '') === '') {
    return 'needs a Velero server: run through npm run test:e2e:velero';
  }
  return false;
}

export function veleroE2e(): VeleroE2e {
  const raw = process.env['KUBEHOOKS_E2E_VELERO'];
  if (raw === undefined || raw === '') throw new Error('no Velero: skip the test with { skip: veleroSkipReason() }');
  return JSON.parse(raw) as VeleroE2e;
}

export interface Clients {
  readonly kubeconfigPath: string;
  readonly kc: KubeConfig;
  readonly core: CoreV1Api;
  readonly custom: CustomObjectsApi;
  readonly nodeName: string;
}

export function clients(): Clients {
  const kubeconfigPath = e2eKubeconfigPath();
  if (kubeconfigPath === undefined) throw new Error('no e2e cluster');
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return {
    kubeconfigPath,
    kc,
    core: kc.makeApiClient(CoreV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    nodeName: e2eNodeName(),
  };
}

export interface CliOutcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The Velero CLI against the e2e cluster (deadline 120 s). */
export async function velero(args: readonly string[], timeoutMs = 120_000): Promise<CliOutcome> {
  const v = veleroE2e();
  const kubeconfigPath = e2eKubeconfigPath() ?? '';
  const r = await runOwned(v.velero, [...args, `--kubeconfig=${kubeconfigPath}`, `--namespace=${v.namespace}`], {
    timeoutMs,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '' },
  });
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

async function veleroOk(args: readonly string[]): Promise<string> {
  const r = await velero(args);
  if (r.code !== 0) throw new Error(`velero ${args.join(' ')} exited ${String(r.code)}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

const TERMINAL = new Set(['Completed', 'PartiallyFailed', 'Failed', 'FailedValidation']);

export interface VeleroStatus {
  readonly phase?: string;
  readonly errors?: number;
  readonly warnings?: number;
  readonly hookStatus?: { readonly hooksAttempted?: number; readonly hooksFailed?: number };
}

async function readStatus(c: Clients, plural: 'backups' | 'restores', name: string): Promise<VeleroStatus> {
  const obj = (await c.custom.getNamespacedCustomObject({
    group: 'velero.io',
    version: 'v1',
    namespace: veleroE2e().namespace,
    plural,
    name,
  })) as { status?: VeleroStatus };
  return obj.status ?? {};
}

/** Polls until the Backup/Restore reaches a terminal phase, or returns its last status at the deadline. */
export async function waitTerminal(
  c: Clients,
  plural: 'backups' | 'restores',
  name: string,
  timeoutMs = 90_000,
): Promise<VeleroStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: VeleroStatus = {};
  while (Date.now() < deadline) {
    last = await readStatus(c, plural, name).catch(() => last);
    if (last.phase !== undefined && TERMINAL.has(last.phase)) return last;
    await sleep(250);
  }
  return last;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Creates a Velero object from what the CLI prints with `-o json` (so the CLI builds it), plus `spec` additions. */
export async function createFromCli(
  c: Clients,
  plural: 'backups' | 'restores',
  cliArgs: readonly string[],
  specExtra: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  const printed = JSON.parse(await veleroOk([...cliArgs, '-o', 'json'])) as Record<string, unknown> & {
    spec?: Record<string, unknown>;
  };
  const body = { ...printed, spec: { ...printed.spec, ...specExtra } };
  await c.custom.createNamespacedCustomObject({
    group: 'velero.io',
    version: 'v1',
    namespace: veleroE2e().namespace,
    plural,
    body,
  });
  return body;
}

/** The Errors section of `velero restore describe --details` (one message per line). */
export async function restoreErrors(name: string): Promise<{ text: string; errors: string[] }> {
  const text = await veleroOk(['restore', 'describe', name, '--details']);
  const errors: string[] = [];
  let inErrors = false;
  for (const line of text.split('\n')) {
    if (/^Errors:/.test(line)) {
      inErrors = true;
      continue;
    }
    if (inErrors && /^\S/.test(line) && !/^Errors:/.test(line)) inErrors = false;
    if (inErrors && line.trim() !== '' && !/^\s*(Velero|Cluster|Namespaces):\s*(<none>)?\s*$/.test(line)) {
      errors.push(line.trim());
    }
  }
  return { text, errors };
}

export async function createNamespace(c: Clients, name: string): Promise<void> {
  await c.core.createNamespace({ body: { metadata: { name, labels: { 'kubehooks.dev/e2e': 'true' } } } });
}

export async function waitPods(
  c: Clients,
  namespace: string,
  count: number,
  ok: (p: V1Pod) => boolean,
  timeoutMs = 60_000,
): Promise<V1Pod[]> {
  const deadline = Date.now() + timeoutMs;
  let pods: V1Pod[] = [];
  while (Date.now() < deadline) {
    pods = (await c.core.listNamespacedPod({ namespace })).items;
    if (pods.length === count && pods.every(ok)) return pods;
    await sleep(200);
  }
  throw new Error(
    `pods in ${namespace}: wanted ${count}, have ${pods.map((p) => `${p.metadata?.name ?? '?'}:${p.status?.phase ?? '-'}`).join(', ')}`,
  );
}

/** A unique suffix for namespace and object names. */
export const suffix = (): string => Math.random().toString(16).slice(2, 8);

/** Live processes whose command line mentions `marker` (kwok's exec children of a scenario). */
export function processesMentioning(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
      if (state !== 'Z' && cmdline.includes(marker) && Number(entry) !== process.pid) pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

export async function waitNoProcesses(marker: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (processesMentioning(marker).length === 0) return true;
    await sleep(100);
  }
  return processesMentioning(marker).length === 0;
}

/**
 * A marker directory for one scenario: hooks write into `live`; `collect(side)` waits for the
 * scenario's remote processes to end (bounded), moves `live` to `<side>` and returns the marker names.
 */
export async function markers(t: TestContext): Promise<{
  live: string;
  collect(side: string, settleMs?: number): Promise<{ names: Set<string>; lingered: boolean }>;
}> {
  const root = await mkdtemp(join(tmpdir(), 'kubehooks-sbs-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const live = join(root, 'live');
  await mkdir(live);
  return {
    live,
    async collect(side, settleMs = 15_000) {
      const lingered = processesMentioning(live).length > 0;
      await waitNoProcesses(live, settleMs);
      const dest = join(root, side);
      await rename(live, dest);
      await mkdir(live);
      return { names: new Set(await readdir(dest)), lingered };
    },
  };
}

const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'kubehooks.js');

/** bin/kubehooks.js with this Node (deadline 120 s), owned by the test process. */
export async function kubehooks(args: readonly string[], timeoutMs = 120_000): Promise<CliOutcome> {
  const r = await runOwned(process.execPath, [BIN, ...args], { timeoutMs, env: { ...process.env, KUBECONFIG: '' } });
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

export async function writeYaml(t: TestContext, name: string, object: unknown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kubehooks-sbs-yaml-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, name);
  // YAML 1.1, as kubectl and kubehooks read manifests: a label value "yes" must come out quoted.
  await writeFile(path, stringify(object, { version: '1.1' }));
  return path;
}

/** The compatibility document's deviation names: the first cell of every table row. */
export function documentedDeviations(): Set<string> {
  const doc = readFileSync(resolve(import.meta.dirname, '..', '..', 'docs', 'compatibility.md'), 'utf8');
  const names = new Set<string>();
  for (const line of doc.split('\n')) {
    const m = /^\|\s*([^|]+?)\s*\|/.exec(line);
    if (m?.[1] === undefined || m[1] === '#' || /^-+$/.test(m[1])) continue;
    for (const part of m[1].split(',')) names.add(part.trim());
  }
  return names;
}
