import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WatchLineDecoder } from './watch-lines.ts';

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
  void it('an endless line is refused instead of buffered without bound', () => {
    const decoder = new WatchLineDecoder('watch pods in namespace "a"', 1024);
    decoder.push(Buffer.alloc(1000, 0x61));
    assert.throws(() => decoder.push(Buffer.alloc(100, 0x61)), /watch pods in namespace "a": a watch event is longer than 1024 bytes/);
  });
});
