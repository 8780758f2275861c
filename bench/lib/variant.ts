/**
 * `--alternate LABEL:BIN:ARGS` (bench/run.ts): one variant of phase B's alternating rounds.
 *
 *   LABEL  letters, digits and -
 *   BIN    another checkout's bin/kubehooks.js (or a package's dist/kubehooks.cjs); empty = the build under bench
 *   ARGS   space-separated; each token is one of
 *            NAME=VALUE   an environment variable of the kubehooks process (NAME: A-Z, 0-9, _; an
 *                         empty VALUE sets it empty), e.g. MALLOC_ARENA_MAX=2
 *            node:FLAG    a Node/V8 flag before the script, e.g. node:--optimize-for-size
 *            anything else  a flag of `kubehooks run post-restore`, e.g. --no-events
 * Colons after BIN belong to ARGS (node:--flag=a:b stays whole).
 */
import { resolve } from 'node:path';

export interface Variant {
  readonly label: string;
  /** undefined: the build under bench. */
  readonly bin: string | undefined;
  /** Extra flags of `kubehooks run post-restore`. */
  readonly args: readonly string[];
  /** Node flags before the script (after the bench's --node-flags). */
  readonly nodeFlags: readonly string[];
  /** Set in the kubehooks process's environment (over the bench's own). */
  readonly env: Readonly<Record<string, string>>;
}

/** This build with the bench's flags: the "main" variant. */
export const MAIN_VARIANT: Variant = { label: 'main', bin: undefined, args: [], nodeFlags: [], env: {} };

const ENV_TOKEN = /^([A-Z_][A-Z0-9_]*)=(.*)$/;

export function parseVariant(spec: string): Variant {
  const [label = '', bin = '', ...rest] = spec.split(':');
  if (!/^[a-z0-9-]+$/i.test(label)) throw new Error(`--alternate: LABEL:BIN:ARGS with a label of letters, digits and -, not "${spec}"`);
  if (label === MAIN_VARIANT.label) throw new Error(`--alternate: the label "main" is the build under bench itself; name the variant otherwise ("${spec}")`);
  const args: string[] = [];
  const nodeFlags: string[] = [];
  const env: Record<string, string> = {};
  for (const token of rest.join(':').split(' ').filter((x) => x !== '')) {
    const assignment = ENV_TOKEN.exec(token);
    if (assignment !== null) env[assignment[1] ?? ''] = assignment[2] ?? '';
    else if (token.startsWith('node:')) {
      const flag = token.slice('node:'.length);
      if (!flag.startsWith('-')) throw new Error(`--alternate "${spec}": node:FLAG takes a flag such as node:--optimize-for-size, not "${token}"`);
      nodeFlags.push(flag);
    } else args.push(token);
  }
  return { label, bin: bin === '' ? undefined : resolve(bin), args, nodeFlags, env };
}
