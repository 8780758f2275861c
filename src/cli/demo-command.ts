import type { CliCommand, CommandContext } from './command.ts';

/**
 * `kubehooks demo`. Registered without loading it: the demo pulls in the local control plane
 * (scripts/cluster), which no other command needs at start-up.
 */
export const demoCommand: CliCommand = {
  name: 'demo',
  register(program, ctx: CommandContext) {
    program
      .command('demo')
      .description('run backup and post-restore hooks of a sample app on a built-in local control plane, then tear it down')
      .action(async () => {
        const { runDemo } = await import('./demo.ts');
        ctx.setExitCode(await runDemo(ctx.deps));
      });
  },
};
