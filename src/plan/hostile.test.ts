/**
 * Hostile input through the whole pure pipeline, as `plan`, `inject` and `run` use it: text → load
 * (YAML/JSON, limits) → Backup/Restore parsing → plan (with and without the trust policy) → plan
 * renderers, and → inject (init hooks written back as YAML). Values are the kind an attacker who
 * can annotate a pod or hand over a manifest controls: MB-sized strings, lone surrogates, numbers,
 * objects and arrays where strings belong, deep nesting, YAML aliases. Nothing may throw, every
 * diagnostic is well formed, every planned hook is well typed, and each input finishes in bounded
 * time. The iteration counts are reported with t.diagnostic.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { lintSources } from '../lint/engine.ts';
import { injectDocuments } from '../load/inject-documents.ts';
import { loadSources } from '../load/load.ts';
import { decodeInput } from '../load/read-inputs.ts';
import type { Diagnostic } from '../model/diagnostic.ts';
import type { Plan } from '../model/plan.ts';
import { renderPlanJson } from '../report/plan-json.ts';
import { renderPlanText } from '../report/plan-text.ts';
import { readBackupAnnotationHook, readRestoreExecAnnotationHook, readRestoreInitAnnotationHook } from '../velero/annotations.ts';
import { HOOK_ANNOTATION_PREFIXES } from '../velero/annotation-settings.ts';
import { parseBackupObject, parseRestoreObject } from '../velero/spec.ts';
import { planBackupDetailed } from './plan-backup.ts';
import { planRestoreDetailed } from './plan-restore.ts';
import { namespacePolicy, type PlanPolicy } from './policy.ts';

const gen = { generateName: () => 'velero-restore-init-00000000' };
const PIPELINE_RUNS = 200;
const ANNOTATION_RUNS = 300;
const BYTES_RUNS = 300;
// Hang guard per test (node:test timeout); timings are printed as diagnostics, never asserted.
const HANG_GUARD = { timeout: 120_000 };

// ---------- hostile values ----------

const MiB = 1024 * 1024;
const huge = fc
  .tuple(fc.constantFrom('x', 'é', '\u{1F600}', '"', '\\', '\n', '{', '*a ', '$(id)'), fc.constantFrom(1 / 16, 1 / 16, 1 / 2))
  .map(([unit, mib]) => unit.repeat(Math.floor((mib * MiB) / unit.length)));
const loneSurrogates = fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 8 });
const nested = fc.integer({ min: 20, max: 300 }).map((depth) => {
  let v: unknown = 'bottom';
  for (let i = 0; i < depth; i++) v = i % 2 === 0 ? [v] : { k: v };
  return v;
});
const scalar = fc.oneof(
  { arbitrary: fc.string({ maxLength: 30 }), weight: 6 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 30 }), weight: 3 },
  { arbitrary: loneSurrogates, weight: 2 },
  { arbitrary: fc.double(), weight: 2 },
  { arbitrary: fc.integer(), weight: 2 },
  { arbitrary: fc.constantFrom(true, false, null, '', '30s', '-1s', 'Fail', '["/bin/sh","-c","x"]', '[', '{}'), weight: 4 },
  { arbitrary: huge, weight: 1 },
);
const { value: hostile } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { arbitrary: scalar, weight: 8 },
    { arbitrary: fc.array(tie('value'), { maxLength: 3 }), weight: 2 },
    { arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 3 }), weight: 2 },
    { arbitrary: nested, weight: 1 },
  ),
}));
const maybe = <T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof({ arbitrary: valid, weight: 3 }, { arbitrary: hostile, weight: 1 });

const hookKey = fc
  .tuple(fc.constantFrom(...HOOK_ANNOTATION_PREFIXES), fc.constantFrom('command', 'container', 'on-error', 'timeout', 'exec-timeout', 'wait-timeout', 'wait-for-ready', 'container-image', 'container-name'))
  .map(([p, s]) => p + s);
const container = fc.record({ name: maybe(fc.constantFrom('app', 'db')), image: maybe(fc.constant('busybox')), command: maybe(fc.constant(['/bin/true'])) });
const pod = fc.record({
  apiVersion: maybe(fc.constant('v1')),
  kind: fc.constantFrom('Pod', 'Deployment'),
  metadata: fc.record({
    name: maybe(fc.constantFrom('a', 'b')),
    namespace: maybe(fc.constantFrom('ns', 'kube-system')),
    labels: maybe(fc.constant({ app: 'db' })),
    annotations: fc.oneof(fc.dictionary(hookKey, hostile, { maxKeys: 5 }), hostile),
  }),
  spec: fc.oneof(
    fc.record({ containers: fc.oneof(fc.array(container, { maxLength: 3 }), hostile), initContainers: maybe(fc.array(container, { maxLength: 2 })) }),
    fc.record({ template: fc.record({ metadata: fc.record({ annotations: fc.dictionary(hookKey, hostile, { maxKeys: 4 }) }), spec: fc.record({ containers: fc.array(container, { maxLength: 2 }) }) }) }),
    hostile,
  ),
});
const execHook = fc.record({
  container: maybe(fc.constant('app')),
  command: maybe(fc.constant(['/bin/sh', '-c', 'x'])),
  onError: maybe(fc.constantFrom('Fail', 'Continue')),
  timeout: maybe(fc.constant('10s')),
  execTimeout: maybe(fc.constant('10s')),
  waitTimeout: maybe(fc.constant('1m')),
  waitForReady: maybe(fc.boolean()),
});
const entry = fc.record({
  name: maybe(fc.constant('h')),
  includedNamespaces: maybe(fc.array(fc.constantFrom('ns', '*', 'kube-*', '['), { maxLength: 2 })),
  excludedNamespaces: maybe(fc.array(fc.constantFrom('kube-*'), { maxLength: 1 })),
  labelSelector: maybe(fc.constantFrom({ matchLabels: { app: 'db' } }, { matchExpressions: [{ key: 'app', operator: 'In', values: ['db'] }] })),
  pre: maybe(fc.array(fc.record({ exec: maybe(execHook) }), { maxLength: 2 })),
  post: maybe(fc.array(fc.record({ exec: maybe(execHook) }), { maxLength: 2 })),
  postHooks: maybe(fc.array(fc.oneof(fc.record({ exec: maybe(execHook) }), fc.record({ init: fc.record({ initContainers: maybe(fc.array(container, { maxLength: 2 })), timeout: maybe(fc.constant('1m')) }) })), { maxLength: 3 })),
});
const hookObject = fc.record({
  apiVersion: maybe(fc.constant('velero.io/v1')),
  kind: fc.constantFrom('Backup', 'Restore'),
  metadata: fc.record({ name: maybe(fc.constant('h')) }),
  spec: fc.oneof(fc.record({ backupName: maybe(fc.constant('b')), namespaceMapping: maybe(fc.constant({ ns: 'other' })), hooks: fc.oneof(fc.record({ resources: fc.oneof(fc.array(entry, { maxLength: 3 }), hostile) }), hostile) }), hostile),
});
const policy: fc.Arbitrary<PlanPolicy> = fc.record({ annotations: fc.boolean(), deny: fc.array(fc.constantFrom('kube-*', 'ns', '{a,b}*'), { maxLength: 2 }), allow: fc.array(fc.constantFrom('*', 'n?', 'other'), { maxLength: 2 }) }).map(({ annotations, deny, allow }) => {
  const ns = namespacePolicy(allow, deny);
  assert.ok(ns.ok);
  return { annotationHooks: annotations, namespaceDenied: ns.denied };
});

/** YAML with an alias bomb in front, JSON, or YAML, of the same objects. */
const document = fc
  .tuple(fc.array(fc.oneof(pod, hookObject), { minLength: 1, maxLength: 4 }), fc.constantFrom('yaml', 'json', 'laughs'))
  .map(([objects, format]): { file: string; text: string } => {
    if (format === 'json') return { file: 'in.json', text: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }) };
    const yaml = objects.map((o) => stringify(o, { aliasDuplicateObjects: false })).join('---\n');
    if (format === 'yaml') return { file: 'in.yaml', text: yaml };
    const bomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(8).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    return { file: 'in.yaml', text: `${bomb.join('\n')}\n---\n${yaml}` };
  });

// ---------- checks ----------

/** fast-check's default report prints the counterexample in full: megabytes here. */
function shortReport<T>(details: fc.RunDetails<T>): void {
  if (!details.failed) return;
  const example = JSON.stringify(details.counterexample ?? null);
  const cause = details.errorInstance instanceof Error ? (details.errorInstance.stack ?? details.errorInstance.message) : String(details.errorInstance);
  throw new Error(`property failed after ${details.numRuns} runs (seed ${details.seed}, path ${details.counterexamplePath ?? ''}): ${cause.slice(0, 2000)}\ncounterexample (first 2000 of ${example.length} chars): ${example.slice(0, 2000)}`);
}

/**
 * Well-formed diagnostics. A message may quote the offending value in full (a 1 MiB name gives a
 * 1 MiB message: noted in docs/security.md), but never more than the input it came from.
 */
function wellFormed(diagnostics: readonly Diagnostic[], inputChars: number): void {
  for (const d of diagnostics) {
    assert.match(d.code, /^[a-z]+(-[a-z]+)*$/, d.code);
    assert.notEqual(d.code, 'internal-error', d.message.slice(0, 500));
    assert.ok(['error', 'warning', 'info'].includes(d.severity));
    assert.ok(d.message.length > 0 && d.message.length <= inputChars + 4096, `${d.code}: message of ${d.message.length} chars for ${inputChars} of input`);
  }
}

function planWellFormed(plan: Plan): void {
  for (const h of plan.hooks) {
    // Typed as strings; checked as the values they are at run time.
    const fields: Record<string, unknown> = { namespace: h.namespace, pod: h.pod, container: h.container, name: h.name, onError: h.onError };
    for (const [field, v] of Object.entries(fields)) {
      assert.equal(typeof v, 'string', `planned hook ${field} is ${((JSON.stringify(v) as string | undefined) ?? 'undefined').slice(0, 200)}`);
    }
    assert.ok(fields['onError'] === 'Fail' || fields['onError'] === 'Continue');
    assert.ok(h.command.every((c) => typeof c === 'string'), 'argv of strings');
    // Init hooks carry 0: they are containers, not execs.
    assert.ok(Number.isFinite(h.execTimeoutMs) && (h.type === 'init' || h.execTimeoutMs > 0), String(h.execTimeoutMs));
    assert.ok(Number.isFinite(h.waitTimeoutMs), String(h.waitTimeoutMs));
  }
  for (const s of plan.skipped) assert.ok(typeof s.reason === 'string' && s.reason.length > 0);
  JSON.parse(renderPlanJson(plan));
  assert.equal(typeof renderPlanText(plan), 'string');
}

/** Everything `plan`, `run` and `inject` do with one input; returns the slowest step's time. */
function pipeline(file: string, text: string, trust: PlanPolicy): void {
  const load = loadSources([{ file, text }]);
  wellFormed(load.diagnostics, text.length);
  wellFormed(lintSources([{ file, text }]).diagnostics, text.length);
  const pods = load.objects.flatMap((o) => (o.type === 'pod' ? [o.pod] : []));
  for (const o of load.objects) {
    if (o.type === 'backup') {
      const { backup, issues } = parseBackupObject(o.raw);
      assert.ok(issues.every((i) => typeof i.message === 'string'));
      for (const phase of ['pre', 'post'] as const) {
        planWellFormed(planBackupDetailed(pods, backup, phase).plan);
        const strict = planBackupDetailed(pods, backup, phase, trust).plan;
        planWellFormed(strict);
        if (trust.annotationHooks === false) assert.ok(strict.hooks.every((h) => h.source === 'spec'));
        if (trust.namespaceDenied !== undefined) assert.ok(strict.hooks.every((h) => trust.namespaceDenied?.(h.namespace) === undefined));
      }
    } else if (o.type === 'restore') {
      const { restore, issues } = parseRestoreObject(o.raw);
      assert.ok(issues.every((i) => typeof i.message === 'string'));
      planWellFormed(planRestoreDetailed(pods, restore, gen).plan);
      const strict = planRestoreDetailed(pods, restore, { ...gen, policy: trust }).plan;
      planWellFormed(strict);
      if (trust.annotationHooks === false) assert.ok(strict.hooks.every((h) => h.source === 'spec'));
      if (restore !== undefined && !load.failedFiles.includes(file)) {
        const injected = injectDocuments(load.documents, restore, gen);
        assert.equal(typeof injected.text, 'string');
        // What inject writes must load again.
        const again = loadSources([{ file: 'out.yaml', text: injected.text }]);
        assert.ok(
          !again.diagnostics.some((d) => d.code === 'yaml-syntax' || d.code === 'yaml-duplicate-key'),
          again.diagnostics.map((d) => d.message).join('\n'),
        );
      }
    }
  }
}

void describe('hostile input through load → parse → plan → render, and inject', () => {
  void it(`[S-23][S-24] property: random hostile manifests never throw, stay well formed, finish (${PIPELINE_RUNS} runs)`, HANG_GUARD, (t) => {
    let slowest = 0;
    fc.assert(
      fc.property(document, policy, ({ file, text }, trust) => {
        const start = performance.now();
        pipeline(file, text, trust);
        slowest = Math.max(slowest, performance.now() - start);
      }),
      { numRuns: PIPELINE_RUNS, reporter: shortReport },
    );
    t.diagnostic(`${PIPELINE_RUNS} hostile documents; slowest ${Math.round(slowest)} ms`);
  });

  void it(`property: annotation readers on hostile values (${ANNOTATION_RUNS} runs)`, (t) => {
    fc.assert(
      fc.property(fc.dictionary(hookKey, hostile, { maxKeys: 8 }), (raw) => {
        // Annotations are strings on the wire; non-strings reach the readers only through files.
        const annotations = raw as Record<string, string>;
        for (const read of [
          () => readBackupAnnotationHook(annotations, 'pre'),
          () => readBackupAnnotationHook(annotations, 'post'),
          () => readRestoreExecAnnotationHook(annotations),
          () => readRestoreInitAnnotationHook(annotations, gen),
        ]) {
          const hook = read().hook;
          if (hook !== undefined && 'command' in hook) assert.ok(hook.command.every((c) => typeof c === 'string'));
        }
      }),
      { numRuns: ANNOTATION_RUNS, reporter: shortReport },
    );
    t.diagnostic(`${ANNOTATION_RUNS} hostile annotation maps`);
  });

  void it(`property: bytes that are not UTF-8 are refused with input-encoding, never decoded loosely (${BYTES_RUNS} runs)`, (t) => {
    const invalid = fc.constantFrom([0xff], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xc0, 0xaf]);
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.nat(), invalid, (prefix, at, bad) => {
        const good = Buffer.from(`apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    pre.hook.backup.velero.io/command: "${prefix.replace(/[\\"]/g, '')}"\n`);
        const cut = at % (good.length + 1);
        const bytes = Buffer.concat([good.subarray(0, cut), Buffer.from(bad), good.subarray(cut)]);
        const decoded = decodeInput('bad.yaml', bytes);
        assert.ok('diagnostic' in decoded, 'refused');
        assert.equal(decoded.diagnostic.code, 'input-encoding');
      }),
      { numRuns: BYTES_RUNS, reporter: shortReport },
    );
    t.diagnostic(`${BYTES_RUNS} byte strings with invalid UTF-8`);
  });

  void it('[S-22][S-23] fixed hostile inputs: MB values, 5k annotations, alias bombs, deep nesting, wrong types', HANG_GUARD, (t) => {
    const big = 'x'.repeat(6 * MiB);
    const annotations = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`${HOOK_ANNOTATION_PREFIXES[i % 5] ?? ''}command-${i}`, `v${i}`]));
    const cases: [string, string][] = [
      ['6 MiB command', stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', annotations: { 'pre.hook.backup.velero.io/command': big } }, spec: { containers: [{ name: 'a' }] } })],
      ['6 MiB JSON command', JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', annotations: { 'post.hook.restore.velero.io/command': JSON.stringify([big]) } }, spec: { containers: [{ name: 'a' }] } })],
      ['5k annotations', JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', annotations }, spec: { containers: [{ name: 'a' }] } })],
      ['numbers where strings belong', JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 7, namespace: 1e308, annotations: { 'pre.hook.backup.velero.io/command': 42, 'pre.hook.backup.velero.io/timeout': 30 } }, spec: { containers: [{ name: 5 }] } })],
      ['objects where strings belong', JSON.stringify({ apiVersion: 'velero.io/v1', kind: 'Backup', metadata: { name: {} }, spec: { hooks: { resources: [{ name: ['x'], pre: [{ exec: { command: 'not-an-array', container: { a: 1 }, timeout: [30] } }] }] } } })],
      ['restore with wrong types', JSON.stringify({ apiVersion: 'velero.io/v1', kind: 'Restore', metadata: { name: 'r' }, spec: { backupName: 3, hooks: { resources: [{ postHooks: [{ init: { initContainers: 'x' } }, { exec: { waitForReady: 'yes', waitTimeout: 5 } }] }] } } })],
      ['deep flow nesting', `a: ${'['.repeat(50_000)}`],
      ['deep block nesting', Array.from({ length: 5000 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n')],
      ['alias bomb in annotations', `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  x: &a [1,1,1,1,1,1,1,1,1,1]\n  y: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n  z: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n  w: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n  annotations: {pre.hook.backup.velero.io/command: *d}\nspec: {containers: [{name: a}]}\n`],
      ['10k documents', '---\na: 1\n'.repeat(10_001)],
    ];
    const trust = { annotationHooks: false, namespaceDenied: (ns: string) => (ns === 'kube-system' ? 'denied' : undefined) };
    for (const [what, text] of cases) {
      const file = text.startsWith('{') ? 'h.json' : 'h.yaml';
      const start = performance.now();
      assert.doesNotThrow(() => {
        pipeline(file, text, trust);
      }, what);
      t.diagnostic(`${what}: ${Math.round(performance.now() - start)} ms`);
    }
  });
});
