// The control state machine (controller/control/state-machine.ts): a request id applies once, a
// repeated begin learns the recorded answer, routing versions only grow, the audit log stays in id
// order without duplicates, and a snapshot restores the same state (a replica rebuilt from it
// applies the rest of the log to the same result).
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  controlCommandIdsRememberedMax,
  controlRequestsRememberedMax,
  ControlStateMachine,
  type ControlCommand,
} from "../../../controller/control/state-machine.js";
import { applyAll, auditEntry, routingAt } from "./log-builders.js";

/** A replica that applied `commands` up to `cut`, was rebuilt from its snapshot (as JSON) and applied the rest. */
function restoredAt(commands: readonly ControlCommand[], cut: number): ControlStateMachine {
  const first = new ControlStateMachine();
  applyAll(first, commands.slice(0, cut));
  const restored = new ControlStateMachine();
  restored.restore(JSON.parse(JSON.stringify(first.snapshot())));
  applyAll(restored, commands.slice(cut), cut + 1);
  return restored;
}

describe("ControlStateMachine", () => {
  it("applies a request id once; a repeated begin learns the recorded answer", () => {
    const machine = new ControlStateMachine();
    const api = { method: "POST", path: "/api/v1/halt", actor: "a", via: "shanghai" };
    const [first, , again] = applyAll(machine, [
      { kind: "begin", requestId: "key:k", api },
      {
        kind: "end",
        requestId: "key:k:end",
        of: "key:k",
        response: { status: 200, body: { halted: true } },
        audit: [auditEntry(1)],
        routing: null,
      },
      { kind: "begin", requestId: "key:k", api },
      { kind: "end", requestId: "key:k:end", of: "key:k", response: { status: 500, body: null }, audit: [auditEntry(2)], routing: null },
    ]);
    expect(first).toMatchObject({ duplicate: false });
    expect(again).toMatchObject({ duplicate: true, response: { status: 200, body: { halted: true } } });
    // The second end was a duplicate too: its audit entry and answer were not applied.
    expect(machine.audit().map((entry) => entry.id)).toEqual([1]);
    expect(machine.request("key:k")?.response?.status).toBe(200);
  });

  it("keeps routing versions growing and the audit in id order without duplicates", () => {
    const machine = new ControlStateMachine();
    applyAll(machine, [
      { kind: "routing", requestId: "r1", routing: routingAt(3) },
      { kind: "routing", requestId: "r2", routing: routingAt(2) },
      { kind: "audit", requestId: "a1", entries: [auditEntry(5), auditEntry(7)] },
      { kind: "audit", requestId: "a2", entries: [auditEntry(6), auditEntry(7)] },
    ]);
    expect(machine.routing?.version).toBe(3);
    expect(machine.audit().map((entry) => entry.id)).toEqual([5, 6, 7]);
    expect(machine.hasAudit(6)).toBe(true);
  });

  it("a replica restored from a snapshot mid-log ends in the same state as one that applied it all", () => {
    const command = fc.oneof(
      fc.record({
        kind: fc.constant("audit" as const),
        requestId: fc.string({ minLength: 1, maxLength: 3 }),
        entries: fc.array(
          fc.integer({ min: 1, max: 40 }).map((id) => auditEntry(id)),
          { maxLength: 4 },
        ),
      }),
      fc.record({
        kind: fc.constant("routing" as const),
        requestId: fc.string({ minLength: 1, maxLength: 3 }),
        routing: fc.integer({ min: 1, max: 20 }).map((version) => routingAt(version)),
      }),
      fc.record({
        kind: fc.constant("fault" as const),
        requestId: fc.string({ minLength: 1, maxLength: 3 }),
        fault: fc.record({
          id: fc.constantFrom("f-1", "f-2"),
          type: fc.constant("latency"),
          origin: fc.constant("api"),
          state: fc.constantFrom("active" as const, "healed" as const),
          leaseUntilMs: fc.integer({ min: 0, max: 100 }),
          term: fc.integer({ min: 1, max: 3 }),
        }),
      }),
    );
    fc.assert(
      fc.property(fc.array(command, { maxLength: 30 }), fc.nat(), (commands, cut) => {
        const whole = new ControlStateMachine();
        applyAll(whole, commands);
        const at = commands.length === 0 ? 0 : cut % commands.length;
        expect(restoredAt(commands, at).snapshot()).toEqual(whole.snapshot());
      }),
    );
  });

  // Issue 15: one 16,384-id bound for every command filled for ~2.5 hours of drills (~2
  // shipments, lease renewals and drill records a second), a slope in the server's memory and in
  // every control snapshot. Background ids now have their own, short bound; API calls keep theirs.
  it("forgets background command ids after its own bound, and remembers API calls across many more", () => {
    const machine = new ControlStateMachine();
    const api = { method: "POST", path: "/api/v1/regions/hangzhou/evacuate", actor: "a", via: "shanghai" };
    const shipments = 2 * controlRequestsRememberedMax;
    const commands: ControlCommand[] = [{ kind: "begin", requestId: "key:operator", api }];
    for (let i = 0; i < shipments; i++) commands.push({ kind: "audit", requestId: `ship-${i}`, entries: [] });
    applyAll(machine, commands);
    // The operator's retry, 32,768 control commands later, still replays (no second run).
    expect(machine.apply({ index: commands.length + 1, term: 1, data: { kind: "begin", requestId: "key:operator", api } })).toMatchObject({
      duplicate: true,
    });
    const remembered = machine.snapshot().requests.map(([id]) => id);
    expect(remembered).toHaveLength(1 + controlCommandIdsRememberedMax);
    expect(remembered).toContain(`ship-${shipments - 1}`);
    expect(remembered).not.toContain(`ship-${shipments - 1 - controlCommandIdsRememberedMax}`);
    // A recent background id is still a duplicate.
    expect(
      machine.apply({ index: commands.length + 2, term: 1, data: { kind: "audit", requestId: `ship-${shipments - 1}`, entries: [] } }),
    ).toMatchObject({ duplicate: true });
  });

  it("a replica restored from a snapshot forgets the same ids, in the same order, as one that applied it all", () => {
    const api = { method: "POST", path: "/api/v1/halt", actor: "a", via: "shanghai" };
    const commands: ControlCommand[] = [];
    for (let i = 0; i < 3 * controlCommandIdsRememberedMax; i++) {
      commands.push(
        i % 97 === 0
          ? { kind: "begin", requestId: `key:${i}`, api }
          : {
              kind: "fault",
              requestId: `lease-${i}`,
              fault: { id: "f-1", type: "latency", origin: "drill", state: "active", leaseUntilMs: i, term: 1 },
            },
      );
    }
    const whole = new ControlStateMachine();
    applyAll(whole, commands);
    const cut = Math.floor(1.5 * controlCommandIdsRememberedMax);
    expect(restoredAt(commands, cut).snapshot()).toEqual(whole.snapshot());
    expect(whole.snapshot().requests.filter(([, , call]) => call !== null)).toHaveLength(Math.ceil(commands.length / 97));
  });

  it("refuses an entry applied out of order (a replica bug, not an operating error)", () => {
    const machine = new ControlStateMachine();
    machine.apply({ index: 2, term: 1, data: { kind: "barrier", requestId: "b" } });
    expect(() => machine.apply({ index: 2, term: 1, data: { kind: "barrier", requestId: "c" } })).toThrow();
  });
});
