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
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
