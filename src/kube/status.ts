/**
 * Decoding what the API server says when it says no: a `metav1.Status` in an error body, in a refused
 * upgrade, or in a watch's ERROR event. Pure; the HTTP status decides the error class (errors.ts).
 */
import type { ApiStatusDetails } from './errors.ts';
import { isRecord } from '../util/is-record.ts';

// The one guard for untyped JSON; re-exported for the kube modules that import it from here.
export { isRecord };

/** How much of a body that is not a Status is quoted. */
const MAX_QUOTED_BODY_CHARS = 500;

/** Extracts `{reason, message}` from a body that may be a metav1.Status. */
export function statusDetails(statusCode: number, bodyText: string): ApiStatusDetails {
  let reason: string | undefined;
  let serverMessage = bodyText.trim().slice(0, MAX_QUOTED_BODY_CHARS);
  try {
    const parsed: unknown = JSON.parse(bodyText);
    if (isRecord(parsed)) {
      if (typeof parsed['message'] === 'string') serverMessage = parsed['message'];
      if (typeof parsed['reason'] === 'string' && parsed['reason'] !== '') reason = parsed['reason'];
    }
  } catch {
    // not JSON: keep the text
  }
  return { statusCode, reason, serverMessage };
}

/**
 * The Status carried by a watch ERROR event (`{type: 'ERROR', object: Status}`); its `code` is the
 * HTTP status it stands for (410 for a resourceVersion too old), 500 when it names none.
 */
export function watchErrorDetails(object: unknown): ApiStatusDetails {
  const code = isRecord(object) && typeof object['code'] === 'number' ? object['code'] : 500;
  return statusDetails(code, JSON.stringify(object ?? {}));
}
