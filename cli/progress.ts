// One progress line on stderr for the long commands (swarm, bench, drill run). Only a terminal
// gets it: when stderr is a pipe or a file nothing is written, so logs and `--json` consumers see
// exactly what they saw before. stdout is never touched: `--json` stays one object there.

/** The part of a stream the line needs; process.stderr satisfies it, tests pass a fake. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

export interface ProgressLine {
  /** Replaces the line (at most one redraw per PROGRESS_REDRAW_MS_MIN unless `force`). */
  update(text: string, force?: boolean): void;
  /** Ends the line so the next output starts on a fresh one. */
  end(): void;
}

/** A terminal redrawn more often than this only flickers. */
export const PROGRESS_REDRAW_MS_MIN = 100;
/** Long labels are cut so the line never wraps (a wrapped line cannot be redrawn with \r). */
export const PROGRESS_LINE_CHARS_MAX = 100;

const SILENT: ProgressLine = { update: () => undefined, end: () => undefined };

/** `nowMs` is injectable so the throttle is testable without waiting. */
export function progressLine(stream: ProgressStream = process.stderr, nowMs: () => number = () => performance.now()): ProgressLine {
  if (stream.isTTY !== true) return SILENT;
  let drawnMs = Number.NEGATIVE_INFINITY;
  let drawn = false;
  return {
    update(text, force = false) {
      const now = nowMs();
      if (!force && now - drawnMs < PROGRESS_REDRAW_MS_MIN) return;
      drawnMs = now;
      drawn = true;
      // \x1b[K clears what a longer previous line left to the right.
      stream.write(`\r${text.slice(0, PROGRESS_LINE_CHARS_MAX)}\x1b[K`);
    },
    end() {
      if (drawn) stream.write("\n");
      drawn = false;
    },
  };
}

/** "1m05s", "42s": whole seconds; ETAs are rough and decimals would only jitter. */
export function formatSeconds(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes}m${String(seconds % 60).padStart(2, "0")}s` : `${seconds}s`;
}

export interface CountProgress {
  readonly done: number;
  readonly total: number;
  readonly failed: number;
  readonly elapsedMs: number;
}

/** `swarm`: "37/300 seeds, 2 failed, ETA 4m10s" (no ETA before the first seed ends). */
export function formatCountProgress(progress: CountProgress, unit = "seeds"): string {
  const { done, total, failed, elapsedMs } = progress;
  const etaMs = done === 0 ? null : (elapsedMs / done) * (total - done);
  return `${done}/${total} ${unit}, ${failed} failed, ${etaMs === null ? "ETA -" : `ETA ${formatSeconds(etaMs)}`}`;
}

export interface TimeProgress {
  readonly label: string;
  readonly doneUs: number;
  readonly totalUs: number;
}

/** `drill run`, `bench`: "drill region-outage: 12.0/90.0 s simulated (13%)". */
export function formatTimeProgress(progress: TimeProgress, kind = "simulated"): string {
  const { label, doneUs, totalUs } = progress;
  const done = Math.min(Math.max(doneUs, 0), totalUs);
  const pct = totalUs > 0 ? Math.floor((done / totalUs) * 100) : 100;
  return `${label}: ${(done / 1e6).toFixed(1)}/${(totalUs / 1e6).toFixed(1)} s ${kind} (${pct}%)`;
}
