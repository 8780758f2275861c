import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EXIT_INTERRUPTED, EXIT_TERMINATED, exitForSignal, signalSteps, untilSignal, type SignalName, type SignalSource } from './signals.ts';

/** A signal source like process.once: each subscription hears one signal, then is gone. */
function onceSource(): { readonly source: SignalSource; fire(signal: SignalName): void; subscribed(): number } {
  let handlers: ((signal: SignalName) => void)[] = [];
  return {
    source: (handler) => {
      handlers.push(handler);
      return () => {
        handlers = handlers.filter((h) => h !== handler);
      };
    },
    fire: (signal) => {
      const now = handlers;
      handlers = [];
      for (const h of now) h(signal);
    },
    subscribed: () => handlers.length,
  };
}

void describe('signals', () => {
  void it('exit codes: SIGTERM 143, SIGINT and none 130', () => {
    assert.equal(exitForSignal('SIGTERM'), EXIT_TERMINATED);
    assert.equal(exitForSignal('SIGINT'), EXIT_INTERRUPTED);
    assert.equal(exitForSignal(undefined), EXIT_INTERRUPTED);
  });

  void it('signalSteps: first, then second, later ones ignored; always subscribed again until removed', () => {
    const s = onceSource();
    const seen: string[] = [];
    const off = signalSteps(s.source, { first: (sig) => seen.push(`first ${sig}`), second: (sig) => seen.push(`second ${sig}`) });
    assert.equal(s.subscribed(), 1);
    s.fire('SIGTERM');
    assert.equal(s.subscribed(), 1, 'a second signal must not fall to the default');
    s.fire('SIGINT');
    s.fire('SIGINT');
    assert.deepEqual(seen, ['first SIGTERM', 'second SIGINT']);
    assert.equal(s.subscribed(), 1);
    off();
    assert.equal(s.subscribed(), 0);
  });

  void it('untilSignal: the first signal, or aborted; nothing left subscribed', async () => {
    const s = onceSource();
    const ctl = new AbortController();
    const waiting = untilSignal(ctl.signal, s.source);
    s.fire('SIGTERM');
    assert.equal(await waiting, 'SIGTERM');
    assert.equal(s.subscribed(), 0);

    const aborting = untilSignal(ctl.signal, s.source);
    assert.equal(s.subscribed(), 1);
    ctl.abort();
    // Aborted already: resolves without waiting for a signal, and unsubscribes.
    assert.equal(await untilSignal(ctl.signal, s.source), 'aborted');
    assert.equal(await aborting, 'aborted', 'the pending wait ends too');
    assert.equal(s.subscribed(), 0);
  });
});
