// What the HTTP edge serves of the virtual runtime's control group (controller/http/app.ts ApiControl).
import type { ApiControl } from "../../controller/http/app.js";
import type { ControllerSetup } from "./controller-setup-types.js";

export function apiControlOf(setup: Pick<ControllerSetup, "control" | "virtual" | "routing">): ApiControl {
  return {
    gate: setup.control.gate,
    plane: setup.control.plane,
    regions: setup.virtual.regions.map((region) => region.name),
    routingVersion: () => setup.routing.version,
    controller: () => ({
      host: setup.control.residence.host,
      handovers: setup.control.residence.handovers().slice(-10),
    }),
  };
}
