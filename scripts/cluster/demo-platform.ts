/** The local control plane as `kubehooks demo` uses it (src/cli/demo-platform.ts); bin/kubehooks.js passes it in. */
import type { DemoPlatform } from '../../src/cli/demo-platform.ts';
import { startCluster } from './cluster.ts';
import { GoUnavailableError } from './errors.ts';
import { SIM } from './simulation.ts';

export const demoPlatform: DemoPlatform = {
  startCluster: (options) => startCluster(options),
  isGoUnavailable: (error) => error instanceof GoUnavailableError,
  sim: SIM,
};
