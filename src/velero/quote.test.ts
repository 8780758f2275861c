import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { boundMessage, elideMiddle, MAX_MESSAGE_CHARS, MAX_QUOTED_CHARS, quoteValue } from './quote.ts';

const MIB = 1024 * 1024;

void describe('elideMiddle / quoteValue', () => {
  void it('leaves short text alone and quotes it like JSON', () => {
    assert.equal(elideMiddle('web-0'), 'web-0');
    assert.equal(quoteValue('a"b'), '"a\\"b"');
    assert.equal(elideMiddle('x'.repeat(MAX_QUOTED_CHARS)), 'x'.repeat(MAX_QUOTED_CHARS));
  });

  void it('keeps head and tail of a long value and names its size in bytes', () => {
    const value = `HEAD${'x'.repeat(MIB)}TAIL`;
    const out = elideMiddle(value);
    assert.equal(out.length, MAX_QUOTED_CHARS);
    assert.equal(elideMiddle(out), out, 'eliding again changes nothing');
    assert.ok(out.startsWith('HEAD'));
    assert.ok(out.endsWith('TAIL'));
    assert.ok(out.includes(`…(${MIB + 8} bytes)…`), out);
    assert.equal(quoteValue(value), JSON.stringify(out));
  });

  void it('counts UTF-8 bytes and never splits a surrogate pair', () => {
    const value = '😀'.repeat(1000); // 2 UTF-16 units, 4 bytes each
    const out = elideMiddle(value, 30);
    assert.ok(out.includes('…(4000 bytes)…'), out);
    assert.ok(!/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(out), 'no lone surrogate');
    assert.ok(elideMiddle('é'.repeat(300)).includes('…(600 bytes)…'));
  });
});

void describe('boundMessage', () => {
  void it('returns ordinary messages unchanged', () => {
    const m = 'on-error "fail" is not "Continue" or "Fail"; Velero silently ignores it and the hook behaves as Continue '
      + 'post.hook.restore.velero.io/on-error (containers: app, side)';
    assert.equal(boundMessage(m), m);
  });

  void it('elides a long quoted value inside the quotes, keeping the text around it', () => {
    const value = `v${'"'.repeat(10)}${'y'.repeat(MIB)}`;
    const out = boundMessage(`on-error ${JSON.stringify(value)} is not "Continue" or "Fail"`);
    assert.ok(out.startsWith('on-error "v\\"'), out.slice(0, 40));
    assert.ok(out.endsWith('yyy" is not "Continue" or "Fail"'), out.slice(-60));
    assert.equal(JSON.parse(out.slice('on-error '.length, out.indexOf('" is not') + 1)), elideMiddle(value));
    assert.equal(boundMessage(out), out, 'bounding again changes nothing');
  });

  void it('elides a long run without spaces (an annotation key, an unquoted name)', () => {
    const key = `pre.hook.backup.velero.io/${'k'.repeat(MIB)}`;
    const out = boundMessage(`${key} is not a Velero hook annotation; Velero ignores it`);
    assert.ok(out.startsWith('pre.hook.backup.velero.io/kkk'));
    assert.ok(out.endsWith(' is not a Velero hook annotation; Velero ignores it'));
    assert.ok(out.length < 300, `${out.length}`);
  });

  void it('caps the whole text when many short words add up', () => {
    const out = boundMessage(`the program ${'a '.repeat(MIB)}contains whitespace`);
    assert.ok(out.length <= MAX_MESSAGE_CHARS, `${out.length}`);
    assert.ok(out.startsWith('the program a a'));
    assert.ok(out.endsWith('contains whitespace'));
  });

  void it('bounds a message with an unterminated quote followed by a megabyte of escaped quotes', () => {
    // An unterminated quote followed by a megabyte of \" would make a rescan per quote quadratic.
    const out = boundMessage(`value "${'\\"'.repeat(MIB / 2)} end`);
    assert.ok(out.length <= MAX_MESSAGE_CHARS, `${out.length}`);
    assert.ok(out.startsWith('value "\\"'));
  });
});
