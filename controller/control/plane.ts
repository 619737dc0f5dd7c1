// The controller's handle on its control group: the region endpoints (one ControlClient each, on
// a host of the world) through which commands reach the control replicas, and the group's status
// for GET /api/v1/control-plane. Which endpoint serves a request is the caller's choice (a region
// named by X-LDC-Region or ?via=), else the first region whose endpoint is up.
import type { ReplicaStatus } from "../../cells/replica.js";
import type { Clock } from "../../ground/ports.js";
import type { ControlClient, ControlOutcome } from "./client.js";
import type { ControlCommand, ControlStateMachine } from "./state-machine.js";

/** How long a mutating call waits for the control group to commit before answering 503 control-quorum. */
export const CONTROL_COMMIT_TIMEOUT_US_DEFAULT = 2_000_000;

export interface ControlReplicaPlacement {
  readonly id: string;
  readonly region: string;
  readonly datacenter: string;
}

/** What the runtime tells the plane about one control replica process (null status: the process is down). */
export interface ControlReplicaProbe {
  readonly placement: ControlReplicaPlacement;
  readonly status: ReplicaStatus | null;
  readonly stateMachine: ControlStateMachine | null;
}

export interface ControlEndpoint {
  readonly region: string;
  readonly client: ControlClient;
  /** The endpoint's process is running. */
  up(): boolean;
}

export type ControlReplicaState = "leader" | "follower" | "candidate" | "down";

export interface ControlPlaneStatus {
  readonly leader: string | null;
  readonly leaderRegion: string | null;
  readonly term: number;
  readonly commitIndex: number;
  readonly replicas: readonly {
    readonly id: string;
    readonly region: string;
    readonly state: ControlReplicaState;
    /** The leader's view of how far this replica's log matches its own (null: no leader, or unknown). */
    readonly matchIndex: number | null;
  }[];
  readonly quorum: boolean;
  readonly endpoints: readonly { readonly region: string; readonly up: boolean; readonly leaderGuess: string | null }[];
}

export type EndpointChoice = { readonly ok: true; readonly endpoint: ControlEndpoint } | { readonly ok: false; readonly error: string };

export interface ControlPlaneDependencies {
  readonly replicas: () => readonly ControlReplicaProbe[];
  /** The controller's clock: an endpoint that dies mid-command never answers, so the plane answers for it. */
  readonly clock: Clock;
}

/** Past the commit timeout, how long the plane waits for an endpoint's own answer before answering NO_QUORUM itself. */
export const CONTROL_ENDPOINT_GRACE_US = 100_000;

export class ControlPlane {
  private readonly endpoints = new Map<string, ControlEndpoint>();
  private sequence = 0;

  constructor(
    private readonly regions: readonly string[],
    private readonly dependencies: ControlPlaneDependencies,
    readonly commitTimeoutUs: number = CONTROL_COMMIT_TIMEOUT_US_DEFAULT,
  ) {}

  /** A region's endpoint process (re)started with this client. */
  setEndpoint(endpoint: ControlEndpoint): void {
    this.endpoints.set(endpoint.region, endpoint);
  }

  /** A fresh id for a command this controller issues (API requests without their own key, the shipper, leases). */
  nextRequestId(prefix: string): string {
    this.sequence++;
    return `${prefix}-${this.sequence}`;
  }

  /**
   * `via`: a region named by the caller; null: the first region (in configuration order) whose
   * endpoint is up, leaving out `tried` (regions that already failed this command).
   */
  endpoint(via: string | null, tried: ReadonlySet<string> = new Set()): EndpointChoice {
    if (via !== null) {
      if (!this.regions.includes(via)) return { ok: false, error: `via: no region ${via}; expected one of ${this.regions.join(", ")}` };
      const endpoint = this.endpoints.get(via);
      if (endpoint === undefined || !endpoint.up()) return { ok: false, error: `the control endpoint in ${via} is down` };
      return { ok: true, endpoint };
    }
    // The first region that answers: up, and its last command was not left without a quorum;
    // else the first that is up (it may answer now).
    const up = this.regions
      .filter((region) => !tried.has(region))
      .map((region) => this.endpoints.get(region))
      .filter((endpoint) => endpoint !== undefined && endpoint.up());
    const endpoint = up.find((candidate) => candidate?.client.answering === true) ?? up[0];
    return endpoint === undefined ? { ok: false, error: "no control endpoint is up" } : { ok: true, endpoint };
  }

  /**
   * Commits one command; NO_QUORUM when the group could not commit it in time. Without `via`
   * ("the first region that answers"), a region whose endpoint cannot commit (cut off from the
   * control leader, or down) hands the command, under its same request id, to the next region
   * that is up; with `fallback`, so does a named region (the end of a call that cut off or took
   * down its own region). The state machine applies a request id at most once.
   * Without `via` the regions share the one `timeoutUs`: each attempt gets the time left divided
   * by the regions still to try, so "the first region that answers" answers NO_QUORUM within
   * `timeoutUs` (plus one endpoint grace), not `timeoutUs` per region (docs/operator.md).
   */
  commit(
    command: ControlCommand,
    via: string | null,
    callback: (outcome: ControlOutcome & { readonly via: string | null }) => void,
    timeoutUs: number = this.commitTimeoutUs,
    fallback = false,
  ): void {
    const tried = new Set<string>();
    const clock = this.dependencies.clock;
    const deadlineUs = clock.nowUs() + timeoutUs;
    /** The regions this call may still try after the current one (shared budget only when the caller named none). */
    const untried = (): number => this.regions.filter((region) => !tried.has(region) && this.endpoints.get(region)?.up() === true).length;
    const attempt = (choiceVia: string | null): void => {
      const choice = this.endpoint(choiceVia, tried);
      if (!choice.ok) {
        if (choiceVia !== null && fallback && this.regions.includes(choiceVia)) {
          tried.add(choiceVia);
          attempt(null);
          return;
        }
        callback({ ok: false, code: "NO_QUORUM", error: choice.error, via: choiceVia });
        return;
      }
      const region = choice.endpoint.region;
      const budgetUs = via === null ? Math.max(1, Math.floor((deadlineUs - clock.nowUs()) / Math.max(1, untried()))) : timeoutUs;
      tried.add(region);
      const failed = (outcome: ControlOutcome & { readonly via: string | null }): void => {
        const timeLeft = via !== null || clock.nowUs() < deadlineUs;
        if (outcome.ok === false && outcome.code === "NO_QUORUM" && (via === null || fallback) && timeLeft && this.endpoint(null, tried).ok)
          attempt(null);
        else callback(outcome);
      };
      let answered = false;
      const watchdog = clock.setTimer(budgetUs + CONTROL_ENDPOINT_GRACE_US, () => {
        if (answered) return;
        answered = true;
        failed({ ok: false, code: "NO_QUORUM", error: `the control endpoint in ${region} stopped answering`, via: region });
      });
      choice.endpoint.client.submit(command, budgetUs, (outcome) => {
        if (answered) return;
        answered = true;
        clock.cancelTimer(watchdog);
        if (outcome.ok) callback({ ...outcome, via: region });
        else failed({ ...outcome, via: region });
      });
    };
    attempt(via);
  }

  status(): ControlPlaneStatus {
    const probes = this.dependencies.replicas();
    let leader: ControlReplicaProbe | null = null;
    for (const probe of probes)
      if (probe.status?.role === "leader" && (leader === null || (probe.status.term ?? 0) > (leader.status?.term ?? 0))) leader = probe;
    const progress = leader?.status?.progress ?? null;
    const term = Math.max(0, ...probes.map((probe) => probe.status?.term ?? 0));
    const active =
      leader === null ? 0 : probes.filter((probe) => probe === leader || progress?.[probe.placement.id]?.recentActive === true).length;
    return {
      leader: leader?.placement.id ?? null,
      leaderRegion: leader?.placement.region ?? null,
      term,
      commitIndex: leader?.status?.commit ?? 0,
      replicas: probes.map((probe) => ({
        id: probe.placement.id,
        region: probe.placement.region,
        state: stateOf(probe.status),
        matchIndex: probe === leader ? (probe.status?.lastIndex ?? null) : (progress?.[probe.placement.id]?.match ?? null),
      })),
      quorum: leader !== null && active * 2 > probes.length,
      endpoints: this.regions.map((region) => {
        const endpoint = this.endpoints.get(region);
        return { region, up: endpoint?.up() ?? false, leaderGuess: endpoint?.client.leader ?? null };
      }),
    };
  }

  leaderRegion(): string | null {
    return this.status().leaderRegion;
  }

  /** The leader's host id (domain/cluster.ts ControlPlaneView), null when the group has none. */
  leader(): string | null {
    return this.status().leader;
  }

  /** The state machine of the current leader (for reads a caller wants from the source of truth). */
  leaderState(): ControlStateMachine | null {
    const leader = this.status().leader;
    return this.dependencies.replicas().find((probe) => probe.placement.id === leader)?.stateMachine ?? null;
  }
}

function stateOf(status: ReplicaStatus | null): ControlReplicaState {
  if (status === null) return "down";
  switch (status.role) {
    case "leader":
      return "leader";
    case "follower":
      return "follower";
    case "candidate":
    case "preCandidate":
      return "candidate";
    case "stopped":
      return "down";
  }
}
