/**
 * Security properties of `kubehooks run` through the real binary on the shared e2e cluster: TLS
 * verification on by default (and a loud opt-out), hook argv passed as-is (no shell), annotation
 * hooks ignored with --no-annotation-hooks, namespace allow/deny lists, and --no-output keeping hook
 * output out of the text and JSON reports. kwok runs exec argv as a local process, so marker files
 * in a temp directory show what actually ran.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { e2eContext, e2eSkipReason } from './harness/index.ts';
import type { E2eContext } from './harness/index.ts';
import { markerDir, writeYaml } from './run-harness.ts';
import { assertExitedPromptly, assertOneOutcomeEach, kubehooksCli, lines, outcomes, parseReport, shJson } from './fault-support.ts';

const skip = e2eSkipReason();

const backupWith = (ctx: E2eContext, pre: unknown[], namespaces = [ctx.namespace]): unknown => ({
  apiVersion: 'velero.io/v1',
  kind: 'Backup',
  metadata: { name: 'sec', namespace: 'velero' },
  spec: { hooks: { resources: [{ name: 'trusted', includedNamespaces: namespaces, pre }] } },
});

void describe('security of kubehooks run (binary, shared cluster)', { skip }, () => {
  void it('[R-62][S-1][S-2] TLS is verified by default; --insecure-skip-tls-verify works and warns loudly', async (t) => {
    const ctx = await e2eContext(t);
    const m = await markerDir(t);
    await ctx.createPod({ name: 'p', annotations: { 'pre.hook.backup.velero.io/command': shJson(`echo ran >> ${m.dir}/log`) } });
    await ctx.waitForRunning('p');
    // The admin kubeconfig without the cluster CA: the server certificate cannot be verified.
    const config = parse(await readFile(ctx.kubeconfigPath, 'utf8')) as { clusters: { cluster: Record<string, unknown> }[] };
    for (const c of config.clusters) delete c.cluster['certificate-authority-data'];
    const kubeconfig = join(m.dir, 'kubeconfig-no-ca');
    await writeFile(kubeconfig, stringify(config), { mode: 0o600 });
    const backup = await writeYaml(t, 'backup.yaml', backupWith(ctx, []));
    const args = ['run', 'pre-backup', '--backup', backup, '--kubeconfig', kubeconfig, '-n', ctx.namespace, '-o', 'json'];

    const strict = await kubehooksCli(args, { timeoutMs: 30_000 });
    assert.equal(strict.code, 2, strict.stderr);
    assert.match(strict.stderr, /TLS verification failed/);
    assert.equal(strict.stdout, '');
    assert.deepEqual(await lines(`${m.dir}/log`), [], 'no hook ran');

    const insecure = await kubehooksCli([...args, '--insecure-skip-tls-verify'], { timeoutMs: 30_000 });
    assert.equal(insecure.code, 0, insecure.stderr);
    assert.match(insecure.stderr, /warning: TLS verification of the API server https:\/\/127\.0\.0\.1:\d+ is DISABLED \(--insecure-skip-tls-verify\)/);
    assert.deepEqual(await lines(`${m.dir}/log`), ['ran']);
  });

  void it('[S-10] hook argv arrives as-is: $(...), ;, backticks, quotes and globs are not interpreted', async (t) => {
    const ctx = await e2eContext(t);
    const m = await markerDir(t);
    const hostile = [
      `$(touch ${m.dir}/pwned-subst)`,
      ';',
      'touch',
      `${m.dir}/pwned-semicolon`,
      `\`touch ${m.dir}/pwned-backtick\``,
      '&&',
      `touch ${m.dir}/pwned-and`,
      '|',
      '$HOME',
      "'single' \"double\"",
      '*',
      '\n',
      '',
    ];
    await ctx.createPod({ name: 'spec-hook' });
    await ctx.createPod({ name: 'annotation-hook', annotations: { 'pre.hook.backup.velero.io/command': JSON.stringify(['/bin/echo', ...hostile]) } });
    // Not JSON: Velero takes the whole value as one argv element; there is no such program.
    await ctx.createPod({ name: 'plain-annotation', annotations: { 'pre.hook.backup.velero.io/command': `/bin/echo $(touch ${m.dir}/pwned-plain)` } });
    for (const p of ['spec-hook', 'annotation-hook', 'plain-annotation']) await ctx.waitForRunning(p);
    const backup = await writeYaml(t, 'backup.yaml', backupWith(ctx, [{ exec: { command: ['/bin/echo', ...hostile] } }]));
    const run = await kubehooksCli(['run', 'pre-backup', '--backup', backup, '--kubeconfig', ctx.kubeconfigPath, '-n', ctx.namespace, '-o', 'json'], { timeoutMs: 60_000 });
    assertExitedPromptly(run);
    const report = parseReport(run);
    assertOneOutcomeEach(report, ['annotation-hook/app/<from-annotation>#0', 'plain-annotation/app/<from-annotation>#0', 'spec-hook/app/trusted#0']);
    const expected = `${hostile.join(' ')}\n`;
    for (const pod of ['spec-hook', 'annotation-hook']) {
      const r = report.results.find((x) => x.pod === pod);
      assert.equal(r?.status, 'succeeded', JSON.stringify(r));
      assert.equal(r.stdout, expected, `${pod}: echo printed its arguments literally`);
    }
    const plain = report.results.find((x) => x.pod === 'plain-annotation');
    assert.equal(plain?.status, 'failed', JSON.stringify(plain));
    assert.deepEqual((await readdir(m.dir)).filter((f) => f.startsWith('pwned')), [], 'no shell ran any of it');
    assert.equal(run.code, 1);
  });

  void it('[S-12] --no-annotation-hooks: only the spec hooks run; an annotated pod gets the spec hooks', async (t) => {
    const ctx = await e2eContext(t);
    const m = await markerDir(t);
    await ctx.createPod({
      name: 'annotated',
      labels: { trusted: 'spec' },
      annotations: {
        'pre.hook.backup.velero.io/command': shJson(`echo annotation >> ${m.dir}/annotated`),
        'pre.hook.backup.velero.io/on-error': 'Fail',
      },
    });
    await ctx.createPod({ name: 'annotated-only', annotations: { 'pre.hook.backup.velero.io/command': shJson(`echo annotation >> ${m.dir}/annotated-only`) } });
    await ctx.waitForRunning('annotated');
    await ctx.waitForRunning('annotated-only');
    // The spec selects only the first pod; the second has nothing but its annotation.
    const backup = await writeYaml(t, 'backup.yaml', {
      apiVersion: 'velero.io/v1',
      kind: 'Backup',
      metadata: { name: 'sec' },
      spec: {
        hooks: {
          resources: [
            {
              name: 'trusted',
              includedNamespaces: [ctx.namespace],
              labelSelector: { matchLabels: { trusted: 'spec' } },
              pre: [{ exec: { command: ['/bin/sh', '-c', 'echo spec >> "$0"', `${m.dir}/annotated`] } }],
            },
          ],
        },
      },
    });
    const run = await kubehooksCli(
      ['run', 'pre-backup', '--backup', backup, '--kubeconfig', ctx.kubeconfigPath, '-n', ctx.namespace, '-o', 'json', '--no-annotation-hooks'],
      { timeoutMs: 60_000 },
    );
    assertExitedPromptly(run);
    assert.equal(run.code, 0, run.stderr);
    const report = parseReport(run);
    assertOneOutcomeEach(report, ['annotated/app/trusted#0']);
    assert.deepEqual(report.results.map((r) => `${r.pod}:${r.source}:${r.status}`), ['annotated:spec:succeeded']);
    assert.deepEqual(await lines(`${m.dir}/annotated`), ['spec']);
    assert.deepEqual(await lines(`${m.dir}/annotated-only`), []);
    assert.match(run.stderr, /annotated: the pod's pre hook annotations are ignored \(--no-annotation-hooks\); the spec hooks apply/);
  });

  void it('[S-13] --allow-namespace / --deny-namespace: hooks in other namespaces never execute', async (t) => {
    const allowed = await e2eContext(t);
    const denied = await e2eContext(t);
    const m = await markerDir(t);
    for (const ctx of [allowed, denied]) {
      await ctx.createPod({ name: 'p', annotations: { 'pre.hook.backup.velero.io/command': shJson(`echo ${ctx.namespace} >> ${m.dir}/log`) } });
      await ctx.waitForRunning('p');
    }
    const backup = await writeYaml(t, 'backup.yaml', { apiVersion: 'velero.io/v1', kind: 'Backup', metadata: { name: 'sec' }, spec: {} });
    const base = ['run', 'pre-backup', '--backup', backup, '--kubeconfig', allowed.kubeconfigPath, '-n', allowed.namespace, '-n', denied.namespace, '-o', 'json'];
    for (const flags of [
      ['--deny-namespace', denied.namespace],
      ['--allow-namespace', allowed.namespace],
      ['--allow-namespace', 'e2e-*', '--deny-namespace', `{${denied.namespace},kube-*}`],
    ]) {
      const run = await kubehooksCli([...base, ...flags], { timeoutMs: 60_000 });
      assert.equal(run.code, 0, run.stderr);
      const report = parseReport(run);
      assert.deepEqual(outcomes(report), ['p:succeeded']);
      assert.equal(report.results[0]?.namespace, allowed.namespace);
      assert.match(run.stderr, new RegExp(`note: ${denied.namespace}/p: namespace "${denied.namespace}" is (denied|not allowed).*: its 1 pre hook will not run`));
    }
    assert.deepEqual(await lines(`${m.dir}/log`), [allowed.namespace, allowed.namespace, allowed.namespace]);
    const bad = await kubehooksCli([...base, '--deny-namespace', '[oops'], { timeoutMs: 30_000 });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--deny-namespace "\[oops"/);
  });

  void it('[S-15][S-16] --no-output keeps hook output out of the JSON and the text report (and Events never carry it)', async (t) => {
    const ctx = await e2eContext(t);
    const secret = 'SECRET-token-8f3a1c';
    await ctx.createPod({ name: 'leaky', annotations: { 'pre.hook.backup.velero.io/command': shJson(`echo ${secret}; echo ${secret} >&2; exit 3`) } });
    await ctx.waitForRunning('leaky');
    const backup = await writeYaml(t, 'backup.yaml', { apiVersion: 'velero.io/v1', kind: 'Backup', metadata: { name: 'sec' }, spec: {} });
    const base = ['run', 'pre-backup', '--backup', backup, '--kubeconfig', ctx.kubeconfigPath, '-n', ctx.namespace];
    const shown = await kubehooksCli(base, { timeoutMs: 30_000 });
    assert.equal(shown.code, 1);
    assert.ok(shown.stdout.includes(secret), 'control: without --no-output the text report shows the failing hook output');
    for (const format of [[], ['-o', 'json']]) {
      const run = await kubehooksCli([...base, ...format, '--no-output'], { timeoutMs: 30_000 });
      assert.equal(run.code, 1, run.stderr);
      assert.ok(!run.stdout.includes(secret) && !run.stderr.includes(secret), `${format.join(' ') || 'text'}: no output leaked\n${run.stdout}`);
      if (format.length > 0) {
        const r = parseReport(run).results[0];
        assert.deepEqual([r?.stdout, r?.stderr, r?.truncated, r?.exitCode], ['', '', false, 3]);
      } else {
        assert.match(run.stdout, /failed\s+\S+\/leaky\s+app\s+<from-annotation>#0/);
      }
    }
    const events = await ctx.core.listNamespacedEvent({ namespace: ctx.namespace });
    const ours = events.items.filter((e) => e.reason?.startsWith('Hook') === true);
    assert.ok(ours.length >= 3, `Events recorded: ${ours.length}`);
    for (const e of ours) assert.ok(!(e.message ?? '').includes(secret), e.message);
  });
});
