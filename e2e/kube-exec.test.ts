/**
 * src/kube's PodExecutor against the real local control plane: our WebSocket v5 client →
 * kube-apiserver (stream translator → SPDY) → kwok's kubelet API → a local process.
 * KWOK reports a non-zero exit as InternalError "... exit status N"; parseExecStatus recovers N.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { ExecOutcome, ExecRequest } from '../src/run/ports.ts';
import { KubeClient, createKubePorts } from '../src/kube/index.ts';
import { KubePodExecutor } from '../src/kube/exec.ts';
import { countResources, e2eContext, e2eSkipReason, grownSince } from './harness/index.ts';

const code = (o: ExecOutcome): string => (o.kind === 'error' ? o.code : `(${o.kind})`);

void describe('kube exec (PodExecutor) on the local control plane', { skip: e2eSkipReason() }, () => {
  void test('exec outcomes: output, exit codes, caps, timeout, abort, refusals', async (t) => {
    const ctx = await e2eContext(t);
    await ctx.createPod({ name: 'target', containers: ['app', 'sidecar'] });
    await ctx.createPod({ name: 'stuck', unmanagedNode: true });
    await ctx.waitForRunning('target', { timeoutMs: 20_000 });
    const ports = createKubePorts({ kubeconfigPath: ctx.kubeconfigPath });
    t.after(() => {
      ports.close();
    });
    const run = (overrides: Partial<ExecRequest>): Promise<ExecOutcome> =>
      ports.executor.exec({
        namespace: ctx.namespace,
        pod: 'target',
        container: 'app',
        command: ['true'],
        timeoutMs: 10_000,
        maxOutputBytes: 1024 * 1024,
        signal: t.signal,
        ...overrides,
      });

    await t.test('stdout, stderr and exit 0', async () => {
      const o = await run({ command: ['sh', '-c', 'echo hi; echo err >&2'] });
      assert.equal(o.kind, 'exited', JSON.stringify(o));
      assert.equal(o.exitCode, 0);
      assert.equal(o.stdout, 'hi\n');
      assert.equal(o.stderr, 'err\n');
      assert.equal(o.truncated, false);
    });

    await t.test('argv reaches the process exactly, without a shell', async () => {
      const o = await run({ command: ['printf', '%s|', 'a b', '$HOME', '*', ''] });
      assert.equal(o.kind, 'exited', JSON.stringify(o));
      assert.equal(o.stdout, 'a b|$HOME|*||');
    });

    await t.test('non-zero exit: the exact code from KWOK\'s "exit status N" form', async () => {
      for (const n of [1, 3, 42]) {
        const o = await run({ command: ['sh', '-c', `echo before; exit ${n}`] });
        assert.equal(o.kind, 'exited', JSON.stringify(o));
        assert.equal(o.exitCode, n);
        assert.equal(o.stdout, 'before\n');
        assert.match(o.message, new RegExp(`exit status ${n}`));
      }
      // Killed by a signal: KWOK says "signal: killed"; we report what a runtime would, 128 + 9.
      const killed = await run({ command: ['sh', '-c', 'kill -9 $$'] });
      assert.equal(killed.kind, 'exited', JSON.stringify(killed));
      assert.equal(killed.exitCode, 137);
    });

    await t.test('output cap per stream marks truncated', async () => {
      const o = await run({ command: ['sh', '-c', 'head -c 5000 /dev/zero | tr "\\000" x; echo small >&2'], maxOutputBytes: 1000 });
      assert.equal(o.kind, 'exited', JSON.stringify({ ...o, stdout: o.stdout.length }));
      assert.equal(o.stdout, 'x'.repeat(1000));
      assert.equal(o.stderr, 'small\n');
      assert.equal(o.truncated, true);
    });

    await t.test('3 MiB of output with the default 1 MiB cap: exactly 1 MiB kept, exit status still read', async () => {
      const o = await run({ command: ['sh', '-c', 'head -c 3145728 /dev/zero | tr "\\000" y; exit 4'] });
      assert.equal(o.kind, 'exited', JSON.stringify({ ...o, stdout: o.stdout.length }));
      assert.equal(o.exitCode, 4);
      assert.equal(o.stdout.length, 1024 * 1024);
      assert.ok(/^y+$/.test(o.stdout));
      assert.equal(o.truncated, true);
    });

    await t.test('20 concurrent execs keep their own output and exit codes', async () => {
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, i) => run({ command: ['sh', '-c', `echo ${i}; exit ${i}`] })),
      );
      outcomes.forEach((o, i) => {
        assert.equal(o.kind, 'exited', JSON.stringify(o));
        assert.equal(o.exitCode, i);
        assert.equal(o.stdout, `${i}\n`);
      });
    });

    await t.test('a hanging command times out, the stream is closed, no handles remain', async () => {
      const before = countResources();
      const started = Date.now();
      const o = await run({ command: ['sh', '-c', 'echo started; exec sleep 20'], timeoutMs: 1000 });
      const elapsed = Date.now() - started;
      assert.equal(o.kind, 'timed-out', JSON.stringify(o));
      assert.equal(o.stdout, 'started\n');
      assert.ok(elapsed >= 1000 && elapsed < 4000, `returned after ${elapsed} ms`);
      assert.deepEqual(await grownSince(before), [], 'resources still active after the exec');
    });

    await t.test('abort closes the stream: error/aborted', async () => {
      const controller = new AbortController();
      setTimeout(() => {
        controller.abort();
      }, 500);
      const o = await run({ command: ['sleep', '20'], signal: controller.signal });
      assert.equal(code(o), 'aborted');
      assert.ok(o.durationMs < 3000);
    });

    await t.test('a missing container is named, with the containers the pod has', async () => {
      const o = await run({ container: 'db' });
      assert.equal(code(o), 'no-such-container', JSON.stringify(o));
      assert.equal(o.message, `container "db" not found in pod ${ctx.namespace}/target; it has: app, sidecar`);
    });

    await t.test('a missing pod', async () => {
      const o = await run({ pod: 'nope' });
      assert.equal(code(o), 'pod-not-found', JSON.stringify(o));
    });

    await t.test('a pod whose node never runs it', async () => {
      const o = await run({ pod: 'stuck' });
      assert.equal(code(o), 'pod-not-running', JSON.stringify(o));
    });

    await t.test('an identity without pods/exec is forbidden', async () => {
      const kubeconfig = await ctx.serviceAccountKubeconfig('no-exec');
      const limited = createKubePorts({ kubeconfigPath: kubeconfig });
      try {
        const o = await limited.executor.exec({
          namespace: ctx.namespace,
          pod: 'target',
          container: 'app',
          command: ['true'],
          timeoutMs: 10_000,
          maxOutputBytes: 1024,
          signal: t.signal,
        });
        assert.equal(code(o), 'forbidden', JSON.stringify(o));
        assert.match(o.message, /pods\/exec/);
      } finally {
        limited.close();
      }
    });

    await t.test('the API server unreachable', async () => {
      // A closed port on loopback: connection refused.
      const probe = createServer();
      await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
      const address = probe.address();
      await new Promise<void>((resolve) => probe.close(() => { resolve(); }));
      assert.ok(address !== null && typeof address !== 'string');
      const dir = await mkdtemp(join(tmpdir(), 'kubehooks-e2e-dead-'));
      const file = join(dir, 'kubeconfig');
      await writeFile(
        file,
        `apiVersion: v1\nkind: Config\nclusters: [{name: d, cluster: {server: "https://127.0.0.1:${address.port}"}}]\nusers: [{name: u, user: {token: x}}]\ncontexts: [{name: d, context: {cluster: d, user: u}}]\ncurrent-context: d\n`,
      );
      const dead = createKubePorts({ kubeconfigPath: file });
      try {
        const o = await dead.executor.exec({
          namespace: 'x',
          pod: 'y',
          container: 'z',
          command: ['true'],
          timeoutMs: 5000,
          maxOutputBytes: 1024,
          signal: t.signal,
        });
        assert.equal(code(o), 'unreachable', JSON.stringify(o));
      } finally {
        dead.close();
        await rm(dir, { recursive: true, force: true });
      }
    });
  });

  void test('[S-25] exec connections resume the TLS session of an earlier one against kube-apiserver (TLS 1.3, client certificate)', async (t) => {
    const ctx = await e2eContext(t);
    await ctx.createPod({ name: 'resume' });
    await ctx.waitForRunning('resume', { timeoutMs: 20_000 });
    const client = KubeClient.load({ kubeconfigPath: ctx.kubeconfigPath });
    t.after(() => {
      client.close();
    });
    const executor = new KubePodExecutor(client);
    const exec = (): Promise<ExecOutcome> =>
      executor.exec({ namespace: ctx.namespace, pod: 'resume', container: 'app', command: ['true'], timeoutMs: 10_000, maxOutputBytes: 1024, signal: t.signal });
    const first = await exec();
    assert.equal(first.kind, 'exited', JSON.stringify(first));
    assert.deepEqual(client.upgradeHandshakes(), { full: 1, resumed: 0 });
    const outcomes = await Promise.all(Array.from({ length: 8 }, exec));
    for (let i = 0; i < 4; i++) outcomes.push(await exec());
    for (const o of outcomes) assert.equal(o.kind === 'exited' && o.exitCode, 0, JSON.stringify(o));
    // kube-apiserver (Go crypto/tls) accepts the ticket with the client certificate it carries.
    assert.deepEqual(client.upgradeHandshakes(), { full: 1, resumed: 12 });
  });
});
