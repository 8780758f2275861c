import { randomUUID } from 'node:crypto';
import { Command, CommanderError } from 'commander';
import { createKubePorts } from '../kube/index.ts';
import { COMMANDS } from './commands.ts';
import { addCommandHelp, addProgramHelp } from './help-texts.ts';
import { describeArgument, describeOption } from './help.ts';
import { nodeInputFs, readStdinCapped } from './input-io.ts';
import type { CliCommand } from './command.ts';
import { EXIT_OK, EXIT_USAGE, UsageError, writeError } from './context.ts';
import { wantsColor } from '../report/color.ts';
import type { CliDeps, CliIo, ClusterOptions, RestorePlanPorts } from './context.ts';
import type { PodLister } from '../run/ports.ts';
import { programName } from './program-name.ts';
import { renderVersion, versionInfo } from './version.ts';
import { terminalSafe } from '../report/terminal-text.ts';

/**
 * A process stream that a closed reader cannot crash. When the reader goes away (`kubehooks … | head`),
 * writes fail with EPIPE: from then on output is dropped without a word, as well-behaved CLIs do, and
 * the command carries on, so its exit status still says what happened (the hooks ran or not). Any
 * other write error (a full disk) is said once on stderr. The listener stays for the process's life.
 */
function guardedSink(stream: NodeJS.WriteStream, name: string): { write(text: string): void } {
  const state = sinkStates.get(stream) ?? { closed: false };
  if (!sinkStates.has(stream)) {
    sinkStates.set(stream, state);
    stream.on('error', (error: NodeJS.ErrnoException) => {
      const wasClosed = state.closed;
      state.closed = true;
      if (wasClosed || error.code === 'EPIPE' || stream === process.stderr) return;
      process.stderr.write(`error: cannot write to ${name}: ${terminalSafe(error.message)}\n`);
    });
  }
  return {
    write: (text) => {
      if (!state.closed && !stream.destroyed) stream.write(text);
    },
  };
}
const sinkStates = new WeakMap<NodeJS.WriteStream, { closed: boolean }>();

export function processIo(): CliIo {
  return {
    stdout: guardedSink(process.stdout, 'stdout'),
    stderr: guardedSink(process.stderr, 'stderr'),
    readStdin: readStdinCapped,
    fs: nodeInputFs,
    stderrIsTTY: process.stderr.isTTY,
    stdoutIsTTY: process.stdout.isTTY,
    env: process.env,
  };
}

/** Velero's generated name: `velero-restore-init-` + the first 8 hex digits of a UUIDv4. */
export function randomInitName(): string {
  return `velero-restore-init-${randomUUID().slice(0, 8)}`;
}

/** `plan` without PATH lists pods through src/kube; the connection is released after the one list. */
async function clusterPodLister(options: ClusterOptions): Promise<PodLister & { readonly namespace: string }> {
  await Promise.resolve();
  const ports = createKubePorts({
    ...(options.kubeconfig !== undefined ? { kubeconfigPath: options.kubeconfig } : {}),
    ...(options.context !== undefined ? { context: options.context } : {}),
  });
  return {
    namespace: ports.namespace,
    list: async (scope, signal) => {
      try {
        return await ports.lister.list(scope, signal);
      } finally {
        ports.close();
      }
    },
  };
}

/** `plan --from-restore`: one connection for the Restore, the pods and their owners, closed by the caller. */
async function clusterRestoreReader(options: ClusterOptions): Promise<RestorePlanPorts> {
  await Promise.resolve();
  const ports = createKubePorts({
    ...(options.kubeconfig !== undefined ? { kubeconfigPath: options.kubeconfig } : {}),
    ...(options.context !== undefined ? { context: options.context } : {}),
  });
  return {
    lister: ports.lister,
    restores: ports.restores,
    close: () => {
      ports.close();
    },
  };
}

export interface MainOverrides {
  readonly io?: Partial<CliIo>;
  readonly deps?: Partial<Omit<CliDeps, 'io'>>;
  /** Replaces the registered commands (tests). */
  readonly commands?: readonly CliCommand[];
  /** The name in usage and help (default: programName()). */
  readonly name?: string;
}

/** CLI entry: parses argv, dispatches to one command module, returns the exit code. Never throws. */
export async function main(argv: readonly string[], overrides: MainOverrides = {}): Promise<number> {
  // A test that replaces stdout is not writing to this process's terminal.
  const replacedStdout = overrides.io?.stdout !== undefined && overrides.io.stdoutIsTTY === undefined;
  const io: CliIo = { ...processIo(), ...overrides.io, ...(replacedStdout ? { stdoutIsTTY: false } : {}) };
  let deps: CliDeps = {
    generateInitName: randomInitName,
    createPodLister: clusterPodLister,
    createRestoreReader: clusterRestoreReader,
    signal: new AbortController().signal,
    ...overrides.deps,
    io,
  };
  let exitCode = EXIT_OK;
  const program = new Command(overrides.name ?? programName())
    .description('Application-consistency hooks for Kubernetes, compatible with Velero hook annotations and spec.hooks')
    .option('-V, --version', 'print the version, the commit it was built from, and the Node and client-node versions')
    .option('--no-color', 'no colour in the output (also: NO_COLOR set to anything; colour is only ever used on a terminal)')
    .on('option:version', () => {
      io.stdout.write(renderVersion(versionInfo()));
      throw new CommanderError(0, 'commander.version', 'version printed');
    })
    .exitOverride()
    .configureHelp({ optionDescription: describeOption, argumentDescription: describeArgument })
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (t) => {
        io.stdout.write(t);
      },
      writeErr: (t) => {
        io.stderr.write(t);
      },
    });
  // Colour is known once the flags are parsed: commands read ctx.deps when their action runs.
  program.hook('preAction', () => {
    const flag = program.opts<{ color?: boolean }>().color !== false;
    const color = { stdout: wantsColor(io.stdoutIsTTY === true, flag, io.env), stderr: wantsColor(io.stderrIsTTY, flag, io.env) };
    deps = { ...deps, io: { ...deps.io, color } };
  });
  const ctx = {
    get deps(): CliDeps {
      return deps;
    },
    setExitCode: (code: number) => (exitCode = code),
  };
  for (const command of overrides.commands ?? COMMANDS) command.register(program, ctx);
  addProgramHelp(program);
  addCommandHelp(program);

  try {
    if (argv.length === 0) {
      program.outputHelp({ error: true });
      return EXIT_USAGE;
    }
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are "errors" only to commander; it has already printed the message.
      return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (err instanceof UsageError) {
      writeError(deps.io, terminalSafe(err.message));
      return EXIT_USAGE;
    }
    const message = err instanceof Error ? err.message : String(err);
    writeError(deps.io, `internal error: ${terminalSafe(message)}\n(this is a bug; please report it with the command line)`);
    return 70;
  }
}
