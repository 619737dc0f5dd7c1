import { describe, expect, it } from "vitest";
import { BUILTIN_DRILLS, builtinDrill, builtinDrillNames } from "../../chaos/drill/builtin.js";
import { parseDrillText, parsePath } from "../../chaos/drill/format.js";
import { universeOfConfig } from "../../chaos/drill/universe.js";
import { ChaosError } from "../../chaos/errors.js";
import { defaultWorldConfig } from "../../domain/config.js";

const universe = universeOfConfig(defaultWorldConfig());

const ISSUE_EXAMPLE = `name: strict-region-outage
duration: 90s
workload: {profile: steady, opsPerSecond: 2000}
steps:
  - at: 20s
    inject: {type: region-outage, region: hangzhou, duration: 30s}
expect:
  rtoMsMax: 1500
  lostAckedTransfersMax: 0
  checkers: [linearizable, bank, durability, replica-agreement]
`;

function errorOf(text: string): ChaosError {
  try {
    parseDrillText(text, universe);
  } catch (error) {
    if (error instanceof ChaosError) return error;
    throw error;
  }
  throw new Error("expected the drill to be rejected");
}

describe("drill format", () => {
  it("reads the issue's example as written", () => {
    const drill = parseDrillText(ISSUE_EXAMPLE, universe);
    expect(drill.durationUs).toBe(90_000_000);
    expect(drill.workload).toEqual({ profile: "steady", opsPerSecond: 2000 });
    expect(drill.steps).toHaveLength(1);
    expect(drill.steps[0]).toMatchObject({
      kind: "inject",
      atUs: 20_000_000,
      spec: { type: "region-outage", target: { regions: ["hangzhou"] }, durationUs: 30_000_000 },
    });
    expect(drill.expect).toMatchObject({
      rtoMsMax: 1500,
      lostAckedTransfersMax: 0,
      checkers: ["linearizable", "bank", "durability", "replica-agreement"],
    });
  });

  it("names the field and the line of an unknown fault type", () => {
    const error = errorOf(ISSUE_EXAMPLE.replace("type: region-outage", "type: meteor"));
    expect(error.field).toBe("steps[0].inject.type");
    expect(error.line).toBe(6);
    expect(error.message).toMatch(/^steps\[0\]\.inject\.type \(line 6\): unknown fault type "meteor"; expected one of partition, /);
  });

  it("names a target that does not exist", () => {
    const error = errorOf(ISSUE_EXAMPLE.replace("region: hangzhou", "region: atlantis"));
    expect(error.code).toBe("NO_SUCH_TARGET");
    expect(error.field).toBe("steps[0].inject.regions");
    expect(error.line).toBe(6);
    expect(error.message).toContain('unknown region "atlantis"; expected one of hangzhou, shanghai, shenzhen');
  });

  it("rejects a step after the end of the drill, naming its `at`", () => {
    const error = errorOf(ISSUE_EXAMPLE.replace("at: 20s", "at: 95s"));
    expect(error.field).toBe("steps[0].at");
    expect(error.line).toBe(5);
    expect(error.reason).toContain("after the end of the drill");
  });

  it("names unknown keys, steps out of order, and bad heals with their lines", () => {
    expect(errorOf(ISSUE_EXAMPLE.replace("rtoMsMax: 1500", "rtoMax: 1500"))).toMatchObject({ field: "expect.rtoMax", line: 8 });
    const twoSteps = `name: x\nduration: 60s\nsteps:\n  - at: 30s\n    inject: {type: kill}\n  - at: 10s\n    heal: all\n`;
    expect(errorOf(twoSteps)).toMatchObject({ field: "steps[1].at", line: 6 });
    const badHeal = `name: x\nduration: 60s\nsteps:\n  - at: 30s\n    heal: outage\n`;
    expect(errorOf(badHeal)).toMatchObject({ field: "steps[0].heal", line: 5 });
    const twoKinds = `name: x\nduration: 60s\nsteps:\n  - {at: 30s, heal: all, wait: 5s}\n`;
    expect(errorOf(twoKinds).reason).toContain("exactly one of");
    expect(errorOf(`name: x\nduration: 60s\nexpect: {checkers: [vibes]}\n`)).toMatchObject({ field: "expect.checkers[0]", line: 3 });
  });

  it("reads JSON too, and reports malformed YAML with a line", () => {
    const drill = parseDrillText(
      JSON.stringify({ name: "j", duration: "10s", steps: [{ at: "1s", inject: { type: "pause", target: "leader", leaseMs: 2000 } }] }),
      universe,
    );
    expect(drill.steps[0]).toMatchObject({ kind: "inject", spec: { type: "pause", leaseUs: 2_000_000 } });
    expect(errorOf("name: x\nduration: [60s\n").line).toBeGreaterThan(0);
  });

  it("moves the step cursor with wait and checks cells named in expect", () => {
    const drill = parseDrillText(
      `name: w\nduration: 60s\nsteps:\n  - {at: 10s, inject: {type: kill, cell: cell-1, select: majority, duration: 10s}}\n  - wait: 5s\n  - expect: {unavailable: [cell-1]}\n`,
      universe,
    );
    expect(drill.steps[1]).toMatchObject({ kind: "expect", atUs: 15_000_000, unavailable: ["cell-1"] });
    expect(errorOf(`name: w\nduration: 60s\nsteps:\n  - expect: {unavailable: [cell-9]}\n`)).toMatchObject({
      field: "steps[0].expect.unavailable[0]",
      line: 4,
    });
  });

  it("every built-in drill parses against the default world and stays short", () => {
    expect(builtinDrillNames()).toEqual([
      "region-outage",
      "dc-outage",
      "leader-dc-partition",
      "minority-partition-flapping",
      "disk-corruption-one-replica",
      "disk-corruption-two-replicas",
      "rolling-restart",
      "double-11-peak-with-region-loss",
      "shard-move-during-region-outage",
      "double-11-scale-out",
      "random-availability-attacks",
      "cross-cell-region-outage",
      "control-plane-region-outage",
    ]);
    for (const name of Object.keys(BUILTIN_DRILLS)) {
      const drill = builtinDrill(name, universe);
      expect(drill.name).toBe(name);
      expect(drill.durationUs).toBeLessThanOrEqual(120_000_000);
      expect(drill.expect.lostAckedTransfersMax).toBe(0);
    }
  });

  it("parses the elastic steps and the scaleOut section, naming a bad field", () => {
    const drill = builtinDrill("shard-move-during-region-outage", universe);
    expect(drill.steps.map((step) => (step.kind === "action" ? step.action.kind : step.kind))).toEqual([
      "add-cell",
      "move-shards",
      "inject",
    ]);
    expect(drill.steps[1]).toMatchObject({ action: { kind: "move-shards", target: "0..4", to: "cell-7" } });
    expect(builtinDrill("double-11-scale-out", universe).scaleOut).toEqual({
      budgetOpsPerSecond: 250,
      threshold: 0.8,
      sustainUs: 3_000_000,
    });
    expect(errorOf(`name: w\nduration: 60s\nsteps:\n  - move-shards: {shards: "1..2", to: hangzhou}\n`)).toMatchObject({
      field: "steps[0].move-shards.to",
    });
    expect(errorOf(`name: w\nduration: 60s\nscaleOut: {budgetOpsPerSecond: -1}\n`)).toMatchObject({ field: "scaleOut.budgetOpsPerSecond" });
  });

  it("parses field paths back into document paths", () => {
    expect(parsePath("steps[2].inject.type")).toEqual(["steps", 2, "inject", "type"]);
  });
});
