/**
 * The public library API (ADR 0017): `import { … } from 'kubehooks'`. This barrel is the whole of it;
 * every other module under src/ is internal and may change in any release. The surface is recorded
 * in docs/api/kubehooks.api.md, which `npm run lint` checks (`npm run api:check`): a change here, or
 * in a type it reaches, fails until the report is updated with `npm run api:update` and reviewed.
 *
 * What it offers: parse Velero's hook annotations and Backup/Schedule/Restore objects, lint them,
 * plan which hook runs where, inject restore init hooks, run exec hooks against a cluster through
 * small ports (src/kube implements them), render every result as text/JSON/SARIF/JUnit, the
 * admission webhook and policy, and the CLI's main. Results, diagnostics, skip reasons and issue
 * codes are data with stable codes.
 */

// ---- model: hooks, pods, plans, results, diagnostics, and the ports the runners use ----
export type * from './model/hook.ts';
export type * from './model/diagnostic.ts';
export type * from './model/plan.ts';
export type * from './model/result.ts';
export type * from './model/pod.ts';
export type * from './run/ports.ts';
export { SKIP_CODES } from './model/skip.ts';
export type { SkipCode } from './model/skip.ts';
export type { HookInjector } from './velero/kubevirt.ts';
export { ANNOTATION_HOOK_NAME, DEFAULT_EXEC_TIMEOUT_MS, MAX_EXEC_TIMEOUT_MS } from './model/hook.ts';

// ---- Go durations (Velero's duration syntax) ----
export { parseGoDuration, formatGoDuration, nsToMs, msToNs } from './duration/go-duration.ts';
export type { GoDurationResult } from './duration/go-duration.ts';

// ---- parse: Velero annotations and objects ----
export type { ParseIssue } from './velero/issue.ts';
export { ISSUE_CODES, isIssueCode } from './velero/issue-codes.ts';
export type { IssueCode, IssueCodeInfo } from './velero/issue-codes.ts';
export { parseCommandAnnotation } from './velero/command.ts';
export type { ParsedCommand, CommandForm } from './velero/command.ts';
export {
  ANNOTATION_KEYS,
  readBackupAnnotationHook,
  readRestoreExecAnnotationHook,
  readRestoreInitAnnotationHook,
  lintPodHookAnnotations,
} from './velero/annotations.ts';
export type {
  Annotations,
  BackupAnnotationRead,
  RestoreExecAnnotationRead,
  RestoreInitAnnotationRead,
  InitAnnotationOptions,
} from './velero/annotations.ts';
export { VELERO_VERSIONS } from './velero/profiles.ts';
export type { VeleroReadOptions, VeleroVersion, VeleroProfile } from './velero/profiles.ts';
export type { ScopeSelectors, RestoreScope } from './velero/scope.ts';
export { HOOK_ANNOTATION_PREFIXES } from './velero/annotation-settings.ts';
export { parseBackupObject, parseRestoreObject } from './velero/spec.ts';
export type {
  BackupHooks,
  BackupHookResource,
  RestoreHooks,
  RestoreHookResource,
  RestorePostHook,
  HookResourceSelector,
} from './velero/spec.ts';
export type { LabelSelector, LabelSelectorRequirement } from './select/label-selector.ts';

// ---- plan and inject ----
export { planBackup, planBackupDetailed } from './plan/plan-backup.ts';
export type { DetailedPlan } from './plan/plan-backup.ts';
export { planRestore, planRestoreDetailed } from './plan/plan-restore.ts';
export type { PlanRestoreOptions } from './plan/plan-restore.ts';
export { OWNER_KINDS } from './plan/from-restore.ts';
export type { OwnerKind, OwnerObject, OwnerRef } from './plan/from-restore.ts';
export { namespacePolicy } from './plan/policy.ts';
export type { PlanPolicy, NamespacePolicyResult } from './plan/policy.ts';
export type { PlanNote } from './plan/common.ts';
export { injectInitHooks } from './inject/inject.ts';
export type { InjectOptions, InjectResult } from './inject/inject.ts';

// ---- load and lint ----
export { loadSources } from './load/load.ts';
export type { LoadResult, LoadedDocument } from './load/load.ts';
export type { ParsedDocument } from './load/parse-documents.ts';
export type { SourceText } from './load/source.ts';
export type { LoadedObject, LoadedPod, LoadedHookObject, LoadedOther, LoadedBase, Workload, ObjectOrigin } from './load/loaded-object.ts';
export { DEFAULT_LOAD_LIMITS } from './load/limits.ts';
export type { LoadLimits } from './load/limits.ts';
export { injectDocuments } from './load/inject-documents.ts';
export type { InjectDocumentsResult, InjectFailure, InjectProblem } from './load/inject-documents.ts';
export type { SkippedPath, SkipPathCode } from './load/read-inputs.ts';
export type { PathSegment } from './load/key-path.ts';
export type { Position, DocumentPositions } from './load/positions.ts';
export { lintSources, lintObjects } from './lint/engine.ts';
export type { LintOptions, LintResult } from './lint/engine.ts';
export type { LintRule, LintContext, Finding, PodAnnotationHooks, MatchedSpecExecHook, MatchedSpecInitHook } from './lint/rule.ts';
export type { Suppression, SuppressedDiagnostic } from './lint/suppress.ts';
export type { WorkCounter } from './load/work-counter.ts';
export { lintCodeCatalog } from './lint/catalog.ts';
export type { CodeInfo } from './lint/catalog.ts';

// ---- renderers ----
export { renderDiagnosticsText } from './report/diagnostics-text.ts';
export type { DiagnosticsTextOptions } from './report/diagnostics-text.ts';
export { renderDiagnosticsJson, diagnosticsToJson } from './report/diagnostics-json.ts';
export type { DiagnosticsJson, DiagnosticsJsonOptions, DiagnosticJson, LintCountsJson } from './report/diagnostics-json.ts';
export { renderDiagnosticsSarif, diagnosticsToSarif } from './report/diagnostics-sarif.ts';
export type { SarifOptions } from './report/diagnostics-sarif.ts';
export { renderDiagnosticsJunit } from './report/diagnostics-junit.ts';
export type { CheckedObject, JunitOptions } from './report/diagnostics-junit.ts';
export { renderPlanText } from './report/plan-text.ts';
export type { PlanTextOptions } from './report/plan-text.ts';
export { renderPlanJson, planToJson } from './report/plan-json.ts';
export type { PlanJson, PlannedHookJson, PlanStagesView } from './report/plan-json.ts';
export type { FreezeEstimate, StageSummary, ThawOrder } from './plan/stages.ts';
export { renderRunText } from './report/run-text.ts';
export type { RunTextOptions } from './report/run-text.ts';
export type { Colors } from './report/color.ts';
export { renderRunJson } from './report/run-json.ts';
export type { RunJsonOptions, RunContext, PodRefJson } from './report/run-json.ts';
export { renderRunJunit } from './report/run-junit.ts';

// ---- run hooks ----
export { runBackupHooks } from './run/backup-runner.ts';
export type { BackupRunOptions } from './run/backup-runner.ts';
export { runPostRestoreHooks } from './run/post-restore-runner.ts';
export type { PostRestoreRunOptions } from './run/post-restore-runner.ts';
export { DEFAULT_CONCURRENCY } from './run/run-options.ts';
export type { RunOptions } from './run/run-options.ts';
export type { EventSubject } from './run/events.ts';
export { EVENT_GROUPINGS, DEFAULT_EVENT_GROUPING } from './run/event-summary.ts';
export type { EventGrouping } from './run/event-summary.ts';
export type { ConcurrencyReport, LimitChange, LimitChangeCause } from './run/adaptive-limit.ts';
export type { RunJournal } from './run/recorder.ts';
export type { RunProgress } from './run/progress.ts';
export type { Limiter } from './run/exec-hook.ts';
export { REASON_CODES } from './run/reason-codes.ts';
export type { ReasonCode } from './run/reason-codes.ts';
export { DEFAULT_MAX_OUTPUT_BYTES } from './run/ports.ts';
export { createSystemClock } from './run/clock.ts';

// ---- Kubernetes: the ports for a cluster, and its coded errors ----
export { createKubePorts } from './kube/index.ts';
export type { KubePorts, KubePortsOptions, KubeClientOptions, KubePodWatcherOptions } from './kube/index.ts';
export type { KubeErrorCode, ApiStatusErrorBase, ApiStatusDetails } from './kube/errors.ts';
export type { KubeconfigOptions } from './kube/kubeconfig.ts';
export type { BackoffOptions } from './kube/pod-watcher.ts';
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

// ---- admission: the webhook, its review function and manifests, the ValidatingAdmissionPolicy ----
export { reviewAdmission, AdmissionRequestError } from './admission/review.ts';
export type { ReviewOptions, ReviewOutcome, AdmissionResponse, AdmissionReviewOut, DenyOn } from './admission/review.ts';
export { startWebhookServer } from './admission/server.ts';
export type { WebhookServer, WebhookServerOptions } from './admission/server.ts';
export type { AdmissionMetrics } from './admission/metrics.ts';
export { webhookConfiguration } from './admission/manifests.ts';
export type { WebhookManifestOptions, WebhookTarget } from './admission/manifests.ts';
export { validatingAdmissionPolicy } from './admission/policy.ts';
export type { PolicyOptions, ValidationAction } from './admission/policy.ts';

// ---- CLI ----
import { main as cliMain } from './cli/main.ts';

/** Runs the kubehooks CLI in this process with `argv` (no program name) and resolves with its exit code. */
export function main(argv: readonly string[]): Promise<number> {
  return cliMain(argv);
}
