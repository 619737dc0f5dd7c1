import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ldc } from "./ldc.js";
import { stringify } from "yaml";
import { defaultWorldConfig } from "../../domain/config.js";

describe("ldc sim", () => {
  it("gives the same traceHash for the same seed and a different one for another seed", async () => {
    const [first, again, other] = await Promise.all([
      ldc("sim", "--workload", "ping", "--seed", "7", "--duration", "60s", "--json"),
      ldc("sim", "--workload", "ping", "--seed", "7", "--duration", "60s", "--json"),
      ldc("sim", "--workload", "ping", "--seed", "8", "--duration", "60s", "--json"),
    ]);
    for (const run of [first, again, other]) expect(run.status, run.stderr).toBe(0);
    const [a, b, c] = [first, again, other].map(
      (run) =>
        JSON.parse(run.stdout) as {
          traceHash: string;
          events: number;
          simulatedMs: number;
          seed: number;
          rttMs: Record<string, { p50: number; p99: number }>;
        },
    );
    expect(a?.traceHash).toMatch(/^[0-9a-f]{8}$/);
    expect(b?.traceHash).toBe(a?.traceHash);
    expect(b?.events).toBe(a?.events);
    expect(c?.traceHash).not.toBe(a?.traceHash);
    expect(a?.simulatedMs).toBe(60_000);
    expect(a?.seed).toBe(7);
    // The default world's round trips: 6 ms hangzhou-shanghai, 30 ms to shenzhen, plus jitter.
    expect(a?.rttMs["hangzhou-shanghai"]?.p50).toBeGreaterThanOrEqual(6);
    expect(a?.rttMs["hangzhou-shanghai"]?.p99).toBeLessThanOrEqual(6.6 + 0.01);
    expect(a?.rttMs["hangzhou-shenzhen"]?.p50).toBeGreaterThanOrEqual(30);
  });

  it("exits 2 with one line naming the field for bad configuration and flags", async () => {
    const directory = mkdtempSync(join(tmpdir(), "ldc-world-"));
    const write = (name: string, content: unknown) => {
      const path = join(directory, name);
      writeFileSync(path, name.endsWith(".json") ? JSON.stringify(content) : stringify(content));
      return path;
    };
    const base = defaultWorldConfig();
    const cases: Array<[string, RegExp]> = [
      [
        write("link.yaml", { topology: { links: [...base.topology.links, { source: "mars", target: "hangzhou", rttMs: 5 }] } }),
        /topology\.links\[3\]\.source: unknown region or datacenter "mars"/,
      ],
      [write("negative.json", { topology: { sameDatacenterRttMs: -0.2 } }), /topology\.sameDatacenterRttMs: expected a non-negative/],
      [write("loss.yaml", { network: { lossProbability: 1.5 } }), /network\.lossProbability: expected a number in \[0, 1\], got 1\.5/],
      [
        write("orphan.yaml", { topology: { datacenters: [...base.topology.datacenters, { name: "x-1" }] } }),
        /topology\.datacenters\[5\] \(x-1\): in no region/,
      ],
    ];
    const runs = await Promise.all([
      ...cases.map(([path]) => ldc("sim", "--workload", "ping", "--config", path, "--duration", "1s", "--json")),
      ldc("sim", "--duration", "soon"),
      ldc("sim", "--seed", "-3"),
      ldc("bench", "nope"),
    ]);
    cases.forEach(([, pattern], index) => {
      const run = runs[index] as { status: number | null; stdout: string; stderr: string };
      expect(run.status).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr).toMatch(pattern);
      expect(run.stderr.trimEnd().split("\n")).toHaveLength(1);
    });
    const [badDuration, badSeed, badTarget] = runs.slice(cases.length);
    expect(badDuration?.status).toBe(2);
    expect(badDuration?.stderr).toMatch(/--duration: expected a duration/);
    expect(badSeed?.status).toBe(2);
    expect(badSeed?.stderr).toMatch(/--seed/);
    expect(badTarget?.status).toBe(2);
    expect(badTarget?.stderr).toMatch(/target: expected one of .*sim/);
  });
});
