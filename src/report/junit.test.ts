import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lintSources } from '../lint/engine.ts';
import type { HookResult } from '../model/result.ts';
import { renderDiagnosticsJunit } from './diagnostics-junit.ts';
import { JUNIT_OUTPUT_TAIL_CHARS, renderRunJunit } from './run-junit.ts';
import { xmlEscape } from './xml.ts';

/** Element names in document order, as `name` or `/name` (tiny tokenizer: our output has no CDATA or comments). */
function tags(xml: string): string[] {
  return [...xml.replace(/^<\?xml[^>]*\?>/, '').matchAll(/<(\/?)([a-z-]+)[^>]*?(\/?)>/g)].flatMap((m) =>
    m[3] === '/' ? [`${m[2]}`, `/${m[2]}`] : [`${m[1]}${m[2]}`],
  );
}

function attr(xml: string, element: string, name: string): string[] {
  return [...xml.matchAll(new RegExp(`<${element}\\b[^>]*\\b${name}="([^"]*)"`, 'g'))].map((m) => m[1] ?? '');
}

void test('xmlEscape: markup characters become references; characters XML cannot carry become U+FFFD', () => {
  assert.equal(xmlEscape(`<a href="x">&'</a>`), '&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;');
  assert.equal(xmlEscape('bell\u0007 nul\u0000 lone\ud800 ok\u{1f600}'), 'bell\uFFFD nul\uFFFD lone\uFFFD ok\u{1f600}');
  assert.equal(xmlEscape('a\nb\tc'), 'a&#10;b&#9;c');
});

const MANIFESTS = [
  {
    file: 'a.yaml',
    text: `apiVersion: v1
kind: Pod
metadata: {name: bad, namespace: ns, annotations: {pre.hook.backup.velero.io/command: "sync now", pre.hook.backup.velero.io/on-error: fail}}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata: {name: good, namespace: ns, annotations: {pre.hook.backup.velero.io/command: '["/bin/sync"]'}}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cm}
`,
  },
  { file: 'b.yaml', text: 'a: [\n' },
];

void test('lint junit: one testsuite per file, one testcase per object (clean ones too), failures for errors only', () => {
  const { diagnostics, objects } = lintSources(MANIFESTS);
  const xml = renderDiagnosticsJunit(
    diagnostics,
    objects.filter((o) => o.type !== 'other').map((o) => ({ file: o.origin.file, ref: o.ref })),
  );
  assert.deepEqual(attr(xml, 'testsuite', 'name'), ['a.yaml', 'b.yaml']);
  assert.deepEqual(attr(xml, 'testcase', 'name'), ['Pod ns/bad', 'Pod ns/good', '(file)']);
  assert.deepEqual(attr(xml, 'testsuite', 'tests'), ['2', '1']);
  assert.deepEqual(attr(xml, 'testsuite', 'failures'), ['1', '1']);
  assert.deepEqual(attr(xml, 'testsuites', 'tests'), ['3']);
  assert.match(attr(xml, 'failure', 'message')[0] ?? '', /^1 error: command-shell-line$/);
  // The warning (on-error "fail") is reported in system-out of the failing case, not as a failure.
  assert.match(xml, /<system-out>[^<]*on-error-invalid/);
  assert.deepEqual(tags(xml).filter((t) => !t.startsWith('/')).slice(0, 4), ['testsuites', 'testsuite', 'testcase', 'failure']);
});

void test('lint junit: hostile names are escaped, never markup', () => {
  const { diagnostics, objects } = lintSources([
    { file: 'x<y>.yaml', text: `apiVersion: v1\nkind: Pod\nmetadata: {name: "p\\"><evil/>", annotations: {pre.hook.backup.velero.io/command: "a b"}}\nspec: {containers: [{name: c, image: i}]}\n` },
  ]);
  const xml = renderDiagnosticsJunit(diagnostics, objects.map((o) => ({ file: o.origin.file, ref: o.ref })));
  assert.ok(!xml.includes('<evil/>'));
  assert.ok(xml.includes('x&lt;y&gt;.yaml'));
  assert.deepEqual(tags(xml).filter((t) => t === 'evil'), []);
});

const hook = (over: Partial<HookResult>): HookResult => ({
  namespace: 'ns', pod: 'pg-0', container: 'db', source: 'annotation', name: '<from-annotation>', phase: 'pre', index: 0,
  status: 'succeeded', exitCode: 0, stdout: 'ok\n', stderr: '', truncated: false, startedAt: '2026-01-01T00:00:00Z', durationMs: 1500, reason: null,
  ...over,
});

void test('run junit: one testcase per hook; failures carry the exit code and a stderr tail; not-run is skipped with the reason', () => {
  const longErr = `${'e'.repeat(10_000)}LAST`;
  const xml = renderRunJunit(
    {
      summary: { attempted: 3, failed: 2 },
      results: [
        hook({}),
        hook({ status: 'failed', exitCode: 3, stderr: longErr, reason: 'exit code 3', reasonCode: 'non-zero-exit', index: 1 }),
        hook({ status: 'timed-out', exitCode: null, stderr: '', reason: 'exec timeout 30s', reasonCode: 'exec-timeout', index: 2 }),
        hook({ status: 'not-run', exitCode: null, stdout: '', startedAt: null, durationMs: null, reason: 'pod deleted', reasonCode: 'pod-deleted', index: 3 }),
      ],
    },
    { name: 'kubehooks run pre-backup' },
  );
  assert.deepEqual(attr(xml, 'testsuite', 'tests'), ['4']);
  assert.deepEqual(attr(xml, 'testsuite', 'failures'), ['2']);
  assert.deepEqual(attr(xml, 'testsuite', 'skipped'), ['1']);
  assert.deepEqual(attr(xml, 'testcase', 'classname'), ['ns/pg-0', 'ns/pg-0', 'ns/pg-0', 'ns/pg-0']);
  assert.deepEqual(attr(xml, 'failure', 'type'), ['non-zero-exit', 'exec-timeout']);
  assert.deepEqual(attr(xml, 'skipped', 'message'), ['pod deleted']);
  assert.match(xml, /exit code: 3&#10;/);
  assert.match(xml, /LAST<\/failure>/);
  assert.ok(!xml.includes('e'.repeat(JUNIT_OUTPUT_TAIL_CHARS + 1)), 'only the tail of stderr');
  assert.match(xml, /last 4096 of 10004 characters/);
  assert.deepEqual(attr(xml, 'testcase', 'time').slice(0, 1), ['1.500']);
  // --no-output: no captured text at all.
  const quiet = renderRunJunit({ summary: { attempted: 1, failed: 1 }, results: [hook({ status: 'failed', exitCode: 1, stderr: 'secret', reason: 'r' })] }, { name: 'n', omitOutput: true });
  assert.ok(!quiet.includes('secret') && !quiet.includes('ok&#10;'));
});
