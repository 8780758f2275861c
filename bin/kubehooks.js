#!/usr/bin/env node
// Entry point. Runs the TypeScript sources directly (Node >= 22.18 strips types natively).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `kubehooks needs Node >= 22.18 (this is ${process.version}). ` +
      'Run it through npm scripts (npm run kubehooks -- ...), which use the Node 22 from node_modules/.bin, ' +
      'or install Node 22.\n',
  );
  process.exit(2);
}
// V8's memory settings for run/thaw (docs/adr/0025), before other modules allocate.
await import('../src/cli/memory-defaults-start.ts');
// Before anything imports client-node: its kubeconfig module's unused dependencies load on first use.
const { deferClientNodeDependencies } = await import('../src/kube/defer-client-node.ts');
deferClientNodeDependencies();
const { main } = await import('../src/cli/main.ts');
// A checkout has the local control plane (scripts/cluster) that `kubehooks demo` runs on.
const loadDemoPlatform = async () => (await import('../scripts/cluster/demo-platform.ts')).demoPlatform;
process.exitCode = await main(process.argv.slice(2), { deps: { loadDemoPlatform } });
