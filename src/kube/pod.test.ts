import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toPodManifest } from './pod.ts';

const livePod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'web-0',
    namespace: 'app',
    uid: 'u1',
    resourceVersion: '42',
    labels: { app: 'web' },
    annotations: { 'post.hook.restore.velero.io/command': '["true"]' },
    creationTimestamp: '2026-11-25T00:00:00Z',
    managedFields: [{ manager: 'kwok', operation: 'Update', fieldsV1: { 'f:status': {} } }],
  },
  spec: {
    containers: [{ name: 'app', image: 'nginx', readinessProbe: { exec: { command: ['true'] } }, volumeMounts: [{ name: 'v' }] }],
    initContainers: [{ name: 'sidecar', image: 'envoy', restartPolicy: 'Always' }],
    ephemeralContainers: [{ name: 'debug', image: 'busybox' }],
    nodeName: 'node-1',
    volumes: [{ name: 'v', projected: {} }, { name: 'data', persistentVolumeClaim: { claimName: 'data-web-0', readOnly: true } }, { name: 'scratch', ephemeral: { volumeClaimTemplate: { spec: {} } } }],
    tolerations: [{ key: 'k' }],
  },
  status: {
    phase: 'Running',
    podIP: '10.0.0.1',
    conditions: [{ type: 'Ready', status: 'True' }],
    containerStatuses: [
      { name: 'app', ready: true, started: true, restartCount: 0, image: 'nginx', imageID: 'x', state: { running: { startedAt: 't' } } },
    ],
    initContainerStatuses: [{ name: 'sidecar', ready: false, image: 'envoy', state: { waiting: { reason: 'PodInitializing' } } }],
  },
};

void test('toPodManifest keeps what hooks read and drops the rest (managedFields, volumes not backed by a PVC, images, conditions)', () => {
  assert.deepEqual(toPodManifest(livePod), {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web-0',
      namespace: 'app',
      uid: 'u1',
      resourceVersion: '42',
      labels: { app: 'web' },
      annotations: { 'post.hook.restore.velero.io/command': '["true"]' },
    },
    spec: {
      containers: [{ name: 'app', readinessProbe: { exec: { command: ['true'] } } }],
      initContainers: [{ name: 'sidecar', restartPolicy: 'Always' }],
      ephemeralContainers: [{ name: 'debug' }],
      nodeName: 'node-1',
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data-web-0' } }, { name: 'scratch', ephemeral: {} }],
    },
    status: {
      phase: 'Running',
      containerStatuses: [{ name: 'app', ready: true, started: true, restartCount: 0, state: { running: { startedAt: 't' } } }],
      initContainerStatuses: [{ name: 'sidecar', ready: false, state: { waiting: { reason: 'PodInitializing' } } }],
    },
  });
});

void test('toPodManifest: a pod without status or optional lists has none', () => {
  const pod = toPodManifest({ metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }] } });
  assert.deepEqual(pod, { metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }] } });
});

void test('toPodManifest rejects what hooks cannot use', () => {
  for (const bad of [
    null,
    { metadata: { name: '' }, spec: { containers: [] } },
    { metadata: { name: 'p', labels: { a: 1 } }, spec: { containers: [] } },
    { metadata: { name: 'p' }, spec: { containers: [{}] } },
    { metadata: { name: 'p' }, spec: { containers: [] }, status: { phase: 3 } },
  ]) {
    assert.equal(toPodManifest(bad), undefined, JSON.stringify(bad));
  }
});
