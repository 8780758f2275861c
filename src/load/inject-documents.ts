import { Document, isMap, isScalar, isSeq, stringify, type Node } from 'yaml';
import { injectInitHooks, RESTORE_WAIT_CONTAINER } from '../inject/inject.ts';
import { dns1123LabelError, podSpecProblems } from '../inject/validate-pod.ts';
import type { ContainerSpec } from '../model/hook.ts';
import type { RestoreHooks } from '../velero/spec.ts';
import type { LoadedDocument } from './load.ts';
import type { LoadedObject, LoadedPod } from './loaded-object.ts';
import { describeObject } from './loaded-object.ts';
import type { PathSegment } from './key-path.ts';

export interface InjectFailure {
  readonly object: LoadedPod;
  readonly message: string;
}

/** Something the API server would refuse in the output; inject then writes nothing (exit 1). */
export interface InjectProblem {
  readonly object: LoadedObject;
  /** Path relative to the object (for pod templates: including the template path). */
  readonly key: string;
  readonly container: string | undefined;
  readonly message: string;
}

export interface InjectDocumentsResult {
  /** Every document, as YAML, separated by `---`; pods and pod templates with init hooks applied. */
  readonly text: string;
  /** Pods whose restore Velero would fail (left unchanged in the output). */
  readonly failures: readonly InjectFailure[];
  /** What the API server would refuse in the output; when non-empty the output must not be applied. */
  readonly problems: readonly InjectProblem[];
  /** How many pods or templates got init containers. */
  readonly changed: number;
  /** How many objects namespaceMapping moved to another namespace. */
  readonly moved: number;
}

interface Edit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

const YAML11_SPECIAL = /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|~|[-+]?[0-9._]+(?:e[-+]?[0-9]+)?)$/;

/** A namespace value written in the style of the scalar it replaces. */
function scalarText(value: string, type: string | undefined): string {
  if (type === 'QUOTE_SINGLE') return `'${value.replaceAll("'", "''")}'`;
  if (type === 'QUOTE_DOUBLE' || YAML11_SPECIAL.test(value) || !/^[a-z0-9][-a-z0-9.]*$/.test(value)) return JSON.stringify(value);
  return value;
}

function flowItem(container: ContainerSpec): string {
  return stringify(container, { collectionStyle: 'flow', flowCollectionPadding: false, lineWidth: 0 }).trimEnd();
}

function blockItems(containers: readonly ContainerSpec[], indent: string): string {
  const text = stringify(containers, { lineWidth: 0 });
  return text.split('\n').filter((l) => l !== '').map((l) => `${indent}${l}\n`).join('');
}

function lineStart(text: string, at: number): number {
  return text.lastIndexOf('\n', at - 1) + 1;
}

/** The `- ` of a block sequence item: the whitespace before it on its line, and where that line starts. */
function dashLine(text: string, itemStart: number): { start: number; indent: string } | undefined {
  let i = itemStart - 1;
  while (i >= 0 && (text[i] === ' ' || text[i] === '\t')) i--;
  if (text[i] !== '-') return undefined;
  const start = lineStart(text, i);
  const indent = text.slice(start, i);
  return /^[ ]*$/.test(indent) ? { start, indent } : undefined;
}

/**
 * Text edits that put `after` (= front + added + rest of the original list) in place of the pod's
 * initContainers, leaving every byte of the original items as written. undefined = not expressible
 * as an edit here (the caller rebuilds the document instead).
 */
function initContainerEdits(
  doc: Document,
  text: string,
  podPath: readonly PathSegment[],
  front: number,
  added: readonly ContainerSpec[],
): Edit[] | undefined {
  const seq = doc.getIn([...podPath, 'spec', 'initContainers'], true) as Node | undefined;
  if (seq === undefined || (isScalar(seq) && seq.value === null)) {
    // No initContainers key: add one in front of `containers:` in a block mapping.
    const spec = doc.getIn([...podPath, 'spec'], true);
    if (!isMap(spec) || spec.flow === true) return undefined;
    const pair = spec.items.find((p) => isScalar(p.key) && p.key.value === 'containers');
    const keyStart = pair !== undefined && isScalar(pair.key) ? pair.key.range?.[0] : undefined;
    if (keyStart === undefined || (seq !== undefined && isScalar(seq))) return undefined;
    const start = lineStart(text, keyStart);
    const indent = text.slice(start, keyStart);
    if (!/^[ ]*$/.test(indent)) return undefined;
    return [{ start, end: start, text: `${indent}initContainers:\n${blockItems(added, `${indent}  `)}` }];
  }
  if (!isSeq(seq) || seq.range === undefined || seq.range === null) return undefined;
  const items = seq.items;
  const ranges = items.map((item) => (isMap(item) || isScalar(item) || isSeq(item) ? item.range : undefined));
  if (ranges.some((r) => r === undefined || r === null)) return undefined;
  if (seq.flow === true) {
    const source = ranges.map((r) => text.slice(r?.[0] ?? 0, r?.[1] ?? 0));
    const all = [...source.slice(0, front), ...added.map(flowItem), ...source.slice(front)];
    return [{ start: seq.range[0], end: seq.range[1], text: `[${all.join(', ')}]` }];
  }
  const anchor = ranges[front];
  if (anchor !== undefined && anchor !== null) {
    const line = dashLine(text, anchor[0]);
    if (line === undefined) return undefined;
    return [{ start: line.start, end: line.start, text: blockItems(added, line.indent) }];
  }
  // Append after the last item (only restore-wait was there).
  const last = ranges[ranges.length - 1];
  if (last === undefined || last === null) return undefined;
  const line = dashLine(text, last[0]);
  if (line === undefined) return undefined;
  const eol = text.indexOf('\n', last[1] - 1);
  const at = eol < 0 ? text.length : eol + 1;
  return [{ start: at, end: at, text: `${eol < 0 ? '\n' : ''}${blockItems(added, line.indent)}` }];
}

function namespaceEdit(doc: Document, path: readonly PathSegment[], target: string): Edit | undefined {
  const node = doc.getIn([...path, 'metadata', 'namespace'], true);
  if (!isScalar(node) || node.range === undefined || node.range === null || typeof node.value !== 'string') return undefined;
  return { start: node.range[0], end: node.range[1], text: scalarText(target, node.type) };
}

function applyEdits(text: string, start: number, end: number, edits: readonly Edit[]): string {
  let out = '';
  let at = start;
  for (const e of [...edits].sort((a, b) => a.start - b.start)) {
    out += text.slice(at, e.start) + e.text;
    at = e.end;
  }
  return out + text.slice(at, end);
}

function claimTemplateNames(object: LoadedPod): string[] {
  if (object.workload?.kind !== 'StatefulSet') return [];
  const spec = object.raw['spec'];
  const list = typeof spec === 'object' && spec !== null ? (spec as Record<string, unknown>)['volumeClaimTemplates'] : undefined;
  if (!Array.isArray(list)) return [];
  return list.flatMap((t: unknown) => {
    const meta = typeof t === 'object' && t !== null ? (t as Record<string, unknown>)['metadata'] : undefined;
    const name = typeof meta === 'object' && meta !== null ? (meta as Record<string, unknown>)['name'] : undefined;
    return typeof name === 'string' ? [name] : [];
  });
}

function objectNamespace(object: LoadedObject): string | undefined {
  const meta = object.raw['metadata'];
  const ns = typeof meta === 'object' && meta !== null ? (meta as Record<string, unknown>)['namespace'] : undefined;
  return typeof ns === 'string' && ns !== '' ? ns : undefined;
}

/** The document rebuilt by the yaml package; JSON-like input as block YAML, the rest keeping its flow collections. */
function rebuiltText(doc: Document, asBlock: boolean): string {
  if (asBlock) return new Document(doc.toJS()).toString({ lineWidth: 0 });
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/**
 * Pure: what Velero would restore from the loaded documents: restore init hooks applied to every Pod
 * and workload template, and every object moved to its target namespace (namespaceMapping). YAML
 * input is edited in place, so every byte the restore does not change (flow style, quotes,
 * comments) stays as written; JSON input, and YAML whose layout an edit cannot express, comes out
 * rebuilt as YAML. Non-pod documents pass through, moved if mapped. `problems` lists what the API
 * server would refuse (duplicate container names, mounts of undefined volumes, invalid names).
 */
export function injectDocuments(
  documents: readonly LoadedDocument[],
  restore: RestoreHooks,
  opts: { readonly generateName: () => string },
): InjectDocumentsResult {
  const failures: InjectFailure[] = [];
  const problems: InjectProblem[] = [];
  let changed = 0;
  let moved = 0;
  const out: string[] = [];
  const mapping = restore.namespaceMapping;
  for (const { parsed, objects } of documents) {
    const source = parsed.format === 'yaml' ? parsed.yaml : undefined;
    const edits: Edit[] = [];
    // JSON, and YAML written as one flow mapping (JSON-like), come out as ordinary block YAML.
    const topFlow = source !== undefined && isMap(source.contents) && source.contents.flow === true;
    let rebuild = source === undefined || parsed.source === undefined || topFlow;
    const doc = source !== undefined ? source.clone() : new Document(parsed.value);
    for (const object of objects) {
      const ns = objectNamespace(object);
      const target = ns !== undefined && Object.hasOwn(mapping, ns) ? mapping[ns] : undefined;
      if (ns !== undefined && target !== undefined && target !== ns) {
        moved += 1;
        const bad = dns1123LabelError(target);
        if (bad !== undefined) {
          problems.push({ object, key: 'metadata.namespace', container: undefined, message: `spec.namespaceMapping moves it to namespace ${JSON.stringify(target)}: metadata.namespace: Invalid value: ${bad}` });
        }
        const edit = source === undefined ? undefined : namespaceEdit(source, object.origin.path, target);
        if (edit === undefined) rebuild = true;
        else edits.push(edit);
        doc.setIn([...object.origin.path, 'metadata', 'namespace'], target);
      }
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
      const front = before[0]?.name === RESTORE_WAIT_CONTAINER ? 1 : 0;
      const added = after.slice(front, front + after.length - before.length);
      const injected = new Set(added.map((_, i) => front + i));
      const templatePath = object.workload?.templatePath ?? [];
      const prefix = templatePath.length === 0 ? '' : `${templatePath.join('.')}.`;
      for (const p of podSpecProblems(result.pod, injected, claimTemplateNames(object))) {
        problems.push({ object, key: `${prefix}${p.key}`, container: p.container, message: p.message });
      }
      const podPath = [...object.origin.path, ...templatePath];
      const initEdits = source === undefined || parsed.source === undefined ? undefined : initContainerEdits(source, parsed.source.text, podPath, front, added);
      if (initEdits === undefined) rebuild = true;
      else edits.push(...initEdits);
      doc.setIn([...podPath, 'spec', 'initContainers'], doc.createNode(after));
    }
    let text: string;
    if (!rebuild && parsed.source !== undefined) text = applyEdits(parsed.source.text, parsed.source.start, parsed.source.end, edits);
    else text = rebuiltText(doc, topFlow || source === undefined);
    if (!text.endsWith('\n')) text += '\n';
    out.push(text);
  }
  return { text: out.map((t) => (t.startsWith('---') ? t : `---\n${t}`)).join(''), failures, problems, changed, moved };
}
