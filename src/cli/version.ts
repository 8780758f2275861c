/**
 * What `kubehooks --version` prints: the package version, the commit it was built from, the Node
 * version it runs on and the client-node version it was built with. A build (scripts/build)
 * defines KUBEHOOKS_BUILD_INFO; from a source checkout the same facts are read when asked.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

declare const KUBEHOOKS_BUILD_INFO: { version: string; commit: string; clientNodeVersion: string } | undefined;

export interface VersionInfo {
  readonly version: string;
  readonly commit: string;
  readonly node: string;
  readonly clientNode: string;
}

function fromCheckout(): { version: string; commit: string; clientNodeVersion: string } {
  const repo = resolve(import.meta.dirname, '..', '..');
  const readVersion = (path: string): string => {
    try {
      const { version } = JSON.parse(readFileSync(path, 'utf8')) as { version?: unknown };
      return typeof version === 'string' ? version : 'unknown';
    } catch {
      return 'unknown';
    }
  };
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim() + ' (source checkout)';
  } catch {
    // not a git checkout, or no git: stays unknown
  }
  return {
    version: readVersion(join(repo, 'package.json')),
    commit,
    clientNodeVersion: readVersion(join(repo, 'node_modules', '@kubernetes', 'client-node', 'package.json')),
  };
}

export function versionInfo(): VersionInfo {
  const info = typeof KUBEHOOKS_BUILD_INFO === 'undefined' ? fromCheckout() : KUBEHOOKS_BUILD_INFO;
  return { version: info.version, commit: info.commit, node: process.version, clientNode: info.clientNodeVersion };
}

export function renderVersion(info: VersionInfo): string {
  return `kubehooks ${info.version}\ncommit: ${info.commit}\nnode: ${info.node}\nclient-node: ${info.clientNode}\n`;
}
