/**
 * scripts/cluster/build.sh tells a first-time user where it is: one numbered step per missing binary
 * ("[2/4] etcd …") with a time range, and an overall estimate (issue 12). Run with a stub `go` on PATH
 * that only creates the files build.sh asks for, so no real build happens and no cluster is needed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BUILD_SCRIPT } from '../../scripts/cluster/binaries.ts';

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

void describe('cluster build script', () => {
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
