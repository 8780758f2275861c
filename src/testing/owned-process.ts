/**
 * Child processes that die with the test process that started them, on every path: the test's
 * `after` hook, an AbortSignal, the process's normal exit, SIGTERM/SIGINT/SIGHUP (node --test and
 * scripts/cluster/with-cluster.ts stop a run with SIGTERM), and even SIGKILL of the test process.
 *
 * Each child leads its own process group (spawned detached), so stopping it stops whatever it
 * started too, and a signal to the test's group does not race our orderly stop. Signals go to the
 * group only while the leader is unreaped (its PID cannot be reused until then); members left in
 * the group after the leader exited are found in /proc (group and start time checked) and killed one
 * by one, and reported: something the program under test left behind.
 *
 * The SIGKILL path: the first owned child also starts a watchdog (owned-process-reaper.ts, in its
 * own session) that reads the owned PIDs from a pipe; when the pipe closes, because this process
 * ended in any way, it stops the groups that are still the processes recorded.
 *
 * Signal and exit listeners are installed while something is owned and removed when nothing is, so
 * the default signal behaviour of the test process is otherwise untouched. On a signal the owned
 * processes get SIGTERM, up to `graceMs` to exit, then SIGKILL; then the signal is raised again on
 * this process (when no other listener had it) so it ends as it would have; a process with a handler
 * of its own (one that aborts its work and cleans up) is left to end as that handler decides.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { groupMembers, procStat } from './process-tree.ts';

export interface OwnedExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** PIDs still in the child's process group after it exited; killed (SIGKILL) when found. */
  readonly leftovers: readonly number[];
}

export interface StopOptions {
  /** The first signal (default SIGTERM); SIGKILL follows after `graceMs`. */
  readonly signal?: NodeJS.Signals;
  readonly graceMs?: number;
}

export interface OwnedProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Settles once: when the process has exited and its group was swept. */
  readonly exited: Promise<OwnedExit>;
  readonly hasExited: () => boolean;
  /** Sends `sig` to the process group now, without waiting (a no-op once the leader exited). */
  readonly kill: (sig: NodeJS.Signals) => void;
  /** `signal` to the group, SIGKILL after `graceMs`, resolves with the exit (rejects if even SIGKILL did not end it within 10 s). */
  readonly stop: (options?: StopOptions) => Promise<OwnedExit>;
}

/** A test context, or anything with `after` hooks run when the test ends. */
export interface AfterHooks {
  after(fn: () => Promise<unknown>): void;
  /**
   * Aborted when the test has ended, after its hooks (node:test's `t.signal`). The backstop: when an
   * earlier `after` hook throws, node:test skips the later ones.
   */
  readonly signal?: AbortSignal;
}

export interface OwnedSpawnOptions extends Omit<SpawnOptions, 'detached' | 'signal'> {
  /** Stop the process (SIGTERM, then SIGKILL after graceMs) when this aborts. */
  readonly signal?: AbortSignal;
  /** Stop the process in this test's `after` hook, and when its `signal` aborts. */
  readonly t?: AfterHooks;
  /** Grace between SIGTERM and SIGKILL for the automatic stops (default 5 s). */
  readonly graceMs?: number;
}

const DEFAULT_GRACE_MS = 5_000;
const KILL_DEADLINE_MS = 10_000;
const REPEAT_WINDOW_MS = 1_000;
/** How long the rest of a signalled group may take to follow its leader out. */
const SETTLE_MS = 1_000;
const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

interface Entry {
  readonly owned: OwnedProcess;
  readonly start: number;
  readonly graceMs: number;
}

function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    // The group is empty.
  }
}

/** The watchdog: started once, lives as long as this process (unreferenced: it holds nothing open). */
class Reaper {
  private stdin: NodeJS.WritableStream | undefined;
  private failed = false;

  private ensure(): NodeJS.WritableStream | undefined {
    if (this.stdin !== undefined || this.failed) return this.stdin;
    const script = fileURLToPath(new URL('./owned-process-reaper.ts', import.meta.url));
    const child = spawn(process.execPath, [script, String(process.pid)], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    child.on('error', () => {
      this.failed = true;
      this.stdin = undefined;
    });
    const stdin = child.stdin;
    // A write after the watchdog died must not crash the test process.
    stdin.on('error', () => {
      this.failed = true;
      this.stdin = undefined;
    });
    child.unref();
    (stdin as unknown as { unref?: () => void }).unref?.();
    this.stdin = stdin;
    return stdin;
  }

  /** Started before the child: a SIGKILL between the child's spawn and its record must not leave it unwatched. */
  start(): void {
    this.ensure();
  }

  own(pid: number, start: number, graceMs: number): void {
    this.ensure()?.write(`own ${pid} ${start} ${graceMs}\n`);
  }

  free(pid: number): void {
    this.stdin?.write(`free ${pid}\n`);
  }
}

/**
 * The per-process registry of owned children. Signal and exit dispositions are per process, so this
 * is the one module-level instance the rules allow for: it holds nothing when nothing is owned.
 */
class Keeper {
  private readonly live = new Map<number, Entry>();
  private readonly reaper = new Reaper();
  private terminating = false;
  private terminatingSince = 0;
  private readonly onSignal = (sig: NodeJS.Signals): void => {
    if (this.terminating) {
      // A second request (a second Ctrl-C): no more grace. One that follows the first at once is
      // the same request delivered twice (to our group by the terminal and forwarded by node --test).
      if (Date.now() - this.terminatingSince < REPEAT_WINDOW_MS) return;
      for (const e of this.live.values()) e.owned.kill('SIGKILL');
      return;
    }
    this.terminating = true;
    this.terminatingSince = Date.now();
    // Someone else listened when the signal came (the test runner in this process, a script's own
    // handler that aborts its work and cleans up): they decide, even if they stopped listening since
    // (a `once` listener, one removed when the work is done). Read now: ours runs first (prepended),
    // so a `once` listener is still counted. Otherwise end as the signal would have ended us (exit
    // status 128 + n, as the runner and with-cluster expect).
    const handledElsewhere = process.listenerCount(sig) > 1;
    const stops = [...this.live.values()].map((e) => e.owned.stop({ signal: 'SIGTERM', graceMs: e.graceMs }));
    void Promise.allSettled(stops).then(() => {
      this.uninstall();
      this.terminating = false;
      if (!handledElsewhere) process.kill(process.pid, sig);
    });
  };
  private readonly onExit = (): void => {
    // Synchronous only: the event loop is done. The watchdog covers whatever survives this.
    for (const e of this.live.values()) {
      if (!e.owned.hasExited()) {
        e.owned.kill('SIGKILL');
        continue;
      }
      // The leader is gone (its group still settling): the members, each by PID.
      for (const member of groupMembers(e.owned.pid, e.start)) {
        try {
          process.kill(member.pid, 'SIGKILL');
        } catch {
          // Gone.
        }
      }
    }
  };

  prepare(): void {
    this.reaper.start();
  }

  add(entry: Entry): void {
    if (this.live.size === 0) this.install();
    this.live.set(entry.owned.pid, entry);
    this.reaper.own(entry.owned.pid, entry.start, entry.graceMs);
  }

  remove(pid: number): void {
    if (!this.live.delete(pid)) return;
    this.reaper.free(pid);
    if (this.live.size === 0 && !this.terminating) this.uninstall();
  }

  private install(): void {
    for (const sig of STOP_SIGNALS) process.prependListener(sig, this.onSignal);
    process.on('exit', this.onExit);
  }

  private uninstall(): void {
    for (const sig of STOP_SIGNALS) process.off(sig, this.onSignal);
    process.off('exit', this.onExit);
  }
}

const keeper = new Keeper();

/**
 * spawn(), in a process group of its own, owned by this process until it exits: see the module
 * comment for every path that stops it. `options.signal` and `options.t` add stops of their own.
 */
export function spawnOwned(file: string, args: readonly string[], options: OwnedSpawnOptions = {}): OwnedProcess {
  const { signal, t, graceMs = DEFAULT_GRACE_MS, ...spawnOptions } = options;
  if (signal?.aborted === true) throw signal.reason;
  keeper.prepare();
  const child = spawn(file, args, { ...spawnOptions, detached: true });
  const pid = child.pid;
  if (pid === undefined) {
    // spawn reports the cause (ENOENT, EACCES) as an 'error' event; there is no process to own.
    child.on('error', () => undefined);
    throw new Error(`could not start ${file}`);
  }
  const start = procStat(pid)?.start ?? 0;
  let done = false;
  let signalled = false;
  let abortListener: (() => void) | undefined;
  let testEndListener: (() => void) | undefined;
  const exited = new Promise<OwnedExit>((resolve) => {
    child.once('exit', (code, sig) => {
      done = true;
      if (abortListener !== undefined) signal?.removeEventListener('abort', abortListener);
      if (testEndListener !== undefined) t?.signal?.removeEventListener('abort', testEndListener);
      void (async () => {
        // The leader is reaped; what is left in its group is orphaned. After a signal to the group
        // the others got it too and may still be on their way out: give them a moment.
        let members = groupMembers(pid, start);
        for (const until = Date.now() + (signalled ? SETTLE_MS : 0); members.length > 0 && Date.now() < until; members = groupMembers(pid, start)) await sleep(25);
        const leftovers = members.map((p) => p.pid);
        for (const member of leftovers) {
          try {
            process.kill(member, 'SIGKILL');
          } catch {
            // Gone meanwhile.
          }
        }
        keeper.remove(pid);
        resolve({ code, signal: sig, leftovers });
      })();
    });
  });
  const kill = (sig: NodeJS.Signals): void => {
    if (done) return;
    signalled = true;
    signalGroup(pid, sig);
  };
  let stopping: Promise<OwnedExit> | undefined;
  const stop = (stopOptions: StopOptions = {}): Promise<OwnedExit> => {
    if (done) return exited;
    const first = stopOptions.signal ?? 'SIGTERM';
    if (first === 'SIGKILL') {
      kill('SIGKILL');
    } else if (stopping === undefined) {
      kill(first);
    } else {
      // Already stopping: a later, harsher request may shorten the wait (below), not restart it.
      return stopping;
    }
    stopping = (async () => {
      const grace = stopOptions.graceMs ?? graceMs;
      let escalate: NodeJS.Timeout | undefined;
      let deadline: NodeJS.Timeout | undefined;
      try {
        return await Promise.race([
          exited,
          new Promise<never>((_, reject) => {
            escalate = setTimeout(() => {
              kill('SIGKILL');
              deadline = setTimeout(() => {
                reject(new Error(`pid ${pid} (${file}) did not exit within ${KILL_DEADLINE_MS} ms of SIGKILL`));
              }, KILL_DEADLINE_MS);
            }, first === 'SIGKILL' ? 0 : grace);
          }),
        ]);
      } finally {
        clearTimeout(escalate);
        clearTimeout(deadline);
      }
    })();
    return stopping;
  };
  const owned: OwnedProcess = { child, pid, exited, hasExited: () => done, kill, stop };
  keeper.add({ owned, start, graceMs });
  if (signal !== undefined) {
    abortListener = () => {
      void stop().catch(() => undefined);
    };
    signal.addEventListener('abort', abortListener, { once: true });
  }
  if (t !== undefined) {
    t.after(async () => {
      await stop();
    });
    if (t.signal?.aborted === false) {
      testEndListener = () => {
        void stop().catch(() => undefined);
      };
      t.signal.addEventListener('abort', testEndListener, { once: true });
    }
  }
  return owned;
}

export interface RunOwnedOptions extends Omit<OwnedSpawnOptions, 'stdio'> {
  /** Written to stdin, which is then closed (default: stdin is /dev/null). */
  readonly input?: string;
  /** Deadline for the whole run: SIGTERM, then SIGKILL after the grace (default 2 s here). */
  readonly timeoutMs: number;
  /** Output beyond this many bytes per stream ends the run like the deadline does (default 16 MiB). */
  readonly maxBuffer?: number;
}

export interface RunOwnedResult extends OwnedExit {
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly pid: number | undefined;
}

/**
 * Runs a command to completion as an owned process (execFile's job): its output, how it ended,
 * whether the deadline or the output bound ended it. A command that cannot start is a result
 * (code null, the reason in stderr), as execFile reports it.
 */
export async function runOwned(file: string, args: readonly string[], options: RunOwnedOptions): Promise<RunOwnedResult> {
  const { input, timeoutMs, maxBuffer = 16 * 1024 * 1024, graceMs = 2_000, ...rest } = options;
  let owned: OwnedProcess;
  try {
    owned = spawnOwned(file, args, { ...rest, graceMs, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  } catch (err) {
    return { code: null, signal: null, leftovers: [], stdout: '', stderr: err instanceof Error ? err.message : String(err), timedOut: false, pid: undefined };
  }
  const { child } = owned;
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let timedOut = false;
  const end = (): void => {
    timedOut = true;
    void owned.stop().catch(() => undefined);
  };
  const collect = (into: Buffer[]) => {
    let size = 0;
    return (d: Buffer): void => {
      into.push(d);
      size += d.length;
      if (size > maxBuffer) end();
    };
  };
  // 'close' follows 'exit' once the pipes drained: then all output is in.
  const closed = new Promise((resolve) => child.once('close', resolve));
  child.stdout?.on('data', collect(out));
  child.stderr?.on('data', collect(err));
  child.stdin?.on('error', () => undefined); // the command may exit without reading its input
  child.stdin?.end(input);
  const timer = setTimeout(end, timeoutMs);
  let drain: NodeJS.Timeout | undefined;
  try {
    const exit = await owned.exited;
    // Its group was swept on exit, so nothing should hold the pipes open; do not wait forever anyway.
    await Promise.race([closed, new Promise((resolve) => (drain = setTimeout(resolve, 5_000)))]);
    return { ...exit, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), timedOut, pid: owned.pid };
  } finally {
    clearTimeout(timer);
    clearTimeout(drain);
  }
}
