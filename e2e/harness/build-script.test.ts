/**
 * scripts/cluster/build.sh tells a first-time user where it is: one numbered step per missing binary
 * ("[2/4] etcd …") with a time range, and an overall estimate (issue 12). Run with a stub `go` on PATH
 * that only creates the files build.sh asks for, so no real build happens and no cluster is needed.
 * And the build never outlives `cluster:up`: stopped however cluster:up ends (a stub `go` that hangs).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { BUILD_SCRIPT } from '../../scripts/cluster/binaries.ts';
import { spawnOwned } from '../../src/testing/owned-process.ts';
import { isSameProcess, procStat } from '../../src/testing/process-tree.ts';

const CLI = resolve(import.meta.dirname, '..', '..', 'scripts', 'cluster', 'cli.ts');

const STUB_GO = `#!/bin/sh
# A stand-in for go: records nothing, builds nothing, creates the outputs build.sh expects.
case "$1" in
  env) case "$2" in GOVERSION) echo go1.26.0 ;; GOMODCACHE) echo "$STUB_ROOT/modcache" ;; esac ;;
  install) name=$(basename "\${2%@*}"); : > "$GOBIN/$name"; chmod +x "$GOBIN/$name" ;;
  mod) if [ "$2" = download ] && [ "$3" = -json ]; then printf '{"GoMod": "%s"}\\n' "$STUB_ROOT/go.mod"; fi ;;
  build) out=; while [ $# -gt 0 ]; do [ "$1" = -o ] && out=$2; shift; done; [ -n "$out" ] && : > "$out" && chmod +x "$out" ;;
esac
exit 0
`;

/** A go that hangs in its first build step (`go install kwok`), as a cold build does for minutes; it records its PID and build.sh's. */
const HANGING_GO = `#!/bin/sh
case "$1" in
  env) case "$2" in GOVERSION) echo go1.26.0 ;; GOMODCACHE) echo "$STUB_ROOT/modcache" ;; esac ;;
  install) echo "$$ $PPID" > "$STUB_ROOT/go.pids.tmp"; mv "$STUB_ROOT/go.pids.tmp" "$STUB_ROOT/go.pids"; exec sleep 300 ;;
esac
exit 0
`;

async function until<T>(what: string, ms: number, read: () => T | undefined): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = read();
    if (value !== undefined) return value;
    await sleep(50);
  }
  throw new Error(`${what}: not within ${ms} ms`);
}

void describe('cluster build script', () => {
  const stops: readonly { sig: NodeJS.Signals; exit: { code: number | null; signal: NodeJS.Signals | null } }[] = [
    // cluster:up's own handler aborts the start: it reports the abort and exits 2.
    { sig: 'SIGTERM', exit: { code: 2, signal: null } },
    { sig: 'SIGINT', exit: { code: 2, signal: null } },
    // No handler runs: the owned-process watchdog stops the build.
    { sig: 'SIGKILL', exit: { code: null, signal: 'SIGKILL' } },
  ];
  for (const c of stops) {
    void it(`cluster:up stopped by ${c.sig} during a build: build.sh and its go are gone too`, { timeout: 60_000 }, async (t) => {
      const root = mkdtempSync(join(tmpdir(), 'kubehooks-build-stop-'));
      t.after(() => {
        rmSync(root, { recursive: true, force: true });
      });
      mkdirSync(join(root, 'bin'));
      mkdirSync(join(root, 'tools'));
      writeFileSync(join(root, 'bin', 'go'), HANGING_GO);
      chmodSync(join(root, 'bin', 'go'), 0o755);
      const env = { ...process.env, PATH: `${join(root, 'bin')}:${process.env['PATH'] ?? ''}`, KUBEHOOKS_TOOLS: join(root, 'tools'), KUBEHOOKS_CLUSTER_DIR: join(root, 'run'), STUB_ROOT: root };
      const up = spawnOwned(process.execPath, [CLI, 'up'], { env, stdio: ['ignore', 'ignore', 'pipe'], t });
      let stderr = '';
      up.child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const pids = await until('the stub go started', 30_000, () => {
        try {
          return readFileSync(join(root, 'go.pids'), 'utf8').trim().split(' ').map(Number);
        } catch {
          return undefined;
        }
      });
      const procs = pids.map((pid) => ({ pid, start: procStat(pid)?.start ?? -1 }));
      assert.ok(procs.every((p) => isSameProcess(p.pid, p.start)), `go and build.sh running: ${JSON.stringify(procs)}`);
      process.kill(up.pid, c.sig);
      // Not the stub's 300 s: a build's output pipes held by an orphaned go would keep cluster:up waiting.
      const exit = await Promise.race([up.exited, sleep(20_000).then(() => assert.fail(`cluster:up did not exit within 20 s of ${c.sig}\n${stderr}`))]);
      assert.deepEqual({ code: exit.code, signal: exit.signal }, c.exit, stderr);
      // The build runs in a group of its own, not in cluster:up's (which this test sweeps on its exit).
      assert.deepEqual(exit.leftovers, [], 'build.sh or go left in the group of cluster:up');
      if (c.sig !== 'SIGKILL') assert.match(stderr, /aborted while running .*build\.sh/);
      // The watchdog gives the build its grace (5 s) after SIGTERM before SIGKILL.
      const left = await until('build.sh and go gone', 10_000, () => {
        const running = procs.filter((p) => isSameProcess(p.pid, p.start));
        return running.length === 0 ? running : undefined;
      }).catch(() => procs.filter((p) => isSameProcess(p.pid, p.start)));
      assert.deepEqual(left, [], `left running after cluster:up ended (${c.sig}): ${JSON.stringify(left)}\n${stderr}`);
    });
  }


  void it('numbers a step per missing binary, with time ranges and an overall estimate', () => {
    const root = mkdtempSync(join(tmpdir(), 'kubehooks-build-'));
    try {
      mkdirSync(join(root, 'bin'));
      const tools = join(root, 'tools');
      mkdirSync(tools);
      writeFileSync(join(root, 'go.mod'), 'module k8s.io/kubernetes\n');
      writeFileSync(join(root, 'bin', 'go'), STUB_GO);
      chmodSync(join(root, 'bin', 'go'), 0o755);
      // kube-controller-manager is already there: four steps remain.
      writeFileSync(join(tools, 'kube-controller-manager'), '');
      chmodSync(join(tools, 'kube-controller-manager'), 0o755);
      const r = spawnSync('bash', [BUILD_SCRIPT], {
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, PATH: `${join(root, 'bin')}:${process.env['PATH'] ?? ''}`, KUBEHOOKS_TOOLS: tools, STUB_ROOT: root },
      });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), tools);
      const steps = r.stderr.split('\n').filter((l) => /^\[cluster:build\] \[\d\/\d\] \S+ v/.test(l));
      assert.deepEqual(
        steps.map((l) => /\[(\d\/\d)\] (\S+)/.exec(l)?.slice(1, 3).join(' ')),
        ['1/4 kwok', '2/4 etcd', '3/4 kube-apiserver', '4/4 kube-scheduler'],
      );
      for (const l of steps) assert.match(l, /\d(\.\d)?-\d+(\.\d)? min/, `a time range: ${l}`);
      assert.match(r.stderr, /building 4 binaries into .*: kwok etcd kube-apiserver kube-scheduler/);
      assert.match(r.stderr, /expect 5-15 minutes in all on 2 cores/);
      assert.match(r.stderr, /ready: .* \(built 4 binaries in \d+s\)/);
      for (const b of ['kwok', 'etcd', 'kube-apiserver', 'kube-scheduler']) assert.ok(existsSync(join(tools, b)), b);
      // Everything there now: no steps, no Go needed.
      const again = spawnSync('bash', [BUILD_SCRIPT], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, KUBEHOOKS_TOOLS: tools, PATH: '/usr/bin:/bin' } });
      assert.equal(again.status, 0, again.stderr);
      assert.match(again.stderr, /using cached binaries/);
      assert.doesNotMatch(again.stderr, /\[\d\/\d\]/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
