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

/**
 * One group's search. Calls of info ops are deferred: the forward walk skips them, and only
 * when it meets a return (a call that cannot be placed) does an "info pass" try them, walking
 * back from that return to the head, so the most recent info op (the likeliest cause) is tried
 * first rather than every long-dead one before it. An info op is thus linearized only when some observation needs its
 * effect, instead of eagerly and then backtracked over every op since (an info op that never
 * took effect otherwise costs a search exponential in the ops after it). Each candidate is
 * still tried once per configuration, so the search stays complete.
 */
function checkGroup<S, I, O>(model: Model<S, I, O>, ops: Prepared<I, O>[], budget: Budget): GroupResult {
  const head = buildEntries(ops);
  // Info ops are placed lazily, so the unplaced ones would pin one window open across the whole
  // history; numbering them apart keeps both windows (and memo keys) short.
  const localId = new Int32Array(ops.length);
  let infoCount = 0;
  ops.forEach((op, id) => {
    localId[id] = op.output === null ? infoCount++ : id - infoCount;
  });
  const linearized = new SplitLinearizedSet(ops.length - infoCount, infoCount, (id) => (ops[id] as Prepared<I, O>).output === null, localId);
  const cache = new Set<string>();
  const calls: { entry: Entry; state: S; infoPassUntil: Entry | null; forced: boolean }[] = [];
  let state = model.initialState();
  let entry = head.next;
  /** During an info pass, the return that ended the forward walk; null in the forward walk. */
  let infoPassUntil: Entry | null = null;
  let deepest: { count: number; failedId: number; window: number[]; last: number[]; state: string } | null = null;
  const isInfo = (id: number): boolean => (ops[id] as Prepared<I, O>).output === null;

  const tryLinearize = (call: Entry): boolean => {
    const op = ops[call.id] as Prepared<I, O>;
    const next = model.step(state, op.input, op.output);
    if (next === undefined) return false;
    linearized.add(call.id);
    const key = `${model.stateKey(next)}#${linearized.key()}`;
    if (cache.has(key)) {
      linearized.delete(call.id);
      return false;
    }
    if (budget.cacheEntries >= budget.cacheEntriesMax) {
      linearized.delete(call.id);
      budget.exhausted = "cache-limit";
      return false;
    }
    cache.add(key);
    budget.cacheEntries++;
    calls.push({ entry: call, state, infoPassUntil, forced: false });
    state = next;
    lift(call);
    return true;
  };

  /**
   * Places every pending read that matches the current state, as forced moves: a read changes
   * nothing, so if any linearization continues from here, one continues with the read placed
   * now (all ops that returned before it are placed; none invoked after its return is). Placing
   * reads as early as possible stops them from being tried against every subset of the
   * concurrent writes. Returns false when the configuration reached is already known to fail.
   */
  const placeForcedReads = (): boolean => {
    for (let cursor: Entry | null = head.next; cursor !== null && cursor.isCall; ) {
      const op = ops[cursor.id] as Prepared<I, O>;
      if (op.output !== null && model.readOnly(op.input) && model.step(state, op.input, op.output) !== undefined) {
        linearized.add(cursor.id);
        const key = `${model.stateKey(state)}#${linearized.key()}`;
        if (cache.has(key)) {
          linearized.delete(cursor.id);
          return false;
        }
        cache.add(key);
        budget.cacheEntries++;
        calls.push({ entry: cursor, state, infoPassUntil: null, forced: true });
        lift(cursor);
        cursor = head.next;
        continue;
      }
      cursor = cursor.next;
    }
    return true;
  };

  /** Undoes the last choice that still has alternatives; false when none is left. */
  const backtrack = (): boolean => {
    for (;;) {
      const top = calls.pop();
      if (top === undefined) return false;
      state = top.state;
      linearized.delete(top.entry.id);
      unlift(top.entry);
      infoPassUntil = top.infoPassUntil;
      // The forward walk resumes after the undone call; an info pass (which walks backwards) before it.
      entry = infoPassUntil === null ? top.entry.next : top.entry.prev;
      // A forced read had no alternatives: its configuration failing means its parent's did.
      if (!top.forced) return true;
    }
  };

  const advance = (): boolean => {
    infoPassUntil = null;
    const alive = placeForcedReads();
    entry = head.next; // after: forced reads may have lifted the old head
    return alive || backtrack();
  };

  placeForcedReads(); // the cache is empty: it cannot report a known failure yet
  entry = head.next;
  while (head.next !== null) {
    if (!budget.step()) return { valid: "unknown" };
    const current = entry as Entry;
    if (infoPassUntil === null) {
      if (!current.isCall) {
        infoPassUntil = current;
        entry = current.prev;
        continue;
      }
      if (!isInfo(current.id) && tryLinearize(current)) {
        if (!advance()) break;
        continue;
      }
      if (budget.exhausted !== null) return { valid: "unknown" };
      entry = current.next;
      continue;
    }
    if (current !== head) {
      if (current.isCall && isInfo(current.id)) {
        if (tryLinearize(current)) {
          if (!advance()) break;
          continue;
        }
        if (budget.exhausted !== null) return { valid: "unknown" };
      }
      entry = current.prev;
      continue;
    }
    // No pending call can be placed before this return on this path.
    const stuck = infoPassUntil;
    if (deepest === null || calls.length > deepest.count) {
      const window: number[] = [];
      for (let cursor: Entry | null = head.next; cursor !== null && cursor !== stuck && window.length < WINDOW_SHOWN_MAX; cursor = cursor.next) {
        if (cursor.isCall) window.push(cursor.id);
      }
      const last = calls.slice(-LAST_LINEARIZED_SHOWN_MAX).map((call) => call.entry.id);
      deepest = { count: calls.length, failedId: stuck.id, window, last, state: model.stateKey(state) };
    }
    if (!backtrack()) break;
  }
  if (head.next === null) return { valid: true };
  // Every configuration failed, and a failure was recorded at a return before any memo hit.
  const worst = deepest as NonNullable<typeof deepest>;
  const summary = (id: number): OpSummary => summarise((ops[id] as Prepared<I, O>).op);
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

/**
 * Checks a paired history against a model. Throws HistoryError (naming the op) for ops the
 * model cannot read; otherwise returns valid, invalid with the failing window, or unknown.
 */
export function checkLinearizable<S, I, O>(model: Model<S, I, O>, paired: readonly PairedOp[], options: LinearizableOptions = {}): LinearizabilityVerdict {
  const budget = new Budget(options.nowMs ?? (() => performance.now()), options.timeoutMs ?? 60_000, options.cacheEntriesMax ?? CACHE_ENTRIES_MAX_DEFAULT);
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
