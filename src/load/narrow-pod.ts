import type { ContainerSpec } from '../model/hook.ts';
import type { PodManifest } from '../model/pod.ts';
import type { Severity } from '../model/diagnostic.ts';
import { isRecord } from '../util/is-record.ts';

/** A problem found while narrowing a manifest; `key` is a pod-relative path or an annotation key. */
export interface NarrowProblem {
  readonly code: string;
  readonly severity: Severity;
  readonly key: string;
  readonly message: string;
  readonly hint: string;
}

function withoutKeys(record: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([k]) => !keys.includes(k)));
}

function stringMap(
  value: unknown,
  what: 'annotations' | 'labels',
  problems: NarrowProblem[],
): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) {
    problems.push({
      code: 'manifest-invalid', severity: 'error', key: `metadata.${what}`,
      message: `metadata.${what} is not a mapping`,
      hint: `Write metadata.${what} as key: "value" pairs.`,
    });
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string') {
      out[k] = v;
    } else {
      const scalar = typeof v === 'number' || typeof v === 'boolean';
      problems.push({
        code: what === 'annotations' ? 'annotation-not-string' : 'label-not-string',
        severity: 'error',
        key: what === 'annotations' ? k : `metadata.labels["${k}"]`,
        message: `${what === 'annotations' ? 'annotation' : 'label'} ${k} is ${v === null ? 'null' : `a ${Array.isArray(v) ? 'list' : typeof v}`}, not a string; the API server rejects the manifest`,
        hint: scalar
          ? `Quote the value: ${k}: "${String(v)}".`
          : `Give ${k} a string value (for a command, a JSON array in quotes: '["/bin/sh","-c","..."]').`,
      });
      // Keep linting as if it had been quoted, so the other rules still see it.
      if (scalar) out[k] = String(v);
    }
  }
  return out;
}

function containers(value: unknown, field: 'containers' | 'initContainers', problems: NarrowProblem[]): ContainerSpec[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    problems.push({
      code: 'manifest-invalid', severity: 'error', key: `spec.${field}`,
      message: `spec.${field} is not a list`, hint: `Write spec.${field} as a list of containers (- name: ...).`,
    });
    return [];
  }
  const out: ContainerSpec[] = [];
  value.forEach((c: unknown, i) => {
    if (isRecord(c) && typeof c['name'] === 'string' && c['name'] !== '') {
      out.push(c as ContainerSpec);
    } else {
      problems.push({
        code: 'manifest-invalid', severity: 'error', key: `spec.${field}[${i}]`,
        message: `spec.${field}[${i}] has no name`,
        hint: 'Every container needs a non-empty name; hooks select containers by name.',
      });
    }
  });
  return out;
}

/**
 * Narrows a pod (or pod template: `metadata` + `spec`) to PodManifest. Keeps unknown fields.
 * Returns undefined only when there is no spec mapping to read.
 */
export function narrowPod(
  raw: Record<string, unknown>,
  name: string,
  namespace: string | undefined,
  problems: NarrowProblem[],
): PodManifest | undefined {
  const metadata = isRecord(raw['metadata']) ? raw['metadata'] : {};
  const spec = raw['spec'];
  if (!isRecord(spec)) {
    problems.push({
      code: 'manifest-invalid', severity: 'error', key: 'spec',
      message: 'spec is missing or not a mapping, so there is no pod to hook', hint: 'Add spec.containers; hooks run in the containers of a pod.',
    });
    return undefined;
  }
  const annotations = stringMap(metadata['annotations'], 'annotations', problems);
  const labels = stringMap(metadata['labels'], 'labels', problems);
  const mainContainers = containers(spec['containers'], 'containers', problems);
  if (mainContainers.length === 0 && Array.isArray(spec['containers']) && spec['containers'].length === 0) {
    problems.push({
      code: 'manifest-invalid', severity: 'error', key: 'spec.containers',
      message: 'spec.containers is empty', hint: 'A pod needs at least one container.',
    });
  } else if (spec['containers'] === undefined) {
    problems.push({
      code: 'manifest-invalid', severity: 'error', key: 'spec',
      message: 'spec.containers is missing', hint: 'A pod needs at least one container.',
    });
  }
  const hasInit = spec['initContainers'] !== undefined && spec['initContainers'] !== null;
  const initContainers = containers(spec['initContainers'], 'initContainers', problems);
  const uid = typeof metadata['uid'] === 'string' ? metadata['uid'] : undefined;
  const nodeName = typeof spec['nodeName'] === 'string' ? spec['nodeName'] : undefined;
  const status = isRecord(raw['status']) ? raw['status'] : undefined;
  return {
    ...raw,
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      // The raw labels/annotations are replaced by their narrowed maps (or dropped: `annotations: null`
      // must not reach the core, which trusts the PodManifest type).
      ...withoutKeys(metadata, ['labels', 'annotations']),
      name,
      ...(namespace !== undefined ? { namespace } : {}),
      ...(uid !== undefined ? { uid } : {}),
      ...(labels !== undefined ? { labels } : {}),
      ...(annotations !== undefined ? { annotations } : {}),
    },
    spec: {
      ...spec,
      containers: mainContainers,
      ...(hasInit ? { initContainers } : {}),
      ...(nodeName !== undefined ? { nodeName } : {}),
    },
    ...(status !== undefined ? { status } : {}),
  };
}
