import { formatMs } from '../duration/go-duration.ts';

/** Go's Duration.String() for a millisecond count, as Velero's messages use it (`timed out after 1ms`). */
export function goDurationText(ms: number): string {
  return formatMs(ms);
}
