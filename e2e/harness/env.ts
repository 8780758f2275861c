/**
 * What the e2e wrapper (scripts/cluster/with-cluster.ts) tells the tests through the environment:
 *   KUBEHOOKS_E2E_KUBECONFIG  admin kubeconfig of the cluster to test against
 *   KUBEHOOKS_E2E_SKIP        why the e2e tier is skipped (Go unavailable, KUBEHOOKS_E2E=0)
 *   KUBEHOOKS_E2E_LOCAL=1     the cluster is the wrapper's own kwok cluster
 *   KUBEHOOKS_E2E_NODE        node name for running pods (default kwok-node-0)
 */
import { DEFAULT_NODE_NAME, UNMANAGED_NODE_NAME } from '../../scripts/cluster/simulation.ts';

export function e2eKubeconfigPath(): string | undefined {
  const path = process.env['KUBEHOOKS_E2E_KUBECONFIG'];
  return path === undefined || path === '' ? undefined : path;
}

/**
 * The reason to skip e2e tests, or false when a cluster is available. Pass it as node:test's `skip`
 * option of each test (not of the describe: node counts skipped tests, not skipped suites):
 * `test('...', { skip: e2eSkipReason() }, async (t) => ...)`.
 */
export function e2eSkipReason(): string | false {
  const reason = process.env['KUBEHOOKS_E2E_SKIP'];
  if (reason !== undefined && reason !== '') return `e2e tier skipped: ${reason}`;
  if (e2eKubeconfigPath() === undefined) {
    return 'e2e tier skipped: no cluster (run through npm run test:e2e, or set KUBEHOOKS_E2E_KUBECONFIG)';
  }
  return false;
}

export function e2eNodeName(): string {
  return process.env['KUBEHOOKS_E2E_NODE'] ?? DEFAULT_NODE_NAME;
}

export { UNMANAGED_NODE_NAME };
