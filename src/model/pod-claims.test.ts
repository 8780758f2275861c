import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PodManifest } from './pod.ts';
import { podClaimNames } from './pod-claims.ts';

const pod = (volumes: unknown): PodManifest => ({ metadata: { name: 'pg-0' }, spec: { containers: [{ name: 'pg' }], volumes } });

void test('podClaimNames: PVC claim names and generic ephemeral volumes\' generated claims, in spec order; other volumes ignored', () => {
  const cases: [unknown, string[]][] = [
    [undefined, []],
    [[], []],
    [[{ name: 'tmp', emptyDir: {} }, { name: 'cfg', configMap: { name: 'c' } }], []],
    [[{ name: 'data', persistentVolumeClaim: { claimName: 'data-pg-0' } }], ['data-pg-0']],
    [[{ name: 'scratch', ephemeral: { volumeClaimTemplate: {} } }, { name: 'data', persistentVolumeClaim: { claimName: 'd' } }], ['pg-0-scratch', 'd']],
    [[{ name: 'x', persistentVolumeClaim: { claimName: '' } }, { name: 'y', persistentVolumeClaim: null }, null, 'bad'], []],
  ];
  for (const [volumes, want] of cases) assert.deepEqual(podClaimNames(pod(volumes)), want, JSON.stringify(volumes));
});
