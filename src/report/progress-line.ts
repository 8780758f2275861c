import type { RunProgress } from '../run/progress.ts';

/** Where the progress line goes: a TTY stream (stderr). */
export interface ProgressStream {
  readonly isTTY?: boolean;
  write(chunk: string): boolean;
}

export interface ProgressLineOptions {
  /** Minimum time between redraws (default 100ms); the final state is always drawn by `end`. */
  readonly intervalMs?: number;
  readonly now?: () => number;
  readonly label?: string;
  /** Schedules the trailing redraw of a held-back update (default: an unref'd setTimeout). */
  readonly schedule?: (fn: () => void, ms: number) => () => void;
}

function defaultSchedule(fn: () => void, ms: number): () => void {
  const timer = setTimeout(fn, ms);
  timer.unref();
  return () => {
    clearTimeout(timer);
  };
}

export function formatProgress(p: RunProgress, label = 'hooks'): string {
  return `${label}: ${p.done}/${p.total} done, ${p.running} running, ${p.waiting} waiting${p.failed > 0 ? `, ${p.failed} failed` : ''}`;
}

/**
 * One self-overwriting status line, only when the stream is a TTY (otherwise every call is a no-op,
 * so logs and pipes stay clean). Redrawn on change, at most every `intervalMs`; `end` clears it.
 */
export class ProgressLine {
  readonly #stream: ProgressStream;
  readonly #enabled: boolean;
  readonly #interval: number;
  readonly #now: () => number;
  readonly #label: string;
  #last = '';
  #lastAt = Number.NEGATIVE_INFINITY;
  #pending: RunProgress | undefined;
  #drawn = false;
  readonly #schedule: (fn: () => void, ms: number) => () => void;
  #cancelTrailing: (() => void) | undefined;

  constructor(stream: ProgressStream, options: ProgressLineOptions = {}) {
    this.#stream = stream;
    this.#enabled = stream.isTTY === true;
    this.#interval = options.intervalMs ?? 100;
    this.#now = options.now ?? (() => Date.now());
    this.#label = options.label ?? 'hooks';
    this.#schedule = options.schedule ?? defaultSchedule;
  }

  update(progress: RunProgress): void {
    if (!this.#enabled) return;
    const text = formatProgress(progress, this.#label);
    if (text === this.#last) return;
    const now = this.#now();
    if (now - this.#lastAt < this.#interval) {
      // Held back; drawn by a trailing redraw so a quiet period never shows a stale line.
      this.#pending = progress;
      this.#cancelTrailing ??= this.#schedule(() => {
        this.#cancelTrailing = undefined;
        this.flush();
      }, this.#interval - (now - this.#lastAt));
      return;
    }
    this.#draw(text, now);
  }

  /** Draws a held-back update now. */
  flush(): void {
    if (this.#pending === undefined) return;
    const p = this.#pending;
    this.#pending = undefined;
    this.#draw(formatProgress(p, this.#label), this.#now());
  }

  end(): void {
    this.#pending = undefined;
    this.#cancelTrailing?.();
    this.#cancelTrailing = undefined;
    if (this.#enabled && this.#drawn) this.#stream.write('\r\x1b[2K');
    this.#drawn = false;
  }

  #draw(text: string, now: number): void {
    this.#pending = undefined;
    this.#last = text;
    this.#lastAt = now;
    this.#drawn = true;
    this.#stream.write(`\r\x1b[2K${text}`);
  }
}
