// A drill presses the controller's buttons through the same gate as the API (gate.ts): admitted by
// the control group, run, recorded, then answered. The button is pressed again (with the SAME
// request id, so it cannot apply twice) while the control group has no quorum, until
// `retryUsMax`: an operator whose failover button answers 503 presses it again.
import type { Clock } from "../../ground/ports.js";
import type { DrillController } from "../../chaos/drill/execution.js";
import type { ActionOutcome, ActionRequest } from "../../domain/records.js";
import type { ControlGate } from "./gate.js";
import { httpStatusOf } from "../http/status.js";

/** Between two presses of a refused button (simulated). */
export const DRILL_PRESS_RETRY_US = 100_000;

export interface GatedPress {
  readonly request: ActionRequest;
  readonly key: string;
  readonly pressedUs: number;
  /** Admissions refused (no quorum) before one went through. */
  readonly refusals: number;
  /** When the end of the action was committed (null: never). */
  readonly committedUs: number | null;
  readonly outcome: ActionOutcome;
}

export function gatedDrillController(
  dependencies: {
    readonly gate: ControlGate;
    readonly clock: Clock;
    readonly act: (request: ActionRequest, callback: (outcome: ActionOutcome) => void) => void;
    readonly onPress?: (press: GatedPress) => void;
  },
  retryUsMax: number,
): DrillController {
  const { gate, clock } = dependencies;
  return {
    act(request, callback) {
      const pressedUs = clock.nowUs();
      const key = gate.plane.nextRequestId("drill");
      const path = `/api/v1/${request.kind === "failover" ? `cells/${request.target}/failover` : `regions/${request.target}/${request.kind}`}`;
      let refusals = 0;
      const done = (outcome: ActionOutcome, committedUs: number | null): void => {
        dependencies.onPress?.({ request, key, pressedUs, refusals, committedUs, outcome });
        callback(outcome);
      };
      const press = (): void => {
        gate.admit({ key, via: null, method: "POST", path, actor: request.actor }, (admission) => {
          switch (admission.kind) {
            case "refused":
            case "in-progress":
            case "key-reused":
              refusals++;
              if (clock.nowUs() - pressedUs + DRILL_PRESS_RETRY_US > retryUsMax) {
                done(
                  {
                    ok: false,
                    code: "UNAVAILABLE",
                    error: `control-quorum: ${admission.kind === "refused" ? admission.error : admission.kind}`,
                  },
                  null,
                );
                return;
              }
              clock.setTimer(DRILL_PRESS_RETRY_US, press);
              return;
            case "replay":
              done(admission.response.body as ActionOutcome, clock.nowUs());
              return;
            case "go":
              dependencies.act(request, (outcome) => {
                const status = outcome.ok ? 200 : httpStatusOf(outcome.code);
                gate.complete(admission, { status, body: outcome }, (completion) => {
                  if (completion.ok) done(outcome, clock.nowUs());
                  else done({ ok: false, code: "UNAVAILABLE", error: `control-quorum: ${completion.error}` }, null);
                });
              });
              return;
          }
        });
      };
      press();
    },
  };
}
