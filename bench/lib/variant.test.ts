import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { parseVariant } from './variant.ts';

void describe('parseVariant (--alternate LABEL:BIN:ARGS)', () => {
  const cases: readonly { name: string; spec: string; want: ReturnType<typeof parseVariant> }[] = [
    { name: 'run flags only, this build', spec: 'noevents::--no-events', want: { label: 'noevents', bin: undefined, args: ['--no-events'], nodeFlags: [], env: {} } },
    { name: 'another build, no flags', spec: 'old:/tmp/old/bin/kubehooks.js:', want: { label: 'old', bin: resolve('/tmp/old/bin/kubehooks.js'), args: [], nodeFlags: [], env: {} } },
    { name: 'environment only', spec: 'arena2::MALLOC_ARENA_MAX=2', want: { label: 'arena2', bin: undefined, args: [], nodeFlags: [], env: { MALLOC_ARENA_MAX: '2' } } },
    {
      name: 'environment, Node flags and run flags together',
      spec: 'both::MALLOC_ARENA_MAX=2 node:--optimize-for-size --no-events node:--max-semi-space-size=4',
      want: { label: 'both', bin: undefined, args: ['--no-events'], nodeFlags: ['--optimize-for-size', '--max-semi-space-size=4'], env: { MALLOC_ARENA_MAX: '2' } },
    },
    { name: 'an empty value sets the variable empty', spec: 'off::KUBEHOOKS_NODE_DEFAULTS=', want: { label: 'off', bin: undefined, args: [], nodeFlags: [], env: { KUBEHOOKS_NODE_DEFAULTS: '' } } },
    { name: 'colons after BIN stay in ARGS', spec: 'x::node:--flag=a:b --since=1:2', want: { label: 'x', bin: undefined, args: ['--since=1:2'], nodeFlags: ['--flag=a:b'], env: {} } },
    { name: 'a lower-case NAME=VALUE is a run flag, not environment', spec: 'y::--label=a=b', want: { label: 'y', bin: undefined, args: ['--label=a=b'], nodeFlags: [], env: {} } },
  ];
  for (const c of cases) {
    void it(c.name, () => {
      assert.deepEqual(parseVariant(c.spec), c.want);
    });
  }

  const bad: readonly { spec: string; message: RegExp }[] = [
    { spec: 'bad label::', message: /label of letters, digits and -/ },
    { spec: 'main::--no-events', message: /"main" is the build under bench/ },
    { spec: 'z::node:optimize', message: /node:FLAG takes a flag/ },
  ];
  for (const b of bad) {
    void it(`rejects "${b.spec}"`, () => {
      assert.throws(() => parseVariant(b.spec), b.message);
    });
  }
});
