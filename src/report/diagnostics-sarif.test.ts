import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { lintSources } from '../lint/engine.ts';
import { lintCodeCatalog } from '../lint/catalog.ts';
import type { Diagnostic } from '../model/diagnostic.ts';
import { SARIF_FINGERPRINT_KEY, diagnosticsToSarif, fileToUri, renderDiagnosticsSarif, sarifFingerprint } from './diagnostics-sarif.ts';

const repo = join(import.meta.dirname, '..', '..');
const schema = JSON.parse(readFileSync(join(repo, 'schemas', 'vendor', 'sarif', 'sarif-schema-2.1.0.json'), 'utf8')) as object;
// The schema's language pattern is not valid with the u flag (a stray "]"), hence unicodeRegExp: false.
// ajv-formats is CommonJS; its default export is the plugin function.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ strict: false, allErrors: true, unicodeRegExp: false }));
const validate = ajv.compile(schema);

const MANIFESTS = `apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: prod
  annotations:
    pre.hook.backup.velero.io/command: fsfreeze --freeze /data
    pre.hook.backup.velero.io/on-error: fail
    post.hook.restore.velero.io/wait-timout: 10m
spec:
  containers: [{name: web, image: x}]
---
apiVersion: velero.io/v1
kind: Restore
metadata: {name: r}
spec:
  backupName: b
  hooks:
    resources:
      - name: warm
        postHooks:
          - exec: {command: ["/bin/warm"], execTimeout: "30"}
`;

interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: string;
  locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number; startColumn: number } } }[];
  partialFingerprints: Record<string, string>;
}
interface SarifLog {
  version: string;
  runs: { tool: { driver: { name: string; rules: { id: string; help: { text: string; markdown: string } }[] } }; results: SarifResult[] }[];
}

function sarifOf(text: string, file = 'deploy/web.yaml'): SarifLog {
  const { diagnostics } = lintSources([{ file, text }]);
  return JSON.parse(renderDiagnosticsSarif(diagnostics, { toolVersion: '0.1.0', catalog: lintCodeCatalog() })) as SarifLog;
}

void test('sarif: output validates against the published SARIF 2.1.0 schema (vendored)', () => {
  const log = sarifOf(MANIFESTS);
  assert.ok(validate(log), ajv.errorsText(validate.errors));
  assert.ok(log.runs[0]!.results.length >= 4);
  // Hostile names and paths still validate (URIs are encoded, text is JSON).
  const hostile = sarifOf(MANIFESTS.replace('name: web', 'name: "we\\u0007b <x> #?"'), 'dir with space/#a?.yaml');
  assert.ok(validate(hostile), ajv.errorsText(validate.errors));
  // A diagnostic with no file and no position (internal-error) too.
  const bare: Diagnostic = { code: 'internal-error', severity: 'error', message: 'm', hint: '', file: '', line: 0, column: 0, object: { kind: '', namespace: '', name: '' }, key: '' };
  assert.ok(validate(diagnosticsToSarif([bare], { toolVersion: 'x', catalog: lintCodeCatalog() })), ajv.errorsText(validate.errors));
});

void test('sarif: the schema check can fail (a broken log is rejected)', () => {
  const log = sarifOf(MANIFESTS) as unknown as { runs: { results: { level: string }[] }[] };
  log.runs[0]!.results[0]!.level = 'fatal';
  assert.equal(validate(log), false);
});

void test('sarif: ruleId is our code; rules[] has every code once with help text and a link to docs/lint-rules.md', () => {
  const log = sarifOf(MANIFESTS);
  const run = log.runs[0]!;
  const rules = run.tool.driver.rules;
  assert.equal(run.tool.driver.name, 'kubehooks');
  assert.equal(new Set(rules.map((r) => r.id)).size, rules.length);
  for (const r of rules) {
    assert.ok(r.help.text.length > 20, r.id);
    assert.ok(r.help.markdown.includes(`docs/lint-rules.md#${r.id}`), r.id);
  }
  const docs = readFileSync(join(repo, 'docs', 'lint-rules.md'), 'utf8');
  for (const r of rules) assert.ok(docs.includes(`### \`${r.id}\`\n`), `docs/lint-rules.md has the anchor for ${r.id}`);
  const codes = run.results.map((res) => res.ruleId);
  for (const c of ['command-shell-line', 'on-error-invalid', 'annotation-key-unknown', 'duration-invalid']) assert.ok(codes.includes(c), c);
  for (const res of run.results) assert.equal(rules[res.ruleIndex]?.id, res.ruleId);
});

void test('sarif: region line and column point at the key; levels map error/warning/info to error/warning/note', () => {
  const run = sarifOf(MANIFESTS).runs[0]!;
  const shell = run.results.find((r) => r.ruleId === 'command-shell-line')!;
  assert.deepEqual(shell.locations[0]!.physicalLocation.region, { startLine: 7, startColumn: 5 });
  assert.equal(shell.locations[0]!.physicalLocation.artifactLocation.uri, 'deploy/web.yaml');
  assert.equal(shell.level, 'error');
  assert.equal(run.results.find((r) => r.ruleId === 'annotation-key-unknown')!.level, 'warning');
  assert.equal(fileToUri('./a b/#c.yaml'), 'a%20b/%23c.yaml');
});

void test('sarif: partialFingerprints survive lines moving and differ by rule, object and key', () => {
  const before = sarifOf(MANIFESTS).runs[0]!.results;
  const after = sarifOf(`# a comment\n# another\n${MANIFESTS}`).runs[0]!.results;
  const fp = (rs: SarifResult[]): string[] => rs.map((r) => r.partialFingerprints[SARIF_FINGERPRINT_KEY]!).sort();
  assert.deepEqual(fp(after), fp(before));
  assert.notDeepEqual(after.map((r) => r.locations[0]!.physicalLocation.region.startLine), before.map((r) => r.locations[0]!.physicalLocation.region.startLine));
  const base: Diagnostic = { code: 'a', severity: 'error', message: '', hint: '', file: 'f', line: 1, column: 1, object: { kind: 'Pod', namespace: 'n', name: 'p' }, key: 'k' };
  const variants = [base, { ...base, code: 'b' }, { ...base, key: 'k2' }, { ...base, object: { ...base.object, name: 'q' } }, { ...base, object: { ...base.object, namespace: 'm' } }];
  assert.equal(new Set(variants.map(sarifFingerprint)).size, variants.length);
  assert.equal(sarifFingerprint({ ...base, line: 99, message: 'other' }), sarifFingerprint(base));
});
