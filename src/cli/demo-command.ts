import type { CliCommand, CommandContext } from './command.ts';
import { EXIT_USAGE } from './context.ts';
import { DEMO_NEEDS_CHECKOUT } from './demo-platform.ts';

/**
 * `kubehooks demo`. Registered without loading it: the demo runs on a local control plane, which only
 * a checkout has (CliDeps.loadDemoPlatform, set by bin/kubehooks.js) and no other command needs.
 */
export const demoCommand: CliCommand = {
  name: 'demo',
  register(program, ctx: CommandContext) {
    program
      .command('demo')
      .description('run backup and post-restore hooks of a sample app on a built-in local control plane, then tear it down')
      .action(async () => {
        if (ctx.deps.loadDemoPlatform === undefined) {
          ctx.deps.io.stderr.write(DEMO_NEEDS_CHECKOUT);
          ctx.setExitCode(EXIT_USAGE);
          return;
        }
        const platform = await ctx.deps.loadDemoPlatform();
        const { runDemo } = await import('./demo.ts');
        ctx.setExitCode(await runDemo(ctx.deps, { platform }));
      });
  },
};
