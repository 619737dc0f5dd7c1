// A region endpoint's client of the control group: sends a control command to the replica it
// believes leads, follows NOT_LEADER hints, tries the next replica after an attempt timeout, and
// retries with the SAME request id until the deadline (the control state machine applies an id
// once, so a retry that reaches a new leader after the first attempt committed is a duplicate,
// not a second application). Past the deadline: NO_QUORUM (the control group could not commit it
// in time; the caller answers 503 control-quorum).
import type { Clock, TimerHandle, Transport } from "../../ground/ports.js";
import type { ClientRequest, ClientResponse } from "../../cells/cell/protocol.js";
import { isClientMessage } from "../../cells/cell/protocol.js";
import type { ControlApplyResult, ControlCommand } from "./state-machine.js";
import { controlMessageBytes } from "./node.js";

export interface ControlClientOptions {
  /** Replica ids of the control group, in placement order. */
  readonly replicas: readonly string[];
  /** Per-attempt wait before trying another replica (above a cross-region commit). */
  readonly attemptTimeoutUs: number;
  /** Pause before retrying after DROPPED / UNAVAILABLE / NOT_LEADER without a hint. */
  readonly retryBackoffUs: number;
  /** Bound on commands in flight from this endpoint. */
  readonly inflightCommandsMax: number;
}

export const defaultControlClientOptions: Omit<ControlClientOptions, "replicas"> = {
  attemptTimeoutUs: 150_000,
  retryBackoffUs: 20_000,
  inflightCommandsMax: 1_024,
};

export type ControlOutcome =
  | { readonly ok: true; readonly result: ControlApplyResult; readonly replica: string }
  | { readonly ok: false; readonly code: "NO_QUORUM" | "INVALID" | "OVERLOADED"; readonly error: string };

interface Pending {
  readonly command: ControlCommand;
  readonly deadlineUs: number;
  readonly callback: (outcome: ControlOutcome) => void;
  attempt: number;
  target: string;
  timer: TimerHandle | null;
  lastError: string;
}

export class ControlClient {
  private leaderGuess: string | null = null;
  private nextReplica = 0;
  private readonly pending = new Map<string, Pending>();
  /** Invariant: -1 or a time at which a command of this endpoint ended that way. */
  private lastCommitUs = -1;
  private lastNoQuorumUs = -1;

  constructor(
    private readonly options: ControlClientOptions,
    private readonly dependencies: { readonly clock: Clock; readonly transport: Transport },
  ) {
    dependencies.transport.onMessage((_source, message) => {
      if (isClientMessage(message) && message.type === "client-response") this.onResponse(message);
    });
  }

  /** The replica this endpoint last saw lead (null: none known). */
  get leader(): string | null {
    return this.leaderGuess;
  }

  /** This endpoint's last command committed (or none failed yet): it answers. */
  get answering(): boolean {
    return this.lastNoQuorumUs <= this.lastCommitUs;
  }

  get inflight(): number {
    return this.pending.size;
  }

  submit(command: ControlCommand, timeoutUs: number, callback: (outcome: ControlOutcome) => void): void {
    if (this.pending.has(command.requestId)) {
      callback({ ok: false, code: "INVALID", error: `control request ${command.requestId} is already in flight here` });
      return;
    }
    if (this.pending.size >= this.options.inflightCommandsMax) {
      callback({
        ok: false,
        code: "OVERLOADED",
        error: `at most ${this.options.inflightCommandsMax} control commands in flight per endpoint`,
      });
      return;
    }
    const pending: Pending = {
      command,
      deadlineUs: this.dependencies.clock.nowUs() + timeoutUs,
      callback,
      attempt: 0,
      target: "",
      timer: null,
      lastError: "no replica answered",
    };
    this.pending.set(command.requestId, pending);
    this.send(pending, this.pickTarget());
  }

  /** Gives up on everything in flight (the endpoint process stops). */
  abandonAll(reason: string): void {
    for (const pending of [...this.pending.values()]) this.finish(pending, { ok: false, code: "NO_QUORUM", error: reason });
  }

  private pickTarget(): string {
    if (this.leaderGuess !== null) return this.leaderGuess;
    const replica = this.options.replicas[this.nextReplica % this.options.replicas.length] as string;
    this.nextReplica++;
    return replica;
  }

  private send(pending: Pending, target: string): void {
    const clock = this.dependencies.clock;
    const remainingUs = pending.deadlineUs - clock.nowUs();
    if (remainingUs <= 0) {
      this.finish(pending, {
        ok: false,
        code: "NO_QUORUM",
        error: `the control group committed nothing within the deadline (${pending.lastError})`,
      });
      return;
    }
    pending.attempt++;
    pending.target = target;
    const attempt = pending.attempt;
    const request: ClientRequest = {
      type: "client-request",
      requestId: pending.command.requestId,
      kind: "command",
      payload: pending.command,
      replyTo: this.dependencies.transport.self,
    };
    this.dependencies.transport.send(target, request, controlMessageBytes(pending.command));
    this.arm(pending, Math.min(this.options.attemptTimeoutUs, remainingUs), () => {
      if (pending.attempt !== attempt) return;
      pending.lastError = `${target} did not answer within ${this.options.attemptTimeoutUs / 1000} ms`;
      if (this.leaderGuess === target) this.leaderGuess = null;
      this.send(pending, this.pickTarget());
    });
  }

  private arm(pending: Pending, delayUs: number, callback: () => void): void {
    if (pending.timer !== null) this.dependencies.clock.cancelTimer(pending.timer);
    pending.timer = this.dependencies.clock.setTimer(Math.max(1, delayUs), () => {
      pending.timer = null;
      callback();
    });
  }

  private onResponse(response: ClientResponse): void {
    const pending = this.pending.get(response.requestId);
    if (pending === undefined || response.from !== pending.target) return;
    if (response.ok) {
      this.leaderGuess = response.from;
      this.finish(pending, { ok: true, result: response.result as ControlApplyResult, replica: response.from });
      return;
    }
    const error = response.error;
    pending.lastError = `${response.from}: ${error?.code ?? "error"}${error?.message ? ` ${error.message}` : ""}`;
    if (error?.code === "INVALID") {
      this.finish(pending, { ok: false, code: "INVALID", error: pending.lastError });
      return;
    }
    const hint = error?.code === "NOT_LEADER" ? (error.leaderHint ?? null) : null;
    if (hint !== null && hint !== response.from && this.options.replicas.includes(hint)) {
      this.leaderGuess = hint;
      this.send(pending, hint);
      return;
    }
    if (this.leaderGuess === response.from) this.leaderGuess = null;
    const attempt = pending.attempt;
    this.arm(pending, this.options.retryBackoffUs, () => {
      if (pending.attempt === attempt) this.send(pending, this.pickTarget());
    });
  }

  private finish(pending: Pending, outcome: ControlOutcome): void {
    if (this.pending.get(pending.command.requestId) !== pending) return;
    if (outcome.ok) this.lastCommitUs = this.dependencies.clock.nowUs();
    else if (outcome.code === "NO_QUORUM") this.lastNoQuorumUs = this.dependencies.clock.nowUs();
    this.pending.delete(pending.command.requestId);
    if (pending.timer !== null) this.dependencies.clock.cancelTimer(pending.timer);
    pending.timer = null;
    pending.callback(outcome);
  }
}
