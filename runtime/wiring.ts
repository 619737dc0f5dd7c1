// The controller of a running world (virtual or live) and its regional gateways: every leader
// move the controller sees reaches each gateway's leader cache, in both runtimes the same way.
import { Controller, defaultControllerOptions, type ControllerDependencies, type ControllerOptions } from "../controller/controller.js";
import type { Gateway } from "../controller/gateway.js";

export function controllerWithGateways(options: Partial<ControllerOptions> | undefined, dependencies: Omit<ControllerDependencies, "onLeader">, gateways: ReadonlyMap<string, Gateway>): Controller {
  return new Controller(
    { ...defaultControllerOptions, ...options },
    {
      ...dependencies,
      onLeader: (cell, leader) => {
        for (const gateway of gateways.values()) gateway.leaderHint(cell, leader?.replica ?? null);
      },
    },
  );
}
