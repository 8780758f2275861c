/**
 * The documents in the repository stand alone (issue 12): no README or docs/ page points outside the
 * repository (the team's reference, `../shared/…`, § numbers of another document), and every
 * relative link names a file that exists, and a heading that exists when it has an anchor.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const repo = join(import.meta.dirname, '..');

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? markdownFiles(join(dir, e.name)) : e.name.endsWith('.md') ? [join(dir, e.name)] : [],
  );
}

const documents = [join(repo, 'README.md'), ...markdownFiles(join(repo, 'docs'))];

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  for (const line of markdown.split('\n')) {
    const m = /^#{1,6}\s+(.*)$/.exec(line);
    if (m?.[1] === undefined) continue;
    out.add(m[1].trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-'));
  }
  return out;
}

for (const file of documents) {
  const name = relative(repo, file);
  const text = readFileSync(file, 'utf8');
  void test(`${name} refers to nothing outside the repository`, () => {
    for (const [i, line] of text.split('\n').entries()) {
      assert.doesNotMatch(line, /\.\.\/shared|velero-hooks\.md|§/, `${name}:${i + 1}: ${line}`);
      // The reference's numbered vectors (V1, V61, …) mean nothing to a user; V8 is the JavaScript engine.
      assert.doesNotMatch(line.replace(/\bV8\b/g, ''), /\bV\d{1,3}\b/, `${name}:${i + 1}: cites a vector number: ${line}`);
    }
  });
  void test(`${name}: relative links resolve`, () => {
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1] ?? '';
      if (/^[a-z]+:/.test(target)) continue;
      const [path = '', anchor] = target.split('#');
      const resolved = path === '' ? file : join(dirname(file), path);
      assert.ok(existsSync(resolved), `${name}: link to ${target}: no such file`);
      if (anchor !== undefined && anchor !== '' && resolved.endsWith('.md') && statSync(resolved).isFile()) {
        assert.ok(anchors(readFileSync(resolved, 'utf8')).has(anchor), `${name}: link to ${target}: no such heading`);
      }
    }
  });
}
