import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { main } from '../cli/main.ts';
import { captureIo } from '../testing/cli-io.ts';
import { plannedHook } from '../testing/run-fakes.ts';
import type { HookResult, RunReport } from '../model/result.ts';
import type { Plan, PlannedHook } from '../model/plan.ts';
import { renderDiagnosticsText } from './diagnostics-text.ts';
import { renderPlanJson } from './plan-json.ts';
import { renderPlanText } from './plan-text.ts';
import { renderRunJson } from './run-json.ts';
import { renderRunText } from './run-text.ts';
import { terminalSafe, terminalSafeLines } from './terminal-text.ts';

// The sequences from issue 10: set the window title, clear the screen, cursor up + erase line, CR.
const TITLE = '\u001b]0;owned\u0007';
const CLEAR = '\u001b[2J';
const ERASE_UP = '\u001b[1A\u001b[2K';
const FORGED = `${ERASE_UP}\rsucceeded  db/pg-0  app  fake#0`;
const HOSTILE = [TITLE, CLEAR, ERASE_UP, '\r', '\u009b2J', '\u202e', '\u0008', '\u007f'];

/** Any character a terminal may act on, other than the renderer's own line breaks. */
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

void describe('terminalSafe: escapes visibly, in one place for every text renderer', () => {
  const cases: [string, string][] = [
    ['plain text, quotes and backslashes stay', 'it\'s a "pod" \\x'],
    [TITLE, '\\x1b]0;owned\\x07'],
    [CLEAR, '\\x1b[2J'],
    [ERASE_UP, '\\x1b[1A\\x1b[2K'],
    ['a\rb', 'a\\rb'],
    ['a\nb\tc', 'a\\nb\\tc'],
    ['\u009b2J', '\\x9b2J'],
    ['\u202egnp.exe', '\\u202egnp.exe'],
    ['\u2028', '\\u2028'],
    ['\u0000\u007f', '\\x00\\x7f'],
    ['üñí€😀', 'üñí€😀'],
  ];
  for (const [input, want] of cases) {
    void it(JSON.stringify(input), () => {
      assert.equal(terminalSafe(input), input === cases[0]![0] ? input : want);
    });
  }
  void it('keeps line breaks of multi-line output and drops only a CR before one', () => {
    assert.deepEqual(terminalSafeLines('a\r\nb\rc\n\u001b[2Kd'), ['a', 'b\\rc', '\\x1b[2Kd']);
  });
});

const result: HookResult = {
  namespace: 'db', pod: `pg-0${TITLE}`, container: `app${FORGED}`, source: 'annotation', name: `<from-annotation>${CLEAR}`,
  phase: 'pre', index: 0, status: 'failed', exitCode: 3, stdout: `froze\n${FORGED}\n${CLEAR}`, stderr: `${ERASE_UP}\u009b2J`,
  truncated: false, startedAt: '2026-11-25T12:00:00.000Z', durationMs: 12, reason: `command terminated\r${ERASE_UP}`, reasonCode: 'non-zero-exit',
};

function assertSafe(text: string): void {
  const bad = RAW_CONTROL.exec(text);
  assert.equal(bad, null, `raw control U+${bad?.[0].codePointAt(0)?.toString(16).padStart(4, '0') ?? ''} in ${JSON.stringify(text)}`);
}

void describe('[R-70][S-9] escape sequences in untrusted strings never reach the terminal raw (issue 10 item 2)', () => {
  void it('run text report: container column, pod, name, reason, stdout and stderr blocks', () => {
    const report: RunReport = { summary: { attempted: 1, failed: 1 }, results: [result] };
    const text = renderRunText(report);
    assertSafe(text);
    assert.match(text, /app\\x1b\[1A\\x1b\[2K\\rsucceeded/);
    assert.match(text, /^ {6}\\x1b\[1A\\x1b\[2K\\rsucceeded {2}db\/pg-0/m, 'the forged line is in the stdout block, escaped');
    assert.match(text, /^ {6}\\x1b\[1A\\x1b\[2K\\x9b2J$/m, 'stderr block');
  });
  void it('run JSON stays exact', () => {
    const report: RunReport = { summary: { attempted: 1, failed: 1 }, results: [result] };
    const parsed = JSON.parse(renderRunJson(report)) as { results: HookResult[] };
    assert.deepEqual(parsed.results[0], result);
  });

  const hook: PlannedHook = plannedHook({
    namespace: 'db', pod: `pg${CLEAR}`, container: `app${FORGED}`, source: 'annotation', name: '<from-annotation>',
    phase: 'pre', command: ['/bin/echo', `x${TITLE}`, ...HOSTILE], onError: 'Fail', execTimeoutMs: 1000,
  });
  const plan: Plan = { hooks: [hook], skipped: [{ namespace: 'web', pod: `n${ERASE_UP}`, reason: `no hook\r${FORGED}`, code: 'no-hooks' }] };
  void it('plan text: container, command, skipped pods and reasons', () => {
    const text = renderPlanText(plan);
    assertSafe(text);
    assert.match(text, /app\\x1b\[1A\\x1b\[2K\\rsucceeded/);
    assert.ok(text.includes('x\\x1b]0;owned\\x07'), text);
  });
  void it('plan JSON stays exact', () => {
    const parsed = JSON.parse(renderPlanJson(plan)) as Plan;
    assert.deepEqual(parsed.hooks[0]?.command, hook.command);
    assert.deepEqual(parsed.skipped, plan.skipped);
  });
  void it('diagnostics text: file, message and hint', () => {
    const text = renderDiagnosticsText([
      { file: `f${CLEAR}.yaml`, line: 1, column: 1, severity: 'error', code: 'container-not-found', message: `m${FORGED}`, hint: `h${TITLE}`, object: 'Pod p', key: 'k' } as never,
    ]);
    assertSafe(text);
    assert.match(text, /^f\\x1b\[2J\.yaml:1:1: error container-not-found: m\\x1b\[1A/m);
  });

  const manifest = (container: string, command: string): string =>
    JSON.stringify({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'db', annotations: { 'pre.hook.backup.velero.io/container': container, 'pre.hook.backup.velero.io/command': command } },
      spec: { containers: [{ name: 'app' }] },
    });
  const backup = JSON.stringify({ apiVersion: 'velero.io/v1', kind: 'Backup', metadata: { name: 'b', namespace: 'velero' }, spec: {} });

  void it('through the CLI: lint container-not-found and plan text with a hostile container annotation and command', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'kubehooks-escape-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'pod.json'), manifest(`app${FORGED}`, JSON.stringify(['/bin/echo', `${TITLE}${CLEAR}`])));
    await writeFile(join(dir, 'backup.json'), backup);

    const lint = captureIo();
    assert.equal(await main(['lint', join(dir, 'pod.json')], { io: lint.io }), 1);
    assert.match(lint.stdout(), /container-not-found: .*app\\x1b\[1A\\x1b\[2K\\rsucceeded/);
    assertSafe(lint.stdout());
    assertSafe(lint.stderr());

    const plan = captureIo();
    assert.equal(await main(['plan', '--backup', join(dir, 'backup.json'), join(dir, 'pod.json')], { io: plan.io }), 0, plan.stderr());
    assert.match(plan.stdout(), /app\\x1b\[1A\\x1b\[2K\\rsucceeded/);
    assert.match(plan.stdout(), /\\x1b\]0;owned\\x07\\x1b\[2J/);
    assertSafe(plan.stdout());
    assertSafe(plan.stderr());

    const json = captureIo();
    assert.equal(await main(['plan', '-o', 'json', '--backup', join(dir, 'backup.json'), join(dir, 'pod.json')], { io: json.io }), 0);
    const parsed = JSON.parse(json.stdout()) as Plan;
    assert.equal(parsed.hooks[0]?.container, `app${FORGED}`);
    assert.deepEqual(parsed.hooks[0].command, ['/bin/echo', `${TITLE}${CLEAR}`]);
  });
});
