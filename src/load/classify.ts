import type { Diagnostic, ObjectRef } from '../model/diagnostic.ts';
import { parseKeyPath } from './key-path.ts';
import type { PathSegment } from './key-path.ts';
import { objectDiagnostic } from './source.ts';
import type { LoadedObject, Workload } from './loaded-object.ts';
import { narrowPod } from './narrow-pod.ts';
import { isRecord } from '../util/is-record.ts';
import type { NarrowProblem } from './narrow-pod.ts';
import type { ParsedDocument } from './parse-documents.ts';
import type { Position } from './positions.ts';

/** Workload kinds whose pod template gets hooks, and where the template lives. */
export const WORKLOAD_TEMPLATE_PATHS: Readonly<Record<string, readonly PathSegment[]>> = {
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  ReplicationController: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

const VELERO_KINDS = { Backup: 'backup', Schedule: 'backup', Restore: 'restore' } as const;

export interface ClassifyResult {
  readonly objects: readonly LoadedObject[];
  readonly diagnostics: readonly Diagnostic[];
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function getIn(value: unknown, path: readonly PathSegment[]): unknown {
  let v = value;
  for (const seg of path) {
    if (typeof seg === 'number') v = Array.isArray(v) ? (v as unknown[])[seg] : undefined;
    else v = isRecord(v) ? v[seg] : undefined;
  }
  return v;
}

/** Turns one decoded document into loaded objects (Lists are flattened). */
export function classifyDocument(doc: ParsedDocument): ClassifyResult {
  const objects: LoadedObject[] = [];
  const diagnostics: Diagnostic[] = [];
  visit(doc, doc.value, [], 0, objects, diagnostics);
  return { objects, diagnostics };
}

function visit(
  doc: ParsedDocument,
  value: unknown,
  path: readonly PathSegment[],
  listDepth: number,
  objects: LoadedObject[],
  diagnostics: Diagnostic[],
): void {
  if (!isRecord(value)) return; // empty documents, comments-only files, scalars: nothing to do
  const kind = str(value['kind']);
  const apiVersion = str(value['apiVersion']);
  const metadata = isRecord(value['metadata']) ? value['metadata'] : {};
  const ref: ObjectRef = { kind, namespace: str(metadata['namespace']), name: str(metadata['name']) || str(metadata['generateName']) };
  const origin = { file: doc.file, document: doc.index, path };

  if (kind.endsWith('List') && Array.isArray(value['items']) && listDepth < 2) {
    value['items'].forEach((item: unknown, i) => {
      visit(doc, item, [...path, 'items', i], listDepth + 1, objects, diagnostics);
    });
    return;
  }

  const templatePath = WORKLOAD_TEMPLATE_PATHS[kind];
  if (kind === 'Pod' || templatePath !== undefined) {
    const podPath = templatePath ?? [];
    const template = templatePath === undefined ? value : getIn(value, templatePath);
    const locate = makeLocate(doc, path, podPath, template);
    if (!isRecord(template)) {
      diagnostics.push(problemDiagnostic(doc.file, ref, locate, {
        code: 'manifest-invalid', severity: 'error', key: '',
        message: `${podPath.join('.')} (the pod template) is missing or not a mapping`,
        hint: 'Add the pod template; its annotations are what hooks read.',
      }));
      return;
    }
    const problems: NarrowProblem[] = [];
    const pod = narrowPod(template, ref.name || '<unnamed>', ref.namespace === '' ? undefined : ref.namespace, problems);
    for (const p of problems) diagnostics.push(problemDiagnostic(doc.file, ref, locate, p));
    if (pod === undefined) return;
    const workload: Workload | undefined =
      templatePath === undefined ? undefined : { kind, name: ref.name, templatePath };
    objects.push({ type: 'pod', ref, origin, raw: value, locate, pod, workload });
    return;
  }

  const veleroType = apiVersion.startsWith('velero.io/') && Object.hasOwn(VELERO_KINDS, kind)
    ? VELERO_KINDS[kind as keyof typeof VELERO_KINDS]
    : undefined;
  const locate = makeLocate(doc, path, [], value);
  if (veleroType !== undefined) {
    objects.push({ type: veleroType, kind: kind as 'Backup' | 'Schedule' | 'Restore', ref, origin, raw: value, locate });
    return;
  }
  objects.push({ type: 'other', ref, origin, raw: value, locate });
}

function problemDiagnostic(
  file: string,
  ref: ObjectRef,
  locate: (key: string) => Position,
  p: NarrowProblem,
): Diagnostic {
  return objectDiagnostic(file, ref, locate(p.key), p.code, p.severity, p.key, p.message, p.hint);
}

/**
 * `key` is an annotation key when the pod (template) has that annotation or it does not read as a
 * path; otherwise a path relative to the pod (or object). Paths under `spec` / `metadata` of a
 * workload's pod are mapped into its template.
 */
function makeLocate(
  doc: ParsedDocument,
  objectPath: readonly PathSegment[],
  podPath: readonly PathSegment[],
  podValue: unknown,
): (key: string) => Position {
  const base = [...objectPath, ...podPath];
  const annotations = getIn(podValue, ['metadata', 'annotations']);
  return (key: string): Position => {
    if (key === '') return doc.positions.at(objectPath);
    const isAnnotation = isRecord(annotations) && Object.hasOwn(annotations, key);
    const path = isAnnotation ? undefined : parseKeyPath(key);
    if (path === undefined) return doc.positions.at([...base, 'metadata', 'annotations', key]);
    // Paths that start outside the pod template (e.g. `spec.replicas` of a Deployment) stay object-relative.
    if (podPath.length > 0 && !doc.positions.has([...base, ...path]) && doc.positions.has([...objectPath, ...path])) {
      return doc.positions.at([...objectPath, ...path]);
    }
    return doc.positions.at([...base, ...path]);
  };
}
