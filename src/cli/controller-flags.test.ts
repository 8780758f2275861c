import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from './main.ts';
import { captureIo } from '../testing/cli-io.ts';

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = captureIo('');
  const code = await main(args, { io: io.io });
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

void test('controller: leader-election and metrics flags are checked before anything connects; errors name the flag', async () => {
  const ns = ['--system-namespace', 'kubehooks'];
  const cases: readonly (readonly [string[], RegExp])[] = [
    [[...ns, '--leader-elect', '--leader-elect-lease-duration', '15'], /--leader-elect-lease-duration must be a positive duration such as 15s or 1m \(got "15"\)/],
    [[...ns, '--leader-elect', '--leader-elect-retry-period', '-2s'], /--leader-elect-retry-period must be a positive duration/],
    [[...ns, '--leader-elect', '--leader-elect-lease-duration', '10s'], /--leader-elect-lease-duration \(10000 ms\) must be greater than --leader-elect-renew-deadline \(10000 ms\)/],
    [[...ns, '--leader-elect', '--leader-elect-renew-deadline', '2s'], /--leader-elect-renew-deadline \(2000 ms\) must be greater than 1\.2 × --leader-elect-retry-period \(2000 ms\)/],
    [['--leader-elect'], /--leader-elect needs --leader-election-namespace/],
    [[...ns, '--leader-elect', '--leader-election-namespace', 'Bad_NS'], /--leader-election-namespace "Bad_NS" is not a valid namespace name/],
    [[...ns, '--leader-elect', '--leader-election-id', 'UP'], /--leader-election-id "UP" is not a valid object name/],
    [[...ns, '--metrics-addr', '8080'], /--metrics-addr must be HOST:PORT or :PORT .*got "8080"/],
  ];
  for (const [args, message] of cases) {
    const r = await cli(['controller', '--kubeconfig', '/nonexistent/kubeconfig', ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
    assert.doesNotMatch(r.stderr, /nonexistent/, 'refused before the kubeconfig is read');
  }
});
