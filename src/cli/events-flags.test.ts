import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { parseControllerSettings } from './controller-settings.ts';
import { addEventsFlags, eventsFromFlags } from './events-flags.ts';
import { parseRunSettings } from './run-settings.ts';

/** The argv through commander as the commands declare the pair, then into settings. */
function parsed(argv: readonly string[]): string {
  const cmd = addEventsFlags(new Command().exitOverride().configureOutput({ writeErr: () => undefined }), 'the pods');
  try {
    cmd.parse([...argv], { from: 'user' });
  } catch (error) {
    return `commander: ${(error as Error).message}`;
  }
  const s = eventsFromFlags(cmd.opts()['events']);
  return s.events ? s.eventGrouping : 'off';
}

void describe('--events per-pod|per-hook and --no-events (ADR 0023)', () => {
  const cases: readonly (readonly [readonly string[], string])[] = [
    [[], 'per-pod'],
    [['--events', 'per-pod'], 'per-pod'],
    [['--events', 'per-hook'], 'per-hook'],
    [['--no-events'], 'off'],
    [['--events', 'per-hook', '--no-events'], 'off'],
    [['--no-events', '--events', 'per-hook'], 'per-hook'],
    [['--events', 'off'], "commander: error: option '--events <mode>' argument 'off' is invalid. Allowed choices are per-pod, per-hook."],
  ];
  for (const [argv, want] of cases) {
    void it(`${argv.join(' ') || '(no flag)'} → ${want}`, () => {
      assert.equal(parsed(argv), want);
    });
  }

  void it('a value that did not come through commander is a UsageError naming the flag', () => {
    assert.throws(() => eventsFromFlags('per-run'), { name: 'UsageError', message: '--events must be per-pod or per-hook (got "per-run"; --no-events turns Events off)' });
  });

  void it('run and controller settings carry it', () => {
    assert.deepEqual([parseRunSettings('pre-backup', {}).eventGrouping, parseRunSettings('pre-backup', {}).events], ['per-pod', true]);
    assert.equal(parseRunSettings('post-restore', { events: 'per-hook' }).eventGrouping, 'per-hook');
    assert.equal(parseRunSettings('post-restore', { events: false }).events, false);
    assert.throws(() => parseRunSettings('post-backup', { events: 'all' }), /--events must be per-pod or per-hook/);
    const controller = parseControllerSettings({ maxConcurrentRuns: '4', leaderElectionId: 'x', leaderElectLeaseDuration: '15s', leaderElectRenewDeadline: '10s', leaderElectRetryPeriod: '2s', events: 'per-hook' }, { KUBEHOOKS_SERVICE_ACCOUNT_DIR: '/nonexistent' });
    assert.deepEqual([controller.events, controller.eventGrouping], [true, 'per-hook']);
  });
});
