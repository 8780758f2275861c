import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseControllerSettings, type RawControllerOptions } from './controller-settings.ts';

/** The flags with commander's defaults, as the action gets them without any flag. */
const defaults: RawControllerOptions = {
  maxConcurrentRuns: '4',
  leaderElectionId: 'kubehooks-controller',
  leaderElectLeaseDuration: '15s',
  leaderElectRenewDeadline: '10s',
  leaderElectRetryPeriod: '2s',
};
const NO_ENV = { KUBEHOOKS_SERVICE_ACCOUNT_DIR: '/nonexistent' };

void describe('controller settings: the flags parsed once into one value', () => {
  void it('defaults: all namespaces, 4 runs, Events on, no Lease, no endpoints, no --watch-restores', () => {
    assert.deepEqual(parseControllerSettings(defaults, NO_ENV), {
      connect: { kubeconfigPath: undefined, context: undefined },
      namespaces: [],
      systemNamespace: undefined,
      maxConcurrentRuns: 4,
      events: true,
      eventGrouping: 'per-pod',
      timing: { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 },
      leaderElection: undefined,
      metricsListen: undefined,
      watchRestores: undefined,
      settleMs: undefined,
      startLookahead: undefined,
    });
  });

  void it('every flag given: values carried as parsed; the Lease and the Restore watch default to the system namespace', () => {
    const s = parseControllerSettings({
      ...defaults,
      kubeconfig: 'kc', context: 'ctx', namespace: [' a ', 'b', 'a'], maxConcurrentRuns: '8', events: false, leaderElect: true,
      metricsAddr: ':8080', watchRestores: true, restoreNamespace: ['velero'], settle: '1m', startLookahead: '0',
    }, { POD_NAMESPACE: 'kubehooks' });
    assert.deepEqual(s.connect, { kubeconfigPath: 'kc', context: 'ctx' });
    assert.deepEqual(s.namespaces, ['a', 'b']);
    assert.equal(s.systemNamespace, 'kubehooks');
    assert.equal(s.maxConcurrentRuns, 8);
    assert.equal(s.events, false);
    assert.deepEqual(s.leaderElection, { namespace: 'kubehooks', name: 'kubehooks-controller' });
    assert.equal(s.metricsListen?.port, 8080);
    assert.deepEqual(s.watchRestores, { namespaces: ['velero'], systemNamespace: 'kubehooks' });
    assert.equal(s.settleMs, 60_000);
    assert.equal(s.startLookahead, 0, '--start-lookahead 0: off');
    assert.equal(parseControllerSettings({ ...defaults, startLookahead: '256' }, NO_ENV).startLookahead, 256);
  });

  void it('problems name the flag', () => {
    const cases: readonly (readonly [Partial<RawControllerOptions>, RegExp])[] = [
      [{ namespace: ['Bad'] }, /-n\/--namespace: "Bad" is not a valid namespace name$/],
      [{ maxConcurrentRuns: '65' }, /--max-concurrent-runs must be a whole number from 1 to 64 \(got "65"\)/],
      [{ systemNamespace: 'x_y' }, /--system-namespace "x_y" is not a valid namespace name$/],
      [{ restoreNamespace: ['velero'] }, /--restore-namespace applies only with --watch-restores/],
      [{ watchRestores: true }, /--watch-restores creates HookRuns in the system namespace/],
      [{ restoreNamespace: ['-x'], watchRestores: true, systemNamespace: 'k' }, /--restore-namespace: "-x" is not a valid namespace name$/],
      [{ settle: '-1s' }, /--settle: must not be negative/],
      [{ startLookahead: '257' }, /--start-lookahead must be a whole number from 0 to 256 \(got "257"\)/],
      [{ startLookahead: '-1' }, /--start-lookahead must be a whole number from 0 to 256 \(got "-1"\)/],
      [{ startLookahead: '1.5' }, /--start-lookahead must be a whole number/],
    ];
    for (const [flags, message] of cases) {
      assert.throws(() => parseControllerSettings({ ...defaults, ...flags }, NO_ENV), message, JSON.stringify(flags));
    }
  });
});
