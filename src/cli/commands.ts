import type { CliCommand } from './command.ts';
import { completionCommand } from './completion.ts';
import { demoCommand } from './demo-command.ts';
import { injectCommand } from './inject.ts';
import { lintCommand } from './lint.ts';
import { planCommand } from './plan.ts';
import { runCommand } from './run.ts';
import { thawCommand } from './thaw.ts';
import { manifestsCommand } from './manifests.ts';
import { policyCommand } from './policy.ts';
import { webhookCommand } from './webhook.ts';
import { controllerCommand } from './controller.ts';

/** Every CLI command, in help order. To add one: import its module and add it here. */
export const COMMANDS: readonly CliCommand[] = [
  lintCommand,
  planCommand,
  injectCommand,
  runCommand,
  thawCommand,
  demoCommand,
  webhookCommand,
  controllerCommand,
  manifestsCommand,
  policyCommand,
  completionCommand,
];
