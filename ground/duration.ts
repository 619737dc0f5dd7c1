/** The form every duration flag and field accepts, quoted in every error. */
export const DURATION_FORM = "a duration with a unit, like 60s, 250ms, 1.5s, 2m, 1h or 500us";

const UNIT_US: Readonly<Record<string, number>> = { us: 1, µs: 1, ms: 1_000, s: 1_000_000, m: 60_000_000, h: 3_600_000_000 };

/** A field whose name carries its unit (`leaseMs`, `durationMs`) takes a bare number of milliseconds. */
function unitInName(field: string): boolean {
  return /Ms$/.test(field);
}

/**
 * Parses "60s", "250ms", "1.5s", "2m", "1h", "500us". A duration without a unit is an error
 * ("5" could be seconds or milliseconds, and guessing wrong is a drill 1000x off), except a
 * number in a field whose name ends in Ms (`leaseMs: 30000`), where the name is the unit.
 */
export function parseDurationUs(text: string | number, field = "duration"): number {
  if (typeof text === "number") {
    if (!unitInName(field))
      throw new RangeError(`${field}: expected ${DURATION_FORM} (a bare number only in a field named ...Ms), got ${text}`);
    if (!Number.isFinite(text) || text < 0) throw new RangeError(`${field}: expected a non-negative number of milliseconds, got ${text}`);
    return Math.round(text * 1000);
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*(us|µs|ms|s|m|h)\s*$/.exec(text);
  if (match === null) {
    if (unitInName(field) && /^\s*\d+(?:\.\d+)?\s*$/.test(text)) return Math.round(Number(text) * 1000);
    throw new RangeError(`${field}: expected ${DURATION_FORM}, got "${text}"`);
  }
  return Math.round(Number(match[1]) * (UNIT_US[match[2] as string] as number));
}

export function formatMs(us: number): string {
  return `${(us / 1000).toFixed(us % 1000 === 0 ? 0 : 3)}ms`;
}
