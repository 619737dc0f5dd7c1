// Online safety checks over the running cells, every `periodUs` of simulated time:
// - election safety: at most one leader per term in a cell (ever, not just at one instant);
// - state machine safety: a ledger event, once any replica applied it, is the same on every
//   replica forever after (equal event hash at equal event index), across crashes and restarts.
// - storage integrity: a replica may find its own WAL or snapshot damaged (beyond a torn tail),
//   whether it stops on it or repairs it from its peers, only if the simulator corrupted that disk (TigerBeetle's VOPR holds storage to the same:
//   corruption the nemesis did not inject is a bug of whoever wrote the bytes).
// Money conservation and exactly-once application are asserted inside the ledger on every apply.

import type { Placement } from "../../cells/placement.js";
import type { CellNode } from "../../cells/cell/node.js";

export interface InvariantOptions {
  readonly failFast: boolean;
  readonly seed: number;
  readonly periodUs?: number;
}

/** Canonical chain points remembered per cell (a sliding window; older ones were checked already). */
const CANONICAL_POINTS_MAX = 64;
const VIOLATIONS_MAX = 100;
/** Terms remembered per cell for election safety (a leader of an older term is long deposed): a run of days elects without end. */
export const LEADER_TERMS_KEPT_MAX = 1_024;

export class InvariantViolation extends Error {
  readonly code = "INVARIANT_VIOLATION";
}

/** What the monitor reads of the runtime it watches (VirtualRuntime). */
export interface MonitoredCells {
  readonly placement: Placement;
  node(host: string): CellNode | undefined;
  nowUs(): number;
  /** Corruptions the simulator injected into `host`'s disk so far (absent: not known, not checked). */
  diskCorruptions?(host: string): number;
}

export class InvariantMonitor {
  readonly periodUs: number;
  readonly violations: string[] = [];
  private readonly leadersByTerm = new Map<string, Map<number, string>>();
  private readonly canonical = new Map<string, { index: number; hash: string }[]>();
  /** Ledger -> the highest canonical point already compared with it. */
  private readonly verifiedIndex = new WeakMap<object, number>();
  /** Replicas (node objects) already reported for storage integrity: one report per incarnation. */
  private readonly storageReported = new WeakSet<object>();
  checks = 0;

  constructor(
    private readonly virtual: MonitoredCells,
    private readonly options: InvariantOptions,
  ) {
    this.periodUs = options.periodUs ?? 50_000;
  }

  check(): void {
    this.checks++;
    for (const cell of this.virtual.placement.cells) {
      let terms = this.leadersByTerm.get(cell.cell);
      if (terms === undefined) this.leadersByTerm.set(cell.cell, (terms = new Map()));
      let points = this.canonical.get(cell.cell);
      if (points === undefined) this.canonical.set(cell.cell, (points = []));
      let furthest: { index: number; hash: string } | null = null;
      for (const replica of cell.replicas) {
        const node = this.virtual.node(replica.replica);
        if (node === undefined) continue;
        if (this.virtual.diskCorruptions !== undefined && !this.storageReported.has(node)) {
          // Damage it stopped on (corrupted), or damage it found at recovery and repairs from its
          // peers: either way, bytes nobody corrupted came back wrong. (The full status is built only
          // when there is damage to name: this runs at every simulated event.)
          const damage = node.replica.corrupted ? (node.replica.status().reason ?? "no reason") : node.replica.damageFound;
          if (damage !== null && this.virtual.diskCorruptions(replica.replica) === 0) {
            this.storageReported.add(node);
            this.violate(`storage integrity: ${replica.replica} found its storage damaged (${damage}) but its disk was never corrupted`);
          }
        }
        if (node.replica.role === "leader") {
          const term = node.replica.term as number;
          const known = terms.get(term);
          if (known === undefined) {
            terms.set(term, replica.replica);
            // Terms arrive in increasing order (mostly): the first key is the oldest.
            if (terms.size > LEADER_TERMS_KEPT_MAX) terms.delete(terms.keys().next().value as number);
          } else if (known !== replica.replica)
            this.violate(`election safety: ${cell.cell} has two leaders in term ${term}: ${known} and ${replica.replica}`);
        }
        const ledger = node.stateMachine.ledger;
        // Applied events never change, so each canonical point is compared once per ledger (a
        // replica that later diverges shows it at the next point); a restarted replica builds a
        // new ledger, which starts from scratch.
        let verified = this.verifiedIndex.get(ledger) ?? 0;
        for (const point of points) {
          if (point.index <= verified) continue;
          if (ledger.eventCount < point.index) continue;
          verified = point.index;
          const hash = ledger.hashAt(point.index - 1);
          if (hash !== undefined && hash !== point.hash) {
            this.violate(
              `state machine safety: ${cell.cell} replica ${replica.replica} has event ${point.index - 1} hash ${hash.slice(0, 12)}, others applied ${point.hash.slice(0, 12)}`,
            );
          }
        }
        this.verifiedIndex.set(ledger, verified);
        if (ledger.eventCount > 0 && (furthest === null || ledger.eventCount > furthest.index))
          furthest = { index: ledger.eventCount, hash: ledger.headHash };
      }
      const last = points[points.length - 1];
      if (furthest !== null && (last === undefined || furthest.index > last.index)) {
        points.push(furthest);
        if (points.length > CANONICAL_POINTS_MAX) points.shift();
      }
    }
  }

  /** Terms whose leader is remembered for `cell` (bounded by LEADER_TERMS_KEPT_MAX). */
  termsRemembered(cell: string): number {
    return this.leadersByTerm.get(cell)?.size ?? 0;
  }

  /** Records a violation found elsewhere (e.g. by the applied-event log). */
  report(message: string): void {
    this.violate(message);
  }

  private violate(message: string): void {
    const full = `${message} (at ${(this.virtual.nowUs() / 1000).toFixed(3)} ms simulated, seed ${this.options.seed})`;
    if (this.violations.length < VIOLATIONS_MAX) this.violations.push(full);
    if (this.options.failFast) throw new InvariantViolation(full);
  }
}
