/** CLI entry: parses argv, dispatches to one command module, returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  await Promise.resolve();
  process.stderr.write(`kubehooks: no commands wired yet (${argv.join(' ')})\n`);
  return 2;
}
