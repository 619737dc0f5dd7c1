// The progress line of swarm, bench and drill run (cli/progress.ts): what it says, and that it
// writes only to a terminal.
import { describe, expect, it } from "vitest";
import {
  formatCountProgress,
  formatSeconds,
  formatTimeProgress,
  progressLine,
  PROGRESS_LINE_CHARS_MAX,
  PROGRESS_REDRAW_MS_MIN,
  type ProgressStream,
} from "../../cli/progress.js";

function fakeStream(isTTY: boolean): ProgressStream & { written: string[] } {
  const written: string[] = [];
  return { isTTY, written, write: (text: string) => written.push(text) };
}

describe("progress formatters", () => {
  it("counts seeds and gives no ETA before the first seed ends", () => {
    expect(formatCountProgress({ done: 0, total: 300, failed: 0, elapsedMs: 5_000 })).toBe("0/300 seeds, 0 failed, ETA -");
  });

  it("estimates the rest from the mean so far", () => {
    // 30 seeds in 60 s: 2 s each, 270 to go = 540 s.
    expect(formatCountProgress({ done: 30, total: 300, failed: 2, elapsedMs: 60_000 })).toBe("30/300 seeds, 2 failed, ETA 9m00s");
    expect(formatCountProgress({ done: 300, total: 300, failed: 0, elapsedMs: 60_000 })).toBe("300/300 seeds, 0 failed, ETA 0s");
  });

  it("writes whole seconds and minutes", () => {
    expect(formatSeconds(42_400)).toBe("42s");
    expect(formatSeconds(65_000)).toBe("1m05s");
    expect(formatSeconds(-3)).toBe("0s");
  });

  it("shows simulated time done / total, clamped to the total", () => {
    expect(formatTimeProgress({ label: "drill region-outage", doneUs: 12_000_000, totalUs: 90_000_000 })).toBe(
      "drill region-outage: 12.0/90.0 s simulated (13%)",
    );
    expect(formatTimeProgress({ label: "d", doneUs: 95_000_000, totalUs: 90_000_000 }, "real")).toBe("d: 90.0/90.0 s real (100%)");
  });
});

describe("progressLine", () => {
  it("writes nothing at all when the stream is not a terminal", () => {
    const stream = fakeStream(false);
    const line = progressLine(stream, () => 0);
    line.update("1/2 seeds", true);
    line.update("2/2 seeds", true);
    line.end();
    expect(stream.written).toEqual([]);
  });

  it("redraws one line on a terminal, at most once per interval unless forced, and ends it", () => {
    const stream = fakeStream(true);
    let nowMs = 1_000;
    const line = progressLine(stream, () => nowMs);
    line.update("a");
    nowMs += PROGRESS_REDRAW_MS_MIN - 1;
    line.update("b");
    line.update("c", true);
    nowMs += PROGRESS_REDRAW_MS_MIN;
    line.update("d");
    line.end();
    expect(stream.written).toEqual(["\ra\x1b[K", "\rc\x1b[K", "\rd\x1b[K", "\n"]);
  });

  it("cuts a long line so it never wraps, and ends nothing it did not draw", () => {
    const stream = fakeStream(true);
    const line = progressLine(stream, () => 0);
    line.end();
    line.update("x".repeat(PROGRESS_LINE_CHARS_MAX + 50));
    expect(stream.written).toEqual([`\r${"x".repeat(PROGRESS_LINE_CHARS_MAX)}\x1b[K`]);
  });
});
