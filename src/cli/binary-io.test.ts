/**
 * The binary against hostile I/O (issue 10 items 4 and 5): a closed stdout, FIFOs, devices, endless
 * stdin, signals during a read. Every test has a hang guard (the node:test timeout); time and peak
 * memory are printed as diagnostics, never asserted on.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, openSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, open, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { FakeApiServer, runningPod } from '../testing/fake-api-server.ts';

const repo = join(import.meta.dirname, '..', '..');

/**
 * Opens `fifo` for writing; that completes when a reader has it open, which is the event waited for.
 * On the deadline a reader of our own releases the blocked open (a libuv thread), and the wait fails.
 */
async function openWriterOnceRead(fifo: string, timeoutMs: number): Promise<FileHandle> {
  const opening = open(fifo, 'w');
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<'expired'>((resolve) => {
    timer = setTimeout(() => {
      resolve('expired');
    }, timeoutMs);
  });
  const first = await Promise.race([opening, expired]);
  clearTimeout(timer);
  if (first !== 'expired') return first;
  const release = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  await (await opening).close();
  closeSync(release);
  throw new Error(`timed out after ${timeoutMs} ms waiting for the process to open ${fifo}`);
}
const bin = join(repo, 'bin', 'kubehooks.js');
const GUARD = { timeout: 60_000 };

interface Finished {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
  /** VmHWM of the child, last sample before it exited (KiB). */
  readonly peakKiB: number;
}

interface Started {
  readonly pid: number;
  readonly stdin: Writable;
  readonly done: Promise<Finished>;
  kill(signal: NodeJS.Signals): void;
  /** Resolves once stderr contains `text`. */
  stderrHas(text: string): Promise<void>;
  /** Closes our end of the child's stdout as soon as `bytes` bytes arrived (`… | head -c N`). */
  closeStdoutAfter(bytes: number): void;
}

function start(args: readonly string[], options: { stdin?: 'pipe' | number } = {}): Started {
  const t0 = performance.now();
  const child = spawn(process.execPath, [bin, ...args], { cwd: repo, stdio: [options.stdin ?? 'pipe', 'pipe', 'pipe'] });
  if (child.stdout === null || child.stderr === null) throw new Error('no pipes');
  const childStdout = child.stdout;
  let stdout = '';
  let stderr = '';
  let peakKiB = 0;
  let closeAfter = Number.POSITIVE_INFINITY;
  const waiters: { text: string; resolve: () => void }[] = [];
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
    if (stdout.length >= closeAfter) childStdout.destroy();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
    for (const w of waiters.filter((x) => stderr.includes(x.text))) w.resolve();
  });
  child.stdin?.on('error', () => undefined);
  const sample = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid ?? 0}/status`, 'utf8'));
      if (m !== null) peakKiB = Math.max(peakKiB, Number(m[1]));
    } catch {
      // exited
    }
  }, 10);
  const done = new Promise<Finished>((resolve) => {
    child.once('close', (code, signal) => {
      clearInterval(sample);
      resolve({ code, signal, stdout, stderr, ms: Math.round(performance.now() - t0), peakKiB });
    });
  });
  return {
    pid: child.pid ?? 0,
    stdin: child.stdin ?? (null as unknown as Writable),
    done,
    kill: (signal) => {
      child.kill(signal);
    },
    stderrHas: (text) => (stderr.includes(text) ? Promise.resolve() : new Promise((resolve) => waiters.push({ text, resolve }))),
    closeStdoutAfter: (bytes) => {
      closeAfter = bytes;
    },
  };
}

function mkfifo(path: string): void {
  const r = spawnSync('mkfifo', [path]);
  assert.equal(r.status, 0, `mkfifo: ${r.stderr.toString()}`);
}

async function tmp(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kubehooks-io-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const noStack = (stderr: string): void => {
  assert.doesNotMatch(stderr, /EPIPE|\n\s+at |internal error/, stderr);
};

const warnedPod = (i: number): string =>
  `---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p${i}\n  annotations:\n    pre.hook.backup.velero.io/command: '["/bin/true"]'\n    pre.hook.backup.velero.io/on-error: fail\nspec:\n  containers: [{name: app}]\n`;

void describe('closed stdout (issue 10 item 4)', () => {
  void it('[R-14][R-69][S-21] lint -o json | head -c 10: no EPIPE stack trace; the exit status is lint\'s own (0: warnings only)', GUARD, async (t) => {
    const dir = await tmp(t);
    await writeFile(join(dir, 'pods.yaml'), Array.from({ length: 1000 }, (_, i) => warnedPod(i)).join(''));
    const k = start(['lint', '-o', 'json', join(dir, 'pods.yaml')]);
    k.closeStdoutAfter(10);
    const r = await k.done;
    t.diagnostic(`exit ${r.code} after ${r.ms} ms`);
    noStack(r.stderr);
    assert.equal(r.signal, null);
    assert.equal(r.code, 0, r.stderr);
  });
  void it('[R-14][R-69] a closed stdout with findings still exits 1', GUARD, async (t) => {
    const dir = await tmp(t);
    await writeFile(join(dir, 'pods.yaml'), Array.from({ length: 1000 }, (_, i) => warnedPod(i).replace(`'["/bin/true"]'`, '/bin/sh -c x')).join(''));
    const k = start(['lint', join(dir, 'pods.yaml')]);
    k.closeStdoutAfter(10);
    const r = await k.done;
    noStack(r.stderr);
    assert.equal(r.code, 1, r.stderr);
  });
});

void describe('FIFOs, devices and endless input (issue 10 item 5)', () => {
  void it('[R-66][S-21] lint /dev/zero is refused after 8 MiB: exit 2, input-too-large, bounded memory', GUARD, async (t) => {
    const r = await start(['lint', '/dev/zero']).done;
    t.diagnostic(`lint /dev/zero: exit ${r.code} in ${r.ms} ms, peak RSS ${Math.round(r.peakKiB / 1024)} MiB`);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stdout, /\/dev\/zero: error input-too-large: \/dev\/zero is more than the 8388608 bytes kubehooks reads/);
  });
  void it('[R-13][R-66][S-21] lint - < /dev/zero is refused the same way', GUARD, async (t) => {
    const { openSync, closeSync } = await import('node:fs');
    const fd = openSync('/dev/zero', 'r');
    t.after(() => {
      closeSync(fd);
    });
    const r = await start(['lint', '-'], { stdin: fd }).done;
    t.diagnostic(`lint - < /dev/zero: exit ${r.code} in ${r.ms} ms, peak RSS ${Math.round(r.peakKiB / 1024)} MiB`);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stdout, /<stdin>: error input-too-large/);
  });
  void it('[R-13][R-66][S-21] 200 MB piped on stdin is refused after 8 MiB without reading it whole', GUARD, async (t) => {
    const k = start(['lint', '-']);
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    let written = 0;
    const pump = async (): Promise<void> => {
      while (written < 200) {
        if (k.stdin.destroyed) return;
        const more = k.stdin.write(chunk);
        written += 1;
        if (!more) await new Promise<void>((resolve) => {
          k.stdin.once('drain', resolve);
          k.stdin.once('close', resolve);
        });
      }
      k.stdin.end();
    };
    void pump();
    const r = await k.done;
    t.diagnostic(`200 MB on stdin: exit ${r.code} in ${r.ms} ms after ${written} MiB accepted, peak RSS ${Math.round(r.peakKiB / 1024)} MiB`);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stdout, /<stdin>: error input-too-large/);
    assert.ok(written < 200, `the whole 200 MB was taken (${written} MiB)`);
  });
  void it('[R-12][R-66] lint FIFO: reads what a writer sends; an endless writer is cut at the cap', GUARD, async (t) => {
    const dir = await tmp(t);
    const fifo = join(dir, 'in.yaml');
    mkfifo(fifo);
    const k = start(['lint', fifo]);
    const { createWriteStream } = await import('node:fs');
    const w = createWriteStream(fifo);
    w.end(warnedPod(1));
    const r = await k.done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /in\.yaml:8:\d+: warning on-error-invalid/);

    const endless = start(['lint', fifo]);
    const w2 = createWriteStream(fifo);
    w2.on('error', () => undefined);
    const block = Buffer.alloc(64 * 1024, 0x20);
    const pump = (): void => {
      while (!w2.destroyed && w2.write(block));
      if (!w2.destroyed) w2.once('drain', pump);
    };
    pump();
    const e = await endless.done;
    w2.destroy();
    t.diagnostic(`endless FIFO: exit ${e.code} in ${e.ms} ms, peak RSS ${Math.round(e.peakKiB / 1024)} MiB`);
    assert.equal(e.code, 2, e.stderr);
    assert.match(e.stdout, /input-too-large/);
  });
  void it('a file whose name is not UTF-8 is not reported as "no such file" (issue 10 item 7)', GUARD, async (t) => {
    const dir = await tmp(t);
    await mkdir(join(dir, 'n'));
    // The name's byte 0xff is no UTF-8; Node hands it to us as U+FFFD, which names no file.
    await writeFile(Buffer.concat([Buffer.from(join(dir, 'n', 'bad-')), Buffer.from([0xff]), Buffer.from('.yaml')]), warnedPod(0));
    const explained = /bad-\ufffd\.yaml: error input-unreadable: .*no file by this name; the name held bytes that are not UTF-8, which Node\.js replaced with U\+FFFD/;
    // As a PATH argument, with the raw byte in argv (sh passes it through untouched).
    const sh = spawnSync('sh', ['-c', 'exec "$0" "$1" lint "$2/n/bad-$(printf "\\377").yaml"', process.execPath, bin, dir], { cwd: repo, encoding: 'utf8', timeout: 30_000 });
    assert.equal(sh.status, 2, sh.stderr);
    assert.match(sh.stdout, explained);
    assert.doesNotMatch(sh.stdout, /no such file or directory/);
    // Met in a directory walk.
    const walk = await start(['lint', join(dir, 'n')]).done;
    assert.equal(walk.code, 2, walk.stderr);
    assert.match(walk.stdout, explained);
  });

  void it('[R-68][S-21] a FIFO (or device) met in a directory walk is refused, not read', GUARD, async (t) => {
    const dir = await tmp(t);
    await mkdir(join(dir, 'm'));
    mkfifo(join(dir, 'm', 'b.yaml'));
    await writeFile(join(dir, 'm', 'a.yaml'), warnedPod(0));
    const r = await start(['lint', join(dir, 'm')]).done;
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stdout, /b\.yaml: error input-unreadable: .*b\.yaml is not a regular file \(a FIFO, device or socket\)/);
    assert.match(r.stdout, /a\.yaml:8:\d+: warning on-error-invalid/, 'the regular file is still linted');
  });
  void it('[R-12][R-42][R-67] run pre-backup --backup FIFO ends at the first SIGTERM (143) and at the first SIGINT (130)', GUARD, async (t) => {
    const server = await FakeApiServer.start();
    t.after(() => server.close());
    server.putPod(runningPod('a', 'p'));
    const kubeconfig = server.writeKubeconfig();
    const dir = await tmp(t);
    const fifo = join(dir, 'backup.yaml');
    mkfifo(fifo);
    for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
      const before = server.requests.length;
      const k = start(['run', 'pre-backup', '--backup', fifo, '--kubeconfig', kubeconfig, '-n', 'a']);
      // The Backup file is read first, before any cluster call (issue 9), and blocks: no data comes.
      // Ready when the process holds the FIFO open for reading: our open for writing completes then.
      const writer = await openWriterOnceRead(fifo, 30_000);
      assert.equal(server.requests.length, before, 'no request before the file is read');
      const sent = performance.now();
      k.kill(signal);
      const r = await k.done;
      await writer.close();
      assert.equal(server.requests.length, before, 'no request reached the API server while the file was being read');
      t.diagnostic(`${signal} during the read of a FIFO: exit ${r.code} ${Math.round(performance.now() - sent)} ms after the signal`);
      assert.equal(r.code, code, r.stderr);
      assert.match(r.stderr, new RegExp(`${signal} received: stopping[^]*interrupted before any hook ran`));
      assert.equal(server.execSessions.length, 0, 'no hook ran');
    }
  });
});
