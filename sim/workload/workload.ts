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
}

export const defaultWorkloadOptions: WorkloadOptions = {
  profile: "steady",
  opsPerSecond: 2000,
  readFraction: 0.2,
  depositFraction: 0,
  accountsPerShard: 4,
  initialBalance: 10_000,
  transferAmountMax: 3_000,
  inflightMax: 20_000,
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
  private readonly usersCount: number;
  private counts = { invoked: 0, ok: 0, fail: 0, info: 0 };
  /** Accounts whose open was acknowledged (posted, first time or as a retry). */
  private readonly opened = new Set<string>();

  constructor(
    private readonly options: WorkloadOptions,
    private readonly dependencies: WorkloadDependencies,
    private sink: RequestSink,
  ) {
    const placement = dependencies.placement;
    this.usersCount = placement.shardCount * options.accountsPerShard;
    for (const cell of placement.cells) this.accountsByCell.set(cell.cell, []);
    for (let uid = 0; uid < this.usersCount; uid++) {
      this.accountsByCell.get(placement.cellOfUser(uid))?.push(placement.accountOfUser(uid));
    }
  }

  get stats(): { invoked: number; ok: number; fail: number; info: number } {
    return { ...this.counts };
  }

  get initialBalance(): number {
    return this.options.initialBalance;
  }

  accountsOf(cell: string): readonly string[] {
    return this.accountsByCell.get(cell) ?? [];
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
      if (random.nextFloat() * peak < rateAt(this.options, elapsedUs)) this.arrive();
      this.scheduleNext();
    });
  }

  private arrive(): void {
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

  private issue(uid: number, cell: string, kind: "command" | "read", f: string, payload: unknown, value: Json): void {
    const { clock, recorder, placement } = this.dependencies;
    if (recorder.inflight >= this.options.inflightMax) return; // not invoked at all: the client is saturated
    const process = recorder.invoke(f, value, clock.nowUs());
    this.counts.invoked++;
    const requestId = `r${++this.sequence}`;
    const request: UserRequest = { requestId, uid, shard: placement.shardOfUser(uid), cell, kind, payload };
    this.sink.submit(request, (outcome) => {
      const now = clock.nowUs();
      if (outcome.ok) {
        this.counts.ok++;
        if (f === "open" && (outcome.result as { outcome?: string } | undefined)?.outcome === "posted")
          this.opened.add((value as { account: string }).account);
        recorder.complete(process, "ok", f, completionValue(f, cell, value, outcome.result), now);
        return;
      }
      const definitelyNotApplied = outcome.error.code === "OVERLOADED" || outcome.error.code === "INVALID";
      if (definitelyNotApplied) this.counts.fail++;
      else this.counts.info++;
      recorder.complete(
        process,
        definitelyNotApplied ? "fail" : "info",
        f,
        { ...(value as object), error: outcome.error.code } as Json,
        now,
      );
    });
  }
}

/** The completion value the checkers expect (harness/models.ts ledger model). */
function completionValue(f: string, cell: string, invoked: Json, result: unknown): Json {
  const outcome = result as { outcome?: string; reason?: string; balances?: Record<string, number> } | undefined;
  if (f === "read") return { cell, balances: (outcome?.balances ?? {}) as Json };
  const base = invoked as Record<string, Json>;
  if (f === "open") return { ...base, outcome: outcome?.outcome === "posted" ? "posted" : "rejected" };
  const completed: Record<string, Json> = { ...base, outcome: outcome?.outcome === "posted" ? "posted" : "rejected" };
  if (outcome?.reason !== undefined) completed.reason = outcome.reason;
  return completed;
}
