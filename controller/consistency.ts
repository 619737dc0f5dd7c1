// The online checkers behind GET /api/v1/consistency, run on the cluster's clock while it serves:
// - money conserved per cell: on every live replica, the sum of all balances equals what was
//   opened plus deposits minus withdrawals (recounted, not the ledger's own running total);
// - replica agreement per cell: no state-machine-safety violation from the runtime's invariant
//   monitor, and every live replica has the same event hash at the common point of their logs;
// - lost acknowledged transfers: every command the history acknowledged (ok) is known to its
//   cell's current leader. Checked incrementally: each period reads only the ops recorded since
//   the last one (at most `historyOpsPerCheckMax`), and keeps a bounded set of pending ids.
// An id is counted lost only when a caught-up leader still lacks it `lostGraceUs` after the
// acknowledgement: a new leader commits its predecessor's tail only once it commits in its own term.
import type { Op } from "../harness/history.js";
import type { CellNode } from "../cells/cell/node.js";
import type { Clock } from "../ground/ports.js";
import type { ConsistencySnapshot } from "./controller.js";
import type { CrossCellStatus } from "../domain/cross-cell.js";

export interface ConsistencyOptions {
  readonly periodUs: number;
  readonly lostGraceUs: number;
  readonly historyOpsPerCheckMax: number;
  readonly pendingIdsMax: number;
  readonly lostIdsKeptMax: number;
  readonly violationsKeptMax: number;
}

export const defaultConsistencyOptions: ConsistencyOptions = {
  periodUs: 500_000,
  lostGraceUs: 3_000_000,
  historyOpsPerCheckMax: 50_000,
  pendingIdsMax: 200_000,
  lostIdsKeptMax: 100,
  violationsKeptMax: 20,
};

/** What the checks read of the running runtime (VirtualRuntime provides all of it). */
export interface ConsistencySource {
  readonly placement: { readonly cells: readonly { readonly cell: string; readonly replicas: readonly { readonly replica: string }[] }[] };
  readonly recorder: { history(): readonly Op[]; readonly firstIndex: number };
  node(host: string): CellNode | undefined;
  invariantViolations(): readonly string[];
  /** Cross-cell money across cells (VirtualRuntime); absent: not reported. */
  crossCellStatus?(): CrossCellStatus;
}

const COMMAND_FUNCTIONS: ReadonlySet<string> = new Set(["transfer", "deposit", "withdraw"]);

interface Pending {
  readonly id: string;
  readonly ackUs: number;
}

export class OnlineConsistency {
  private historyCursor = 0;
  private pendingCount = 0;
  private readonly pending = new Map<string, Pending[]>();
  private readonly lostIds: string[] = [];
  private lostTotal = 0;
  private checkedTotal = 0;
  private snapshotLast: ConsistencySnapshot;
  private timer: ReturnType<Clock["setTimer"]> | null = null;

  constructor(
    private readonly options: ConsistencyOptions,
    private readonly dependencies: {
      readonly source: ConsistencySource;
      readonly clock: Clock;
      readonly onCheck?: (snapshot: ConsistencySnapshot) => void;
    },
  ) {
    for (const cell of dependencies.source.placement.cells) this.pending.set(cell.cell, []);
    this.snapshotLast = this.check();
  }

  start(): void {
    if (this.timer !== null) return;
    const tick = (): void => {
      this.timer = this.dependencies.clock.setTimer(this.options.periodUs, tick);
      this.snapshotLast = this.check();
      this.dependencies.onCheck?.(this.snapshotLast);
    };
    this.timer = this.dependencies.clock.setTimer(this.options.periodUs, tick);
  }

  stop(): void {
    if (this.timer !== null) this.dependencies.clock.cancelTimer(this.timer);
    this.timer = null;
  }

  /** The verdict of the last check (at most one period old). */
  snapshot(): ConsistencySnapshot {
    return this.snapshotLast;
  }

  /** Acknowledged commands verified present in their cell's leader so far. */
  get verifiedTotal(): number {
    return this.checkedTotal;
  }

  get pendingTotal(): number {
    return this.pendingCount;
  }

  check(): ConsistencySnapshot {
    const { source, clock } = this.dependencies;
    const nowUs = clock.nowUs();
    const violations: string[] = [];
    const moneyConserved: Record<string, boolean> = {};
    const replicaAgreement: Record<string, boolean> = {};
    const monitorViolations = source.invariantViolations();
    this.readNewHistory(violations);
    for (const cell of source.placement.cells) {
      const nodes: { replica: string; node: CellNode }[] = [];
      for (const replica of cell.replicas) {
        const node = source.node(replica.replica);
        if (node !== undefined) nodes.push({ replica: replica.replica, node });
      }
      moneyConserved[cell.cell] = this.checkMoney(nodes, violations);
      const monitorSays = !monitorViolations.some((violation) => violation.includes(` ${cell.cell} `));
      replicaAgreement[cell.cell] = monitorSays && this.checkChains(cell.cell, nodes, violations);
      this.checkAcknowledged(cell.cell, nodes, nowUs, violations);
    }
    const crossCell = source.crossCellStatus?.();
    if (crossCell?.globalMoneyConserved === false)
      violations.push(`money across cells: balances + ${crossCell.inFlightAmount} in flight differ from opened + deposits - withdrawals`);
    const valid =
      monitorViolations.length === 0 &&
      this.lostTotal === 0 &&
      crossCell?.globalMoneyConserved !== false &&
      Object.values(moneyConserved).every(Boolean) &&
      Object.values(replicaAgreement).every(Boolean);
    const all = [
      ...monitorViolations,
      ...violations,
      ...this.lostIds.map((id) => `acknowledged command ${id} missing from its cell's leader`),
    ];
    return {
      atMs: Math.floor(nowUs / 1000),
      moneyConserved,
      replicaAgreement,
      lostAckedTransfers: this.lostTotal,
      valid,
      violations: all.slice(-this.options.violationsKeptMax),
      ...(crossCell !== undefined ? { crossCell } : {}),
    };
  }

  private readNewHistory(violations: string[]): void {
    const source = this.dependencies.source;
    const recorder = source.recorder;
    const history = recorder.history();
    // historyCursor is a global op index; the recorder may have dropped its oldest ops.
    if (this.historyCursor < recorder.firstIndex) this.historyCursor = recorder.firstIndex;
    const end = Math.min(recorder.firstIndex + history.length, this.historyCursor + this.options.historyOpsPerCheckMax);
    for (; this.historyCursor < end; this.historyCursor++) {
      const op = history[this.historyCursor - recorder.firstIndex] as Op;
      if (op.type !== "ok" || !COMMAND_FUNCTIONS.has(op.f)) continue;
      const value = op.value as { cell?: unknown; id?: unknown } | null;
      if (
        value === null ||
        typeof value !== "object" ||
        typeof value.cell !== "string" ||
        (typeof value.id !== "string" && typeof value.id !== "number")
      )
        continue;
      let queue = this.pending.get(value.cell);
      // A cell added while the world runs (elastic cells) is checked like the first ones.
      if (queue === undefined && source.placement.cells.some((cell) => cell.cell === value.cell))
        this.pending.set(value.cell, (queue = []));
      if (queue === undefined) continue;
      if (this.pendingCount >= this.options.pendingIdsMax) {
        // Back-pressure: leave the rest of the history for later periods rather than grow.
        violations.push(`consistency: ${this.pendingCount} acknowledged commands awaiting a leader (pendingIdsMax); checking paused`);
        return;
      }
      queue.push({ id: String(value.id), ackUs: op.time ?? 0 });
      this.pendingCount++;
    }
  }

  private checkMoney(nodes: readonly { replica: string; node: CellNode }[], violations: string[]): boolean {
    let conserved = true;
    for (const { replica, node } of nodes) {
      const ledger = node.stateMachine.ledger;
      let sum = 0;
      for (const balance of ledger.balances().values()) sum += balance;
      const totals = ledger.totals();
      const moved = ledger.movedTotals();
      // Cross-cell transfers and shard moves carry money in and out (cells/ledger/cross-cell.ts, shard-move.ts).
      const expected = totals.opened + totals.deposited - totals.withdrawn + totals.crossCellNet + moved.movedIn - moved.movedOut;
      if (sum !== expected) {
        conserved = false;
        violations.push(
          `money: ${replica} balances sum to ${sum}, opened + deposited - withdrawn + cross-cell net (${totals.crossCellNet}) is ${expected}`,
        );
      }
    }
    return conserved;
  }

  /** Equal event hashes at the furthest event index every live replica can show a hash for. */
  private checkChains(cell: string, nodes: readonly { replica: string; node: CellNode }[], violations: string[]): boolean {
    const ledgers = nodes
      .map(({ replica, node }) => ({ replica, ledger: node.stateMachine.ledger }))
      .filter(({ ledger }) => ledger.eventCount > 0);
    if (ledgers.length < 2) return true;
    const common = Math.min(...ledgers.map(({ ledger }) => ledger.eventCount));
    // The common head, else the newest checkpoint at or below it (events before may be dropped).
    const candidates = [
      common,
      ...(ledgers[0]?.ledger.checkpoints() ?? [])
        .map((checkpoint) => checkpoint.eventCount)
        .filter((count) => count <= common)
        .reverse(),
    ];
    for (const eventCount of candidates) {
      const hashes = ledgers.map(({ replica, ledger }) => ({ replica, hash: ledger.hashAt(eventCount - 1) }));
      if (hashes.some(({ hash }) => hash === undefined)) continue;
      const first = hashes[0]?.hash;
      const differing = hashes.filter(({ hash }) => hash !== first);
      if (differing.length === 0) return true;
      violations.push(
        `agreement: ${cell} replicas disagree at event ${eventCount - 1}: ${hashes.map(({ replica, hash }) => `${replica}=${(hash ?? "").slice(0, 12)}`).join(" ")}`,
      );
      return false;
    }
    return true;
  }

  private checkAcknowledged(
    cell: string,
    nodes: readonly { replica: string; node: CellNode }[],
    nowUs: number,
    violations: string[],
  ): void {
    const queue = this.pending.get(cell);
    if (queue === undefined || queue.length === 0) return;
    const leader = nodes.find(({ node }) => {
      const status = node.replica.status();
      return status.role === "leader" && "applied" in status && status.applied === status.commit;
    });
    if (leader === undefined) return; // no caught-up leader now: the ids wait for one
    const ledger = leader.node.stateMachine.ledger;
    const keep: Pending[] = [];
    for (const pending of queue) {
      if (ledger.hasCommand(pending.id)) {
        this.checkedTotal++;
        this.pendingCount--;
        continue;
      }
      if (nowUs - pending.ackUs < this.options.lostGraceUs) {
        keep.push(pending);
        continue;
      }
      this.pendingCount--;
      this.lostTotal++;
      if (this.lostIds.length < this.options.lostIdsKeptMax) this.lostIds.push(`${cell}:${pending.id}`);
      violations.push(`lost: ${cell} leader ${leader.replica} lacks acknowledged command ${pending.id}`);
    }
    this.pending.set(cell, keep);
  }
}
