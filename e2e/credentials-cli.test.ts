/**
 * Credentials that kubectl honours and client-node got wrong (issue 10 items 1 and 3), on the real API
 * server: a ServiceAccount token (TokenRequest API) handed out through `tokenFile` and through an exec
 * credential plugin (a small script) that answers, expires, or hangs. Every run is the real binary
 * with a hang guard; timings are printed, not asserted.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { parse, stringify } from 'yaml';
import { e2eContext, e2eSkipReason } from './harness/index.ts';
import type { E2eContext } from './harness/index.ts';
import { kubehooksCli, outcomes, parseReport, serviceAccountWithRole, shJson } from './fault-support.ts';
import { writeYaml } from './run-harness.ts';

const skip = e2eSkipReason();

const ROLE_RULES = [
  { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [''], resources: ['pods/exec'], verbs: ['create', 'get'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create'] },
];

interface Account {
  readonly token: string;
  /** The ServiceAccount kubeconfig, parsed; its user entry is replaced per test. */
  readonly config: Record<string, unknown> & { users: { name: string; user: Record<string, unknown> }[] };
}

async function account(ctx: E2eContext, name: string): Promise<Account> {
  const config = parse(await readFile(await serviceAccountWithRole(ctx, name, ROLE_RULES), 'utf8')) as Account['config'];
  const token = config.users[0]?.user['token'];
  assert.equal(typeof token, 'string');
  return { token: token as string, config };
}

async function tmp(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kubehooks-e2e-cred-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function kubeconfigWithUser(dir: string, acc: Account, user: Record<string, unknown>): Promise<string> {
  const file = join(dir, 'kubeconfig');
  const config = { ...acc.config, users: [{ name: acc.config.users[0]?.name ?? 'sa', user }] };
  await writeFile(file, stringify(config), { mode: 0o600 });
  return file;
}

function backup(ctx: E2eContext, command: string): object {
  return {
    apiVersion: 'velero.io/v1',
    kind: 'Backup',
    metadata: { name: 'cred', namespace: 'velero' },
    spec: { hooks: { resources: [{ name: 'all', includedNamespaces: [ctx.namespace], pre: [{ exec: { command: JSON.parse(command) as string[], timeout: '3s' } }] }] } },
  };
}

/**
 * A plugin script: its first `good` calls print the token (expiring at `expiry`: a fixed timestamp or
 * `+Ns` from the call); later calls hang in a child `sleep` whose argument is unique to the test, so
 * the test can look for it afterwards.
 */
async function plugin(dir: string, token: string, good: number, expiry: string): Promise<{ file: string; mark: string; calls(): number }> {
  const mark = `3600.${String(Date.now() % 1_000_000).padStart(6, '0')}${Math.floor(Math.random() * 1000)}`;
  const file = join(dir, 'plugin.sh');
  const exp = expiry.startsWith('+') ? `$(date -u -d '${expiry.slice(1)}' +%Y-%m-%dT%H:%M:%SZ)` : expiry;
  await writeFile(
    file,
    [
      '#!/bin/sh',
      `n=$(cat '${dir}/calls' 2>/dev/null || echo 0); n=$((n+1)); echo $n > '${dir}/calls'`,
      `if [ "$n" -le ${good} ]; then`,
      `  printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s","expirationTimestamp":"%s"}}' '${token}' "${exp}"`,
      '  exit 0',
      'fi',
      `sleep ${mark}`,
      '',
    ].join('\n'),
  );
  await chmod(file, 0o755);
  return {
    file,
    mark,
    calls: () => {
      try {
        return Number(readFileSync(join(dir, 'calls'), 'utf8'));
      } catch {
        return 0;
      }
    },
  };
}

/** Processes whose command line holds `mark` (plugins or their children left behind). */
function leftovers(mark: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(mark)) pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

const execUser = (file: string): Record<string, unknown> => ({
  exec: { apiVersion: 'client.authentication.k8s.io/v1', command: file, interactiveMode: 'Never' },
});

void describe('credentials on the local control plane (issue 10)', { skip }, () => {
  void it('[R-18][R-65][S-4][S-5] tokenFile: a ServiceAccount token from a file (relative to the kubeconfig, trailing newline) authenticates the run', async (t) => {
    const ctx = await e2eContext(t);
    const acc = await account(ctx, 'tokenfile');
    await ctx.createPod({ name: 'db' });
    await ctx.waitForRunning('db');
    const dir = await tmp(t);
    await writeFile(join(dir, 'sa.token'), `${acc.token}\n`, { mode: 0o600 });
    const kubeconfig = await kubeconfigWithUser(dir, acc, { tokenFile: 'sa.token' });
    const file = await writeYaml(t, 'backup.yaml', backup(ctx, shJson('echo from-token-file')));
    const run = await kubehooksCli(['run', 'pre-backup', '--backup', file, '--kubeconfig', kubeconfig, '-n', ctx.namespace, '-o', 'json'], { timeoutMs: 60_000 });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(outcomes(parseReport(run)), ['db:succeeded']);
    assert.doesNotMatch(run.stderr, /anonymous/);

    // A user without any credential is said to be anonymous (not silently sent as system:anonymous).
    const anon = await kubeconfigWithUser(dir, acc, {});
    const bare = await kubehooksCli(['run', 'pre-backup', '--backup', file, '--kubeconfig', anon, '-n', ctx.namespace, '-o', 'json'], { timeoutMs: 60_000 });
    assert.match(bare.stderr, /has no credentials .*system:anonymous/);
    assert.equal(bare.code, 2, bare.stderr);
  });

  void it('[S-6] an exec plugin that answers: its token is used, and fetched once while valid', async (t) => {
    const ctx = await e2eContext(t);
    const acc = await account(ctx, 'plugin-ok');
    await ctx.createPod({ name: 'db' });
    await ctx.waitForRunning('db');
    const dir = await tmp(t);
    const p = await plugin(dir, acc.token, 100, '+1 hour');
    const kubeconfig = await kubeconfigWithUser(dir, acc, execUser(p.file));
    const file = await writeYaml(t, 'backup.yaml', backup(ctx, shJson('echo ok')));
    const run = await kubehooksCli(['run', 'pre-backup', '--backup', file, '--kubeconfig', kubeconfig, '-n', ctx.namespace, '-o', 'json'], { timeoutMs: 60_000 });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(outcomes(parseReport(run)), ['db:succeeded']);
    assert.equal(p.calls(), 1, 'list, exec and Event share one credential');
  });

  void it('[R-9][R-15][R-63][S-6] an exec plugin that hangs: exit 2 before any hook within --deadline 5s, and the plugin is ended', async (t) => {
    const ctx = await e2eContext(t);
    const acc = await account(ctx, 'plugin-hang');
    await ctx.createPod({ name: 'db' });
    await ctx.waitForRunning('db');
    const dir = await tmp(t);
    const p = await plugin(dir, acc.token, 0, '+1 hour');
    const kubeconfig = await kubeconfigWithUser(dir, acc, execUser(p.file));
    const file = await writeYaml(t, 'backup.yaml', backup(ctx, shJson('echo never')));
    const run = await kubehooksCli(['run', 'pre-backup', '--backup', file, '--kubeconfig', kubeconfig, '-n', ctx.namespace, '--deadline', '5s'], { timeoutMs: 60_000 });
    t.diagnostic(`hanging plugin: exit ${String(run.code)} after ${run.ms} ms`);
    assert.equal(run.killed, false, 'kubehooks hung');
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /exec credential plugin ".*plugin\.sh" of user ".*" did not answer within 5000 ms; it was stopped/);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(leftovers(p.mark), [], 'the plugin (and its sleep) were killed');
  });

  void it('[R-17][S-7] a legacy gcp auth-provider is refused before any request (exit 2, naming the user and gke-gcloud-auth-plugin); its cmd-path never runs', async (t) => {
    const ctx = await e2eContext(t);
    const acc = await account(ctx, 'auth-provider-gcp');
    await ctx.createPod({ name: 'db' });
    await ctx.waitForRunning('db');
    const dir = await tmp(t);
    const p = await plugin(dir, acc.token, 0, '+1 hour');
    const kubeconfig = await kubeconfigWithUser(dir, acc, {
      'auth-provider': { name: 'gcp', config: { 'cmd-path': p.file, 'token-key': '{.status.token}', 'expiry-key': '{.status.expirationTimestamp}' } },
    });
    const file = await writeYaml(t, 'backup.yaml', backup(ctx, shJson('echo never')));
    const run = await kubehooksCli(['run', 'pre-backup', '--backup', file, '--kubeconfig', kubeconfig, '-n', ctx.namespace], { timeoutMs: 60_000 });
    t.diagnostic(`gcp auth-provider: exit ${String(run.code)} after ${run.ms} ms`);
    assert.equal(run.killed, false, 'kubehooks hung');
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /user ".*" in .* uses the auth-provider "gcp", which kubectl removed in 1\.26 .*gke-gcloud-auth-plugin/);
    assert.equal(p.calls(), 0, 'the cmd-path was run');
  });

  void it('[R-9][R-15][R-64][S-6] a plugin whose token expired and that hangs on refresh: the hook fails unauthorized, the report is printed and the process exits', async (t) => {
    const ctx = await e2eContext(t);
    const acc = await account(ctx, 'plugin-refresh');
    await ctx.createPod({ name: 'db' });
    await ctx.waitForRunning('db');
    const dir = await tmp(t);
    // The list gets a token that is already expired, so the exec has to refresh it: that call hangs.
    const p = await plugin(dir, acc.token, 1, '2000-01-01T00:00:00Z');
    const kubeconfig = await kubeconfigWithUser(dir, acc, execUser(p.file));
    const file = await writeYaml(t, 'backup.yaml', backup(ctx, shJson('echo never')));
    const run = await kubehooksCli(['run', 'pre-backup', '--backup', file, '--kubeconfig', kubeconfig, '-n', ctx.namespace, '-o', 'json'], { timeoutMs: 90_000 });
    t.diagnostic(`refresh hangs: exit ${String(run.code)} after ${run.ms} ms, ${run.exitLagMs} ms from the report to the exit`);
    assert.equal(run.killed, false, 'kubehooks hung');
    assert.equal(run.code, 1, run.stderr);
    const report = parseReport(run);
    assert.deepEqual(outcomes(report), ['db:failed/unauthorized']);
    assert.match(report.results[0]?.reason ?? '', /credentials were not ready within 3000 ms/);
    assert.ok(run.exitLagMs < 3000, `exited ${run.exitLagMs} ms after the report`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(leftovers(p.mark), [], 'no plugin left behind');
  });
});
