// The cell's event log as the harness sees it: every event, in order, from whichever replica
// applied it first, with its chain hash. A replica's own ledger keeps only recent events and
// starts over from a snapshot after compaction or InstallSnapshot, so after enough restarts no
// replica holds the whole history the durability and linearizability checkers need; this does,
// and it compares every later replica's hash at the same index (state machine safety).
//
// Bounded by `eventsMax` (TigerBeetle style: a named limit, not "until memory runs out"). A world
// that runs indefinitely (`ldc start`) reaches it: the oldest half is then folded into `base`, the
// balances as of the first kept event. The checkers still get a log that starts from an empty
// ledger: one AccountOpened per account at its base balance, then the kept events. That is exact
// for a window of the history whose operations were all invoked after the folded events were
// applied (a drill in the running world): its commands can only be among the kept events, and its
// reads see base balances plus kept events. For an older window `log(fromUs)` says incomplete.
import type { AccountOpened, LedgerEventBody } from "../../cells/ledger/events.js";
import type { WitnessLog } from "../../harness/checkers/ledger-witness.js";
import type { TimedCellLog } from "../../harness/checkers/global-conservation.js";

export class AppliedEventLog {
  private events: LedgerEventBody[] = [];
  /** The first 52 bits of each kept event's chain hash (a number, not a 64-char string: 8 bytes an event). */
  private hashes: number[] = [];
  /** When each kept event was first applied (µs, the world's clock). */
  private appliedUs: number[] = [];
  /** Index of events[0] in the cell's log. */
  private baseIndex = 0;
  /** Balances after the first `baseIndex` events, in opening order. */
  private readonly baseBalances = new Map<string, number>();
  /** When the newest folded event was applied (-1: nothing folded). */
  private foldedThroughUs = -1;
  private incompleteReason: string | null = null;
  /** Events applied at or after this time are kept past eventsMax, up to pinnedEventsMax (a drill's window). */
  private pinnedFromUs: number | null = null;

  constructor(
    readonly cell: string,
    /** At most this many events are kept (memory bound for long runs), unless pinned; past it the older ones are folded down to half. */
    private readonly eventsMax: number,
    private readonly onDivergence: (message: string) => void,
    private readonly nowUs: () => number = () => 0,
    /** While pinned, events applied since the pin are kept up to this many (default 8 x eventsMax). */
    private readonly pinnedEventsMax: number = eventsMax * 8,
    /** Each event once, when the first replica applies it. */
    private readonly onFirstApplied?: (event: LedgerEventBody, atUs: number) => void,
  ) {
    if (!(Number.isSafeInteger(eventsMax) && eventsMax >= 2))
      throw new RangeError(`appliedEventsMax: expected an integer >= 2, got ${eventsMax}`);
  }

  /**
   * Keeps the events applied from `fromUs` on past eventsMax (up to pinnedEventsMax) so that a
   * drill's window stays checkable while the steady-state bound stays small; null releases it
   * (the next event folds back down to eventsMax / 2).
   */
  pin(fromUs: number | null): void {
    this.pinnedFromUs = fromUs;
  }

  /** Events kept in memory (at most eventsMax). */
  get keptEvents(): number {
    return this.events.length;
  }

  /** Index after the newest event recorded: the cell's log length as far as anyone applied it. */
  get eventCount(): number {
    return this.baseIndex + this.events.length;
  }

  observe(replica: string, eventIndex: number, event: LedgerEventBody, hash: string): void {
    const end = this.baseIndex + this.events.length;
    if (eventIndex < end) {
      // An index folded already cannot be compared (a replica that far behind is compared by the
      // replica-agreement checker at chain checkpoints instead).
      const first = this.hashes[eventIndex - this.baseIndex];
      if (eventIndex >= this.baseIndex && first !== hashPrefix(hash)) {
        this.onDivergence(
          `state machine safety: ${this.cell} replica ${replica} applied event ${eventIndex} with hash ${hash.slice(0, 13)}, first applied with ${(first ?? 0).toString(16).padStart(13, "0")}`,
        );
      }
      return;
    }
    if (this.incompleteReason !== null) return;
    if (eventIndex > end) {
      this.incompleteReason = `${replica} applied event ${eventIndex} of ${this.cell} before anyone applied event ${end}`;
      return;
    }
    if (this.events.length >= this.eventsMax) {
      let count = this.events.length - Math.floor(this.eventsMax / 2);
      if (this.pinnedFromUs !== null && this.events.length < this.pinnedEventsMax)
        count = Math.min(count, this.countAppliedBefore(this.pinnedFromUs));
      if (count > 0) this.fold(count);
    }
    this.events.push(event);
    this.hashes.push(hashPrefix(hash));
    const atUs = this.nowUs();
    this.appliedUs.push(atUs);
    this.onFirstApplied?.(event, atUs);
  }

  /**
   * The log for checking the operations invoked from `fromUs` on: complete when it was recorded
   * without a gap and nothing applied at or after `fromUs` was folded.
   */
  log(fromUs = 0): WitnessLog {
    if (this.incompleteReason !== null) return { complete: false, reason: this.incompleteReason };
    if (this.baseIndex === 0) return { complete: true, events: this.events };
    if (this.foldedThroughUs >= fromUs) {
      return {
        complete: false,
        reason: `${this.cell}: events applied at or after ${fromUs} µs were folded (the harness's log keeps ${this.eventsMax} events, appliedEventsMax)`,
      };
    }
    const opens: AccountOpened[] = Array.from(this.baseBalances, ([account, initialBalance]) => ({
      type: "AccountOpened",
      account,
      initialBalance,
    }));
    return { complete: true, events: [...opens, ...this.events] };
  }

  /** Kept events applied before `timeUs` (appliedUs never decreases). */
  private countAppliedBefore(timeUs: number): number {
    let low = 0;
    let high = this.appliedUs.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.appliedUs[middle] as number) < timeUs) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /**
   * The whole log from the cell's first event with first-applied times (the global-conservation
   * checker's input), or why not: a folded log has lost the outbox state of its folded part.
   */
  timedLog(): TimedCellLog {
    if (this.incompleteReason !== null) return { complete: false, reason: this.incompleteReason };
    if (this.baseIndex > 0)
      return {
        complete: false,
        reason: `${this.cell}: the first ${this.baseIndex} events were folded (appliedEventsMax ${this.eventsMax})`,
      };
    return { complete: true, events: this.events, appliedUs: this.appliedUs };
  }

  private fold(count: number): void {
    for (let i = 0; i < count; i++) applyToBalances(this.baseBalances, this.events[i] as LedgerEventBody);
    this.foldedThroughUs = this.appliedUs[count - 1] as number;
    this.baseIndex += count;
    this.events = this.events.slice(count);
    this.hashes = this.hashes.slice(count);
    this.appliedUs = this.appliedUs.slice(count);
  }
}

/** 52 bits of a hex chain hash: exact in a double; two different hashes agree on them with probability 2^-52. */
function hashPrefix(hash: string): number {
  return Number.parseInt(hash.slice(0, 13), 16);
}

/** The balance effect of one event (rejections change nothing). */
function applyToBalances(balances: Map<string, number>, event: LedgerEventBody): void {
  switch (event.type) {
    case "AccountOpened":
      balances.set(event.account, event.initialBalance);
      return;
    case "TransferPosted":
      balances.set(event.from, (balances.get(event.from) ?? 0) - event.amount);
      balances.set(event.to, (balances.get(event.to) ?? 0) + event.amount);
      return;
    case "Deposited":
      balances.set(event.account, (balances.get(event.account) ?? 0) + event.amount);
      return;
    case "Withdrawn":
      balances.set(event.account, (balances.get(event.account) ?? 0) - event.amount);
      return;
    case "TransferSent":
      balances.set(event.from, (balances.get(event.from) ?? 0) - event.amount);
      return;
    case "CreditReceived":
      balances.set(event.to, (balances.get(event.to) ?? 0) + event.amount);
      return;
    case "TransferRefunded":
      balances.set(event.from, (balances.get(event.from) ?? 0) + event.amount);
      return;
    default:
      return;
  }
}
