// Safety rules: pure checks of a proposed action against the cluster as the controller sees it.
// In the spirit of Route 53 ARC's assertion and gating rules, but quorum-aware. Each refusal
// names its rule; `force` (with a reason) overrides the refusing rules and is audited.
import type { CellView, ReplicaView } from "../domain/cluster.js";
import type { CapacityFigures, SafetyRuleId } from "../domain/records.js";
import { describeShortfall, type CapacityShortfall } from "./capacity.js";
import { bugOn, type InjectedBugs } from "../cells/bugs.js";

export interface SafetyLimits {
  /** A replica further behind its leader than this may not take leadership. */
  readonly lagEntriesMax: number;
  /** Minimum simulated time between two actions on the same cell or region. */
  readonly waitPeriodMs: number;
  /** Deliberate bugs for the harness's own tests (cells/bugs.ts); absent in every normal run. */
  readonly bugs?: InjectedBugs;
}

export const defaultSafetyLimits: SafetyLimits = { lagEntriesMax: 64, waitPeriodMs: 30_000 };

export interface SafetyContext {
  readonly cells: readonly CellView[];
  readonly regions: readonly string[];
  readonly drained: readonly string[];
  readonly nowMs: number;
  /** When the last completed or started action on `target` (a cell or region) happened. */
  readonly lastActionMs: (target: string) => number | undefined;
  readonly limits: SafetyLimits;
}

export interface Refusal {
  readonly rule: SafetyRuleId;
  readonly error: string;
  /** Rule capacity: the figures the 409 carries. */
  readonly figures?: CapacityFigures;
}

/** Capacity shortfalls of a move as refusals (after every other rule: the least severe). */
export function capacityRefusals(shortfalls: readonly CapacityShortfall[]): Refusal[] {
  return shortfalls.map((shortfall) => ({
    rule: "capacity",
    error: describeShortfall(shortfall),
    figures: {
      needOpsPerSecond: shortfall.needOpsPerSecond,
      haveOpsPerSecond: shortfall.haveOpsPerSecond,
      region: shortfall.region,
      cell: shortfall.cell,
    },
  }));
}

export type TargetChoice = { readonly ok: true; readonly replica: ReplicaView } | { readonly ok: false; readonly refusal: Refusal };

/** A replica that could lead now: up, in touch with the leader, and caught up. */
export function isCaughtUp(replica: ReplicaView, limits: SafetyLimits): boolean {
  return replica.state === "up" && replica.lag >= 0 && replica.lag <= limits.lagEntriesMax;
}

/**
 * The best replica of `cell` among `candidates`: caught-up ones only, least lag first, then the
 * region holding most of the cell's replicas (a two-replica region keeps a local quorum partner).
 */
export function chooseReplica(cell: CellView, candidates: readonly ReplicaView[], where: string, limits: SafetyLimits): TargetChoice {
  const others = candidates.filter((replica) => replica.id !== cell.leader?.replica);
  const up = others.filter((replica) => replica.state === "up" || replica.state === "lagging");
  if (up.length === 0) return { ok: false, refusal: { rule: "target-unavailable", error: `${cell.id} has no replica up in ${where}` } };
  // The injected bug "transfer-to-lagging" (cells/bugs.ts): any replica that is up will do, lag or not.
  const lagBlind = bugOn(limits.bugs, "transfer-to-lagging");
  const caughtUp = lagBlind ? up : up.filter((replica) => isCaughtUp(replica, limits));
  if (caughtUp.length === 0) {
    const lags = up.map((replica) => `${replica.id} lag ${replica.lag}`).join(", ");
    return {
      ok: false,
      refusal: {
        rule: "target-caught-up",
        error: `${cell.id}: no replica in ${where} within lagEntriesMax=${limits.lagEntriesMax} (${lags})`,
      },
    };
  }
  const perRegion = new Map<string, number>();
  for (const replica of cell.replicas) perRegion.set(replica.region, (perRegion.get(replica.region) ?? 0) + 1);
  const sorted = [...caughtUp].sort(
    (a, b) =>
      (lagBlind ? 0 : a.lag - b.lag) ||
      (perRegion.get(b.region) ?? 0) - (perRegion.get(a.region) ?? 0) ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  return { ok: true, replica: sorted[0] as ReplicaView };
}

function waitPeriod(context: SafetyContext, target: string): Refusal[] {
  const lastMs = context.lastActionMs(target);
  if (lastMs === undefined || context.nowMs - lastMs >= context.limits.waitPeriodMs) return [];
  const leftMs = context.limits.waitPeriodMs - (context.nowMs - lastMs);
  return [
    {
      rule: "wait-period",
      error: `${target} was acted on ${context.nowMs - lastMs} ms ago; wait ${leftMs} ms more (waitPeriodMs=${context.limits.waitPeriodMs})`,
    },
  ];
}

function quorum(cell: CellView): Refusal[] {
  return cell.quorumAvailable
    ? []
    : [
        {
          rule: "quorum-reachable",
          error: `${cell.id} has no reachable quorum; a leadership move cannot commit and could leave it leaderless`,
        },
      ];
}

/** Failover of `cell` to a replica in `toRegion` (the region named, or the region of the datacenter named). */
export function checkFailover(context: SafetyContext, cell: CellView, choice: TargetChoice, toRegion: string): Refusal[] {
  const refusals: Refusal[] = [...quorum(cell)];
  if (context.drained.includes(toRegion)) {
    refusals.push({
      rule: "target-region-evacuated",
      error: `${toRegion} is evacuated; a leader there would serve users its gateway no longer takes (restore ${toRegion} first, or force with a reason)`,
    });
  }
  if (!choice.ok) refusals.push(choice.refusal);
  refusals.push(...waitPeriod(context, cell.id));
  return refusals;
}

/** Evacuating `region`: every leader there must have a caught-up place to go, outside it. */
export function checkEvacuate(context: SafetyContext, region: string, choices: ReadonlyMap<string, TargetChoice>): Refusal[] {
  const refusals: Refusal[] = [];
  // The most severe rule first: it is the one the refusal names.
  const activeAfter = context.regions.filter((name) => name !== region && !context.drained.includes(name));
  if (activeAfter.length === 0)
    refusals.push({ rule: "gateway-remaining", error: `evacuating ${region} would drain every gateway; users would have nowhere to go` });
  const otherDrained = context.drained.filter((name) => name !== region);
  if (otherDrained.length > 0) {
    refusals.push({
      rule: "one-region-evacuated",
      error: `${otherDrained.join(", ")} is already evacuated; evacuating ${region} too would leave one region carrying every cell`,
    });
  }
  for (const cell of context.cells) {
    if (cell.leader?.region !== region) continue;
    refusals.push(...quorum(cell));
    const choice = choices.get(cell.id);
    if (choice !== undefined && !choice.ok) refusals.push(choice.refusal);
  }
  refusals.push(...waitPeriod(context, region));
  return refusals;
}

/** Restoring `region`: it must be reachable (a replica of every cell preferring it is up). */
export function checkRestore(context: SafetyContext, region: string): Refusal[] {
  const refusals: Refusal[] = [];
  const upHere = context.cells
    .flatMap((cell) => cell.replicas)
    .filter((replica) => replica.region === region && replica.state !== "crashed" && replica.state !== "partitioned");
  if (upHere.length === 0)
    refusals.push({ rule: "target-unavailable", error: `${region} has no replica up; restoring it would route users to a dead region` });
  for (const cell of context.cells) {
    if (cell.preferredRegion === region) refusals.push(...quorum(cell));
  }
  refusals.push(...waitPeriod(context, region));
  return refusals;
}
