import type { CliIo } from '../cli/context.ts';
import { nodeInputFs } from '../cli/input-io.ts';

export interface CapturedIo {
  readonly io: CliIo;
  stdout(): string;
  stderr(): string;
}

/** In-memory stdout/stderr and a fixed stdin, real file system: for in-process CLI tests. */
export function captureIo(stdin = '', env: Readonly<Record<string, string | undefined>> = {}): CapturedIo {
  let out = '';
  let err = '';
  return {
    io: {
      stdout: { write: (t) => { out += t; } },
      stderr: { write: (t) => { err += t; } },
      readStdin: () => Promise.resolve(new TextEncoder().encode(stdin)),
      fs: nodeInputFs,
      stderrIsTTY: false,
      env,
    },
    stdout: () => out,
    stderr: () => err,
  };
}
