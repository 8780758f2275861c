/**
 * The V8 memory settings kubehooks starts with (docs/adr/0025-memory-defaults.md): for the commands
 * whose memory grows with the number of pods (`run`, `thaw`, `controller`), V8 collects the young generation while
 * it is small and the old generation close to what is live, instead of growing both into headroom.
 * Set with v8.setFlagsFromString() at the start of the process, before kubehooks' own code runs (no
 * re-exec: the flags below take effect when set after V8's heap is set up; `--max-semi-space-size`
 * would not, so the young generation is held at its starting size by not growing it).
 *
 * Not applied when `KUBEHOOKS_MEMORY_DEFAULTS=off`, nor for a flag the user chose themselves: a
 * young-generation flag in `node` flags or NODE_OPTIONS leaves the young generation alone, an
 * `--[no-]optimize-for-size` leaves the old generation alone.
 */
import v8 from 'node:v8';

/** The commands whose memory grows with the pods they act on. */
const SCALING_COMMANDS: ReadonlySet<string> = new Set(['run', 'thaw', 'controller']);

/** Old generation: grow the heap by little, collect close to the live size. */
export const OLD_GENERATION_FLAG = '--optimize-for-size';
/** Young generation: keep the semi-spaces at their starting size (1 MiB each on 64-bit). */
export const YOUNG_GENERATION_FLAG = '--semi-space-growth-factor=1';

const YOUNG_GENERATION_FLAGS = ['--max-semi-space-size', '--min-semi-space-size', '--semi-space-growth-factor', '--max-heap-size'];
const OLD_GENERATION_FLAGS = ['--optimize-for-size', '--no-optimize-for-size', '--optimize_for_size', '--no-optimize_for_size'];

export interface MemoryDefaultsInput {
  /** The CLI's arguments (process.argv.slice(2)). */
  readonly argv: readonly string[];
  /** process.execArgv: flags given to node (or a single executable's execArgv). */
  readonly execArgv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** The command name: the first argument that is not an option (the CLI's global options take no value). */
function commandOf(argv: readonly string[]): string | undefined {
  return argv.find((a) => !a.startsWith('-'));
}

/** Normalises `--max_semi_space_size=4` and `--max-semi-space-size 4` alike to the flag's name. */
function flagNames(args: readonly string[]): string[] {
  return args.filter((a) => a.startsWith('--')).map((a) => (a.split('=')[0] ?? a).replaceAll('_', '-'));
}

/** The V8 flags to set, in order; empty when none apply. Pure. */
export function memoryDefaults(input: MemoryDefaultsInput): string[] {
  const setting = (input.env['KUBEHOOKS_MEMORY_DEFAULTS'] ?? '').trim().toLowerCase();
  if (setting === 'off' || setting === '0' || setting === 'false') return [];
  const command = commandOf(input.argv);
  if (command === undefined || !SCALING_COMMANDS.has(command)) return [];
  const given = new Set(flagNames([...input.execArgv, ...(input.env['NODE_OPTIONS'] ?? '').split(/\s+/)]));
  const flags: string[] = [];
  if (!OLD_GENERATION_FLAGS.some((f) => given.has(f.replaceAll('_', '-')))) flags.push(OLD_GENERATION_FLAG);
  if (!YOUNG_GENERATION_FLAGS.some((f) => given.has(f))) flags.push(YOUNG_GENERATION_FLAG);
  return flags;
}

/** Sets memoryDefaults() for this process; returns what it set. Call before anything else runs. */
export function applyMemoryDefaults(
  input: MemoryDefaultsInput = { argv: process.argv.slice(2), execArgv: process.execArgv, env: process.env },
  set: (flag: string) => void = (flag) => {
    v8.setFlagsFromString(flag);
  },
): string[] {
  const flags = memoryDefaults(input);
  for (const flag of flags) set(flag);
  return flags;
}
