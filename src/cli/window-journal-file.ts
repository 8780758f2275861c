/**
 * The window journal on disk (ADR 0018): a JSON-lines file. Created atomically (the `begin` record is
 * written to a temp file, fsynced, renamed into place, and the directory fsynced); every later
 * record is appended with one write (O_APPEND) and fdatasync before the append resolves. Appends
 * made while one is in flight are committed together (one write, one sync). The pure replay is
 * src/run/window-journal.ts.
 */
import { constants } from 'node:fs';
import { mkdir, open, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseJournal, replayJournal, type BeginRecord, type JournalRecord } from '../run/window-journal.ts';
import { terminalSafe } from '../report/terminal-text.ts';
import { UsageError } from './context.ts';

/** `$XDG_STATE_HOME/kubehooks/windows/<runId>.jsonl`, else `~/.local/state/kubehooks/windows/<runId>.jsonl`. */
export function defaultJournalPath(env: Readonly<Record<string, string | undefined>>, runId: string): string {
  const xdg = env['XDG_STATE_HOME'];
  const base = xdg !== undefined && xdg !== '' && xdg.startsWith('/') ? xdg : join(env['HOME'] ?? homedir(), '.local', 'state');
  return join(base, 'kubehooks', 'windows', `${runId}.jsonl`);
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Reads and parses a journal; a missing or damaged file is a UsageError naming it. */
export async function readJournalFile(path: string): Promise<JournalRecord[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`--journal ${terminalSafe(path)}: ${code === 'ENOENT' ? 'no such file (a window that stopped before writing its journal froze nothing)' : `cannot read it (${code ?? String(error)})`}`);
  }
  try {
    return parseJournal(text, path);
  } catch (error) {
    throw new UsageError(`--journal ${terminalSafe(error instanceof Error ? error.message : String(error))}`);
  }
}

export class JournalFile {
  readonly path: string;
  readonly #handle: FileHandle;
  #queue: { line: string; done: (error?: unknown) => void }[] = [];
  #draining: Promise<void> | undefined;
  #closed = false;

  private constructor(path: string, handle: FileHandle) {
    this.path = path;
    this.#handle = handle;
  }

  /**
   * Creates the journal with its `begin` record, durably. An existing journal is replaced only when
   * it has nothing left to thaw; otherwise this refuses (UsageError) so no frozen pod is forgotten.
   */
  static async create(path: string, begin: BeginRecord): Promise<JournalFile> {
    const full = resolve(path);
    const dir = dirname(full);
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new UsageError(`cannot create the journal's directory ${terminalSafe(dir)} (${(error as NodeJS.ErrnoException).code ?? String(error)}); --journal FILE names another place`);
    }
    let existing: string | undefined;
    try {
      existing = await readFile(full, 'utf8');
    } catch {
      existing = undefined;
    }
    if (existing !== undefined && existing.trim() !== '') {
      let pending = 0;
      let runId = '?';
      try {
        const state = replayJournal(parseJournal(existing, full));
        pending = state.pending.length;
        runId = state.begin.runId;
      } catch (error) {
        throw new UsageError(`--journal ${terminalSafe(full)} exists and is not a window journal kubehooks can read (${terminalSafe(error instanceof Error ? error.message : String(error))}); choose another file`);
      }
      if (pending > 0) {
        throw new UsageError(`--journal ${terminalSafe(full)} still records ${pending} frozen pod(s) of window ${terminalSafe(runId)}: run \`kubehooks thaw --journal ${terminalSafe(full)}\` first, or choose another file`);
      }
    }
    const tmp = `${full}.${process.pid}.tmp`;
    try {
      const handle = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
      try {
        await handle.write(`${JSON.stringify(begin)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, full);
      await syncDir(dir);
    } catch (error) {
      await rm(tmp, { force: true });
      throw new UsageError(`cannot write the journal ${terminalSafe(full)} (${(error as NodeJS.ErrnoException).code ?? String(error)}); --journal FILE names another place`);
    }
    return JournalFile.openForAppend(full);
  }

  /**
   * Opens an existing journal for appending (kubehooks thaw). A last line torn by a crash (no
   * newline) is cut off first, so the next record starts on its own line.
   */
  static async openForAppend(path: string): Promise<JournalFile> {
    const text = await readFile(path);
    const end = text.lastIndexOf(0x0a) + 1;
    if (end < text.length) {
      const fix = await open(path, constants.O_WRONLY);
      try {
        await fix.truncate(end);
        await fix.sync();
      } finally {
        await fix.close();
      }
    }
    const handle = await open(path, constants.O_WRONLY | constants.O_APPEND);
    return new JournalFile(path, handle);
  }

  /** Appends the record; resolves once it is on disk (written and fdatasynced). */
  append(record: JournalRecord): Promise<void> {
    if (this.#closed) return Promise.reject(new Error(`journal ${this.path} is closed`));
    return new Promise<void>((resolvePromise, reject) => {
      const done = (error?: unknown): void => {
        if (error === undefined) resolvePromise();
        else reject(error instanceof Error ? error : new Error(`journal write failed: ${JSON.stringify(error)}`));
      };
      this.#queue.push({ line: `${JSON.stringify(record)}\n`, done });
      this.#draining ??= this.#drain();
    });
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue;
        this.#queue = [];
        try {
          await this.#handle.write(batch.map((b) => b.line).join(''));
          await this.#handle.datasync();
          for (const b of batch) b.done();
        } catch (error) {
          for (const b of batch) b.done(error);
        }
      }
    } finally {
      this.#draining = undefined;
    }
  }

  /** Waits for queued appends, then closes the file. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    while (this.#draining !== undefined) await this.#draining;
    this.#closed = true;
    await this.#handle.close();
  }
}
