/**
 * Smoke test of the local control plane through @kubernetes/client-node: a node and a pod are
 * simulated by kwok, and exec goes client-node (WebSocket v5) → kube-apiserver (translated to SPDY)
 * → kwok's kubelet API → a local process.
 */
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- client-node's models are
   data-only classes and its serializer takes plain objects. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { Exec } from '@kubernetes/client-node';
import type { KubeConfig, V1Node, V1Status } from '@kubernetes/client-node';
import WebSocket from 'ws';
import { countResources, e2eContext, e2eSkipReason, grownSince, NODE_SELECTOR_ANNOTATION, NODE_SELECTOR_VALUE } from './harness/index.ts';

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString('utf8');
    callback();
  }
}

interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly status: V1Status | undefined;
  readonly timedOut: boolean;
  readonly socket: WebSocket;
}

/**
 * client-node's Exec resolves when the socket opens, not when the command ends: the result is known
 * when the socket closes (the status, if any, arrived on channel 3 just before).
 */
async function execWithClientNode(
  kc: KubeConfig,
  namespace: string,
  pod: string,
  container: string,
  command: string[],
  timeoutMs: number,
): Promise<ExecResult> {
  const stdout = new Collect();
  const stderr = new Collect();
  let status: V1Status | undefined;
  const socket = await new Exec(kc).exec(
    namespace,
    pod,
    container,
    command,
    stdout,
    stderr,
    null,
    false,
    (s) => {
      status = s;
    },
  );
  let timedOut = false;
  if (socket.readyState !== WebSocket.CLOSED) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timedOut = true;
        socket.close();
      }, timeoutMs);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  return { stdout: stdout.text, stderr: stderr.text, status, timedOut, socket };
}

// Each test carries the reason, so node's summary counts the skipped tests.
const skip = e2eSkipReason();

void describe('local control plane (client-node)', () => {
  void test('a node created with the kwok annotation becomes Ready', { skip }, async (t) => {
    const ctx = await e2eContext(t);
    const name = `e2e-node-${randomBytes(3).toString('hex')}`;
    const body: V1Node = {
      metadata: { name, annotations: { [NODE_SELECTOR_ANNOTATION]: NODE_SELECTOR_VALUE } },
    };
    await ctx.core.createNode({ body });
    t.after(() => ctx.core.deleteNode({ name }));
    const deadline = Date.now() + 20_000;
    let node = await ctx.core.readNode({ name });
    while (!node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) {
      assert.ok(Date.now() < deadline, `node ${name} not Ready within 20 s`);
      await sleep(100);
      node = await ctx.core.readNode({ name });
    }
    assert.equal(node.status.addresses?.find((a) => a.type === 'InternalIP')?.address, '127.0.0.1');
    // client-node names this field after the API's odd JSON key "Port".
    assert.ok((node.status.daemonEndpoints?.kubeletEndpoint?.Port ?? 0) > 0);
  });

  void test('exec: stdout, stderr, failure and client-side timeout', { skip }, async (t) => {
    const ctx = await e2eContext(t);
    await ctx.createPod({ name: 'smoke', containers: ['app'] });
    const pod = await ctx.waitForRunning('smoke', { timeoutMs: 20_000 });
    assert.equal(pod.spec?.nodeName, ctx.nodeName);
    const exec = (command: string[], timeoutMs = 10_000): Promise<ExecResult> =>
      execWithClientNode(ctx.kubeConfig, ctx.namespace, 'smoke', 'app', command, timeoutMs);

    await t.test('output and Success', async () => {
      const r = await exec(['sh', '-c', 'echo hi; echo err >&2']);
      assert.equal(r.timedOut, false);
      assert.equal(r.stdout, 'hi\n');
      assert.equal(r.stderr, 'err\n');
      assert.equal(r.status?.status, 'Success');
    });

    await t.test('non-zero exit is a Failure (kwok: InternalError carrying "exit status 3")', async () => {
      const r = await exec(['sh', '-c', 'exit 3']);
      assert.equal(r.timedOut, false);
      assert.equal(r.status?.status, 'Failure');
      // kwok wraps the exit error, so the apiserver reports InternalError instead of NonZeroExitCode.
      assert.equal(r.status.reason, 'InternalError');
      assert.equal(r.status.code, 500);
      assert.match(r.status.message ?? '', /exit status 3/);
    });

    await t.test('a 1 s client timeout closes the socket and leaves no handles', async () => {
      const before = countResources();
      const started = Date.now();
      const r = await exec(['sleep', '30'], 1_000);
      const elapsed = Date.now() - started;
      assert.equal(r.timedOut, true);
      assert.equal(r.status, undefined);
      assert.ok(elapsed >= 1_000 && elapsed < 5_000, `closed after ${elapsed} ms`);
      assert.equal(r.socket.readyState, WebSocket.CLOSED);
      // Handle teardown completes a turn after 'close'; grownSince allows it a moment.
      assert.deepEqual(await grownSince(before), [], 'resources still active after the exec');
    });
  });
});
