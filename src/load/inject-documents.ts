import { Document, isCollection } from 'yaml';
import { injectInitHooks } from '../inject/inject.ts';
import type { RestoreHooks } from '../velero/spec.ts';
import type { LoadedDocument } from './load.ts';
import type { LoadedPod } from './loaded-object.ts';
import { describeObject } from './loaded-object.ts';

export interface InjectFailure {
  readonly object: LoadedPod;
  readonly message: string;
}

export interface InjectDocumentsResult {
  /** Every document, as YAML, separated by `---`; pods and pod templates with init hooks applied. */
  readonly text: string;
  /** Pods whose restore Velero would fail (left unchanged in the output). */
  readonly failures: readonly InjectFailure[];
  /** How many pods or templates got init containers. */
  readonly changed: number;
}

/**
 * Pure: applies restore init hooks to every Pod and workload template of the loaded documents and
 * writes the documents back as YAML. Only `initContainers` is replaced, so comments and layout of
 * YAML input survive; JSON input comes out as YAML. Non-pod documents pass through unchanged.
 */
export function injectDocuments(
  documents: readonly LoadedDocument[],
  restore: RestoreHooks,
  opts: { readonly generateName: () => string },
): InjectDocumentsResult {
  const failures: InjectFailure[] = [];
  let changed = 0;
  const out: string[] = [];
  for (const { parsed, objects } of documents) {
    // Edit a copy of a block-style YAML document (keeps comments); JSON and flow-style input is
    // rebuilt from its value so the output reads as ordinary YAML.
    const source = parsed.format === 'yaml' ? parsed.yaml : undefined;
    const flow = source !== undefined && isCollection(source.contents) && source.contents.flow === true;
    const doc = source !== undefined && !flow ? source.clone() : new Document(parsed.value);
    for (const object of objects) {
      if (object.type !== 'pod') continue;
      const result = injectInitHooks(object.pod, restore, opts);
      if (result.error !== undefined) {
        failures.push({ object, message: `${describeObject(object.ref)}: ${result.error}` });
        continue;
      }
      const before = object.pod.spec.initContainers ?? [];
      const after = result.pod.spec.initContainers ?? [];
      if (JSON.stringify(before) === JSON.stringify(after)) continue;
      changed += 1;
      const path = [...object.origin.path, ...(object.workload?.templatePath ?? []), 'spec', 'initContainers'];
      doc.setIn(path, doc.createNode(after));
    }
    let text = doc.toString({ lineWidth: 0 });
    if (!text.endsWith('\n')) text += '\n';
    out.push(text);
  }
  return { text: out.map((t) => (t.startsWith('---') ? t : `---\n${t}`)).join(''), failures, changed };
}
