// Test helpers for the e2e tier (tests import from here).
export { e2eContext } from './context.ts';
export type { E2eContext, PodOptions } from './context.ts';
export { e2eKubeconfigPath, e2eNodeName, e2eSkipReason, UNMANAGED_NODE_NAME } from './env.ts';
export { fakePod, simAnnotations } from './pods.ts';
export type { FakePodOptions } from './pods.ts';
export { describePod, isReady, isRunning, waitForPod, WaitTimeoutError } from './wait.ts';
export { countResources, grownSince } from './resources.ts';
export type { WaitOptions } from './wait.ts';
export { SIM, NODE_SELECTOR_ANNOTATION, NODE_SELECTOR_VALUE } from '../../scripts/cluster/simulation.ts';
