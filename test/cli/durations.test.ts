// Issue 15, defect 12: a duration without a unit is bad input everywhere a duration is read: the
// CLI flags (exit 2, one line naming the flag and the expected form), fault specs and drill files.
import { describe, expect, it } from "vitest";
import { ldc } from "./ldc.js";
import { parseFaultSpec } from "../../chaos/catalogue.js";
import { ChaosError } from "../../chaos/errors.js";
import { parseDrillText } from "../../chaos/drill/format.js";
import { parseDurationUs } from "../../ground/duration.js";

function chaosField(run: () => unknown): string | null {
  try {
    run();
    return null;
  } catch (error) {
    if (error instanceof ChaosError) return error.field;
    throw error;
  }
}

describe("durations need a unit (issue 15: defect 12)", () => {
  it("every CLI duration flag refuses a bare number: exit 2, one line naming the flag and the form", async () => {
    const runs = await Promise.all([
      ldc("sim", "--duration", "5"),
      ldc("sim", "--workload", "ping", "--duration", "5"),
      ldc("swarm", "--seeds", "1..2", "--duration", "5"),
      ldc("check", "--model", "cas-register", "--timeout", "5", "nothing.edn"),
    ]);
    const flags = ["--duration", "--duration", "--duration", "--timeout"];
    runs.forEach((run, index) => {
      expect(run.status, run.stderr).toBe(2);
      expect(run.stdout).toBe("");
      const lines = run.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(flags[index]);
      expect(lines[0]).toMatch(/with a unit, like 60s/);
    });
  });

  it("the parser: units required; a bare number only where the field name says Ms", () => {
    expect(parseDurationUs("5s", "--duration")).toBe(5_000_000);
    expect(parseDurationUs("250ms", "x")).toBe(250_000);
    expect(parseDurationUs("1.5m", "x")).toBe(90_000_000);
    expect(parseDurationUs(30_000, "leaseMs")).toBe(30_000_000);
    expect(parseDurationUs("30000", "steps[0].inject.durationMs")).toBe(30_000_000);
    for (const [value, field] of [
      ["5", "--duration"],
      [5, "duration"],
      ["5", "lease"],
      ["", "duration"],
      ["5 parsecs", "duration"],
      [-1, "leaseMs"],
    ] as const) {
      expect(() => parseDurationUs(value, field), `${String(value)} in ${field}`).toThrow(field);
    }
  });

  it("fault specs and drill files name the unitless field", () => {
    const target = { regions: ["hangzhou", "shanghai"] };
    expect(chaosField(() => parseFaultSpec({ type: "partition", target, duration: 5 }))).toBe("duration");
    expect(chaosField(() => parseFaultSpec({ type: "partition", target, lease: "30" }))).toBe("lease");
    expect(chaosField(() => parseFaultSpec({ type: "partition", target, durationMs: 5000 }))).toBeNull();
    expect(chaosField(() => parseDrillText("name: d\nduration: 60\n"))).toBe("duration");
    expect(
      chaosField(() =>
        parseDrillText("name: d\nduration: 60s\nsteps:\n  - at: 10\n    inject: {type: kill, target: {select: one}, duration: 5s}\n"),
      ),
    ).toBe("steps[0].at");
    expect(
      chaosField(() =>
        parseDrillText("name: d\nduration: 60s\nsteps:\n  - at: 10s\n    inject: {type: kill, target: {select: one}, duration: 5}\n"),
      ),
    ).toBe("steps[0].inject.duration");
    expect(chaosField(() => parseDrillText("name: d\nduration: 60s\nnemesis: {faults: [kill], interval: 8}\n"))).toBe("nemesis.interval");
    expect(
      chaosField(() =>
        parseDrillText("name: d\nduration: 60s\nsteps:\n  - at: 10s\n    inject: {type: kill, target: {select: one}, duration: 5s}\n"),
      ),
    ).toBeNull();
  });
});
