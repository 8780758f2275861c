import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Plan } from '../model/plan.ts';
import type { PodManifest } from '../model/pod.ts';
import { FakeClock, settle } from '../testing/fake-clock.ts';
import { FakeEvents, FakeExecutor, type FakeExecScript, FakeWatcher, plannedHook, podWith } from '../testing/run-fakes.ts';
import { DEFAULT_MAX_OUTPUT_BYTES } from '../run/ports.ts';
import { OMITTED_OUTPUT_MAX_BYTES } from '../run/run-options.ts';
import { UsageError } from './context.ts';
import { main } from './main.ts';
import { createRunCommand, type RunWiring } from './run.ts';
import type { EventSubject } from '../run/events.ts';

interface World {
  readonly clock: FakeClock;
  readonly exec: FakeExecutor;
  readonly events: FakeEvents;
  readonly out: string[];
  readonly err: string[];
  fireSignal: ((s: 'SIGINT' | 'SIGTERM') => void) | undefined;
  closed: number;
  readonly run: (argv: string[]) => Promise<number>;
}

function world(pods: PodManifest[], plan: Plan, script?: FakeExecScript, eventsOk = true, subject?: EventSubject): World {
  const clock = new FakeClock();
  const exec = new FakeExecutor(clock, script);
  const events = new FakeEvents(eventsOk);
  const w: World = {
    clock,
    exec,
    events,
    out: [],
    err: [],
    fireSignal: undefined,
    closed: 0,
    run: (argv) => {
      const wiring: RunWiring = {
        createPorts: () => ({
          executor: exec,
          watcher: new FakeWatcher(pods),
          lister: { list: () => Promise.resolve(pods) },
          events,
          close: () => {
            w.closed++;
          },
        }),
        prepare: (_kind, file) =>
          file === 'missing.yaml' ? Promise.reject(new UsageError('--backup missing.yaml: no such file')) : Promise.resolve({ namespaces: undefined, plan: () => plan, ...(subject === undefined ? {} : { name: subject.name }) }),
        clock,
        onSignals: (h) => {
          w.fireSignal = h;
          return () => {
            w.fireSignal = undefined;
          };
        },
      };
      return main(argv, {
        commands: [createRunCommand(() => wiring)],
        io: { stdout: { write: (t) => w.out.push(t) }, stderr: { write: (t) => w.err.push(t) }, stderrIsTTY: false, env: {} },
      });
    },
  };
  return w;
}

const pod = podWith('db-0', { db: 'running' }, { namespace: 'app' });
const hookFor = (o: Parameters<typeof plannedHook>[0]): ReturnType<typeof plannedHook> => plannedHook({ namespace: 'app', phase: 'pre', ...o });

void describe('kubehooks run', () => {
  void it('[R-42] pre-backup: text report, exit 0 when every hook succeeded; ports closed', async () => {
    const w = world([pod], { hooks: [hookFor({ pod: 'db-0', container: 'db', name: 'freeze' })], skipped: [] });
    const code = await w.run(['run', 'pre-backup', '--backup', 'b.yaml', '-n', 'app']);
    assert.equal(code, 0, w.err.join(''));
    assert.match(w.out.join(''), /succeeded\s+app\/db-0\s+db\s+freeze#0/);
    assert.equal(w.closed, 1);
    assert.equal(w.events.records.length, 1);
  });

  void it('[R-7][R-32] Events that cannot be recorded: one warning on stderr, outcome unchanged', async () => {
    const w = world([pod], { hooks: [hookFor({ pod: 'db-0', container: 'db' }), hookFor({ pod: 'db-0', container: 'db', index: 1 })], skipped: [] }, undefined, false);
    const code = await w.run(['run', 'pre-backup', '--backup', 'b.yaml']);
    assert.equal(code, 0);
    assert.equal(w.err.join('').match(/cannot record Events on the pods \(forbidden\)/g)?.length, 1);
  });

  void it('[R-42][S-15] --output json, --no-output and --no-events; exit 1 when a hook failed', async () => {
    const w = world([pod], { hooks: [hookFor({ pod: 'db-0', container: 'db' })], skipped: [] }, () => ({ exitCode: 1, stdout: 'secret' }));
    const code = await w.run(['run', 'post-backup', '--backup', 'b.yaml', '-o', 'json', '--no-output', '--no-events']);
    assert.equal(code, 1);
    const parsed = JSON.parse(w.out.join('')) as { summary: { concurrency?: { initial: number; max: number } }; results: { stdout: string; status: string }[] };
    // summary.concurrency is an addition (ADR 0007): default flags adapt from 8 up to 64.
    const { concurrency, ...counts } = parsed.summary;
    assert.deepEqual(counts, { attempted: 1, failed: 1 });
    assert.deepEqual([concurrency?.initial, concurrency?.max], [8, 64]);
    assert.equal(parsed.results[0]?.stdout, '');
    assert.equal(w.events.records.length, 0);
    // F10: the output is not shown, so it is captured with a small cap, not 1 MiB per stream.
    assert.deepEqual(w.exec.calls.map((c) => c.maxOutputBytes), [OMITTED_OUTPUT_MAX_BYTES]);
  });

  void it('--output junit: one testcase per hook, the failure carries the exit code and stderr; exit 1', async () => {
    const hooks = [hookFor({ pod: 'db-0', container: 'db', name: 'freeze' }), hookFor({ pod: 'db-0', container: 'db', name: 'flush', index: 1 })];
    let calls = 0;
    const w = world([pod], { hooks, skipped: [] }, () => (++calls === 2 ? { exitCode: 3, stderr: 'disk full' } : { exitCode: 0 }));
    const code = await w.run(['run', 'pre-backup', '--backup', 'b.yaml', '--output', 'junit', '--no-events']);
    assert.equal(code, 1, w.err.join(''));
    const xml = w.out.join('');
    assert.match(xml, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="kubehooks run pre-backup" tests="2" failures="1"/);
    assert.equal((xml.match(/<testcase /g) ?? []).length, 2);
    assert.match(xml, /<failure [^>]*>status: failed&#10;exit code: 3&#10;[\s\S]*disk full<\/failure>/);
  });

  void it('with output shown, the default capture cap applies', async () => {
    const w = world([pod], { hooks: [hookFor({ pod: 'db-0', container: 'db' })], skipped: [] });
    await w.run(['run', 'post-backup', '--backup', 'b.yaml', '-o', 'json', '--no-events']);
    assert.deepEqual(w.exec.calls.map((c) => c.maxOutputBytes), [DEFAULT_MAX_OUTPUT_BYTES]);
  });

  void it('post-restore runs the restore runner over the watcher', async () => {
    const w = world([pod], { hooks: [hookFor({ pod: 'db-0', container: 'db', phase: 'restore' })], skipped: [] });
    const code = await w.run(['run', 'post-restore', '--restore', 'r.yaml', '--output', 'json']);
    assert.equal(code, 0, w.err.join(''));
    assert.equal((JSON.parse(w.out.join('')) as { results: { status: string }[] }).results[0]?.status, 'succeeded');
  });

  void it('[R-41][R-42] SIGINT: partial report printed, exit 130', async () => {
    const w = world([pod], { hooks: [hookFor({ pod: 'db-0', container: 'db' }), hookFor({ pod: 'db-0', container: 'db', index: 1 })], skipped: [] }, () => ({ hang: true }));
    const running = w.run(['run', 'pre-backup', '--backup', 'b.yaml', '-o', 'json']);
    await settle();
    assert.equal(w.exec.active, 1);
    w.fireSignal?.('SIGINT');
    const code = await running;
    assert.equal(code, 130);
    const parsed = JSON.parse(w.out.join('')) as { results: { status: string; reasonCode: string }[] };
    assert.deepEqual(parsed.results.map((r) => `${r.status}/${r.reasonCode}`), ['failed/aborted', 'not-run/aborted']);
    assert.match(w.err.join(''), /SIGINT received/);
  });

  for (const [argv, message] of [
    [['run', 'pre-backup', '--backup', ''], /--backup needs a file name/],
    [['run', 'post-restore', '--wait-for-pods', '5'], /--wait-for-pods: .*missing unit/],
    [['run', 'pre-backup', '--wait-for-pods', '5m'], /--wait-for-pods applies to post-restore only/],
    [['run', 'pre-backup', '-A', '-n', 'app'], /-A\/--all-namespaces and -n\/--namespace cannot be used together/],
    [['run', 'pre-backup', '-o', 'xml'], /argument 'xml' is invalid/],
    [['run', 'post-restore', '--backup', 'b.yaml'], /--backup does not apply to post-restore/],
    [['run', 'mid-backup', '--backup', 'b.yaml'], /unknown hook kind "mid-backup"/],
    [['run', 'pre-backup', '--backup', 'b.yaml', '--deadline', '30'], /--deadline: .*missing unit/],
    [['run', 'pre-backup', '--backup', 'b.yaml', '--concurrency', '0'], /--concurrency must be a whole number/],
    [['run', 'pre-backup', '--backup', 'b.yaml', '-n', 'Bad_NS'], /"Bad_NS" is not a valid namespace/],
    [['run', 'pre-backup', '--backup', 'missing.yaml'], /--backup missing.yaml: no such file/],
  ] as const) {
    void it(`[R-42] usage error exits 2 with a clear message: ${argv.slice(1).join(' ')}`, async () => {
      const w = world([pod], { hooks: [], skipped: [] });
      const code = await w.run([...argv]);
      assert.equal(code, 2);
      assert.match(w.err.join(''), message);
      assert.doesNotMatch(w.err.join(''), /\n\s+at /, 'no stack trace');
    });
  }
});
