// The built-in drills, as the YAML an operator would write (`ldc drill show NAME` prints one to
// start a custom drill from). Durations are modest (about a minute simulated) so a drill takes
// seconds of wall time; targets are chosen at run time ("the region holding the most leaders")
// where the drill's point allows, so they hold on any world, not only the default one.
import { ChaosError } from "../errors.js";
import { parseDrillText, type Drill } from "./format.js";
import type { TargetUniverse } from "../targets.js";

export const BUILTIN_DRILLS: Readonly<Record<string, string>> = {
  "region-outage": `
name: region-outage
description: The region holding the most leaders loses power for 60 s; its cells must re-elect elsewhere and lose nothing.
duration: 90s
workload: {profile: steady, opsPerSecond: 200}
steps:
  - at: 10s
    inject: {type: region-outage, select: leader, duration: 60s}
expect:
  rtoMsMax: 1500
  lostAckedTransfersMax: 0
  checkers: [linearizable, bank, durability, replica-agreement, invariants]
`,
  "dc-outage": `
name: dc-outage
description: The datacenter holding the most leaders loses power for 30 s.
duration: 60s
workload: {profile: steady, opsPerSecond: 200}
steps:
  - at: 10s
    inject: {type: dc-outage, select: leader, duration: 30s}
expect:
  rtoMsMax: 1500
  lostAckedTransfersMax: 0
  checkers: [linearizable, bank, durability, replica-agreement, invariants]
`,
  "leader-dc-partition": `
name: leader-dc-partition
description: The datacenter of a cell's leader is cut off from every other datacenter for 20 s (processes keep running).
duration: 60s
workload: {profile: steady, opsPerSecond: 200}
steps:
  - at: 10s
    inject: {type: partition, target: {select: leader}, shape: datacenter, duration: 20s}
expect:
  rtoMsMax: 1500
  lostAckedTransfersMax: 0
  checkers: [linearizable, bank, durability, replica-agreement, invariants]
`,
  "minority-partition-flapping": `
name: minority-partition-flapping
description: A minority of a cell is isolated for 3 s, five times, a different draw each time; quorum never goes.
duration: 60s
workload: {profile: steady, opsPerSecond: 200}
steps:
  - {at: 10s, inject: {type: partition, target: {select: minority}, shape: isolate, duration: 3s}}
  - {at: 16s, inject: {type: partition, target: {select: minority}, shape: isolate, duration: 3s}}
  - {at: 22s, inject: {type: partition, target: {select: minority}, shape: isolate, duration: 3s}}
  - {at: 28s, inject: {type: partition, target: {select: minority}, shape: isolate, duration: 3s}}
  - {at: 34s, inject: {type: partition, target: {select: minority}, shape: isolate, duration: 3s}}
expect:
  lostAckedTransfersMax: 0
  checkers: [linearizable, bank, durability, replica-agreement, invariants]
`,
  "disk-corruption-one-replica": `
name: disk-corruption-one-replica
description: A bit flips in a synced record of one follower of cell-2; restarted, it must notice, repair from its peers and rejoin.
duration: 60s
workload: {profile: steady, opsPerSecond: 200}
steps:
  - at: 15s
    name: flip
    inject: {type: corrupt, target: {hosts: [cell-2/sh-b]}, duration: 30s}
  - at: 20s
    inject: {type: restart, target: {hosts: [cell-2/sh-b]}, downMs: 1000}
expect:
  lostAckedTransfersMax: 0
  replicasUp: true
  checkers: [linearizable, bank, durability, replica-agreement, invariants]
`,
  "disk-corruption-two-replicas": `
name: disk-corruption-two-replicas
description: Bits flip in synced records of two followers of cell-2, a different place on each; both restart at once, repair from the other three and rejoin.
duration: 60s
workload: {profile: steady, opsPerSecond: 200}
steps:
  - at: 15s
    name: flip
    inject: {type: corrupt, target: {hosts: [cell-2/sh-b]}, duration: 30s}
  - at: 17s
    name: flip-second
    inject: {type: corrupt, target: {hosts: [cell-2/hz-b]}, duration: 30s}
  - at: 20s
    inject: {type: restart, target: {hosts: [cell-2/sh-b, cell-2/hz-b]}, downMs: 1000}
expect:
  lostAckedTransfersMax: 0
  replicasUp: true
  checkers: [linearizable, bank, durability, replica-agreement, invariants]
`,
  "rolling-restart": `
name: rolling-restart
description: Restart every replica of cell-1 in turn (followers first, leader last), 8 s apart, each down 3 s.
duration: 60s
workload: {profile: steady, opsPerSecond: 200}
steps:
  - at: 10s
    inject: {type: rolling-restart, cell: cell-1, intervalMs: 8000, downMs: 3000}
expect:
  rtoMsMax: 1500
  lostAckedTransfersMax: 0
  checkers: [linearizable, bank, durability, replica-agreement, invariants]
`,
  "double-11-peak-with-region-loss": `
name: double-11-peak-with-region-loss
description: The Double 11 peak (3x load from 20 s to 40 s) and, at its top, the region holding the most leaders loses power for 20 s.
duration: 70s
workload: {profile: double-11, opsPerSecond: 150}
steps:
  - at: 27s
    inject: {type: region-outage, select: leader, duration: 20s}
expect:
  rtoMsMax: 1500
  lostAckedTransfersMax: 0
  checkers: [linearizable, bank, durability, replica-agreement, invariants]
`,
  "shard-move-during-region-outage": `
name: shard-move-during-region-outage
description: A cell is added and shards 0..4 move to it from cell-1; the move is in flight when the region of both leaders (hangzhou) loses power for 20 s. It must complete or roll back from what is committed, lose nothing and never leave a shard with two owners or none.
duration: 60s
workload: {profile: steady, opsPerSecond: 200}
steps:
  - at: 5s
    add-cell: {}
  - at: 20s
    move-shards: {shards: "0..4", to: cell-7}
  - at: 20s
    inject: {type: region-outage, select: leader, duration: 20s}
expect:
  rtoMsMax: 1500
  lostAckedTransfersMax: 0
  checkers: [linearizable, bank, durability, replica-agreement, invariants]
`,
  "double-11-scale-out": `
name: double-11-scale-out
description: The Double 11 curve (3x load from 20 s to 40 s) with automatic scale-out - a cell whose offered load stays above 80 % of its budget for 3 s gets a new cell and half its shards, given back when the load falls; p99 must stay within 100 ms (no fault, so the whole run is "before") and nothing be lost.
duration: 70s
workload: {profile: double-11, opsPerSecond: 600}
scaleOut: {budgetOpsPerSecond: 250, threshold: 0.8, sustain: 3s}
expect:
  p99MsMax: {before: 100}
  lostAckedTransfersMax: 0
  checkers: [linearizable, bank, durability, replica-agreement, invariants]
`,
  "random-availability-attacks": `
name: random-availability-attacks
description: eBay-style scheduled random attacks on network, disk and processes, one every 8 s, each healed before the next.
duration: 80s
workload: {profile: steady, opsPerSecond: 200}
nemesis: {faults: [partition, kill, pause, disk, clock, latency, loss], interval: 8s, from: 8s, until: 64s}
expect:
  lostAckedTransfersMax: 0
  checkers: [linearizable, bank, durability, replica-agreement, invariants]
`,
  "cross-cell-region-outage": `
name: cross-cell-region-outage
description: Half the transfers cross cells while the region holding the most leaders loses power for 60 s; every cross-cell transfer settles or is refunded exactly once, nothing in flight at the end.
duration: 90s
workload: {profile: steady, opsPerSecond: 200, crossCellRatio: 0.5}
steps:
  - at: 10s
    inject: {type: region-outage, select: leader, duration: 60s}
expect:
  rtoMsMax: 1500
  lostAckedTransfersMax: 0
  checkers: [linearizable, bank, durability, replica-agreement, invariants, global-conservation]
`,
  "control-plane-region-outage": `
name: control-plane-region-outage
description: The region holding the control plane's leader loses power for 30 s; 1 s later the failover button (evacuate that region) is pressed through the API and must commit; nothing acknowledged is lost, money or audit.
duration: 60s
workload: {profile: steady, opsPerSecond: 200}
steps:
  - at: 10s
    name: outage
    inject: {type: region-outage, select: control-leader, duration: 30s}
  - at: 11s
    evacuate: {region: "@outage"}
expect:
  rtoMsMax: 1500
  lostAckedTransfersMax: 0
  checkers: [linearizable, bank, durability, replica-agreement, invariants]
`,
};

export function builtinDrillNames(): string[] {
  return Object.keys(BUILTIN_DRILLS);
}

export function builtinDrill(name: string, universe?: TargetUniverse): Drill {
  const text = BUILTIN_DRILLS[name];
  if (text === undefined)
    throw new ChaosError("UNKNOWN_DRILL", "drill", `unknown drill "${name}"; expected one of ${builtinDrillNames().join(", ")} or a file`);
  return parseDrillText(text, universe);
}
