/**
 * `--events per-pod|per-hook` and `--no-events`, declared and read alike by `run`, `thaw` and
 * `controller` (ADR 0023). Commander hands the pair over as one value: undefined (neither flag), the
 * mode, or false (`--no-events`; the last of the two given wins).
 */
import { Option, type Command } from 'commander';
import { DEFAULT_EVENT_GROUPING, EVENT_GROUPINGS, type EventGrouping } from '../run/event-summary.ts';
import { UsageError } from './context.ts';

export interface EventsSettings {
  /** false: `--no-events`. */
  readonly events: boolean;
  readonly eventGrouping: EventGrouping;
}

/** Declares both flags on `cmd`; `on` says what the hooks' Events are recorded on, `offOn` what --no-events silences. */
export function addEventsFlags(cmd: Command, on: string, offOn = on): Command {
  return cmd
    .addOption(
      new Option('--events <mode>', `how Kubernetes Events are recorded on ${on}: per-pod (default: one Normal Event per pod and phase when its last hook ends, and a Warning per hook that did not succeed, as it ends) or per-hook (one Event per hook)`)
        .choices(EVENT_GROUPINGS),
    )
    .option('--no-events', `do not record Kubernetes Events on ${offOn}`);
}

/** The pair's value as commander (or a test) hands it over; any other value is a UsageError naming the flag. */
export function eventsFromFlags(value: unknown): EventsSettings {
  if (value === undefined || value === true) return { events: true, eventGrouping: DEFAULT_EVENT_GROUPING };
  if (value === false) return { events: false, eventGrouping: DEFAULT_EVENT_GROUPING };
  if (typeof value === 'string' && (EVENT_GROUPINGS as readonly string[]).includes(value)) return { events: true, eventGrouping: value as EventGrouping };
  throw new UsageError(`--events must be ${EVENT_GROUPINGS.join(' or ')} (got ${JSON.stringify(value)}; --no-events turns Events off)`);
}
