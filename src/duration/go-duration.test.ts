import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatGoDuration, formatMs, msToNs, nsToMs, parseGoDuration } from './go-duration.ts';

const S = 1_000_000_000n;

const valid: readonly (readonly [string, bigint])[] = [
  ['0', 0n],
  ['-0', 0n],
  ['+0', 0n],
  ['0s', 0n],
  ['5s', 5n * S],
  ['30s', 30n * S],
  ['1478s', 1478n * S],
  ['-5s', -5n * S],
  ['+5s', 5n * S],
  ['-0s', 0n],
  ['5.0s', 5n * S],
  ['5.6s', 5n * S + 600_000_000n],
  ['5.s', 5n * S],
  ['.5s', 500_000_000n],
  ['1.0s', S],
  ['1.00s', S],
  ['1.004s', S + 4_000_000n],
  ['100.00100s', 100n * S + 1_000_000n],
  ['10ns', 10n],
  ['11us', 11_000n],
  ['12\u00b5s', 12_000n],
  ['12\u03bcs', 12_000n],
  ['13ms', 13_000_000n],
  ['14s', 14n * S],
  ['15m', 15n * 60n * S],
  ['16h', 16n * 3600n * S],
  ['3h30m', (3n * 3600n + 30n * 60n) * S],
  ['10.5s4m', 4n * 60n * S + 10n * S + 500_000_000n],
  ['-2m3.4s', -(2n * 60n * S + 3n * S + 400_000_000n)],
  ['1h2m3s4ms5us6ns', 3600n * S + 2n * 60n * S + 3n * S + 4_000_000n + 5_000n + 6n],
  ['39h9m14.425s', (39n * 3600n + 9n * 60n + 14n) * S + 425_000_000n],
  ['52763797000ns', 52_763_797_000n],
  ['0.3333333333333333333h', 1_200_000_000_000n],
  ['9007199254740993ns', 9_007_199_254_740_993n],
  ['9223372036854775807ns', 9_223_372_036_854_775_807n],
  ['9223372036854775.807us', 9_223_372_036_854_775_807n],
  ['-9223372036854775808ns', -9_223_372_036_854_775_808n],
  ['-9223372036854775.808us', -9_223_372_036_854_775_808n],
  ['0.100000000000000000000h', 360n * S],
  ['0.830103483285477580700h', 2_988_372_539_827n],
  ['1.5h', 5400n * S],
  ['5m3s', 303n * S],
  ['300ms', 300_000_000n],
];

for (const [input, expected] of valid) {
  void test(`parseGoDuration(${JSON.stringify(input)}) = ${expected}ns`, () => {
    assert.deepEqual(parseGoDuration(input), { ok: true, ns: expected });
  });
}

const invalid: readonly (readonly [string, string])[] = [
  ['', 'time: invalid duration ""'],
  ['3', 'time: missing unit in duration "3"'],
  ['30', 'time: missing unit in duration "30"'],
  ['-', 'time: invalid duration "-"'],
  ['+', 'time: invalid duration "+"'],
  ['s', 'time: invalid duration "s"'],
  ['.', 'time: invalid duration "."'],
  ['-.', 'time: invalid duration "-."'],
  ['.s', 'time: invalid duration ".s"'],
  ['+.s', 'time: invalid duration "+.s"'],
  ['x', 'time: invalid duration "x"'],
  ['invalid', 'time: invalid duration "invalid"'],
  ['none', 'time: invalid duration "none"'],
  ['1d', 'time: unknown unit "d" in duration "1d"'],
  ['1e3s', 'time: unknown unit "e" in duration "1e3s"'],
  ['3000000h', 'time: invalid duration "3000000h"'],
  ['9223372036854775808ns', 'time: invalid duration "9223372036854775808ns"'],
  ['9223372036854775.808us', 'time: invalid duration "9223372036854775.808us"'],
  ['9223372036854ms775us808ns', 'time: invalid duration "9223372036854ms775us808ns"'],
  ['-9223372036854775809ns', 'time: invalid duration "-9223372036854775809ns"'],
  ['1s ', 'time: unknown unit "s " in duration "1s "'],
  [' 1s', 'time: invalid duration " 1s"'],
  ['1\u00b5x', 'time: unknown unit "\\xc2\\xb5x" in duration "1\\xc2\\xb5x"'],
  ['"1"s', 'time: invalid duration "\\"1\\"s"'],
  ['1h-5m', 'time: unknown unit "h-" in duration "1h-5m"'],
];

for (const [input, error] of invalid) {
  void test(`parseGoDuration(${JSON.stringify(input)}) fails with Go's text`, () => {
    assert.deepEqual(parseGoDuration(input), { ok: false, error });
  });
}

const formatted: readonly (readonly [bigint, string])[] = [
  [0n, '0s'],
  [1n, '1ns'],
  [1_100n, '1.1\u00b5s'],
  [100_000n, '100\u00b5s'],
  [2_200_000n, '2.2ms'],
  [1_000_000n, '1ms'],
  [100_000_000n, '100ms'],
  [S, '1s'],
  [S + S / 2n, '1.5s'],
  [3_300_000_000n, '3.3s'],
  [30n * S, '30s'],
  [60n * S, '1m0s'],
  [90n * S, '1m30s'],
  [4n * 60n * S + 5n * S, '4m5s'],
  [4n * 60n * S + 5n * S + 1_000_000n, '4m5.001s'],
  [5n * 3600n * S + 6n * 60n * S + 7n * S + 1_000_000n, '5h6m7.001s'],
  [3600n * S, '1h0m0s'],
  [8n * 3600n * S + 1n, '8h0m0.000000001s'],
  [-S, '-1s'],
  [-1n, '-1ns'],
  [9_223_372_036_854_775_807n, '2562047h47m16.854775807s'],
  [-9_223_372_036_854_775_808n, '-2562047h47m16.854775808s'],
];

for (const [ns, text] of formatted) {
  void test(`formatGoDuration(${ns}) = ${text}`, () => {
    assert.equal(formatGoDuration(ns), text);
  });
}

void test('nsToMs / msToNs / formatMs', () => {
  assert.equal(nsToMs(303n * S), 303_000);
  assert.equal(nsToMs(1_500_000n), 1.5);
  assert.equal(nsToMs(-2_000_000n), -2);
  assert.equal(nsToMs(9_223_372_036_854_775_807n), 9_223_372_036_854.775);
  assert.equal(msToNs(1.5), 1_500_000n);
  assert.equal(msToNs(-30_000), -30n * S);
  assert.equal(formatMs(30_000), '30s');
  assert.equal(formatMs(90_000), '1m30s');
  assert.equal(formatMs(14_400_000), '4h0m0s');
});

void test('property: parseGoDuration never throws on arbitrary text', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[-+]?[0-9.]*[a-zµμ]*[0-9.]*[a-z]*$/)), (s) => {
      const r = parseGoDuration(s);
      assert.equal(typeof r.ok, 'boolean');
    }),
    { numRuns: 2000 },
  );
});

void test('property: parse(format(n)) round-trips every int64', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), (n) => {
      const r = parseGoDuration(formatGoDuration(n));
      assert.deepEqual(r, { ok: true, ns: n });
    }),
    { numRuns: 2000 },
  );
});

void test('property: round trip for small durations (ms range)', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: -10_000_000_000_000n, max: 10_000_000_000_000n }), (n) => {
      assert.deepEqual(parseGoDuration(formatGoDuration(n)), { ok: true, ns: n });
    }),
  );
});
