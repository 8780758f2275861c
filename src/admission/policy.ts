/**
 * `kubehooks policy`: a ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1) and its binding
 * that check, in the API server's CEL with no webhook running, what CEL can express of kubehooks
 * lint: unknown keys under the hook prefixes (with the intended key for common typos), on-error
 * values, Go-duration syntax, wait-for-ready as a Go boolean, the JSON-array shape of commands and
 * the same for spec.hooks of Backup, Schedule and Restore. Pure.
 *
 * Over 300 lines on purpose: the CEL expressions are generated from the annotation tables in one
 * place, so the policy and lint cannot drift apart; split, the key lists would be passed around.
 */
import { ANNOTATION_FAMILIES, declaredSuffixes, HOOK_ANNOTATION_PREFIXES, keysWithCode, RESTORE_EXEC_PREFIX } from '../velero/annotation-settings.ts';
import { lintHookAnnotationKeys } from '../velero/unknown-keys.ts';
import { WEBHOOK_RULES } from './manifests.ts';

export const POLICY_NAME = 'kubehooks-velero-hooks';
export type ValidationAction = 'Warn' | 'Audit' | 'Deny';

export interface PolicyOptions {
  /** Default [Warn, Audit]; `Deny` on request. */
  readonly validationActions?: readonly ValidationAction[];
  readonly name?: string;
  readonly excludeNamespaces?: readonly string[];
}

/** What the policy cannot do that the webhook (the lint engine) does; printed in --help and docs. */
export const POLICY_LIMITS: readonly string[] = [
  'typo suggestions only for common typos (a fixed table of one-edit misspellings, camelCase and snake_case forms); other unknown keys are listed without one',
  'command JSON is checked by a regular expression for the shape Velero decodes (an array of strings or nulls); CEL in the API server has no JSON decoder',
  'no context rules: a hook container the pod does not have, waitForReady without a readinessProbe, wait timeout shorter than the exec timeout, annotation hooks overriding spec.hooks, init container name collisions',
  'no matching of spec.hooks selectors against pods, and no checks that need several objects at once',
  'durations: the Go grammar by regular expression, then negative values and exec timeouts over 4h with CEL duration(); a value beyond Go\'s range (about 2562047h) makes that check fail open and is not reported',
  'no positions (file, line) and no hints beyond the message; run kubehooks lint for those',
];

/** The keys Velero declares, per family (annotation-settings.ts). */
const KNOWN: ReadonlyMap<string, readonly string[]> = new Map(ANNOTATION_FAMILIES.map((f) => [f.prefix, declaredSuffixes(f.settings)]));

/** Every key Velero reads under the hook prefixes. */
export function knownHookKeys(): string[] {
  return [...KNOWN].flatMap(([prefix, suffixes]) => suffixes.map((s) => prefix + s));
}

function variantsOf(suffix: string): string[] {
  const out = new Set<string>();
  for (let i = 0; i < suffix.length; i++) {
    out.add(suffix.slice(0, i) + suffix.slice(i + 1)); // deletion
    out.add(suffix.slice(0, i + 1) + suffix.charAt(i) + suffix.slice(i + 1)); // doubled letter
    if (i + 1 < suffix.length) out.add(suffix.slice(0, i) + suffix.charAt(i + 1) + suffix.charAt(i) + suffix.slice(i + 2)); // swap
  }
  const camel = suffix.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  out.add(camel);
  out.add(suffix.replace(/-/g, '_'));
  out.add(suffix.replace(/-/g, ''));
  out.add(`${suffix}s`);
  return [...out];
}

/**
 * Misspelled key → the key meant, for the typos people make: every one-letter deletion, doubled
 * letter and swap of each known suffix, camelCase/snake_case forms, and suffixes of the other
 * families. The suggestions are the lint engine's own (lintHookAnnotationKeys), so the policy and
 * `kubehooks lint` agree.
 */
export function typoTable(): Map<string, string> {
  const known = new Set(knownHookKeys());
  const allSuffixes = [...new Set([...KNOWN.values()].flat())];
  const table = new Map<string, string>();
  for (const prefix of HOOK_ANNOTATION_PREFIXES) {
    const candidates = new Set([...(KNOWN.get(prefix) ?? []), ...allSuffixes].flatMap((s) => [s, ...variantsOf(s)]));
    for (const suffix of candidates) {
      const key = prefix + suffix;
      if (known.has(key) && key !== `${RESTORE_EXEC_PREFIX}timeout`) continue;
      if (!/^[A-Za-z0-9_.-]+$/.test(suffix)) continue;
      const issue = lintHookAnnotationKeys({ [key]: 'x' })[0];
      const meant = /^Did you mean (\S+)\?$/.exec(issue?.hint ?? '')?.[1];
      if (meant === undefined || meant === key) continue;
      // Lint points near-misses of `timeout` at that key, which restore exec hooks do not read.
      table.set(key, meant === `${RESTORE_EXEC_PREFIX}timeout` ? `${RESTORE_EXEC_PREFIX}exec-timeout` : meant);
    }
  }
  // Read by nobody: Velero's restore exec hooks use exec-timeout (lint: restore-timeout-ignored).
  table.set(`${RESTORE_EXEC_PREFIX}timeout`, `${RESTORE_EXEC_PREFIX}exec-timeout`);
  return table;
}

/** A CEL string literal (single-quoted, escaped). */
export function celString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

function celList(items: readonly string[]): string {
  return `[${items.map(celString).join(', ')}]`;
}

/** CEL: the annotation key `k` is one of `keys`. */
function keyTest(keys: readonly string[]): string {
  return keys.length === 1 ? `k == ${celString(keys[0] ?? '')}` : `k in ${celList(keys)}`;
}

/** Go's time.ParseDuration grammar: "0", or a signed sequence of decimal numbers with units. */
export const GO_DURATION_RE = '^[-+]?(0|(([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$';
/** Go's strconv.ParseBool. */
export const GO_BOOLS = ['1', 't', 'T', 'TRUE', 'true', 'True', '0', 'f', 'F', 'FALSE', 'false', 'False'] as const;
const JSON_WS = '[ \\t\\n\\r]*';
const JSON_STRING = '"([^"\\\\\\x00-\\x1f]|\\\\(["\\\\/bfnrt]|u[0-9a-fA-F]{4}))*"';
const JSON_ELEMENT = `(${JSON_STRING}|null)`;
/** What Velero's json.Unmarshal into []string accepts: an array of strings (null elements become ""). */
export const JSON_COMMAND_RE = `^\\[${JSON_WS}(${JSON_ELEMENT}${JSON_WS}(,${JSON_WS}${JSON_ELEMENT}${JSON_WS})*)?\\]${JSON_WS}$`;
/** The first element of a JSON command holds whitespace (a shell line in one argv element). */
export const JSON_SHELL_LINE_RE = `^\\[${JSON_WS}"([^"\\\\\\s]|\\\\[^tnrfbu])*(\\s|\\\\[tnrfb]|\\\\u00(0[9aAbBcCdD]|20))`;

const PODISH = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'];

const ANNOTATIONS_EXPR = [
  "request.kind.kind == 'Pod' ? (has(object.metadata.annotations) ? object.metadata.annotations : {})",
  `: request.kind.kind in ${celList(PODISH)} ? (has(object.spec.template.metadata) && has(object.spec.template.metadata.annotations) ? object.spec.template.metadata.annotations : {})`,
  ": request.kind.kind == 'CronJob' ? (has(object.spec.jobTemplate.spec.template.metadata) && has(object.spec.jobTemplate.spec.template.metadata.annotations) ? object.spec.jobTemplate.spec.template.metadata.annotations : {})",
  ': {}',
].join('\n');

const HOOK_RESOURCES_EXPR = [
  "request.kind.kind in ['Backup', 'Restore'] ? (has(object.spec) && has(object.spec.hooks) && has(object.spec.hooks.resources) ? object.spec.hooks.resources : [])",
  ": request.kind.kind == 'Schedule' ? (has(object.spec) && has(object.spec.template) && has(object.spec.template.hooks) && has(object.spec.template.hooks.resources) ? object.spec.template.hooks.resources : [])",
  ': []',
].join('\n');

// The keys each check looks at: those whose reading can give the lint code the check stands for.
const ON_ERROR_PREFIXES = keysWithCode('on-error-invalid').map((k) => k.slice(0, -'on-error'.length));
const DURATION_KEYS = keysWithCode('duration-invalid');
const EXEC_TIMEOUT_KEYS = keysWithCode('duration-too-long');
const WAIT_FOR_READY_KEYS = keysWithCode('wait-for-ready-invalid');
const COMMAND_KEYS = keysWithCode('command-json-invalid');

interface Validation {
  readonly expression: string;
  readonly messageExpression: string;
  readonly reason: 'Invalid';
}

/** One check per problem class, each naming the keys it found. Exported for tests. */
export function policyValidations(): { variables: { name: string; expression: string }[]; validations: Validation[] } {
  const table = typoTable();
  const typos = `{${[...table].map(([k, v]) => `${celString(k)}: ${celString(v)}`).join(', ')}}`;
  const prefixTest = (k: string): string =>
    `(${HOOK_ANNOTATION_PREFIXES.map((p) => `${k}.startsWith(${celString(p)})`).join(' || ')} || ${k}.matches('^[^/]*hook[^/]*velero\\\\.io/'))`;
  const variables = [
    { name: 'annotations', expression: ANNOTATIONS_EXPR },
    {
      name: 'unknownKeys',
      expression: `variables.annotations.filter(k, ${prefixTest('k')} && !(k in ${celList(knownHookKeys().filter((k) => k !== `${RESTORE_EXEC_PREFIX}timeout`))}))`,
    },
    { name: 'typos', expression: typos },
    {
      name: 'badOnError',
      expression: `variables.annotations.filter(k, k.endsWith('/on-error') && k.substring(0, k.size() - 8) in ${celList(ON_ERROR_PREFIXES)} && !(variables.annotations[k] in ['Continue', 'Fail']))`,
    },
    {
      name: 'badDurations',
      expression: `variables.annotations.filter(k, k in ${celList(DURATION_KEYS)} && !variables.annotations[k].matches(${celString(GO_DURATION_RE)}))`,
    },
    {
      name: 'negativeDurations',
      expression: `variables.annotations.filter(k, k in ${celList(DURATION_KEYS)} && variables.annotations[k].matches(${celString(GO_DURATION_RE)}) && variables.annotations[k].startsWith('-') && duration(variables.annotations[k]) < duration('0s'))`,
    },
    {
      name: 'longExecTimeouts',
      expression: `variables.annotations.filter(k, k in ${celList(EXEC_TIMEOUT_KEYS)} && variables.annotations[k].matches(${celString(GO_DURATION_RE)}) && !variables.annotations[k].startsWith('-') && duration(variables.annotations[k]) > duration('4h'))`,
    },
    {
      name: 'badWaitForReady',
      expression: `variables.annotations.filter(k, ${keyTest(WAIT_FOR_READY_KEYS)} && !(variables.annotations[k] in ${celList(GO_BOOLS)}))`,
    },
    { name: 'commandKeys', expression: `variables.annotations.filter(k, k in ${celList(COMMAND_KEYS)} && variables.annotations[k] != '')` },
    {
      name: 'badJsonCommands',
      expression: `variables.commandKeys.filter(k, variables.annotations[k].matches('^\\\\s+\\\\[') || (variables.annotations[k].startsWith('[') && !variables.annotations[k].matches(${celString(JSON_COMMAND_RE)})))`,
    },
    {
      name: 'emptyCommands',
      expression: `variables.commandKeys.filter(k, variables.annotations[k].matches('^\\\\[[ \\\\t\\\\n\\\\r]*\\\\][ \\\\t\\\\n\\\\r]*$') || variables.annotations[k].matches('^\\\\[[ \\\\t\\\\n\\\\r]*""'))`,
    },
    {
      name: 'shellLineCommands',
      expression: `variables.commandKeys.filter(k, (!variables.annotations[k].startsWith('[') && !variables.annotations[k].matches('^\\\\s+\\\\[') && variables.annotations[k].matches('\\\\s')) || variables.annotations[k].matches(${celString(JSON_SHELL_LINE_RE)}))`,
    },
    { name: 'hookResources', expression: HOOK_RESOURCES_EXPR },
  ];
  const durationField = (f: string): string => `(!has(e.${f}) || string(e.${f}).matches(${celString(GO_DURATION_RE)}))`;
  // Exec hooks of one spec.hooks resource: Backup/Schedule pre and post, Restore postHooks.
  const execsOf = (r: string): string =>
    `((has(${r}.pre) ? ${r}.pre : []) + (has(${r}.post) ? ${r}.post : []) + (has(${r}.postHooks) ? ${r}.postHooks : [])).filter(h, has(h.exec))`;
  const specCheck = (ok: string, message: string): Validation => {
    return {
      expression: `variables.hookResources.all(r, ${execsOf('r')}.all(h, ${ok.replace(/\be\./g, 'h.exec.')}))`,
      messageExpression: `'spec.hooks.resources ' + variables.hookResources.filter(r, !${execsOf('r')}.all(h, ${ok.replace(/\be\./g, 'h.exec.')})).map(r, has(r.name) ? string(r.name) : '<unnamed>').join(', ') + ': ${message.replace(/'/g, "\\'")}'`,
      reason: 'Invalid',
    };
  };
  const initOk = `!has(r.postHooks) || r.postHooks.all(h, !has(h.init) || !has(h.init.timeout) || string(h.init.timeout).matches(${celString(GO_DURATION_RE)}))`;
  const validations: Validation[] = [
    {
      expression: 'variables.unknownKeys.size() == 0',
      messageExpression:
        "'unknown Velero hook annotation(s), ignored by Velero: ' + variables.unknownKeys.map(k, k in variables.typos ? k + ' (did you mean ' + variables.typos[k] + '?)' : k).join(', ')",
      reason: 'Invalid',
    },
    {
      expression: 'variables.badOnError.size() == 0',
      messageExpression:
        "'on-error must be exactly Continue or Fail (Velero treats anything else as Continue): ' + variables.badOnError.map(k, k + '=' + variables.annotations[k]).join(', ')",
      reason: 'Invalid',
    },
    {
      expression: 'variables.badDurations.size() == 0',
      messageExpression:
        "'not a Go duration (use a unit: 30s, 5m, 1h30m), Velero ignores it: ' + variables.badDurations.map(k, k + '=' + variables.annotations[k]).join(', ')",
      reason: 'Invalid',
    },
    {
      expression: 'variables.negativeDurations.size() == 0',
      messageExpression:
        "'negative duration: as exec timeout Velero 1.18 applies none, as wait timeout the hook expires at once: ' + variables.negativeDurations.map(k, k + '=' + variables.annotations[k]).join(', ')",
      reason: 'Invalid',
    },
    {
      expression: 'variables.longExecTimeouts.size() == 0',
      messageExpression:
        "'exec timeout over 4h, capped to 4h: ' + variables.longExecTimeouts.map(k, k + '=' + variables.annotations[k]).join(', ')",
      reason: 'Invalid',
    },
    {
      expression: 'variables.badWaitForReady.size() == 0',
      messageExpression:
        "'wait-for-ready must be a Go boolean (true/false, 1/0, t/f), Velero treats anything else as false: ' + variables.badWaitForReady.map(k, k + '=' + variables.annotations[k]).join(', ')",
      reason: 'Invalid',
    },
    {
      expression: 'variables.badJsonCommands.size() == 0',
      messageExpression:
        "'command is not a JSON array of strings starting at the first character; Velero runs the whole text as ONE program name: ' + variables.badJsonCommands.join(', ')",
      reason: 'Invalid',
    },
    {
      expression: 'variables.emptyCommands.size() == 0',
      messageExpression: "'command has no program (empty array or empty first element): ' + variables.emptyCommands.join(', ')",
      reason: 'Invalid',
    },
    {
      expression: 'variables.shellLineCommands.size() == 0',
      messageExpression:
        "'the program contains whitespace; Velero runs no shell and never splits, so the exec fails (write a JSON array, e.g. [\"/bin/sh\",\"-c\",\"...\"]): ' + variables.shellLineCommands.join(', ')",
      reason: 'Invalid',
    },
    specCheck(
      "!has(e.onError) || e.onError in ['Continue', 'Fail']",
      'exec.onError must be exactly Continue or Fail',
    ),
    specCheck(
      `${durationField('timeout')} && ${durationField('execTimeout')} && ${durationField('waitTimeout')}`,
      'exec.timeout, execTimeout and waitTimeout must be Go durations with a unit (30s, 5m, 1h30m)',
    ),
    specCheck(
      "!has(e.command) || (e.command.size() > 0 && string(e.command[0]) != '' && !string(e.command[0]).matches('\\\\s'))",
      'exec.command must be a non-empty list whose first element (the program) has no whitespace; Velero runs no shell',
    ),
    {
      expression: `variables.hookResources.all(r, ${initOk})`,
      messageExpression: `'spec.hooks.resources ' + variables.hookResources.filter(r, !(${initOk})).map(r, has(r.name) ? string(r.name) : '<unnamed>').join(', ') + ': init.timeout must be a Go duration with a unit (30s, 5m, 1h30m)'`,
      reason: 'Invalid',
    },
  ];
  return { variables, validations };
}

/** The policy and its binding, as objects to print as YAML (two documents). */
export function validatingAdmissionPolicy(options: PolicyOptions = {}): [Record<string, unknown>, Record<string, unknown>] {
  const name = options.name ?? POLICY_NAME;
  const { variables, validations } = policyValidations();
  const namespaceSelector = {
    matchExpressions: [
      { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', ...(options.excludeNamespaces ?? [])] },
    ],
  };
  const policy = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name, labels: { 'app.kubernetes.io/name': 'kubehooks' } },
    spec: {
      // A CEL error (e.g. a cost limit) never blocks an apply.
      failurePolicy: 'Ignore',
      matchConstraints: {
        namespaceSelector,
        resourceRules: WEBHOOK_RULES.map((r) => ({
          apiGroups: [...r.apiGroups],
          apiVersions: [...r.apiVersions],
          resources: [...r.resources],
          operations: ['CREATE', 'UPDATE'],
        })),
      },
      variables,
      validations,
    },
  };
  const binding = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name, labels: { 'app.kubernetes.io/name': 'kubehooks' } },
    spec: {
      policyName: name,
      validationActions: [...(options.validationActions ?? ['Warn', 'Audit'])],
      matchResources: { namespaceSelector },
    },
  };
  return [policy, binding];
}
