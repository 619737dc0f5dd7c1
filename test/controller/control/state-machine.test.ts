// The control state machine (controller/control/state-machine.ts): a request id applies once, a
// repeated begin learns the recorded answer, routing versions only grow, the audit log stays in id
// order without duplicates, and a snapshot restores the same state (a replica rebuilt from it
// applies the rest of the log to the same result).
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ControlStateMachine } from "../../../controller/control/state-machine.js";
import { applyAll, auditEntry, routingAt } from "./log-builders.js";

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
        const first = new ControlStateMachine();
        applyAll(first, commands.slice(0, at));
        const restored = new ControlStateMachine();
        restored.restore(JSON.parse(JSON.stringify(first.snapshot())));
        applyAll(restored, commands.slice(at), at + 1);
        expect(restored.snapshot()).toEqual(whole.snapshot());
      }),
    );
  });

  it("refuses an entry applied out of order (a replica bug, not an operating error)", () => {
    const machine = new ControlStateMachine();
    machine.apply({ index: 2, term: 1, data: { kind: "barrier", requestId: "b" } });
    expect(() => machine.apply({ index: 2, term: 1, data: { kind: "barrier", requestId: "c" } })).toThrow();
  });
});
