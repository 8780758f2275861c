import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeInput, readInputs } from './read-inputs.ts';
import type { InputFileSystem } from './read-inputs.ts';

void test('decodeInput: UTF-8 with BOM, invalid UTF-8, binary, too large', () => {
  const cases: [string, Uint8Array, string][] = [
    ['bom', new Uint8Array([0xef, 0xbb, 0xbf, 0x61, 0x3a, 0x20, 0x31]), 'text:a: 1'],
    ['latin1', new Uint8Array([0x61, 0x3a, 0x20, 0xe9]), 'input-encoding'],
    ['binary', new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 0x00]), 'input-encoding'],
    ['large', new Uint8Array(11), 'input-too-large'],
  ];
  for (const [name, bytes, want] of cases) {
    const r = decodeInput(name, bytes, { maxFileChars: 10, maxAliasCount: 100, maxDepth: 128, maxIndent: 1000, maxDocuments: 10 });
    assert.equal('source' in r ? `text:${r.source.text}` : r.diagnostic.code, want, name);
  }
});

// A small in-memory tree: directories map names to children, files are strings.
type Tree = { [name: string]: Tree | string };
function fakeFs(root: Tree): InputFileSystem {
  const find = (path: string): Tree | string | undefined => {
    let node: Tree | string | undefined = root;
    for (const part of path.split('/').filter((p) => p !== '' && p !== '.')) node = typeof node === 'object' ? node[part] : undefined;
    return node;
  };
  const enoent = (): Error => Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
  return {
    stat: (p) => {
      const n = find(p);
      if (n === undefined) return Promise.reject(enoent());
      return Promise.resolve({ isDirectory: () => typeof n === 'object', isFile: () => typeof n === 'string', size: typeof n === 'string' ? n.length : 0 });
    },
    readdir: (p) => {
      const n = find(p);
      if (typeof n !== 'object') return Promise.reject(enoent());
      return Promise.resolve(Object.entries(n).map(([name, c]) => ({ name, isDirectory: () => typeof c === 'object', isFile: () => typeof c === 'string' })));
    },
    readCapped: (p) => {
      const n = find(p);
      return typeof n === 'string' ? Promise.resolve(new TextEncoder().encode(n)) : Promise.reject(enoent());
    },
  };
}

void test('readInputs: sorted recursive walk, manifest extensions only, dot dirs and node_modules skipped, stdin once', async () => {
  const fs = fakeFs({ m: { 'b.yaml': 'b', 'a.json': 'a', 'z.txt': 'z', nested: { 'c.YML': 'c' }, '.hidden': { 'd.yaml': 'd' }, node_modules: { 'e.yaml': 'e' } }, 'explicit.conf': 'x', empty: {} });
  let stdinReads = 0;
  const r = await readInputs(['m', 'explicit.conf', '-', 'missing.yaml', '-', 'empty'], {
    fs,
    readStdin: () => {
      stdinReads += 1;
      return Promise.resolve(new TextEncoder().encode('s'));
    },
  });
  assert.deepEqual(r.sources.map((s) => `${s.file}=${s.text}`), ['m/a.json=a', 'm/b.yaml=b', 'm/nested/c.YML=c', 'explicit.conf=x', '<stdin>=s']);
  assert.equal(stdinReads, 1);
  assert.deepEqual(r.diagnostics.map((d) => `${d.code}:${d.file}`), ['input-unreadable:missing.yaml', 'no-manifests:empty']);
});

void test('readInputs: what a walk leaves out is listed with a code; version-control directories are not', async () => {
  const fs = fakeFs({ m: { 'a.yaml': 'a', 'README.md': 'r', '.env.yaml': 'e', '.git': { 'x.yaml': 'x' }, '.deploy': { 'pod.yaml': 'p' }, node_modules: { 'e.yaml': 'e' } } });
  const r = await readInputs(['m'], { fs, readStdin: () => Promise.resolve(new Uint8Array()) });
  assert.deepEqual(r.skipped.map((s) => `${s.code}:${s.path}`), ['hidden-directory:m/.deploy/', 'hidden-file:m/.env.yaml', 'not-a-manifest:m/README.md', 'node-modules:m/node_modules/']);
  assert.ok(r.skipped.every((s) => s.reason.length > 0));
  // Named on the command line, a hidden directory is read.
  const named = await readInputs(['m/.deploy'], { fs, readStdin: () => Promise.resolve(new Uint8Array()) });
  assert.deepEqual(named.sources.map((s) => s.file), ['m/.deploy/pod.yaml']);
});

void test('readInputs: a directory whose only manifests are in a hidden directory says where they are', async () => {
  const fs = fakeFs({ app: { '.deploy': { 'pod.yaml': 'p' }, 'main.go': 'g' } });
  const r = await readInputs(['app'], { fs, readStdin: () => Promise.resolve(new Uint8Array()) });
  const d = r.diagnostics.find((x) => x.code === 'no-manifests');
  assert.ok(d);
  assert.match(d.message, /outside hidden directories.*skipped: app\/\.deploy\//);
  assert.match(d.hint, /kubehooks lint app\/\.deploy\//);
});
