/**
 * Calls a library caller's callback (`onResult`, `onProgress`). A callback that throws is the caller's
 * bug: it must not reject a chain (an unhandled rejection) nor keep the run from resolving, so the
 * error is dropped and the run goes on (nothing is written to stderr by the library).
 */
export function notify<T>(callback: ((value: T) => void) | undefined, value: T): void {
  try {
    callback?.(value);
  } catch {
    // ignored on purpose, see above
  }
}
