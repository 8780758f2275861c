import { HOOK_ANNOTATION_PREFIXES } from '../../velero/annotation-settings.ts';
import { defineRule, type LintRule } from '../rule.ts';
import { isRecord } from '../../util/is-record.ts';

/** Hook annotations on a workload's own metadata (or any non-pod object): Velero only reads pods. */
export const annotationOnNonPod: LintRule = defineRule({
  code: 'annotation-on-non-pod',
  severity: 'warning',
  summary: 'Hook annotations on an object that is not a pod: Velero never reads them.',
  hint: 'Move the annotations to the pod template: spec.template.metadata.annotations (CronJob: spec.jobTemplate.spec.template.metadata.annotations).',
}, {
  *object(object) {
    if (object.type === 'pod' && object.workload === undefined) return;
    const metadata = object.raw['metadata'];
    const annotations = isRecord(metadata) ? metadata['annotations'] : undefined;
    if (!isRecord(annotations)) return;
    for (const key of Object.keys(annotations)) {
      if (!HOOK_ANNOTATION_PREFIXES.some((p) => key.startsWith(p))) continue;
      const where = object.type === 'pod' ? `the ${object.ref.kind}'s own metadata, not on its pod template` : `a ${object.ref.kind || 'non-pod object'}`;
      yield {
        object, key: `metadata.annotations[${JSON.stringify(key)}]`,
        message: `hook annotation ${key} is on ${where}; Velero only reads hook annotations from pods, so it has no effect`,
        ...(object.type === 'pod' ? {} : { hint: 'Put hook annotations on the pods (or the pod template of the workload that creates them).' }),
      };
    }
  },
});
