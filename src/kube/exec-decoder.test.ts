import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiUnreachableError, HandshakeError, HandshakeTimeoutError } from './errors.ts';
import { CappedBuffer, ExecFrameDecoder, decodeUtf8, type ExecDecision } from './exec-decoder.ts';

/** What a channel can hand the decoder, in order. */
type Input =
  | readonly ['open']
  | readonly ['frame', number, string | Uint8Array]
  | readonly ['raw', Uint8Array]
  | readonly ['failed', Error]
  | readonly ['closed', number, string];

interface Result {
  readonly decision: ExecDecision | undefined;
  /** Index of the input that produced the decision. */
  readonly at: number | undefined;
  readonly stdout: string;
  readonly stderr: string;
  readonly truncated: boolean;
}

function run(inputs: readonly Input[], maxOutputBytes = 1024): Result {
  const decoder = new ExecFrameDecoder({ where: 'app in pod ns/p', server: 'https://api.example', maxOutputBytes });
  let decision: ExecDecision | undefined;
  let at: number | undefined;
  for (const [i, input] of inputs.entries()) {
    let d: ExecDecision | undefined;
    switch (input[0]) {
      case 'open':
        decoder.open();
        break;
      case 'frame': {
        const payload = typeof input[2] === 'string' ? Buffer.from(input[2]) : input[2];
        d = decoder.frame(Buffer.concat([Buffer.of(input[1]), payload]));
        break;
      }
      case 'raw':
        d = decoder.frame(input[1]);
        break;
      case 'failed':
        d = decoder.failed(input[1]);
        break;
      case 'closed':
        d = decoder.closed(input[1], input[2]);
        break;
    }
    if (d !== undefined) {
      decision = d;
      at = i;
      break; // the executor stops feeding a decoder that decided
    }
  }
  return { decision, at, ...decoder.output() };
}

const success = JSON.stringify({ metadata: {}, status: 'Success' });
const exit3 = JSON.stringify({
  metadata: {},
  status: 'Failure',
  message: 'command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3',
  reason: 'NonZeroExitCode',
  details: { causes: [{ reason: 'ExitCode', message: '3' }] },
});
const kwokExit7 = JSON.stringify({ status: 'Failure', reason: 'InternalError', code: 500, message: 'Internal error occurred: cmd wait: exit status 7' });
const goError = `failed to exec in container: exec [sh -c ${'x'.repeat(100_000)}]: fork/exec /bin/sh: argument list too long`;
const oversized = JSON.stringify({ status: 'Failure', message: `Internal error occurred: ${goError}`, reason: 'InternalError', details: { causes: [{ message: goError }] }, code: 500 });
const chunks = (text: string, size: number): string[] => {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
};

/** A short, comparable form of a decision. */
function summary(d: ExecDecision | undefined): string {
  if (d === undefined) return 'none';
  if (d.kind === 'error') return `error ${d.code}`;
  const v = d.verdict;
  return v.kind === 'exited' ? `exited ${v.exitCode}` : v.kind === 'failed' ? `failed ${v.reason}` : 'invalid';
}

void describe('ExecFrameDecoder: frames in, output and verdict out (v4 and v5 alike)', () => {
  const cases: readonly {
    readonly name: string;
    readonly inputs: readonly Input[];
    readonly decision: string;
    readonly at?: number;
    readonly stdout?: string;
    readonly stderr?: string;
    readonly truncated?: boolean;
    readonly maxOutputBytes?: number;
  }[] = [
    {
      name: 'stdout and stderr, then Success on channel 3',
      inputs: [['open'], ['frame', 1, 'hello '], ['frame', 2, 'warn'], ['frame', 1, 'world'], ['frame', 3, success]],
      decision: 'exited 0',
      at: 4,
      stdout: 'hello world',
      stderr: 'warn',
    },
    {
      name: "kubelet's NonZeroExitCode with an ExitCode cause",
      inputs: [['open'], ['frame', 2, 'boom\n'], ['frame', 3, exit3]],
      decision: 'exited 3',
      stderr: 'boom\n',
    },
    { name: "KWOK's InternalError quoting Go's exit status", inputs: [['open'], ['frame', 3, kwokExit7]], decision: 'exited 7' },
    {
      name: 'v5 close frames (255, channel) end nothing and are not output',
      inputs: [['open'], ['frame', 1, 'a'], ['frame', 255, Buffer.of(1)], ['frame', 255, Buffer.of(2)], ['frame', 1, 'b'], ['frame', 3, success]],
      decision: 'exited 0',
      at: 5,
      stdout: 'ab',
    },
    {
      name: 'a status split over frames decides on the frame that completes it',
      inputs: [['open'], ['frame', 3, success.slice(0, 9)], ['frame', 3, success.slice(9)]],
      decision: 'exited 0',
      at: 2,
    },
    {
      name: 'empty frames, stdin (0) and unknown channels are ignored, never thrown about',
      inputs: [['open'], ['raw', new Uint8Array(0)], ['frame', 0, 'in'], ['frame', 7, 'x'], ['frame', 1, 'out'], ['frame', 3, success]],
      decision: 'exited 0',
      at: 5,
      stdout: 'out',
    },
    {
      name: 'output over the cap is cut per stream and marked truncated',
      inputs: [['open'], ['frame', 1, 'abcdef'], ['frame', 2, 'xy'], ['frame', 3, success]],
      maxOutputBytes: 4,
      decision: 'exited 0',
      stdout: 'abcd',
      stderr: 'xy',
      truncated: true,
    },
    {
      name: 'frames after the status are not read (the decoder has decided)',
      inputs: [['open'], ['frame', 3, success], ['frame', 1, 'late']],
      decision: 'exited 0',
      at: 1,
      stdout: '',
    },
    {
      name: 'an oversized status (100 KiB argv quoted) in 16 KiB frames keeps its cause',
      inputs: [['open'], ...chunks(oversized, 16 * 1024).map((c): Input => ['frame', 3, c]), ['closed', 1000, '']],
      decision: 'failed InternalError',
    },
    {
      name: 'an unreadable status is decided at the close, as invalid',
      inputs: [['open'], ['frame', 3, '{"status":"Succ'], ['closed', 1000, '']],
      decision: 'invalid',
      at: 2,
    },
    { name: 'a close without a status after the upgrade', inputs: [['open'], ['frame', 1, 'x'], ['closed', 1000, '']], decision: 'error stream-closed', stdout: 'x' },
    { name: 'a close before the upgrade', inputs: [['closed', 1006, '']], decision: 'error unreachable', at: 0 },
    { name: 'a failure after the upgrade waits for the close', inputs: [['open'], ['failed', new Error('read ECONNRESET')], ['closed', 1006, '']], decision: 'error stream-closed', at: 2 },
    {
      name: 'handshake-failed before the upgrade is the server\'s doing',
      inputs: [['failed', new HandshakeError('WebSocket handshake failed: Server sent an invalid subprotocol')]],
      decision: 'error remote-error',
    },
    { name: 'handshake-timeout before the upgrade is reachability', inputs: [['failed', new HandshakeTimeoutError('no answer')]], decision: 'error unreachable' },
    { name: 'api-unreachable before the upgrade', inputs: [['failed', new ApiUnreachableError('refused', { systemCode: 'ECONNREFUSED' })]], decision: 'error unreachable' },
    { name: 'an uncoded failure before the upgrade counts as unreachable', inputs: [['failed', new Error('socket hang up')]], decision: 'error unreachable' },
  ];
  for (const c of cases) {
    void it(c.name, () => {
      const r = run(c.inputs, c.maxOutputBytes);
      assert.equal(summary(r.decision), c.decision);
      if (c.at !== undefined) assert.equal(r.at, c.at, 'decided at input');
      assert.equal(r.stdout, c.stdout ?? '');
      assert.equal(r.stderr, c.stderr ?? '');
      assert.equal(r.truncated, c.truncated ?? false);
    });
  }

  void it('messages name the exec, the close code and reason, and what broke the stream', () => {
    const message = (inputs: readonly Input[]): string => {
      const d = run(inputs).decision;
      return d?.kind === 'error' ? d.message : '';
    };
    assert.equal(
      message([['open'], ['closed', 1011, 'internal']]),
      'exec in app in pod ns/p: the stream closed without an exit status (close code 1011 internal)',
    );
    assert.equal(
      message([['open'], ['failed', new Error('read ECONNRESET')], ['closed', 1006, '']]),
      'exec in app in pod ns/p: the stream closed without an exit status (close code 1006): read ECONNRESET',
    );
    assert.equal(message([['closed', 1006, '']]), 'exec in app in pod ns/p: the connection closed before the exec started');
    assert.equal(message([['failed', new Error('socket hang up')]]), 'exec in app in pod ns/p: cannot reach the API server https://api.example: socket hang up');
    assert.equal(
      message([['failed', new HandshakeError('WebSocket handshake failed: Invalid Upgrade header')]]),
      'exec in app in pod ns/p: WebSocket handshake failed: Invalid Upgrade header',
    );
  });

  void it('the oversized status names the runtime\'s cause and its size, in bounded text', () => {
    const d = run([['open'], ...chunks(oversized, 7777).map((c): Input => ['frame', 3, c]), ['closed', 1000, '']]).decision;
    assert.ok(d?.kind === 'status' && d.verdict.kind === 'failed');
    assert.match(d.verdict.message, /argument list too long$/);
    assert.match(d.verdict.message, new RegExp(`exec status is ${Buffer.byteLength(oversized)} bytes`));
    assert.ok(d.verdict.message.length < 1000);
  });
});

void describe('CappedBuffer and decodeUtf8', () => {
  void it('keeps at most the limit and marks truncation', () => {
    const b = new CappedBuffer(5);
    b.push(Buffer.from('abc'));
    assert.equal(b.truncated, false);
    b.push(Buffer.from('defg'));
    assert.equal(b.truncated, true);
    assert.equal(b.text(), 'abcde');
    b.push(Buffer.from('h'));
    assert.equal(b.size, 5);
  });
  void it('exactly at the limit is not truncated', () => {
    const b = new CappedBuffer(3);
    b.push(Buffer.from('abc'));
    assert.equal(b.truncated, false);
    b.push(Buffer.alloc(0));
    assert.equal(b.truncated, false);
  });
  void it('drops a multi-byte character cut by the cap instead of emitting U+FFFD', () => {
    const euro = Buffer.from('a€', 'utf8'); // 61 e2 82 ac
    for (let cut = 1; cut <= 3; cut++) assert.equal(decodeUtf8(euro.subarray(0, cut), true), 'a');
    assert.equal(decodeUtf8(euro, true), 'a€');
    const emoji = Buffer.from('😀', 'utf8');
    assert.equal(decodeUtf8(emoji.subarray(0, 3), true), '');
    assert.equal(decodeUtf8(emoji, true), '😀');
  });
  void it('invalid bytes in the middle become U+FFFD', () => {
    assert.equal(decodeUtf8(Buffer.from([0x61, 0xff, 0x62]), false), 'a\uFFFDb');
  });
});

