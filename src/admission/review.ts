/**
 * admission.k8s.io/v1 AdmissionReview in, response out: the lint engine on the object under review,
 * its diagnostics as warnings (default) or, with denyOn 'error', errors as a denial. Pure.
 */
import type { Diagnostic } from '../model/diagnostic.ts';
import { lintObjects } from '../lint/engine.ts';
import { lintCodeCatalog } from '../lint/catalog.ts';
import { applySuppressions } from '../lint/suppress.ts';
import { classifyDocument } from '../load/classify.ts';
import { describeObject } from '../load/loaded-object.ts';
import { isRecord } from '../util/is-record.ts';
import { fixedPositions, UNKNOWN_POSITION } from '../load/positions.ts';
import { sortDiagnostics } from '../report/diagnostics-text.ts';

export type DenyOn = 'none' | 'error';

export interface ReviewOptions {
  readonly denyOn: DenyOn;
}

/** Kubernetes' guidance: keep each warning short; the API server caps all warnings of a response at 4 KiB. */
export const MAX_WARNING_CHARS = 120;
export const MAX_WARNINGS_TOTAL_CHARS = 4096;
/** Room kept for the `+N more: run kubehooks lint` line. */
const MORE_LINE_RESERVE = 64;
export const MAX_DENIAL_MESSAGE_CHARS = 3000;

/** The file name diagnostics of a reviewed object carry (there is no file). */
export const ADMISSION_SOURCE = '<admission>';

/** A request that is not an AdmissionReview we can answer (HTTP 400). */
export class AdmissionRequestError extends Error {
  override readonly name = 'AdmissionRequestError';
}

export interface AdmissionResponse {
  readonly uid: string;
  readonly allowed: boolean;
  readonly warnings?: readonly string[];
  readonly status?: { readonly code: number; readonly reason: string; readonly message: string };
}

export interface AdmissionReviewOut {
  readonly apiVersion: 'admission.k8s.io/v1';
  readonly kind: 'AdmissionReview';
  readonly response: AdmissionResponse;
}

export interface ReviewOutcome {
  readonly review: AdmissionReviewOut;
  /** Kind of the object reviewed ('' when nothing was reviewed, e.g. DELETE). */
  readonly kind: string;
  readonly result: 'allowed' | 'warned' | 'denied';
  readonly diagnostics: readonly Diagnostic[];
}

/** Control characters cannot travel in the Warning header that carries warnings; show them as spaces. */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex -- that is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
}

function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  // Keep surrogate pairs whole.
  let end = max - 1;
  const c = text.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/** `code key: message` without the object's name (the client knows what it applied), ≤ 120 characters. */
export function formatWarning(d: Diagnostic): string {
  const prefix = `${describeObject(d.object)}: `;
  const message = d.message.startsWith(prefix) ? d.message.slice(prefix.length) : d.message;
  const head = d.key !== '' && !message.includes(d.key) ? `${d.code} ${d.key}: ` : `${d.code}: `;
  const whole = printable(head + message);
  if (whole.length <= MAX_WARNING_CHARS) return whole;
  // Too long: keep the first clause (what is wrong) and drop the explanation that follows it.
  const semi = message.indexOf('; ');
  return cut(semi > 0 ? printable(head + message.slice(0, semi)) : whole, MAX_WARNING_CHARS);
}

/**
 * Warnings in order (errors first), collapsed into `+N more: run kubehooks lint` so that the total
 * stays under the API server's 4096-character limit.
 */
export function formatWarnings(diagnostics: readonly Diagnostic[], totalLimit = MAX_WARNINGS_TOTAL_CHARS): string[] {
  const ordered = sortDiagnostics(diagnostics);
  const out: string[] = [];
  let used = 0;
  for (let i = 0; i < ordered.length; i++) {
    const d = ordered[i];
    if (d === undefined) break;
    const w = formatWarning(d);
    const rest = ordered.length - i - 1;
    const reserve = rest > 0 ? MORE_LINE_RESERVE : 0;
    if (used + w.length + reserve > totalLimit) {
      out.push(`+${ordered.length - i} more: run kubehooks lint`);
      return out;
    }
    out.push(w);
    used += w.length;
  }
  return out;
}

function denialMessage(errors: readonly Diagnostic[]): string {
  const head = `kubehooks: ${errors.length} error${errors.length === 1 ? '' : 's'} in Velero hook settings`;
  const parts: string[] = [];
  let length = head.length;
  for (let i = 0; i < errors.length; i++) {
    const e = errors[i];
    if (e === undefined) break;
    const line = formatWarning(e);
    if (length + line.length + 40 > MAX_DENIAL_MESSAGE_CHARS) {
      parts.push(`+${errors.length - i} more: run kubehooks lint`);
      break;
    }
    parts.push(line);
    length += line.length + 2;
  }
  return `${head}: ${parts.join('; ')}`;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** The object to review: request.object with the request's namespace filled in (the API server's is authoritative). */
function objectUnderReview(request: Record<string, unknown>): Record<string, unknown> | undefined {
  const object = request['object'];
  if (!isRecord(object)) return undefined;
  const namespace = str(request['namespace']);
  const metadata = isRecord(object['metadata']) ? object['metadata'] : {};
  if (namespace === '' || str(metadata['namespace']) !== '') return object;
  return { ...object, metadata: { ...metadata, namespace } };
}

/** Lints one object as the API server sends it (JSON data, no positions). */
export function lintAdmissionObject(object: Readonly<Record<string, unknown>>): Diagnostic[] {
  const classified = classifyDocument({
    file: ADMISSION_SOURCE,
    index: 0,
    format: 'json',
    value: object,
    positions: fixedPositions(UNKNOWN_POSITION),
    yaml: undefined,
  });
  // The object's own ignore-check.kubehooks.dev/<code> opt-outs hold at admission too.
  const known = new Set(lintCodeCatalog().map((c) => c.code));
  return [...applySuppressions([...classified.diagnostics, ...lintObjects(classified.objects)], classified.objects, known).active];
}

/**
 * Answers one AdmissionReview (already JSON-decoded). Throws AdmissionRequestError when `body` is not
 * an admission.k8s.io/v1 AdmissionReview with a request uid.
 */
export function reviewAdmission(body: unknown, options: ReviewOptions): ReviewOutcome {
  if (!isRecord(body)) throw new AdmissionRequestError('the body is not a JSON object');
  if (body['apiVersion'] !== 'admission.k8s.io/v1' || body['kind'] !== 'AdmissionReview') {
    throw new AdmissionRequestError(
      `expected apiVersion admission.k8s.io/v1, kind AdmissionReview (got ${JSON.stringify(str(body['apiVersion']))}, ${JSON.stringify(str(body['kind']))}); set admissionReviewVersions: [v1]`,
    );
  }
  const request = body['request'];
  if (!isRecord(request) || typeof request['uid'] !== 'string' || request['uid'] === '') {
    throw new AdmissionRequestError('request.uid is missing');
  }
  const uid = request['uid'];
  const allow = (kind: string): ReviewOutcome => ({
    review: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid, allowed: true } },
    kind,
    result: 'allowed',
    diagnostics: [],
  });
  const operation = str(request['operation']);
  const object = objectUnderReview(request);
  // Deletes, connects and subresources carry nothing to lint.
  if (object === undefined || operation === 'DELETE' || operation === 'CONNECT' || str(request['subResource']) !== '') {
    return allow(object === undefined ? '' : str(object['kind']));
  }
  const kind = str(object['kind']);
  // Info diagnostics (intended more often than not) stay in `kubehooks lint`.
  const diagnostics = lintAdmissionObject(object).filter((d) => d.severity !== 'info');
  if (diagnostics.length === 0) return allow(kind);
  const errors = sortDiagnostics(diagnostics.filter((d) => d.severity === 'error'));
  const warnings = formatWarnings(diagnostics);
  if (options.denyOn === 'error' && errors.length > 0) {
    return {
      review: {
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        response: {
          uid,
          allowed: false,
          warnings,
          status: { code: 422, reason: 'Invalid', message: printable(denialMessage(errors)) },
        },
      },
      kind,
      result: 'denied',
      diagnostics,
    };
  }
  return {
    review: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid, allowed: true, warnings } },
    kind,
    result: 'warned',
    diagnostics,
  };
}
