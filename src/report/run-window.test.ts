/** The window report's `== freezes (UTC)` table: one row per frozen pod, names escaped, `-` where there is no time. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PodFreeze } from '../run/window-timeline.ts';
import { freezeTable } from './run-window.ts';

const f = (over: Partial<PodFreeze>): PodFreeze => ({
  namespace: 'db', name: 'pg-0', stage: null, frozenAt: '2026-12-02T10:00:00.250Z', thawedAt: '2026-12-02T10:00:03.750Z', frozenMs: 3500, thaw: 'thawed', ...over,
});

void describe('freezeTable', () => {
  const cases: readonly [string, readonly PodFreeze[], string][] = [
    ['nothing frozen: no section', [], ''],
    ['without stages: no STAGE column; a pod not thawed has no thaw time and no duration', [f({}), f({ name: 'pg-1', thawedAt: null, frozenMs: null, thaw: 'not-thawed' })], [
      '== freezes (UTC)',
      'POD      FROZEN        THAWED        FOR   THAW',
      'db/pg-0  10:00:00.250  10:00:03.750  3.5s  thawed',
      'db/pg-1  10:00:00.250  -             -     not-thawed',
      '',
    ].join('\n')],
    ['with stages: a STAGE column', [f({ stage: 1 }), f({ name: 'pg-1', stage: 2, thaw: 'no-post-hooks', thawedAt: null, frozenMs: null })], [
      '== freezes (UTC)',
      'POD      STAGE  FROZEN        THAWED        FOR   THAW',
      'db/pg-0  1      10:00:00.250  10:00:03.750  3.5s  thawed',
      'db/pg-1  2      10:00:00.250  -             -     no-post-hooks',
      '',
    ].join('\n')],
  ];
  for (const [what, freezes, want] of cases) {
    void it(what, () => {
      assert.equal(freezeTable(freezes), want);
    });
  }

  void it('a pod name with control characters is escaped, never printed raw', () => {
    const out = freezeTable([f({ name: 'evil\u001b[2J\r\nfake' })]);
    assert.equal(out.includes('\u001b') || out.includes('\r'), false);
    assert.match(out, /db\/evil\\x1b\[2J\\r\\nfake/);
  });
});
