import { defaultWorldConfig, type WorldConfig } from "../../../domain/config.js";
import type { VirtualRuntime } from "../../../runtime/virtual/runtime.js";
import type { elasticDriver } from "../../../runtime/virtual/elastic-stand-in.js";

/** One cell of five replicas (2 + 2 + 1) under a light load: cheap enough for many seeds. */
export function oneCellConfig(opsPerSecond = 100): WorldConfig {
  const config = defaultWorldConfig();
  config.cells.count = 1;
  config.cells.preferredLeaderRegions = { "cell-1": "hangzhou" };
  config.workload.opsPerSecond = opsPerSecond;
  return config;
}

/** The elastic driver of a virtual runtime (runtime/virtual/elastic-stand-in.ts) where it has one. */
export type ElasticDriver = NonNullable<ReturnType<typeof elasticDriver>>;

/** Adds a cell through `driver` and runs the world until it is routable (10 s simulated at most); its id. */
export function addRoutableCell(virtual: VirtualRuntime, driver: ElasticDriver): string {
  let added: string | null = null;
  driver.elastic.addCell({ reason: "test", actor: "test" }, (result) => {
    if (!result.ok) throw new Error(result.error);
    added = result.value.cell;
  });
  for (let i = 0; i < 200 && added === null; i++) virtual.runFor(50_000);
  if (added === null) throw new Error("cell not routable");
  return added;
}
