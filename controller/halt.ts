// The kill switch (AWS FIS's safety lever, Gremlin's Halt All): one control that stops every
// experiment now and refuses new ones until an operator releases it. Halting heals every fault,
// ends the running drill INTERRUPTED (its faults healed) and pauses the schedules; new faults and
// drills answer 409 {rule: "halted"}, which `force` does not override: the switch is the override.
// Recovery actions (failover, evacuate, restore) stay allowed: halting chaos must never block
// recovery. The state is in the store, so a controller restarted while halted stays halted.
import type { AuditLog, HaltStore } from "./ports.js";
import type { HaltState, Result } from "../domain/records.js";

export interface KillSwitchDependencies {
  readonly store: HaltStore;
  readonly audit: AuditLog;
  readonly nowMs: () => number;
  /** Heals every active fault (each heal audited with `actor`); returns how many there were. */
  readonly healAllFaults: (actor: string) => number;
  /** Ends the running drill INTERRUPTED; returns its run id, or null when none runs. */
  readonly interruptDrill: (reason: string) => string | null;
  readonly onChange: (state: HaltState) => void;
}

export const NOT_HALTED: HaltState = { halted: false, reason: null, actor: null, sinceMs: null };

export class KillSwitch {
  private current: HaltState;

  constructor(private readonly dependencies: KillSwitchDependencies) {
    this.current = dependencies.store.haltState() ?? NOT_HALTED;
  }

  get state(): HaltState {
    return this.current;
  }

  get halted(): boolean {
    return this.current.halted;
  }

  /** The refusal every new fault or drill gets while halted, else null. */
  refusal(what: string): { ok: false; code: "CONFLICT"; error: string; rule: "halted" } | null {
    if (!this.current.halted) return null;
    return {
      ok: false,
      code: "CONFLICT",
      error: `${what} refused: chaos is halted since ${this.current.sinceMs} ms by ${this.current.actor} (${this.current.reason}); POST /api/v1/halt/release first`,
      rule: "halted",
    };
  }

  /** Halts (again, if already halted: every fault is healed again). */
  halt(reason: string, actor: string): Result<HaltState & { readonly healedFaults: number; readonly interruptedRun: string | null }> {
    const nowMs = this.dependencies.nowMs();
    const wasHalted = this.current.halted;
    this.current = wasHalted ? this.current : { halted: true, reason, actor, sinceMs: nowMs };
    // Persist first: a crash between here and the heals still comes back halted.
    this.dependencies.store.setHaltState(this.current);
    const interruptedRun = this.dependencies.interruptDrill(`halted by ${actor}: ${reason}`);
    const healedFaults = this.dependencies.healAllFaults(actor);
    this.dependencies.audit.append({
      atMs: nowMs,
      actor,
      kind: "halt",
      action: "halt",
      target: "*",
      reason,
      outcome: `halted: ${healedFaults} faults healed${interruptedRun === null ? "" : `, ${interruptedRun} interrupted`}`,
      rule: null,
      overrodeRule: null,
      routingVersionBefore: null,
      routingVersionAfter: null,
      details: { healedFaults, interruptedRun, alreadyHalted: wasHalted },
    });
    this.dependencies.onChange(this.current);
    return { ok: true, value: { ...this.current, healedFaults, interruptedRun } };
  }

  release(reason: string, actor: string): Result<HaltState> {
    if (!this.current.halted) return { ok: false, code: "CONFLICT", error: "chaos is not halted" };
    const before = this.current;
    this.current = NOT_HALTED;
    this.dependencies.store.setHaltState(null);
    this.dependencies.audit.append({
      atMs: this.dependencies.nowMs(),
      actor,
      kind: "halt",
      action: "release",
      target: "*",
      reason,
      outcome: "released",
      rule: null,
      overrodeRule: null,
      routingVersionBefore: null,
      routingVersionAfter: null,
      details: { haltedSinceMs: before.sinceMs, haltedBy: before.actor, haltReason: before.reason },
    });
    this.dependencies.onChange(this.current);
    return { ok: true, value: this.current };
  }
}
