import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MalformedWatchEventError, WatchEventTooLargeError } from './errors.ts';
import { WatchLineDecoder, decodeWatchEvent, type WatchEvent } from './watch-decoder.ts';

// Labels and annotations with 2-, 3- and 4-byte UTF-8 characters (ü, €, 日本, 😀) and a combining mark.
const pod = {
  type: 'MODIFIED',
  object: { metadata: { name: 'p', labels: { team: 'müller' }, annotations: { note: '€ 日本語 😀 e\u0301' } } },
};
const line = JSON.stringify(pod);
const bytes = Buffer.from(`${line}\n${line}\n`);

void describe('watch stream framing decodes UTF-8 across chunk boundaries (issue 10 item 6)', () => {
  void it(`a split at every one of the ${bytes.length - 1} positions gives the exact two events`, () => {
    let splitInsideCharacter = 0;
    for (let at = 1; at < bytes.length; at++) {
      if ((bytes[at]! & 0xc0) === 0x80) splitInsideCharacter++;
      const decoder = new WatchLineDecoder('watch pods');
      const lines = [...decoder.push(bytes.subarray(0, at)), ...decoder.push(bytes.subarray(at))];
      assert.deepEqual(lines, [line, line], `split at byte ${at}`);
      assert.ok(!lines.join('').includes('\ufffd'), `U+FFFD after a split at byte ${at}`);
    }
    assert.ok(splitInsideCharacter >= 20, 'the splits include positions inside multi-byte characters');
  });
  void it('one byte per chunk', () => {
    const decoder = new WatchLineDecoder('watch pods');
    const lines: string[] = [];
    for (const b of bytes) lines.push(...decoder.push(Uint8Array.of(b)));
    assert.deepEqual(lines.map((l) => JSON.parse(l) as unknown), [pod, pod]);
  });
  void it('blank lines and CRLF are skipped; a line without end is kept for the next chunk', () => {
    const decoder = new WatchLineDecoder('watch pods');
    assert.deepEqual(decoder.push(Buffer.from('\n\r\n{"a":1}\r\n{"b"')), ['{"a":1}']);
    assert.deepEqual(decoder.push(Buffer.from(':2}\n')), ['{"b":2}']);
  });
  void it('[R-20] an endless line is refused instead of buffered without bound', () => {
    const decoder = new WatchLineDecoder('watch pods in namespace "a"', 1024);
    decoder.push(Buffer.alloc(1000, 0x61));
    assert.throws(() => decoder.push(Buffer.alloc(100, 0x61)), /watch pods in namespace "a": a watch event is longer than 1024 bytes/);
  });
});

/** The code as a plain value: pinned as data, not as the narrowed literal type. */
const codeOf = (e: unknown): unknown => (e as { code?: unknown }).code;

void describe('decodeWatchEvent: one NDJSON line to one event', () => {
  const pod = { metadata: { name: 'p', resourceVersion: '12' } };
  const cases: readonly [string, string, WatchEvent][] = [
    ['ADDED', JSON.stringify({ type: 'ADDED', object: pod }), { type: 'ADDED', object: pod }],
    ['MODIFIED', JSON.stringify({ type: 'MODIFIED', object: pod }), { type: 'MODIFIED', object: pod }],
    ['DELETED', JSON.stringify({ type: 'DELETED', object: pod }), { type: 'DELETED', object: pod }],
    ['an event without an object keeps it undefined (the watcher drops the pod)', '{"type":"ADDED"}', { type: 'ADDED', object: undefined }],
    [
      'BOOKMARK keeps only the resourceVersion',
      JSON.stringify({ type: 'BOOKMARK', object: { kind: 'Pod', metadata: { resourceVersion: '99', annotations: { 'k8s.io/initial-events-end': 'true' } } } }),
      { type: 'BOOKMARK', resourceVersion: '99' },
    ],
    ['BOOKMARK without a resourceVersion', '{"type":"BOOKMARK","object":{"metadata":{}}}', { type: 'BOOKMARK', resourceVersion: undefined }],
    [
      'ERROR 410 Expired',
      JSON.stringify({ type: 'ERROR', object: { kind: 'Status', status: 'Failure', message: 'too old resource version: 5 (9)', reason: 'Expired', code: 410 } }),
      { type: 'ERROR', status: { statusCode: 410, reason: 'Expired', serverMessage: 'too old resource version: 5 (9)' } },
    ],
    [
      'ERROR without a code counts as 500',
      JSON.stringify({ type: 'ERROR', object: { message: 'etcd is sad' } }),
      { type: 'ERROR', status: { statusCode: 500, reason: undefined, serverMessage: 'etcd is sad' } },
    ],
    ['an unknown type is skipped, not an error', '{"type":"SYNC","object":{}}', { type: 'unknown', name: 'SYNC' }],
  ];
  for (const [name, line, expected] of cases) {
    void it(name, () => {
      assert.deepEqual(decodeWatchEvent(line, 'watch pods'), expected);
    });
  }

  const malformed: readonly [string, string, RegExp][] = [
    ['not JSON', '{"type":"ADDED",', /^watch pods in namespace "a": unreadable watch event$/],
    ['JSON but not an object', '[1,2]', /^watch pods in namespace "a": malformed watch event$/],
    ['an object without a string type', '{"type":3,"object":{}}', /^watch pods in namespace "a": malformed watch event$/],
    ['null', 'null', /malformed watch event/],
  ];
  for (const [name, line, message] of malformed) {
    void it(`${name}: MalformedWatchEventError (watch-event-malformed)`, () => {
      assert.throws(
        () => decodeWatchEvent(line, 'watch pods in namespace "a"'),
        (e: unknown) => e instanceof MalformedWatchEventError && codeOf(e) === 'watch-event-malformed' && message.test(e.message),
      );
    });
  }

  void it('a line over the bound is WatchEventTooLargeError (watch-event-too-large), by code', () => {
    const decoder = new WatchLineDecoder('watch pods', 16);
    assert.throws(() => decoder.push(Buffer.alloc(17, 0x61)), (e: unknown) => e instanceof WatchEventTooLargeError && codeOf(e) === 'watch-event-too-large');
  });
});

