// Random elastic-cell activity for `ldc sim --moves` and the swarm (issue 18: "a swarm of seeds
// with random moves under every nemesis finds no violation"): every few seconds, on its own forked
// random stream (so the rest of the run draws as before), add a cell (up to a bound) or move a
// random range of one cell's shards to another cell, back and forth. Refusals (a cell without a
// quorum, a range moving) are part of the exercise. At the end, after the heal and the drain,
// every shard must be owned by exactly one cell's ledger, the one the placement names.

import type { Random } from "../../ground/ports.js";
import { shardOfAccountId } from "../../cells/ledger/shard-move.js";
import type { MoveRecord } from "../../controller/elastic.js";
import { elasticDriver } from "./elastic-stand-in.js";
import type { VirtualRuntime } from "./runtime.js";

export const RANDOM_MOVES_CELLS_MAX = 9;
const GAP_US_MIN = 2_000_000;
const GAP_US_MAX = 5_000_000;

export interface RandomMoves {
  /** Moves not finished yet (cut over or rolled back). */
  inFlight(): number;
  readonly moves: MoveRecord[];
  readonly added: string[];
  readonly refused: string[];
}

export function scheduleRandomMoves(virtual: VirtualRuntime, window: { readonly startUs: number; readonly endUs: number }): RandomMoves {
  const driver = elasticDriver(virtual);
  const result: RandomMoves = { inFlight: () => driver?.elastic.inFlight().length ?? 0, moves: [], added: [], refused: [] };
  if (driver === null) return result;
  const { elastic } = driver;
  const random: Random = virtual.world.random.fork("elastic/random-moves");
  const clock = virtual.cluster.clock;
  const next = (): void => {
    const gapUs = random.intBetween(GAP_US_MIN, GAP_US_MAX);
    if (clock.nowUs() + gapUs >= window.endUs) return;
    clock.setTimer(gapUs, () => {
      act();
      next();
    });
  };
  const act = (): void => {
    const placement = virtual.placement;
    if (placement.cells.length < RANDOM_MOVES_CELLS_MAX && random.nextFloat() < 0.25) {
      elastic.addCell({ reason: "random", actor: "swarm" }, (added) => {
        if (added.ok) result.added.push(added.value.cell);
        else result.refused.push(`add-cell: ${added.error}`);
      });
      return;
    }
    const sources = placement.cells.filter((cell) => cell.shards.length >= 2);
    const targets = placement.cells.filter((cell) => driver.routing.cells()[cell.cell] !== undefined);
    if (sources.length === 0 || targets.length < 2) return;
    const source = random.pick(sources);
    const shards = source.shards;
    const length = random.intBetween(1, Math.min(4, shards.length - 1));
    const start = random.intBetween(0, shards.length - length);
    const first = shards[start] as number;
    const last = shards[start + length - 1] as number;
    if (last - first !== length - 1) return; // not contiguous (an earlier move cut a hole)
    const others = targets.filter((cell) => cell.cell !== source.cell);
    const to = random.pick(others).cell;
    elastic.moveShards({ shards: `${first}..${last}`, to, reason: "random", actor: "swarm" }, (moved) => {
      if (moved.ok) result.moves.push(moved.value);
      else result.refused.push(`move ${first}..${last} -> ${to}: ${moved.error}`);
    });
  };
  clock.setTimer(Math.max(0, window.startUs - clock.nowUs()), next);
  return result;
}

/**
 * After the run: every shard's accounts are in exactly one live cell's ledger (its furthest-applied
 * replica), and that cell is the one the placement names. Violations are messages.
 */
export function shardOwnershipViolations(virtual: VirtualRuntime, moves: RandomMoves): string[] {
  const violations: string[] = [];
  const holders = new Map<number, Set<string>>();
  for (const cell of virtual.placement.cells) {
    let best: { applied: number; accounts: Iterable<string> } | null = null;
    for (const replica of cell.replicas) {
      const node = virtual.node(replica.replica);
      if (node === undefined) continue;
      const applied = node.stateMachine.appliedIndex;
      if (best === null || applied > best.applied) best = { applied, accounts: node.stateMachine.ledger.balances().keys() };
    }
    if (best === null) continue;
    for (const account of best.accounts) {
      const shard = shardOfAccountId(account);
      if (shard < 0) continue;
      let set = holders.get(shard);
      if (set === undefined) holders.set(shard, (set = new Set()));
      set.add(cell.cell);
    }
  }
  const stuck = new Set<number>();
  for (const move of moves.moves) if (move.state === "stuck") for (let shard = move.first; shard <= move.last; shard++) stuck.add(shard);
  for (let shard = 0; shard < virtual.placement.shardCount; shard++) {
    const cells = [...(holders.get(shard) ?? [])];
    const owner = virtual.placement.cellOfShard(shard);
    if (cells.length > 1) violations.push(`shard ${shard} is held by ${cells.join(" and ")}`);
    else if (cells.length === 0 && !stuck.has(shard)) violations.push(`shard ${shard} is held by no cell (the placement says ${owner})`);
    else if (cells.length === 1 && cells[0] !== owner)
      violations.push(`shard ${shard} is held by ${cells[0]}, the placement says ${owner}`);
  }
  return violations;
}
