// Replays a cell's event log once and keeps what the witness checker asks of it afterwards:
// the state hash after every prefix (to find where a read's balances could have been seen),
// each account's balance history (to confirm a candidate exactly, without replaying again) and
// whatever in the log the ledger's own rules forbid (an overdraft, a rejection without cause).

import { assertNever, type LedgerEventBody } from "../../cells/ledger/events.js";

export const STATE_HASH_MODULUS = 2 ** 52;

export type LogViolationKind = "negative-balance" | "illegal-event" | "not-conserved";

export interface LogViolation {
  kind: LogViolationKind;
  position: number;
  message: string;
}

interface BalanceHistory {
  /** Positions of the events that changed the balance, ascending; the first opened the account. */
  readonly positions: number[];
  /** Balance after the event at the same offset. */
  readonly balances: number[];
}

const accountSeeds = new Map<string, number>();

// FNV-1a over the name, cached: accounts are few, balance changes are many.
function accountSeed(account: string): number {
  let seed = accountSeeds.get(account);
  if (seed !== undefined) return seed;
  let hash = 0x811c9dc5;
  for (let i = 0; i < account.length; i++) hash = Math.imul(hash ^ account.charCodeAt(i), 0x01000193);
  seed = hash >>> 0;
  accountSeeds.set(account, seed);
  return seed;
}

function finalMix(value: number): number {
  let x = value;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * A 52-bit mix of (account, balance). The state hash is the SUM of these over the open accounts
 * (mod 2^52), so one balance change updates it in O(1); equal sums only nominate a candidate,
 * equality is always confirmed on the balances themselves.
 */
export function accountBalanceMix(account: string, balance: number): number {
  const seed = accountSeed(account);
  const low = (balance % 0x1_0000_0000) >>> 0;
  const high = Math.floor(balance / 0x1_0000_0000) >>> 0;
  const first = finalMix(seed ^ finalMix(low ^ Math.imul(high, 0x9e3779b1)));
  const second = finalMix(first ^ Math.imul(seed, 0x27d4eb2f) ^ high);
  return (first & 0x3ff_ffff) * 0x400_0000 + (second & 0x3ff_ffff);
}

export function addHash(hash: number, mix: number): number {
  const sum = hash + mix;
  return sum >= STATE_HASH_MODULUS ? sum - STATE_HASH_MODULUS : sum;
}

function subtractHash(hash: number, mix: number): number {
  const difference = hash - mix;
  return difference < 0 ? difference + STATE_HASH_MODULUS : difference;
}

export function balancesHash(balances: Readonly<Record<string, number>>): number {
  let hash = 0;
  for (const account of Object.keys(balances)) hash = addHash(hash, accountBalanceMix(account, balances[account] as number));
  return hash;
}

export class ReplayedLog {
  /** hashAfter[p]: the state hash after the first p events (p = 0 .. events). */
  readonly hashAfter: Float64Array;
  /** Accounts open after the first p events. */
  private readonly openAfter: Int32Array;
  private readonly histories = new Map<string, BalanceHistory>();
  /** Prefix lengths sorted by (state hash, length): the candidates for a read, by binary search. */
  private readonly byHash: Int32Array;
  readonly violations: LogViolation[] = [];

  constructor(readonly events: readonly LedgerEventBody[]) {
    const count = events.length;
    this.hashAfter = new Float64Array(count + 1);
    this.openAfter = new Int32Array(count + 1);
    const balances = new Map<string, number>();
    let hash = 0;
    let total = 0;
    let enteredTotal = 0;
    let position = 0;
    /** Open outbox records: id -> amount. */
    const outbox = new Map<string, number>();
    // Declared once, not per event: closures per event were most of the garbage on 100k ops.
    const set = (account: string, balance: number): void => {
      const before = balances.get(account);
      if (before !== undefined) hash = subtractHash(hash, accountBalanceMix(account, before));
      hash = addHash(hash, accountBalanceMix(account, balance));
      balances.set(account, balance);
      let history = this.histories.get(account);
      if (history === undefined) this.histories.set(account, (history = { positions: [], balances: [] }));
      history.positions.push(position);
      history.balances.push(balance);
      if (balance < 0)
        this.violations.push({ kind: "negative-balance", position, message: `event ${position} leaves ${account} at ${balance}` });
    };
    const remove = (account: string, before: number): void => {
      hash = subtractHash(hash, accountBalanceMix(account, before));
      balances.delete(account);
      const history = this.histories.get(account) as BalanceHistory;
      history.positions.push(position);
      history.balances.push(Number.NaN); // gone: balanceAfter answers undefined from here
    };
    const illegal = (message: string): void => {
      this.violations.push({ kind: "illegal-event", position, message: `event ${position}: ${message}` });
    };
    for (position = 0; position < count; position++) {
      const event = events[position] as LedgerEventBody;
      switch (event.type) {
        case "AccountOpened":
          if (balances.has(event.account)) illegal(`${event.account} opened twice`);
          else {
            set(event.account, event.initialBalance);
            total += event.initialBalance;
            enteredTotal += event.initialBalance;
          }
          break;
        case "TransferPosted": {
          const from = balances.get(event.from);
          const to = balances.get(event.to);
          if (from === undefined || to === undefined || event.from === event.to || !isAmount(event.amount)) {
            illegal(`transfer ${event.id} posted between ${event.from} and ${event.to} for ${event.amount}`);
            break;
          }
          if (from < event.amount) illegal(`transfer ${event.id} posted with ${from} in ${event.from} for ${event.amount}`);
          set(event.from, from - event.amount);
          set(event.to, (balances.get(event.to) as number) + event.amount);
          break;
        }
        case "Deposited": {
          const before = balances.get(event.account);
          if (before === undefined || !isAmount(event.amount)) {
            illegal(`deposit ${event.id} posted to ${event.account} for ${event.amount}`);
            break;
          }
          set(event.account, before + event.amount);
          total += event.amount;
          enteredTotal += event.amount;
          break;
        }
        case "Withdrawn": {
          const before = balances.get(event.account);
          if (before === undefined || !isAmount(event.amount)) {
            illegal(`withdrawal ${event.id} posted from ${event.account} for ${event.amount}`);
            break;
          }
          if (before < event.amount) illegal(`withdrawal ${event.id} posted with ${before} in ${event.account} for ${event.amount}`);
          set(event.account, before - event.amount);
          total -= event.amount;
          enteredTotal -= event.amount;
          break;
        }
        case "TransferRejected": {
          const from = balances.get(event.from);
          const justified =
            event.reason === "IDEMPOTENCY_TABLE_FULL" ||
            !isAmount(event.amount) ||
            event.from === event.to ||
            from === undefined ||
            !balances.has(event.to) ||
            from < event.amount ||
            // A cross-cell transfer whose payee is in this cell after all (a shard move brought it here).
            (event.reason === "SAME_CELL" && balances.has(event.to));
          if (!justified) illegal(`transfer ${event.id} rejected (${event.reason}) though ${event.from} held ${from} for ${event.amount}`);
          break;
        }
        case "WithdrawRejected": {
          const before = balances.get(event.account);
          const justified =
            event.reason === "IDEMPOTENCY_TABLE_FULL" || !isAmount(event.amount) || before === undefined || before < event.amount;
          if (!justified)
            illegal(`withdrawal ${event.id} rejected (${event.reason}) though ${event.account} held ${before} for ${event.amount}`);
          break;
        }
        case "DepositRejected": {
          const justified =
            event.reason === "IDEMPOTENCY_TABLE_FULL" ||
            !isAmount(event.amount) ||
            !balances.has(event.account) ||
            !Number.isSafeInteger(total + event.amount);
          if (!justified) illegal(`deposit ${event.id} rejected (${event.reason}) though ${event.account} is open`);
          break;
        }
        case "AccountOpenRejected":
          if (event.reason === "ACCOUNT_EXISTS" && !balances.has(event.account))
            illegal(`opening ${event.account} rejected as existing though it is not open`);
          break;
        // Cross-cell steps: money leaves into the outbox, arrives from another cell, or comes
        // back by refund; each moves this cell's expected total (exactly-once across cells is the
        // global-conservation checker's job).
        case "TransferSent": {
          const from = balances.get(event.from);
          if (from === undefined || !isAmount(event.amount)) {
            illegal(`cross-cell transfer ${event.id} sent from ${event.from} for ${event.amount}`);
            break;
          }
          if (from < event.amount) illegal(`cross-cell transfer ${event.id} sent with ${from} in ${event.from} for ${event.amount}`);
          set(event.from, from - event.amount);
          total -= event.amount;
          enteredTotal -= event.amount;
          outbox.set(event.id, event.amount);
          break;
        }
        case "CreditReceived": {
          const before = balances.get(event.to);
          if (before === undefined || !isAmount(event.amount)) {
            illegal(`credit ${event.id} to ${event.to} for ${event.amount}`);
            break;
          }
          set(event.to, before + event.amount);
          total += event.amount;
          enteredTotal += event.amount;
          break;
        }
        case "CreditRefused":
          if (event.reason === "UNKNOWN_ACCOUNT" && balances.has(event.to))
            illegal(`credit ${event.id} refused as UNKNOWN_ACCOUNT though ${event.to} is open`);
          break;
        case "TransferSettled":
        case "TransferRefunded": {
          // A record opened before the log starts (a window of a running world whose older events
          // were folded) is not in `outbox`: only a known record of another amount is illegal here.
          const amount = outbox.get(event.id);
          if (amount !== undefined && amount !== event.amount) {
            illegal(`${event.type} ${event.id} closes an outbox record of ${amount} for ${event.amount}`);
            break;
          }
          outbox.delete(event.id);
          if (event.type === "TransferSettled") break;
          const before = balances.get(event.from);
          if (before === undefined) {
            illegal(`refund ${event.id} to unknown account ${event.from}`);
            break;
          }
          set(event.from, before + event.amount);
          total += event.amount;
          enteredTotal += event.amount;
          break;
        }
        case "ShardsMoved": {
          // A fence carries the range's accounts away with the balances this log gives them (the
          // shard's history continues in the destination's log from its import); an import or
          // unfence brings accounts in. Money leaves or enters with them.
          let sum = 0;
          if (event.step === "fence") {
            for (const [account, balance] of event.accounts) {
              const before = balances.get(account);
              if (before !== balance) illegal(`move ${event.moveId} carries ${account} with ${balance}, the log has ${before}`);
              if (before !== undefined) remove(account, before);
              sum -= balance;
            }
            // Open outbox records leave with their payers (their money stays in flight, not in a balance).
            for (const [id, , , , amount] of event.outbox ?? []) {
              const open = outbox.get(id);
              if (open !== undefined && open !== amount)
                illegal(`move ${event.moveId} carries outbox record ${id} of ${open} as ${amount}`);
              outbox.delete(id);
            }
          } else if (event.step === "import" || event.step === "unfence") {
            for (const [account, balance] of event.accounts) {
              if (balances.has(account)) illegal(`move ${event.moveId} brings ${account}, which is already open`);
              else set(account, balance);
              sum += balance;
            }
            for (const [id, , , , amount] of event.outbox ?? []) {
              if (outbox.has(id)) illegal(`move ${event.moveId} brings outbox record ${id}, which is already open`);
              outbox.set(id, amount);
            }
          }
          total += sum;
          enteredTotal += sum;
          break;
        }
        default:
          assertNever(event);
      }
      this.hashAfter[position + 1] = hash;
      this.openAfter[position + 1] = balances.size;
    }
    const hashAfter = this.hashAfter;
    this.byHash = Int32Array.from({ length: count + 1 }, (_, p) => p).sort(
      (a, b) => (hashAfter[a] as number) - (hashAfter[b] as number) || a - b,
    );
    // Conservation: the balances, recounted, equal what entered minus what left.
    let recount = 0;
    for (const balance of balances.values()) recount += balance;
    if (recount !== total || total !== enteredTotal) {
      this.violations.push({
        kind: "not-conserved",
        position: count,
        message: `balances sum to ${recount}, opened + deposited - withdrawn is ${enteredTotal}`,
      });
    }
  }

  get length(): number {
    return this.events.length;
  }

  /** The smallest prefix length p >= `from` whose state hash is `hash`, or -1; then `nextWithHash`. */
  firstWithHash(hash: number, from: number): number {
    const order = this.byHash;
    const hashAfter = this.hashAfter;
    let low = 0;
    let high = order.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const p = order[middle] as number;
      const candidate = hashAfter[p] as number;
      if (candidate < hash || (candidate === hash && p < from)) low = middle + 1;
      else high = middle;
    }
    this.cursor = low;
    return this.candidateAt(low, hash);
  }

  /** The next larger prefix length with the hash of the last `firstWithHash`, or -1. */
  nextWithHash(hash: number): number {
    return this.candidateAt(++this.cursor, hash);
  }

  private cursor = 0;

  private candidateAt(offset: number, hash: number): number {
    if (offset >= this.byHash.length) return -1;
    const p = this.byHash[offset] as number;
    return this.hashAfter[p] === hash ? p : -1;
  }

  /** Exact check: are `balances` the state after the first p events? O(accounts · log events). */
  stateEquals(p: number, balances: Readonly<Record<string, number>>): boolean {
    const accounts = Object.keys(balances);
    if (accounts.length !== this.openAfter[p]) return false;
    for (const account of accounts) {
      if (this.balanceAfter(account, p) !== balances[account]) return false;
    }
    return true;
  }

  /** The balance of `account` after the first p events; undefined when it was not open yet. */
  balanceAfter(account: string, p: number): number | undefined {
    const history = this.histories.get(account);
    if (history === undefined) return undefined;
    // Last change at a position < p.
    let low = 0;
    let high = history.positions.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((history.positions[middle] as number) < p) low = middle + 1;
      else high = middle;
    }
    const balance = low === 0 ? undefined : history.balances[low - 1];
    return balance === undefined || Number.isNaN(balance) ? undefined : balance;
  }
}

function isAmount(amount: number): boolean {
  return Number.isSafeInteger(amount) && amount > 0;
}
