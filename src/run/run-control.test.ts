import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../testing/fake-clock.ts';
import { RunControl } from './run-control.ts';

void describe('RunControl', () => {
  void it('onStop on a control whose signal was already aborted calls the listener at once', () => {
    const ctl = new AbortController();
    ctl.abort();
    const control = new RunControl(ctl.signal, new FakeClock(), 60_000);
    const seen: string[] = [];
    control.onStop((cause) => seen.push(cause));
    assert.deepEqual(seen, ['aborted']);
    assert.equal(control.signal.aborted, true);
    control.dispose();
  });

  void it('onStop listeners registered before the stop are called once, with the cause', () => {
    const ctl = new AbortController();
    const control = new RunControl(ctl.signal, new FakeClock(), undefined);
    const seen: string[] = [];
    control.onStop((cause) => seen.push(cause));
    ctl.abort();
    control.stop('deadline');
    assert.deepEqual(seen, ['aborted']);
    control.dispose();
  });
});
