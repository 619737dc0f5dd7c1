/** Parses "60s", "250ms", "1.5s", "2m", "1h", "500us" or a bare number of milliseconds. */
export function parseDurationUs(text: string | number, field = "duration"): number {
  if (typeof text === "number") {
    if (!Number.isFinite(text) || text < 0) throw new RangeError(`${field}: expected a non-negative duration, got ${text}`);
    return Math.round(text * 1000);
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*(us|µs|ms|s|m|h)?\s*$/.exec(text);
  if (!match) throw new RangeError(`${field}: expected a duration like 60s, 250ms, 2m or 1h, got "${text}"`);
  const value = Number(match[1]);
  const unit = match[2] ?? "ms";
  const factor = { us: 1, "µs": 1, ms: 1_000, s: 1_000_000, m: 60_000_000, h: 3_600_000_000 }[unit] as number;
  return Math.round(value * factor);
}

export function formatMs(us: number): string {
  return `${(us / 1000).toFixed(us % 1000 === 0 ? 0 : 3)}ms`;
}
