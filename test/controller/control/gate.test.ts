// The control gate (controller/control/gate.ts) over a control state machine that commits at once,
// with answers that can be lost: a call is run at most once whatever the retries see.
import { describe, expect, it } from "vitest";
import { ControlGate, type Admission } from "../../../controller/control/gate.js";
import { ControlStateMachine, type ControlCommand } from "../../../controller/control/state-machine.js";
import type { ControlPlane } from "../../../controller/control/plane.js";
import type { Clock } from "../../../ground/ports.js";

/** A plane whose commits apply at once; `loseAnswers` makes the next commits apply but answer NO_QUORUM; `refuse` applies nothing. */
function fakePlane() {
  const machine = new ControlStateMachine();
  let index = 0;
  let sequence = 0;
  const control = { loseAnswers: 0, refuse: false };
  const plane = {
    nextRequestId: (prefix: string) => `${prefix}-${++sequence}`,
    commit(command: ControlCommand, via: string | null, callback: (outcome: unknown) => void) {
      if (control.refuse) return callback({ ok: false, code: "NO_QUORUM", error: "no quorum", via });
      const result = machine.apply({ index: ++index, term: 1, data: command });
      if (control.loseAnswers > 0) {
        control.loseAnswers--;
        return callback({ ok: false, code: "NO_QUORUM", error: "answer lost", via });
      }
      callback({ ok: true, result, replica: "ctl/a", via: via ?? "hangzhou" });
    },
  };
  const clock: Clock = { nowUs: () => 0, setTimer: () => ({ id: 0 }) as never, cancelTimer: () => {} };
  const gate = new ControlGate({
    clock,
    plane: plane as unknown as ControlPlane,
    routing: () => ({ version: 1, atMs: 0, reason: "initial", cells: {}, drained: [] }),
  });
  return { gate, machine, control };
}

const request = { key: "k-1", via: null, method: "POST", path: "/api/v1/halt", actor: "test" };

function admit(gate: ControlGate, overrides: Partial<typeof request> = {}): Admission {
  let admission: Admission | null = null;
  gate.admit({ ...request, ...overrides }, (answer) => (admission = answer));
  return admission as unknown as Admission;
}

describe("ControlGate", () => {
  it("a begin that committed after its caller gave up is run by the retry, once", () => {
    const { gate, control } = fakePlane();
    control.loseAnswers = 1;
    expect(admit(gate).kind).toBe("refused");
    const retry = admit(gate);
    expect(retry.kind).toBe("go");
    // While it runs, another retry is told so rather than run.
    expect(admit(gate).kind).toBe("in-progress");
    let recorded = false;
    gate.complete(
      retry as { key: string; via: string },
      { status: 200, body: { halted: true } },
      (completion) => (recorded = completion.ok),
    );
    expect(recorded).toBe(true);
    expect(admit(gate)).toMatchObject({ kind: "replay", response: { status: 200, body: { halted: true } } });
  });

  it("a call that ran but whose answer could not be recorded is replayed to its retry, not run again", () => {
    const { gate, control, machine } = fakePlane();
    const first = admit(gate);
    expect(first.kind).toBe("go");
    control.refuse = true;
    let completion: { ok: boolean } | null = null;
    gate.complete(first as { key: string; via: string }, { status: 200, body: { halted: true } }, (answer) => (completion = answer));
    expect(completion).toMatchObject({ ok: false });
    control.refuse = false;
    expect(admit(gate)).toMatchObject({ kind: "replay", response: { status: 200 } });
    // The replay recorded the answer in the log too.
    expect(machine.request("key:k-1")?.response?.status).toBe(200);
  });

  it("a key reused for another call is refused, and without quorum nothing is admitted", () => {
    const { gate, control } = fakePlane();
    expect(admit(gate).kind).toBe("go");
    expect(admit(gate, { path: "/api/v1/halt/release" })).toMatchObject({ kind: "key-reused", call: "POST /api/v1/halt" });
    control.refuse = true;
    expect(admit(gate, { key: "k-2" })).toMatchObject({ kind: "refused" });
  });
});
