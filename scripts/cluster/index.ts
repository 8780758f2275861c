// The local control plane as a library (demo, benchmark, e2e wrapper). CLI: cli.ts; wrapper: with-cluster.ts.
export { startCluster, stopClusterAt, clusterStatus, reapStaleRuns } from './cluster.ts';
export type { Cluster, StartClusterOptions, StopOutcome } from './cluster.ts';
export { ensureBinaries, cachedBinaries, pinnedVersions, toolsDir } from './binaries.ts';
export type { Binaries, Versions } from './binaries.ts';
export * from './errors.ts';
export {
  SIM,
  DEFAULT_NODE_NAME,
  UNMANAGED_NODE_NAME,
  NODE_SELECTOR_ANNOTATION,
  NODE_SELECTOR_VALUE,
} from './simulation.ts';
export type { ClusterPorts, ClusterState } from './state.ts';
