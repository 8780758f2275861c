/**
 * Reading input files and stdin for the CLI: every input is streamed with a byte cap and ends when the
 * signal aborts, whatever it is (regular file, FIFO, character device, pipe, terminal). `stat().size`
 * is 0 for devices and FIFOs, so a size check alone let `/dev/zero` grow without bound (issue 10).
 */
import fs from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import net from 'node:net';
import type { Readable } from 'node:stream';
import type { InputFileSystem, ReadLimit } from '../load/read-inputs.ts';

const CHUNK = 64 * 1024;
/** How often a non-blocking device with nothing to read (a terminal) is polled. */
const POLL_MS = 25;

/** Collects a stream up to `maxBytes + 1` bytes (one more tells the caller "too large"), then destroys it. */
export function readStreamCapped(stream: Readable, limit: ReadLimit): Promise<Uint8Array> {
  return new Promise<Uint8Array>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (error?: unknown): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      limit.signal?.removeEventListener('abort', onAbort);
      stream.destroy();
      if (error === undefined) resolve(Buffer.concat(chunks));
      else reject(error instanceof Error ? error : new Error('read failed', { cause: error }));
    };
    const onData = (chunk: Buffer | string): void => {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      const room = limit.maxBytes + 1 - size;
      chunks.push(b.length > room ? b.subarray(0, room) : b);
      size += Math.min(b.length, room);
      if (size > limit.maxBytes) finish();
    };
    const onEnd = (): void => {
      finish();
    };
    const onError = (error: unknown): void => {
      finish(error);
    };
    const onAbort = (): void => {
      finish(limit.signal?.reason ?? new Error('aborted'));
    };
    if (limit.signal?.aborted === true) {
      onAbort();
      return;
    }
    limit.signal?.addEventListener('abort', onAbort, { once: true });
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onError);
  });
}

function openFd(path: string, flags: number): Promise<number> {
  return new Promise((resolve, reject) => {
    fs.open(path, flags, (error, fd) => {
      if (error === null) resolve(fd);
      else reject(error);
    });
  });
}

function readFd(fd: number, buffer: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    fs.read(fd, buffer, 0, buffer.length, null, (error, n) => {
      if (error === null) resolve(n);
      else reject(error);
    });
  });
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Opens without blocking (`O_NONBLOCK`: opening a FIFO no one writes to would otherwise hang a libuv
 * thread beyond any signal). A FIFO is read as a pipe through the event loop, which waits for a writer
 * and is closed at once on abort; anything else (regular file, device) in chunks, the signal and the
 * cap checked between chunks, a device with nothing to read polled.
 */
export async function readPathCapped(path: string, limit: ReadLimit): Promise<Uint8Array> {
  limit.signal?.throwIfAborted();
  const fd = await openFd(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY);
  let handedOver = false;
  try {
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) throw Object.assign(new Error(`EISDIR: ${path} is a directory`), { code: 'EISDIR' });
    if (st.isFIFO() || st.isSocket()) {
      handedOver = true;
      return await readStreamCapped(new net.Socket({ fd, readable: true, writable: false }), limit);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for (;;) {
      limit.signal?.throwIfAborted();
      const buffer = Buffer.allocUnsafe(Math.min(CHUNK, limit.maxBytes + 1 - size));
      let n: number;
      try {
        n = await readFd(fd, buffer);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
        await sleep(POLL_MS, limit.signal);
        continue;
      }
      if (n === 0) break;
      chunks.push(buffer.subarray(0, n));
      size += n;
      if (size > limit.maxBytes) break;
    }
    return Buffer.concat(chunks);
  } finally {
    if (!handedOver) fs.close(fd, () => undefined);
  }
}

/** The real file system for the CLI's inputs. */
export const nodeInputFs: InputFileSystem = { stat, readdir, readCapped: readPathCapped };

/** Stdin, capped and abortable (a pipe, a file, a device or a terminal). */
export function readStdinCapped(limit: ReadLimit): Promise<Uint8Array> {
  return readStreamCapped(process.stdin, limit);
}
