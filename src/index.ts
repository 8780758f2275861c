// Public library API: the only barrel. Every export here is a stable contract.

// ---- model ----
export type * from './model/hook.ts';
export type * from './model/diagnostic.ts';
export type * from './model/plan.ts';
export type * from './model/result.ts';
export type * from './model/pod.ts';
export type * from './run/ports.ts';
export { ANNOTATION_HOOK_NAME, DEFAULT_EXEC_TIMEOUT_MS, MAX_EXEC_TIMEOUT_MS } from './model/hook.ts';

// ---- Go durations ----
export { parseGoDuration, formatGoDuration, nsToMs, msToNs, formatMs } from './duration/go-duration.ts';
export type { GoDurationResult } from './duration/go-duration.ts';

// ---- Velero parsing ----
export type { ParseIssue } from './velero/issue.ts';
export { ISSUE_CODES, isIssueCode } from './velero/issue-codes.ts';
export type { IssueCode, IssueCodeInfo } from './velero/issue-codes.ts';
export { parseCommandAnnotation } from './velero/command.ts';
export type { ParsedCommand, CommandForm } from './velero/command.ts';
export {
  ANNOTATION_KEYS,
  INIT_CONTAINER_NAME_PREFIX,
  readBackupAnnotationHook,
  readRestoreExecAnnotationHook,
  readRestoreInitAnnotationHook,
  lintPodHookAnnotations,
} from './velero/annotations.ts';
export {
  HOOK_ANNOTATION_PREFIXES,
  BACKUP_PRE_PREFIX,
  BACKUP_POST_PREFIX,
  BACKUP_LEGACY_PREFIX,
  RESTORE_EXEC_PREFIX,
  RESTORE_INIT_PREFIX,
} from './velero/annotation-settings.ts';
export { lintHookAnnotationKeys } from './velero/unknown-keys.ts';
export { parseBackupObject, parseRestoreObject } from './velero/spec.ts';
export { INVALID_INIT_CONTAINER_MESSAGE, resolveExecTimeoutMs, DEFAULT_NAMESPACE } from './velero/rules.ts';
export type {
  BackupHooks,
  BackupHookResource,
  RestoreHooks,
  RestoreHookResource,
  RestorePostHook,
  HookResourceSelector,
} from './velero/spec.ts';

// ---- selectors ----
export { compileGlob, includesExcludes } from './select/glob.ts';
export { matchNamespace } from './select/namespaces.ts';
export { matchLabelSelector, labelSelectorError, formatLabelSelector } from './select/label-selector.ts';
export type { LabelSelector, LabelSelectorRequirement } from './select/label-selector.ts';
export { resolveResourceName, resourceIncluded, matchBackupResources } from './select/resources.ts';
export type { Verdict } from './select/verdict.ts';

// ---- plan and inject ----
export { planBackup, planBackupDetailed } from './plan/plan-backup.ts';
export type { DetailedPlan } from './plan/plan-backup.ts';
export { planRestore, planRestoreDetailed } from './plan/plan-restore.ts';
export { namespacePolicy, withoutHookAnnotations, isHookAnnotationKey } from './plan/policy.ts';
export type { PlanPolicy } from './plan/policy.ts';
export type { PlanNote } from './plan/common.ts';
export { injectInitHooks, RESTORE_WAIT_CONTAINER } from './inject/inject.ts';
export type { InjectOptions, InjectResult } from './inject/inject.ts';

// ---- loading and lint ----
export { loadSources } from './load/load.ts';
export type { LoadResult, LoadedDocument } from './load/load.ts';
export { readInputs, decodeInput } from './load/read-inputs.ts';
export type { SourceText } from './load/source.ts';
export type { LoadedObject, LoadedPod, LoadedHookObject } from './load/loaded-object.ts';
export { DEFAULT_LOAD_LIMITS } from './load/limits.ts';
export type { LoadLimits } from './load/limits.ts';
export { injectDocuments } from './load/inject-documents.ts';
export { lintSources, lintObjects } from './lint/engine.ts';
export type { LintOptions, LintResult } from './lint/engine.ts';
export { LINT_RULES } from './lint/registry.ts';
export type { LintRule, LintContext, Finding } from './lint/rule.ts';

// ---- renderers ----
export { renderDiagnosticsText, summaryLine, sortDiagnostics } from './report/diagnostics-text.ts';
export { renderDiagnosticsJson, diagnosticsToJson } from './report/diagnostics-json.ts';
export { renderPlanText } from './report/plan-text.ts';
export { renderPlanJson, planToJson } from './report/plan-json.ts';

// ---- running hooks ----
export { runBackupHooks } from './run/backup-runner.ts';
export type { BackupRunOptions } from './run/backup-runner.ts';
export { runPostRestoreHooks } from './run/post-restore-runner.ts';
export type { PostRestoreRunOptions } from './run/post-restore-runner.ts';
export { DEFAULT_CONCURRENCY } from './run/run-options.ts';
export type { RunOptions } from './run/run-options.ts';
export type { RunJournal } from './run/recorder.ts';
export type { RunProgress } from './run/progress.ts';
export { HookTracker } from './run/tracker.ts';
export { REASON_CODES } from './run/reason-codes.ts';
export type { ReasonCode } from './run/reason-codes.ts';
export { DEFAULT_MAX_OUTPUT_BYTES } from './run/ports.ts';
export type { Limiter } from './run/exec-hook.ts';
export { isContainerUp } from './run/container-state.ts';
export { createSystemClock } from './run/clock.ts';
export { eventForResult } from './run/events.ts';
export { renderRunJson } from './report/run-json.ts';
export type { RunJsonOptions } from './report/run-json.ts';
export { renderRunText } from './report/run-text.ts';
export type { RunTextOptions } from './report/run-text.ts';
export { ProgressLine, formatProgress } from './report/progress-line.ts';
export type { ProgressStream, ProgressLineOptions } from './report/progress-line.ts';

// ---- Kubernetes adapters (implement the ports in src/run/ports.ts) ----
export { createKubePorts } from './kube/index.ts';
export type { KubePorts, KubePortsOptions } from './kube/index.ts';
export {
  KubeError,
  KubeconfigError,
  ApiUnreachableError,
  ApiTimeoutError,
  UnauthorizedError,
  ForbiddenError,
  NotFoundError,
  GoneError,
  ApiStatusError,
  isKubeError,
} from './kube/index.ts';
export { parseExecStatus } from './kube/index.ts';

// ---- CLI ----
export { main } from './cli/main.ts';

// ---- admission and CI formats (docs/admission.md) ----
export { reviewAdmission, lintAdmissionObject, formatWarnings, AdmissionRequestError } from './admission/review.ts';
export type { ReviewOptions, ReviewOutcome, AdmissionResponse, AdmissionReviewOut, DenyOn } from './admission/review.ts';
export { startWebhookServer } from './admission/server.ts';
export type { WebhookServer, WebhookServerOptions } from './admission/server.ts';
export { webhookConfiguration, WEBHOOK_RULES } from './admission/manifests.ts';
export type { WebhookManifestOptions, WebhookTarget } from './admission/manifests.ts';
export { validatingAdmissionPolicy, POLICY_LIMITS } from './admission/policy.ts';
export type { PolicyOptions, ValidationAction } from './admission/policy.ts';
export { lintCodeCatalog } from './lint/catalog.ts';
export type { CodeInfo } from './lint/catalog.ts';
export { renderDiagnosticsSarif, diagnosticsToSarif } from './report/diagnostics-sarif.ts';
export { renderDiagnosticsJunit } from './report/diagnostics-junit.ts';
export type { CheckedObject } from './report/diagnostics-junit.ts';
export { renderRunJunit } from './report/run-junit.ts';
