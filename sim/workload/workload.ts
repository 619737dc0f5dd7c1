// The user population: an open-loop arrival process (Poisson, thinned to follow a traffic curve)
// of transfers, balance reads and the odd deposit/withdrawal, each recorded in the history around
// the sink that carries it (direct region clients, or the controller's gateways).

import type { Clock, Random, TimerHandle } from "../../ground/ports.js";
import type { Placement } from "../../cells/placement.js";
import type { Json } from "../../ground/json.js";
import type { RequestSink, UserRequest } from "../../domain/requests.js";
import type { HistoryRecorder } from "./recorder.js";
import { rateAt, rateMax, type ProfileOptions } from "./profile.js";

export type { RequestSink, UserRequest };

export interface WorkloadOptions extends ProfileOptions {
  /** Fraction of operations that are balance reads of a whole cell. */
  readonly readFraction: number;
  /** Fraction that are deposits, and the same again withdrawals (the checker accounts for them). */
  readonly depositFraction: number;
  readonly accountsPerShard: number;
  readonly initialBalance: number;
  readonly transferAmountMax: number;
  /** Bound on operations in flight: beyond it arrivals are recorded as failed (client-side shed). */
  readonly inflightMax: number;
  /**
   * Share of transfers whose payee is an account of another cell (a TransferOut, relayed:
   * docs/cells.md "Cross-cell transfers"). Under the red-packet profile, a burst's cross-cell
   * transfers all come from one giver's account and go to every other cell.
   */
  readonly crossCellRatio: number;
}

/** A red packet's amount is small: the giver's balance funds many of them. */
export const RED_PACKET_AMOUNT_MAX = 50;
/** Cross-cell transfers whose invocation time is remembered for the settle latency (the oldest forgotten past it). */
export const CROSS_CELL_INVOKED_TRACKED_MAX = 100_000;
/**
 * How long an open cross-cell transfer's invocation time is remembered (simulated µs). One whose
 * outcome is unknown (a timeout) and that never applied is never settled: without an age bound such
 * ids stayed until the count bound, ~0.2 MB a minute in a running world with drills (issue 15).
 * A transfer that settles later than this gives no settle-latency sample.
 */
export const CROSS_CELL_INVOKED_TRACKED_US = 300_000_000;

export const defaultWorkloadOptions: WorkloadOptions = {
  profile: "steady",
  opsPerSecond: 2000,
  readFraction: 0.2,
  depositFraction: 0,
  accountsPerShard: 4,
  initialBalance: 10_000,
  transferAmountMax: 3_000,
  inflightMax: 20_000,
  crossCellRatio: 0,
};

export interface WorkloadDependencies {
  readonly clock: Clock;
  readonly random: Random;
  readonly placement: Placement;
  readonly recorder: HistoryRecorder;
}

export class Workload {
  private timer: TimerHandle | null = null;
  private startedUs = 0;
  private sequence = 0;
  private running = false;
  private readonly accountsByCell = new Map<string, string[]>();
  private cellIds: readonly string[] = [];
  private readonly usersCount: number;
  private counts = { invoked: 0, ok: 0, fail: 0, info: 0 };
  /** Cross-cell transfer id -> invocation time (µs), until its settlement is observed (settle latency). */
  private readonly crossCellInvokedUs = new Map<string, number>();
  /** Accounts whose open was acknowledged (posted, first time or as a retry). */
  private readonly opened = new Set<string>();

  constructor(
    private readonly options: WorkloadOptions,
    private readonly dependencies: WorkloadDependencies,
    private sink: RequestSink,
  ) {
    const placement = dependencies.placement;
    if (!(options.crossCellRatio >= 0 && options.crossCellRatio <= 1))
      throw new RangeError(`workload.crossCellRatio: expected a number in [0, 1], got ${options.crossCellRatio}`);
    this.usersCount = placement.shardCount * options.accountsPerShard;
    this.indexAccounts();
    // Shards move between cells (elastic cells): a payee is drawn among the accounts of the payer's cell as it is now.
    placement.onChange(() => this.indexAccounts());
  }

  private indexAccounts(): void {
    const placement = this.dependencies.placement;
    this.accountsByCell.clear();
    for (const cell of placement.cells) this.accountsByCell.set(cell.cell, []);
    // An added cell is a payee's cell too (cross-cell transfers draw among the cells as they are now).
    this.cellIds = placement.cells.map((cell) => cell.cell);
    for (let uid = 0; uid < this.usersCount; uid++) {
      this.accountsByCell.get(placement.cellOfUser(uid))?.push(placement.accountOfUser(uid));
    }
  }

  get stats(): { invoked: number; ok: number; fail: number; info: number } {
    return { ...this.counts };
  }

  /** The share of transfers that cross cells. */
  get crossCellRatio(): number {
    return this.options.crossCellRatio;
  }

  get initialBalance(): number {
    return this.options.initialBalance;
  }

  accountsOf(cell: string): readonly string[] {
    return this.accountsByCell.get(cell) ?? [];
  }

  /** Cross-cell transfers whose settlement is awaited for a settle-latency sample. */
  get crossCellTracked(): number {
    return this.crossCellInvokedUs.size;
  }

  /**
   * When cross-cell transfer `id` was invoked (forgotten once taken; when it is known never to be
   * sent: rejected, refused or not invoked; after CROSS_CELL_INVOKED_TRACKED_US; or when too many
   * are open).
   */
  takeCrossCellInvokedUs(id: string): number | undefined {
    const invokedUs = this.crossCellInvokedUs.get(id);
    this.crossCellInvokedUs.delete(id);
    return invokedUs;
  }

  setSink(sink: RequestSink): void {
    this.sink = sink;
  }

  /** Accounts whose opening has not been acknowledged yet. */
  unopenedAccounts(): number {
    return this.usersCount - this.opened.size;
  }

  /** Opens every account (or, with `onlyMissing`, those not acknowledged yet), recorded as `open` ops. */
  openAccounts(onlyMissing = false): void {
    const placement = this.dependencies.placement;
    for (let uid = 0; uid < this.usersCount; uid++) {
      const cell = placement.cellOfUser(uid);
      const account = placement.accountOfUser(uid);
      if (onlyMissing && this.opened.has(account)) continue;
      this.issue(
        uid,
        cell,
        "command",
        "open",
        { type: "OpenAccount", account, initialBalance: this.options.initialBalance },
        {
          account,
          initialBalance: this.options.initialBalance,
          cell,
        },
      );
    }
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.startedUs = this.dependencies.clock.nowUs();
    this.scheduleNext();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== null) this.dependencies.clock.cancelTimer(this.timer);
    this.timer = null;
  }

  private scheduleNext(): void {
    const peak = rateMax(this.options);
    if (!this.running || peak <= 0) return;
    const random = this.dependencies.random;
    const gapUs = Math.max(1, Math.round((-Math.log(1 - random.nextFloat()) / peak) * 1_000_000));
    this.timer = this.dependencies.clock.setTimer(gapUs, () => {
      this.timer = null;
      const elapsedUs = this.dependencies.clock.nowUs() - this.startedUs;
      // Thinning: accept an arrival with probability rate(t) / peak.
      if (random.nextFloat() * peak < rateAt(this.options, elapsedUs)) this.arrive(elapsedUs);
      this.scheduleNext();
    });
  }

  private arrive(elapsedUs: number): void {
    const random = this.dependencies.random;
    const placement = this.dependencies.placement;
    const uid = random.intBetween(0, this.usersCount - 1);
    const cell = placement.cellOfUser(uid);
    const account = placement.accountOfUser(uid);
    const draw = random.nextFloat();
    if (draw < this.options.readFraction) {
      this.issue(uid, cell, "read", "read", { type: "ReadBalances" }, { cell });
      return;
    }
    const id = `t${++this.sequence}`;
    if (draw < this.options.readFraction + this.options.depositFraction) {
      const amount = random.intBetween(1, this.options.transferAmountMax);
      this.issue(uid, cell, "command", "deposit", { type: "Deposit", id, account, amount }, { id, account, amount, cell });
      return;
    }
    if (draw < this.options.readFraction + 2 * this.options.depositFraction) {
      const amount = random.intBetween(1, this.options.transferAmountMax);
      this.issue(uid, cell, "command", "withdraw", { type: "Withdraw", id, account, amount }, { id, account, amount, cell });
      return;
    }
    // No draw at all when nothing crosses cells: a ratio of 0 replays the runs from before cross-cell transfers.
    if (this.options.crossCellRatio > 0 && this.cellIds.length > 1 && random.nextFloat() < this.options.crossCellRatio) {
      this.crossCellTransfer(uid, cell, account, id, elapsedUs);
      return;
    }
    const peers = this.accountsByCell.get(cell) as string[];
    let to = random.pick(peers);
    if (to === account) to = peers[(peers.indexOf(to) + 1) % peers.length] as string;
    const amount = random.intBetween(1, this.options.transferAmountMax);
    this.issue(
      uid,
      cell,
      "command",
      "transfer",
      { type: "Transfer", id, from: account, to, amount },
      { id, from: account, to, amount, cell },
    );
  }

  /** A transfer to a random account of another cell (a red packet from the burst's giver during a red-packet burst). */
  private crossCellTransfer(uid: number, cell: string, account: string, id: string, elapsedUs: number): void {
    const random = this.dependencies.random;
    const placement = this.dependencies.placement;
    let fromUid = uid;
    let fromCell = cell;
    let from = account;
    let amountMax = this.options.transferAmountMax;
    if (this.options.profile === "red-packet" && rateAt(this.options, elapsedUs) > this.options.opsPerSecond) {
      // One giver per burst: the user whose number is the burst's index, so each burst has its own.
      const everyUs = this.options.burstEveryUs ?? 15_000_000;
      fromUid = Math.floor(elapsedUs / everyUs) % this.usersCount;
      fromCell = placement.cellOfUser(fromUid);
      from = placement.accountOfUser(fromUid);
      amountMax = Math.min(amountMax, RED_PACKET_AMOUNT_MAX);
    }
    // An added cell holds no account until shards move to it: it is no payee's cell yet.
    const others = this.cellIds.filter((other) => other !== fromCell && (this.accountsByCell.get(other)?.length ?? 0) > 0);
    if (others.length === 0) return; // every other cell is empty: nothing is sent this time
    const toCell = random.pick(others);
    const to = random.pick(this.accountsByCell.get(toCell) as string[]);
    const amount = random.intBetween(1, amountMax);
    const nowUs = this.dependencies.clock.nowUs();
    // Insertion order is invocation order: the oldest are first.
    for (const [oldest, invokedUs] of this.crossCellInvokedUs) {
      if (nowUs - invokedUs <= CROSS_CELL_INVOKED_TRACKED_US && this.crossCellInvokedUs.size < CROSS_CELL_INVOKED_TRACKED_MAX) break;
      this.crossCellInvokedUs.delete(oldest);
    }
    this.crossCellInvokedUs.set(id, nowUs);
    const invoked = this.issue(
      fromUid,
      fromCell,
      "command",
      "transfer",
      { type: "TransferOut", id, from, to, toCell, amount },
      { id, from, to, amount, cell: fromCell, toCell },
    );
    if (!invoked) this.crossCellInvokedUs.delete(id);
  }

  /** Invokes the operation and submits its request; false when the client is saturated and nothing was invoked. */
  private issue(uid: number, cell: string, kind: "command" | "read", f: string, payload: unknown, value: Json): boolean {
    const { clock, recorder, placement } = this.dependencies;
    if (recorder.inflight >= this.options.inflightMax) return false; // not invoked at all: the client is saturated
    const process = recorder.invoke(f, value, clock.nowUs());
    this.counts.invoked++;
    const requestId = `r${++this.sequence}`;
    const request: UserRequest = { requestId, uid, shard: placement.shardOfUser(uid), cell, kind, payload };
    this.sink.submit(request, (outcome) => {
      const now = clock.nowUs();
      if (outcome.ok) {
        this.counts.ok++;
        const posted = (outcome.result as { outcome?: string } | undefined)?.outcome === "posted";
        if (f === "open" && posted) this.opened.add((value as { account: string }).account);
        // A cross-cell transfer rejected at its payer's cell is never sent, so never settled.
        if (!posted && isCrossCell(payload)) this.crossCellInvokedUs.delete(payload.id);
        // A command that followed its moved range was applied by the cell that answered.
        recorder.complete(process, "ok", f, completionValue(f, outcome.cell ?? cell, value, outcome.result), now);
        return;
      }
      const definitelyNotApplied = outcome.error.code === "OVERLOADED" || outcome.error.code === "INVALID";
      if (definitelyNotApplied && isCrossCell(payload)) this.crossCellInvokedUs.delete(payload.id);
      if (definitelyNotApplied) this.counts.fail++;
      else this.counts.info++;
      recorder.complete(process, definitelyNotApplied ? "fail" : "info", f, failedValue(value, outcome.error.code), now);
    });
    return true;
  }
}

function isCrossCell(payload: unknown): payload is { readonly type: "TransferOut"; readonly id: string } {
  return (payload as { type?: unknown }).type === "TransferOut";
}

/** A failed or unknown operation's value: what was invoked and the error (transfers as literals: see transferCompletion). */
function failedValue(invoked: Json, error: string): Json {
  const base = invoked as Record<string, Json>;
  const { id, from, to, amount, cell, toCell } = base;
  const keys = Object.keys(base).length;
  if (id !== undefined && from !== undefined && to !== undefined && amount !== undefined && cell !== undefined) {
    if (toCell === undefined && keys === 5) return { id, from, to, amount, cell, error };
    if (toCell !== undefined && keys === 6) return { id, from, to, amount, cell, toCell, error };
  }
  return { ...base, error };
}

/** The completion value the checkers expect (harness/models.ts ledger model). */
function completionValue(f: string, cell: string, invoked: Json, result: unknown): Json {
  const outcome = result as { outcome?: string; reason?: string; balances?: Record<string, number>; crossCellNet?: number } | undefined;
  if (f === "read") {
    const balances = (outcome?.balances ?? {}) as Json;
    // The cell's money moves with cross-cell transfers; the read carries by how much (the bank checker's total).
    return outcome?.crossCellNet === undefined ? { cell, balances } : { cell, balances, crossCellNet: outcome.crossCellNet };
  }
  const base = invoked as Record<string, Json>;
  const posted = outcome?.outcome === "posted" ? "posted" : "rejected";
  if (f === "transfer") {
    const shaped = transferCompletion(base, cell, posted, outcome?.reason);
    if (shaped !== null) return shaped;
  }
  if (f === "open") return { ...base, cell, outcome: posted };
  const completed: Record<string, Json> = { ...base, cell, outcome: posted };
  if (outcome?.reason !== undefined) completed.reason = outcome.reason;
  return completed;
}

/**
 * A transfer's completion value written as object literals, one per shape, with the keys in the
 * order `{ ...invoked, cell, outcome, reason? }` gives them. Memory, not meaning: once V8's
 * transition tree from the empty object overflows (objects keyed by account or id elsewhere), an
 * object built by spread and assignment gets a hidden class of its own (~250 bytes of map,
 * descriptors and property array each); a literal shares its class with every other one. The
 * history holds ~100,000 of these between drills and ~4x that while a drill pins its window
 * (docs/BENCHMARKS.md "soak"). Null: another shape (the generic path builds it).
 */
function transferCompletion(base: Record<string, Json>, cell: string, result: string, reason: string | undefined): Json | null {
  const { id, from, to, amount, toCell } = base;
  const keys = Object.keys(base).length;
  if (id === undefined || from === undefined || to === undefined || amount === undefined) return null;
  if (toCell === undefined) {
    if (keys !== 5 || base.cell === undefined) return null;
    return reason === undefined ? { id, from, to, amount, cell, outcome: result } : { id, from, to, amount, cell, outcome: result, reason };
  }
  if (keys !== 6 || base.cell === undefined) return null;
  return reason === undefined
    ? { id, from, to, amount, cell, toCell, outcome: result }
    : { id, from, to, amount, cell, toCell, outcome: result, reason };
}
