// The target universe of a world that does not exist yet, from its configuration: drill files
// are checked against it (a region that does not exist is bad input) before anything runs.
import { groupDatacenters, planPlacement, type FlatTopologyInput } from "../../cells/placement.js";
import type { WorldConfig } from "../../domain/config.js";
import type { TargetUniverse } from "../targets.js";

export function universeOfConfig(config: WorldConfig): TargetUniverse {
  // parseWorldConfig has already given every datacenter its region (checkReferences).
  const topology = groupDatacenters(config.topology as FlatTopologyInput);
  const placement = planPlacement(topology, {
    cellCount: config.cells.count,
    replicasPerCell: config.cells.replicasPerCell,
    shardCount: config.cells.shards,
    preferredLeaderRegions: config.cells.preferredLeaderRegions,
  });
  const replicaHosts = placement.cells.flatMap((cell) =>
    cell.replicas.map((replica) => ({ id: replica.replica, datacenter: replica.datacenter, region: replica.region, cell: cell.cell })),
  );
  // Region clients as the virtual runtime places them: in the region's first datacenter.
  const clients = topology.regions.map((region) => ({
    id: `client/${region.name}`,
    datacenter: region.datacenters[0] as string,
    region: region.name,
  }));
  return {
    hosts: [...replicaHosts, ...clients],
    regions: topology.regions.map((region) => region.name),
    datacenters: topology.regions.flatMap((region) => region.datacenters),
    // Leaders are unknown before the run; names are all that is checked against this.
    cells: placement.cells.map((cell) => ({ id: cell.cell, leader: null, replicas: cell.replicas.map((replica) => replica.replica) })),
  };
}
