// The controller's eyes (docs/architecture.md "The control plane"): a prober runs in every control
// replica's process and, while that replica leads the control group, sends a `status` probe
// (cells/cell/protocol.ts) to every cell replica every `periodUs` over the simulated network, and
// remembers each answer with its time. What the controller believes of the cells is the control
// leader's prober's record: a replica that has not answered within `staleUs` is UNREACHABLE to the
// controller, whatever it really is (down, or cut off from the control leader by a partition); the
// controller cannot tell those apart and does not pretend to. The god's-eye Cluster is only for the
// checkers and the truth the page shows beside this belief. The same process also carries the
// controller's requests to the cells (`request`: a leadership transfer, controller/control/transfer.ts),
// sent from its host like the probes and answered, or not, like them.
import type { Clock, TimerHandle, Transport } from "../../ground/ports.js";
import type { ClientRequest, ClientRequestKind, ClientResponse, ReplicaProbeStatus } from "../../cells/cell/protocol.js";

export interface ProberOptions {
  /** Between two probe rounds (simulated µs). */
  readonly periodUs: number;
  /** An answer older than this is no answer: the replica is unreachable (a few periods plus a cross-region round trip). */
  readonly staleUs: number;
}

export const defaultProberOptions: ProberOptions = { periodUs: 100_000, staleUs: 450_000 };

/** Bytes a probe and its answer are charged on the simulated wire. */
export const PROBE_REQUEST_BYTES = 64;

export const PROBE_REQUEST_PREFIX = "probe:";

/** Request ids of the controller's requests (`request`), answered to their callback. */
export const CONTROL_REQUEST_PREFIX = "ctl:";

/** A request unanswered for this long is forgotten (its sender's own deadline has long passed). */
export const CONTROL_REQUEST_FORGET_US = 5_000_000;

export interface ProbeAnswer {
  readonly status: ReplicaProbeStatus;
  /** Simulated µs the answer arrived. */
  readonly atUs: number;
}

export interface ProberDependencies {
  readonly clock: Clock;
  readonly transport: Transport;
  /** Every cell replica to probe now (host ids); cells added later are probed from the next round. */
  readonly targets: () => readonly string[];
  /** Probe only while this is true (this control replica leads its group). */
  readonly active: () => boolean;
}

export class CellProber {
  private readonly answers = new Map<string, ProbeAnswer>();
  private timer: TimerHandle | null = null;
  private round = 0;
  private requestSeq = 0;
  private readonly requests = new Map<
    string,
    { readonly sentUs: number; readonly kind: ClientRequestKind; readonly onAnswer: (ok: boolean, result: unknown) => void }
  >();
  /** Probes sent and answers received, and the controller's requests sent from here, for the metrics and tests. */
  readonly counts = { sent: 0, answered: 0, requests: 0 };

  constructor(
    readonly options: ProberOptions,
    private readonly dependencies: ProberDependencies,
  ) {
    if (!(options.periodUs > 0 && options.staleUs > options.periodUs))
      throw new RangeError(`prober: staleUs (${options.staleUs}) must exceed periodUs (${options.periodUs}) > 0`);
  }

  start(): void {
    if (this.timer !== null) return;
    const clock = this.dependencies.clock;
    const tick = (): void => {
      this.timer = clock.setTimer(this.options.periodUs, tick);
      if (this.dependencies.active()) this.probe();
    };
    this.timer = clock.setTimer(this.options.periodUs, tick);
  }

  stop(): void {
    if (this.timer !== null) this.dependencies.clock.cancelTimer(this.timer);
    this.timer = null;
  }

  /** A message for this host: true when it was a probe's answer (consumed here). */
  receive(message: unknown): boolean {
    const response = message as Partial<ClientResponse> | null;
    if (response?.type !== "client-response" || typeof response.requestId !== "string") return false;
    if (response.requestId.startsWith(CONTROL_REQUEST_PREFIX)) {
      const pending = this.requests.get(response.requestId);
      this.requests.delete(response.requestId);
      // A status request's answer is a probe answer too: what the controller sees is as fresh as its last word.
      if (pending?.kind === "status") this.record(response);
      pending?.onAnswer(response.ok === true, response.ok === true ? response.result : response.error);
      return true;
    }
    if (!response.requestId.startsWith(PROBE_REQUEST_PREFIX)) return false;
    this.record(response);
    return true;
  }

  private record(response: Partial<ClientResponse>): void {
    if (response.ok === true && typeof response.from === "string" && response.result !== undefined) {
      this.counts.answered++;
      this.answers.set(response.from, { status: response.result as ReplicaProbeStatus, atUs: this.dependencies.clock.nowUs() });
    }
  }

  /** Sends one request to a cell replica from this host; `onAnswer` runs when (if) its answer comes back here. */
  request(target: string, kind: ClientRequestKind, payload: unknown, onAnswer: (ok: boolean, result: unknown) => void): void {
    const { clock, transport } = this.dependencies;
    const requestId = `${CONTROL_REQUEST_PREFIX}${++this.requestSeq}`;
    this.requests.set(requestId, { sentUs: clock.nowUs(), kind, onAnswer });
    this.counts.requests++;
    const request: ClientRequest = { type: "client-request", requestId, kind, payload, replyTo: transport.self };
    transport.send(target, request, PROBE_REQUEST_BYTES);
  }

  /** The last answer of `replica` if it is fresh (within staleUs), else undefined: unreachable from here. */
  answer(replica: string): ProbeAnswer | undefined {
    const answer = this.answers.get(replica);
    if (answer === undefined || this.dependencies.clock.nowUs() - answer.atUs > this.options.staleUs) return undefined;
    return answer;
  }

  /** Has this prober ever run a round (a replica that never led has no view of the cells). */
  get probing(): boolean {
    return this.round > 0;
  }

  private probe(): void {
    this.round++;
    const { transport } = this.dependencies;
    const targets = this.dependencies.targets();
    for (const target of targets) {
      const request: ClientRequest = {
        type: "client-request",
        requestId: `${PROBE_REQUEST_PREFIX}${this.round}`,
        kind: "status",
        payload: null,
        replyTo: transport.self,
      };
      this.counts.sent++;
      transport.send(target, request, PROBE_REQUEST_BYTES);
    }
    // Requests whose answer never came (a cut, a crash) are forgotten.
    for (const [id, pending] of this.requests)
      if (this.dependencies.clock.nowUs() - pending.sentUs > CONTROL_REQUEST_FORGET_US) this.requests.delete(id);
    // Answers of replicas no longer probed (a removed cell) are forgotten.
    if (this.answers.size > targets.length) {
      const wanted = new Set(targets);
      for (const id of [...this.answers.keys()]) if (!wanted.has(id)) this.answers.delete(id);
    }
  }
}
