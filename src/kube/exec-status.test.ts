import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExecStatusBuffer, parseExecStatus, parseOversizedExecStatus } from './exec-status.ts';

void describe('parseExecStatus (recorded payloads)', () => {
  const cases: [string, unknown, ReturnType<typeof parseExecStatus>['kind'], number?][] = [
    ['Success', { metadata: {}, status: 'Success' }, 'exited', 0],
    [
      'kubelet NonZeroExitCode',
      {
        metadata: {},
        status: 'Failure',
        message: 'command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3',
        reason: 'NonZeroExitCode',
        details: { causes: [{ reason: 'ExitCode', message: '3' }] },
      },
      'exited',
      3,
    ],
    [
      'kubelet NonZeroExitCode 255',
      { status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '255' }] } },
      'exited',
      255,
    ],
    [
      'KWOK InternalError via the stream translator',
      {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message:
          'Internal error occurred: error executing command in container: cmd wait: sh -c exit 3: exit status 3',
        reason: 'InternalError',
        details: { causes: [{ message: 'error executing command in container: cmd wait: sh -c exit 3: exit status 3' }] },
        code: 500,
      },
      'exited',
      3,
    ],
    [
      'KWOK no exec rule',
      {
        status: 'Failure',
        reason: 'InternalError',
        code: 500,
        message: 'Internal error occurred: no exec found for container "app" in pod "ns/p"',
      },
      'failed',
    ],
    [
      'KWOK command not found',
      {
        status: 'Failure',
        reason: 'InternalError',
        code: 500,
        message: 'Internal error occurred: error executing command in container: cmd start: exec: "nope": executable file not found in $PATH',
      },
      'failed',
    ],
    [
      'KWOK process killed by a signal → 128 + N',
      {
        status: 'Failure',
        reason: 'InternalError',
        code: 500,
        message: 'Internal error occurred: Internal error occurred: error executing command in container: cmd wait: sh -c kill -9 $$: signal: killed',
      },
      'exited',
      137,
    ],
    [
      'KWOK segfault with core dump → 139',
      { status: 'Failure', reason: 'InternalError', message: 'error executing command in container: cmd wait: x: signal: segmentation fault (core dumped)' },
      'exited',
      139,
    ],
    ['NonZeroExitCode without a usable cause', { status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: 'x' }] } }, 'failed'],
    ['exit status in a Forbidden message is not an exit', { status: 'Failure', reason: 'Forbidden', message: 'exit status 3' }, 'failed'],
    ['garbage text', '{not json', 'invalid'],
    ['garbage bytes', Buffer.from([0xff, 0x00]), 'invalid'],
    ['null', null, 'invalid'],
    ['array', [1, 2], 'invalid'],
    ['unknown status', { status: 'Weird' }, 'invalid'],
    ['JSON text of Success', '{"metadata":{},"status":"Success"}', 'exited', 0],
  ];
  for (const [name, payload, kind, exitCode] of cases) {
    void it(name, () => {
      const verdict = parseExecStatus(payload);
      assert.equal(verdict.kind, kind);
      if (exitCode !== undefined) {
        assert.equal(verdict.kind === 'exited' ? verdict.exitCode : undefined, exitCode);
      }
    });
  }
});

void describe('an oversized exec status keeps its cause (issue 10: 1 MiB argv)', () => {
  // What the API server relays when the runtime cannot start a 1 MiB command: Go's error quotes the
  // whole argv, in the message and again in details.causes (apierrors.NewInternalError), so the
  // status is over 1 MiB and the cause is at the end of each copy.
  const argv = `sh -c ${'x'.repeat(1024 * 1024)}`;
  const goError = `failed to exec in container: exec [${argv}]: fork/exec /bin/sh: argument list too long`;
  const internal = JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `Internal error occurred: ${goError}`,
    reason: 'InternalError',
    details: { causes: [{ message: goError }] },
    code: 500,
  });
  const nonZero = JSON.stringify({
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: ${'y'.repeat(100_000)} "quoted" \u00e9 end`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: '3' }] },
  });
  const frames = (text: string, size: number): Buffer[] => {
    const bytes = Buffer.from(text);
    const out: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
    return out;
  };
  const collect = (chunks: Buffer[]): ReturnType<ExecStatusBuffer['finish']> => {
    const b = new ExecStatusBuffer();
    let verdict: ReturnType<ExecStatusBuffer['push']>;
    for (const c of chunks) verdict = b.push(c) ?? verdict;
    return verdict ?? b.finish();
  };
  const cases: [string, Buffer[]][] = [
    ['one frame', [Buffer.from(internal)]],
    ['16 KiB frames', frames(internal, 16 * 1024)],
    ['odd 7777-byte frames', frames(internal, 7777)],
  ];
  for (const [name, chunks] of cases) {
    void it(`argument list too long, ${name}: failed InternalError naming the cause and the size`, () => {
      const verdict = collect(chunks);
      assert.equal(verdict.kind, 'failed');
      assert.equal(verdict.reason, 'InternalError');
      assert.match(verdict.message, /argument list too long$/);
      assert.match(verdict.message, new RegExp(`exec status is ${Buffer.byteLength(internal)} bytes`));
      assert.ok(verdict.message.length < 1000, `message is cut (${verdict.message.length} chars)`);
    });
  }
  void it('a huge NonZeroExitCode status still gives the exit code, split anywhere', () => {
    for (const size of [Buffer.byteLength(nonZero), 65_536, 1000, 333]) {
      const verdict = collect(frames(nonZero, size));
      assert.equal(verdict.kind, 'exited', `frames of ${size}`);
      assert.equal(verdict.exitCode, 3);
      assert.match(verdict.message, /"quoted" é end$/);
    }
  });
  void it('a huge InternalError whose message ends with Go\'s exit status is that exit code', () => {
    const text = JSON.stringify({ status: 'Failure', message: `${'z'.repeat(70_000)}: exit status 7`, reason: 'InternalError', code: 500 });
    const verdict = collect([Buffer.from(text)]);
    assert.equal(verdict.kind === 'exited' ? verdict.exitCode : undefined, 7);
  });
  void it('oversized garbage is invalid and shows its end, bounded', () => {
    const verdict = collect(frames(`${'q'.repeat(200_000)} the end`, 4096));
    assert.equal(verdict.kind, 'invalid');
    assert.match(verdict.message, /larger than 64 KiB\) and unreadable; it ends: ".*the end"$/);
    assert.ok(verdict.message.length < 400);
  });
  void it('a small status split over frames is read once complete', () => {
    const text = JSON.stringify({ metadata: {}, status: 'Success' });
    const b = new ExecStatusBuffer();
    assert.equal(b.push(Buffer.from(text.slice(0, 10))), undefined);
    assert.deepEqual(b.push(Buffer.from(text.slice(10))), { kind: 'exited', exitCode: 0, message: '' });
    assert.equal(parseOversizedExecStatus(Buffer.from(''), Buffer.from(''), 70_000).kind, 'invalid');
  });
});
