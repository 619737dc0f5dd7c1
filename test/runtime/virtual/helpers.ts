import { defaultWorldConfig, type WorldConfig } from "../../../domain/config.js";

/** One cell of five replicas (2 + 2 + 1) under a light load: cheap enough for many seeds. */
export function oneCellConfig(opsPerSecond = 100): WorldConfig {
  const config = defaultWorldConfig();
  config.cells.count = 1;
  config.cells.preferredLeaderRegions = { "cell-1": "hangzhou" };
  config.workload.opsPerSecond = opsPerSecond;
  return config;
}
