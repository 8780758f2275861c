import type { OwnerLister, PodLister, RestoreReader } from '../run/ports.ts';
import type { DemoPlatform } from './demo-platform.ts';
import { colorsFor } from '../report/color.ts';
import { terminalSafe } from '../report/terminal-text.ts';
import type { InputFileSystem, ReadLimit } from '../load/read-inputs.ts';

export interface TextSink {
  write(text: string): void;
}

/** Everything a command touches outside the process, so commands run in-process in tests. */
export interface CliIo {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  /** Reads stdin up to `limit.maxBytes + 1` bytes; ends when `limit.signal` aborts. */
  readonly readStdin: (limit: ReadLimit) => Promise<Uint8Array>;
  readonly fs: InputFileSystem;
  /** Whether stderr is a terminal (progress output is for terminals only). */
  readonly stderrIsTTY: boolean;
  /** Whether stdout is a terminal: text tables are cut to fit only then (kubectl never cuts piped output). */
  readonly stdoutIsTTY?: boolean;
  /** Colour per stream (a terminal, no --no-color, no NO_COLOR); set by main once flags are parsed. */
  readonly color?: { readonly stdout: boolean; readonly stderr: boolean };
  /** Process environment (e.g. KUBECONFIG); not read from `process.env` directly. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Connection flags shared by the commands that talk to a cluster. */
export interface RestorePlanPorts {
  readonly lister: PodLister;
  readonly restores: RestoreReader & OwnerLister;
  close(): void;
}

export interface ClusterOptions {
  readonly kubeconfig: string | undefined;
  readonly context: string | undefined;
}

/**
 * The wiring: dependencies a command needs beyond I/O. Optional members are plugged in by whoever
 * provides them (src/kube for the cluster); a command that needs a missing one says so and exits 2.
 */
export interface CliDeps {
  readonly io: CliIo;
  /** Lists pods from a cluster for `plan` without PATH; `namespace` is the kubeconfig context's namespace. */
  readonly createPodLister?: (options: ClusterOptions) => Promise<PodLister & { readonly namespace?: string }>;
  /**
   * `plan --from-restore`: pods, the Restore and the owners from one connection, closed by `close()`.
   * Absent: the command says it is not available and exits 2.
   */
  readonly createRestoreReader?: (options: ClusterOptions) => Promise<RestorePlanPorts>;
  /** Name for an annotation init container without container-name (default: Velero's random form). */
  readonly generateInitName?: () => string;
  /**
   * Aborts long operations: the caller's (tests, an embedding program). main's own never aborts; the
   * long-running commands (run, demo, controller, webhook) also stop on SIGINT/SIGTERM themselves.
   */
  readonly signal: AbortSignal;
  /** Where `lint` starts looking for `.kubehooks.yaml` (default: the process's working directory). */
  readonly cwd?: string;
  /** The local control plane for `kubehooks demo`: only a checkout has one (bin/kubehooks.js sets it). */
  readonly loadDemoPlatform?: () => Promise<DemoPlatform>;
}

/**
 * An infrastructure error in one line, safe for a terminal (it may quote the API server or a file name):
 * its message and, for typed errors (src/kube), the stable code.
 */
export function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  return terminalSafe(code === '' ? message : `${message} [${code}]`);
}

/**
 * The one error style of the CLI, kubectl's: `error: <message>` on stderr (`error:` in red on a
 * colour terminal). `message` must already be terminal-safe where it quotes untrusted text.
 */
export function writeError(io: CliIo, message: string): void {
  io.stderr.write(`${colorsFor(io.color?.stderr === true).red('error:')} ${message}\n`);
}

/** `warning: <message>` on stderr (yellow on a colour terminal). */
export function writeWarning(io: CliIo, message: string): void {
  io.stderr.write(`${colorsFor(io.color?.stderr === true).yellow('warning:')} ${message}\n`);
}

/** A usage problem the user can fix: printed as `error: <message>`, exit 2, no stack trace. */
export class UsageError extends Error {
  readonly code = 'usage';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UsageError';
  }
}

export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_USAGE = 2;
