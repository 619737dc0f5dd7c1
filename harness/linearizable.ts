// Linearizability by Wing & Gong's search with Lowe's memoisation, as Porcupine implements it:
// walk the history's call/return entries in order; linearize the first pending call the model
// accepts (remembering (linearized set, state) so a configuration is never explored twice);
// meeting a return means its call could not be placed, so backtrack. The history is first split
// into independent groups of objects (P-compositionality: linearizability is local), each
// checked alone. `fail` ops never happened and are dropped; `info` ops return at infinity, so
// they may take effect anywhere after their invoke, or (placed last) not at all.
import type { PairedOp } from "./history.js";
import type { Json } from "../ground/json.js";
import { LinearizedSet } from "./linearized-set.js";
import type { Model } from "./models.js";

export interface LinearizableOptions {
  /** Time budget for the whole check; past it the verdict is "unknown", never a guess. */
  timeoutMs?: number;
  /** Memo entries allowed across the search before giving up with "unknown" (memory bound). */
  cacheEntriesMax?: number;
  /** Monotonic milliseconds; injected so the search itself stays deterministic to test. */
  nowMs?: () => number;
}

export interface OpSummary {
  process: number | string;
  f: string;
  type: "ok" | "info";
  invokeIndex: number;
  completionIndex: number | null;
  value: Json;
  result: Json;
}

export interface LinearizabilityFailure {
  /** The group of objects (cell, key, register) whose history is not linearizable. */
  partition: string;
  /** Ops linearized on the deepest path the search found. */
  linearizedCount: number;
  /** The op that could not be placed before its return on that path. */
  op: OpSummary;
  /** Ops concurrent with it that were still unplaced: together with `op`, the window that fails. */
  window: OpSummary[];
  /** The last few ops linearized on that path, most recent last. */
  lastLinearized: OpSummary[];
  /** The model state (its memo key) at that point. */
  state: string;
}

export interface LinearizabilityVerdict {
  valid: true | false | "unknown";
  model: string;
  ops: number;
  partitions: number;
  /** Search steps taken (each a model step tried). */
  steps: number;
  reason?: "timeout" | "cache-limit";
  failure?: LinearizabilityFailure;
}

export const CACHE_ENTRIES_MAX_DEFAULT = 4_000_000;
const LAST_LINEARIZED_SHOWN_MAX = 5;
const WINDOW_SHOWN_MAX = 32;
const DEADLINE_CHECK_EVERY_STEPS = 4096;

interface Entry {
  readonly isCall: boolean;
  readonly id: number;
  /** For a call, its return entry. */
  match: Entry | null;
  prev: Entry | null;
  next: Entry | null;
}

interface Prepared<Input, Output> {
  op: PairedOp;
  input: Input;
  output: Output | null;
}

class Budget {
  steps = 0;
  cacheEntries = 0;
  exhausted: "timeout" | "cache-limit" | null = null;
  private readonly deadlineMs: number;

  constructor(
    private readonly nowMs: () => number,
    timeoutMs: number,
    readonly cacheEntriesMax: number,
  ) {
    this.deadlineMs = nowMs() + timeoutMs;
  }

  /** false once the budget is spent. */
  step(): boolean {
    this.steps++;
    if (this.steps % DEADLINE_CHECK_EVERY_STEPS === 0 && this.nowMs() > this.deadlineMs) this.exhausted = "timeout";
    return this.exhausted === null;
  }
}

export function summarise(op: PairedOp): OpSummary {
  return {
    process: op.process,
    f: op.f,
    type: op.type === "ok" ? "ok" : "info",
    invokeIndex: op.invoke.index,
    completionIndex: op.completion?.index ?? null,
    value: op.invoke.value,
    result: op.completion?.value ?? null,
  };
}

/** Splits ops into groups that share no object (union-find over the objects each op touches). */
function partition<S, I, O>(model: Model<S, I, O>, prepared: Prepared<I, O>[]): Map<string, Prepared<I, O>[]> {
  const parent = new Map<string, string>();
  const find = (object: string): string => {
    let root = object;
    while (parent.get(root) !== root) root = parent.get(root) as string;
    let node = object;
    while (node !== root) {
      const next = parent.get(node) as string;
      parent.set(node, root);
      node = next;
    }
    return root;
  };
  const objectsOf = prepared.map((entry) => model.objects(entry.op, entry.input));
  for (const objects of objectsOf) {
    for (const object of objects) if (!parent.has(object)) parent.set(object, object);
    for (let i = 1; i < objects.length; i++) {
      const a = find(objects[0] as string);
      const b = find(objects[i] as string);
      if (a !== b) parent.set(b, a);
    }
  }
  const groups = new Map<string, Prepared<I, O>[]>();
  prepared.forEach((entry, position) => {
    const objects = objectsOf[position] as readonly string[];
    const root = objects.length === 0 ? "" : find(objects[0] as string);
    let group = groups.get(root);
    if (!group) groups.set(root, (group = []));
    group.push(entry);
  });
  return groups;
}

/** Builds the call/return entry list (by history position; info returns last) after a head sentinel. */
function buildEntries<I, O>(ops: Prepared<I, O>[]): Entry {
  const events: { position: number; entry: Entry }[] = [];
  ops.forEach((op, id) => {
    const call: Entry = { isCall: true, id, match: null, prev: null, next: null };
    const ret: Entry = { isCall: false, id, match: null, prev: null, next: null };
    call.match = ret;
    events.push({ position: op.op.invoke.index, entry: call });
    const returnPosition = op.output === null ? Number.MAX_SAFE_INTEGER - ops.length + id : (op.op.completion as { index: number }).index;
    events.push({ position: returnPosition, entry: ret });
  });
  events.sort((a, b) => a.position - b.position);
  const head: Entry = { isCall: false, id: -1, match: null, prev: null, next: null };
  let last = head;
  for (const { entry } of events) {
    last.next = entry;
    entry.prev = last;
    last = entry;
  }
  return head;
}

function lift(entry: Entry): void {
  (entry.prev as Entry).next = entry.next;
  (entry.next as Entry).prev = entry.prev;
  const match = entry.match as Entry;
  (match.prev as Entry).next = match.next;
  if (match.next) match.next.prev = match.prev;
}

function unlift(entry: Entry): void {
  const match = entry.match as Entry;
  (match.prev as Entry).next = match;
  if (match.next) match.next.prev = match;
  (entry.prev as Entry).next = entry;
  (entry.next as Entry).prev = entry;
}

/** Linearized ops as two windows: ordinary ops and info ops, each numbered in call order. */
class SplitLinearizedSet {
  private readonly ordinary: LinearizedSet;
  private readonly info: LinearizedSet;

  constructor(
    ordinaryCount: number,
    infoCount: number,
    private readonly isInfo: (id: number) => boolean,
    private readonly localId: Int32Array,
  ) {
    this.ordinary = new LinearizedSet(ordinaryCount);
    this.info = new LinearizedSet(infoCount);
  }

  add(id: number): void {
    (this.isInfo(id) ? this.info : this.ordinary).add(this.localId[id] as number);
  }

  delete(id: number): void {
    (this.isInfo(id) ? this.info : this.ordinary).delete(this.localId[id] as number);
  }

  key(): string {
    return `${this.ordinary.key()}/${this.info.key()}`;
  }
}

type GroupResult = { valid: true } | { valid: "unknown" } | { valid: false; failure: Omit<LinearizabilityFailure, "partition"> };

/** The deepest configuration that failed: what a failure report shows. */
interface Deepest {
  readonly count: number;
  readonly failedId: number;
  readonly window: number[];
  readonly last: number[];
  readonly state: string;
}

/** One linearized call on the search stack, with what undoing it restores. */
interface PlacedCall<S> {
  readonly entry: Entry;
  readonly state: S;
  readonly infoPassUntil: Entry | null;
  /** A forced read: it had no alternatives, so undoing it undoes its parent too. */
  readonly forced: boolean;
}

/**
 * One group's search. Calls of info ops are deferred: the forward walk skips them, and only
 * when it meets a return (a call that cannot be placed) does an "info pass" try them, walking
 * back from that return to the head, so the most recent info op (the likeliest cause) is tried
 * first rather than every long-dead one before it. An info op is thus linearized only when some observation needs its
 * effect, instead of eagerly and then backtracked over every op since (an info op that never
 * took effect otherwise costs a search exponential in the ops after it). Each candidate is
 * still tried once per configuration, so the search stays complete.
 */
class GroupSearch<S, I, O> {
  private readonly head: Entry;
  private readonly linearized: SplitLinearizedSet;
  private readonly cache = new Set<string>();
  private readonly calls: PlacedCall<S>[] = [];
  private state: S;
  private entry: Entry | null;
  /** During an info pass, the return that ended the forward walk; null in the forward walk. */
  private infoPassUntil: Entry | null = null;
  private deepest: Deepest | null = null;

  constructor(
    private readonly model: Model<S, I, O>,
    private readonly ops: Prepared<I, O>[],
    private readonly budget: Budget,
  ) {
    this.head = buildEntries(ops);
    // Info ops are placed lazily, so the unplaced ones would pin one window open across the whole
    // history; numbering them apart keeps both windows (and memo keys) short.
    const localId = new Int32Array(ops.length);
    let infoCount = 0;
    ops.forEach((op, id) => {
      localId[id] = op.output === null ? infoCount++ : id - infoCount;
    });
    this.linearized = new SplitLinearizedSet(ops.length - infoCount, infoCount, (id) => this.isInfo(id), localId);
    this.state = model.initialState();
    this.entry = this.head.next;
  }

  run(): GroupResult {
    const head = this.head;
    const budget = this.budget;
    this.placeForcedReads(); // the cache is empty: it cannot report a known failure yet
    this.entry = head.next;
    while (head.next !== null) {
      if (!budget.step()) return { valid: "unknown" };
      const current = this.entry as Entry;
      if (this.infoPassUntil === null) {
        if (!current.isCall) {
          this.infoPassUntil = current;
          this.entry = current.prev;
          continue;
        }
        if (!this.isInfo(current.id) && this.tryLinearize(current)) {
          if (!this.advance()) break;
          continue;
        }
        if (budget.exhausted !== null) return { valid: "unknown" };
        this.entry = current.next;
        continue;
      }
      if (current !== head) {
        if (current.isCall && this.isInfo(current.id)) {
          if (this.tryLinearize(current)) {
            if (!this.advance()) break;
            continue;
          }
          if (budget.exhausted !== null) return { valid: "unknown" };
        }
        this.entry = current.prev;
        continue;
      }
      // No pending call can be placed before this return on this path.
      this.recordDeepest(this.infoPassUntil);
      if (!this.backtrack()) break;
    }
    return head.next === null ? { valid: true } : this.failure();
  }

  private isInfo(id: number): boolean {
    return (this.ops[id] as Prepared<I, O>).output === null;
  }

  private tryLinearize(call: Entry): boolean {
    const op = this.ops[call.id] as Prepared<I, O>;
    const next = this.model.step(this.state, op.input, op.output);
    if (next === undefined) return false;
    this.linearized.add(call.id);
    const key = `${this.model.stateKey(next)}#${this.linearized.key()}`;
    if (this.cache.has(key)) {
      this.linearized.delete(call.id);
      return false;
    }
    if (this.budget.cacheEntries >= this.budget.cacheEntriesMax) {
      this.linearized.delete(call.id);
      this.budget.exhausted = "cache-limit";
      return false;
    }
    this.cache.add(key);
    this.budget.cacheEntries++;
    this.calls.push({ entry: call, state: this.state, infoPassUntil: this.infoPassUntil, forced: false });
    this.state = next;
    lift(call);
    return true;
  }

  /**
   * Places every pending read that matches the current state, as forced moves: a read changes
   * nothing, so if any linearization continues from here, one continues with the read placed
   * now (all ops that returned before it are placed; none invoked after its return is). Placing
   * reads as early as possible stops them from being tried against every subset of the
   * concurrent writes. Returns false when the configuration reached is already known to fail.
   */
  private placeForcedReads(): boolean {
    for (let cursor: Entry | null = this.head.next; cursor !== null && cursor.isCall;) {
      const op = this.ops[cursor.id] as Prepared<I, O>;
      if (op.output !== null && this.model.readOnly(op.input) && this.model.step(this.state, op.input, op.output) !== undefined) {
        this.linearized.add(cursor.id);
        const key = `${this.model.stateKey(this.state)}#${this.linearized.key()}`;
        if (this.cache.has(key)) {
          this.linearized.delete(cursor.id);
          return false;
        }
        this.cache.add(key);
        this.budget.cacheEntries++;
        this.calls.push({ entry: cursor, state: this.state, infoPassUntil: null, forced: true });
        lift(cursor);
        cursor = this.head.next;
        continue;
      }
      cursor = cursor.next;
    }
    return true;
  }

  /** Undoes the last choice that still has alternatives; false when none is left. */
  private backtrack(): boolean {
    for (;;) {
      const top = this.calls.pop();
      if (top === undefined) return false;
      this.state = top.state;
      this.linearized.delete(top.entry.id);
      unlift(top.entry);
      this.infoPassUntil = top.infoPassUntil;
      // The forward walk resumes after the undone call; an info pass (which walks backwards) before it.
      this.entry = this.infoPassUntil === null ? top.entry.next : top.entry.prev;
      // A forced read had no alternatives: its configuration failing means its parent's did.
      if (!top.forced) return true;
    }
  }

  private advance(): boolean {
    this.infoPassUntil = null;
    const alive = this.placeForcedReads();
    this.entry = this.head.next; // after: forced reads may have lifted the old head
    return alive || this.backtrack();
  }

  /** Keeps the deepest configuration that got stuck at `stuck` (a return no pending call fits before). */
  private recordDeepest(stuck: Entry): void {
    if (this.deepest !== null && this.calls.length <= this.deepest.count) return;
    const window: number[] = [];
    for (
      let cursor: Entry | null = this.head.next;
      cursor !== null && cursor !== stuck && window.length < WINDOW_SHOWN_MAX;
      cursor = cursor.next
    ) {
      if (cursor.isCall) window.push(cursor.id);
    }
    const last = this.calls.slice(-LAST_LINEARIZED_SHOWN_MAX).map((call) => call.entry.id);
    this.deepest = { count: this.calls.length, failedId: stuck.id, window, last, state: this.model.stateKey(this.state) };
  }

  /** Every configuration failed, and a failure was recorded at a return before any memo hit. */
  private failure(): GroupResult {
    const worst = this.deepest as Deepest;
    const summary = (id: number): OpSummary => summarise((this.ops[id] as Prepared<I, O>).op);
    return {
      valid: false,
      failure: {
        linearizedCount: worst.count,
        op: summary(worst.failedId),
        window: worst.window.filter((id) => id !== worst.failedId).map(summary),
        lastLinearized: worst.last.map(summary),
        state: worst.state,
      },
    };
  }
}

function checkGroup<S, I, O>(model: Model<S, I, O>, ops: Prepared<I, O>[], budget: Budget): GroupResult {
  return new GroupSearch(model, ops, budget).run();
}

/**
 * Checks a paired history against a model. Throws HistoryError (naming the op) for ops the
 * model cannot read; otherwise returns valid, invalid with the failing window, or unknown.
 */
export function checkLinearizable<S, I, O>(
  model: Model<S, I, O>,
  paired: readonly PairedOp[],
  options: LinearizableOptions = {},
): LinearizabilityVerdict {
  const budget = new Budget(
    options.nowMs ?? (() => performance.now()),
    options.timeoutMs ?? 60_000,
    options.cacheEntriesMax ?? CACHE_ENTRIES_MAX_DEFAULT,
  );
  const prepared: Prepared<I, O>[] = [];
  for (const op of paired) {
    if (op.type === "fail") continue;
    prepared.push({ op, ...model.prepare(op) });
  }
  const groups = partition(model, prepared);
  const verdict: LinearizabilityVerdict = { valid: true, model: model.name, ops: prepared.length, partitions: groups.size, steps: 0 };
  // Small groups first: an invalid small group answers quickly even if a big one would time out.
  const ordered = [...groups.entries()].sort((a, b) => a[1].length - b[1].length || (a[0] < b[0] ? -1 : 1));
  for (const [name, ops] of ordered) {
    budget.cacheEntries = 0;
    const result = checkGroup(model, ops, budget);
    if (result.valid === false) {
      verdict.valid = false;
      verdict.failure = { partition: name, ...result.failure };
      delete verdict.reason;
      break;
    }
    if (result.valid === "unknown") {
      verdict.valid = "unknown";
      verdict.reason = budget.exhausted ?? "timeout";
      if (budget.exhausted === "timeout") break;
      // A cache limit is per group (its memo is freed after it): later groups still run.
      budget.exhausted = null;
    }
  }
  verdict.steps = budget.steps;
  return verdict;
}
