// The control plane of the live runtime (docs/live.md "The control group"): five control replica
// OS processes placed like a cell (2 + 2 + 1 over the regions by default, as the virtual runtime's
// runtime/virtual/control-plane.ts), each `runtime/live/control-main.ts`: a ControlNode (the Raft
// replica of cells/replica.ts driving controller/control/state-machine.ts) with its own data
// directory (WAL + snapshot, fsync before acknowledging) and port, every link between them through
// its own Toxiproxy proxy. One endpoint per region (host api/<region>) runs in the supervisor: a
// ControlClient over its own TcpTransport that dials the control replicas through that region's
// proxies, so a region outage or a partition cuts an endpoint off exactly as it cuts a cell's client.
//
// The replicas are in LiveRuntime.processes and the endpoints and replicas in LiveFaults' hosts,
// so crash / restart / pause / region outage / partition reach them like any replica. The plane
// (controller/control/plane.ts) sees them through their admin status, polled with the cells'.
//
// The controller's eyes (controller/control/prober.ts, as in the virtual runtime): the control
// leader's process probes every cell replica every 100 ms over its own Toxiproxy links
// (runtime/live/control-main.ts); the supervisor asks the leader for its fresh answers with every
// status poll (`probes` admin op) and `observedCells` is that record. A Toxiproxy cut between the
// control leader and a cell replica makes the replica `unreachable` to the controller, while the
// supervisor's admin view (the truth) still has it up.
import type { Clock } from "../../ground/ports.js";
import type { Placement } from "../../cells/placement.js";
import type { CellView } from "../../domain/cluster.js";
import type { ProbeAnswer } from "../../controller/control/prober.js";
import { observedCellsOf } from "../cell-view.js";
import { ControlClient, defaultControlClientOptions } from "../../controller/control/client.js";
import { ControlPlane, type ControlReplicaPlacement, type ControlReplicaProbe } from "../../controller/control/plane.js";
import { ControlStateMachine } from "../../controller/control/state-machine.js";
import { CONTROL_ENDPOINT_HOST_PREFIX, controlElectionOrder, placeControlReplicas } from "../virtual/control-plane.js";
import { TcpTransport } from "./adapters/tcp-transport.js";
import { failFastTransport } from "./fail-fast.js";
import type { ReplicaProcess } from "./replica/process.js";
import { liveProberOptions } from "./control-status.js";
import type { ControlStoreRows, LiveControlState, LiveControlStatus, LiveProbeAnswers } from "./control-status.js";

/** The `cell` of a control replica's spec: how the runtime tells control processes from cell replicas. */
export const CONTROL_CELL = "control";

export interface LiveControlOptions {
  /** Control replicas per region, in configuration order (default 2, 2, 1). */
  readonly replicasPerRegion?: readonly number[];
  /** How long a mutating call waits for a commit before 503 control-quorum (µs; default 2 s). */
  readonly commitTimeoutUs?: number;
}

/** A control replica as the runtime boots it (the shape of a cell replica's boot entry). */
export interface ControlBootReplica {
  readonly cell: typeof CONTROL_CELL;
  readonly replica: string;
  readonly datacenter: string;
  readonly region: string;
  readonly voters: string[];
  readonly electionOrder: readonly string[];
}

export interface ControlBootEndpoint {
  readonly id: string;
  readonly region: string;
  readonly datacenter: string;
}

/** What the control group needs of the LiveRuntime it runs in. */
export interface LiveControlHost {
  readonly clock: Clock;
  readonly processes: ReadonlyMap<string, ReplicaProcess>;
  readonly faults: { isUp(host: string): boolean };
  /** The cells whose replicas the control leader probes. */
  readonly placement: Placement;
  /** Whether `from` can reach replica `to` now, as far as the supervisor knows. */
  reachable(from: string, to: string): boolean;
}

/** A status older than this (a paused or dying process) counts as down. */
const STATUS_STALE_MS = 1_000;
const STATUS_TIMEOUT_MS = 1_000;
const STATE_TIMEOUT_MS = 5_000;
/**
 * The supervisor's mirror of the leader's control state (for the lease keeper's adoption after a
 * leader change) is fetched when the leader or its term changes, else at most this often: the
 * snapshot carries up to 10,000 audit entries and 16,384 request ids (a few MB of JSON over IPC).
 */
const MIRROR_PERIOD_MS = 5_000;
/**
 * A peer counts as in contact with the leader if the leader's progress showed it recently active
 * within this window. Raft clears every peer's `recentActive` at each check-quorum round (one
 * election timeout, 200 ms by default) and sets it again on the next answer, so one status sampled
 * just after a round shows almost no peer active; two rounds of samples (polled every 100 ms) do not.
 */
export const CONTROL_ACTIVE_WINDOW_MS = 500;

export function controlEndpointId(region: string): string {
  return `${CONTROL_ENDPOINT_HOST_PREFIX}${region}`;
}

/** The control replicas to boot: placed as in the virtual runtime, in priority-election order (two-replica regions first). */
export function controlBootReplicas(
  regions: readonly { readonly name: string; readonly datacenters: readonly string[] }[],
  options: LiveControlOptions,
): ControlBootReplica[] {
  const placements = placeControlReplicas(regions, options.replicasPerRegion);
  const voters = placements.map((placement) => placement.id);
  const order = controlElectionOrder(placements);
  return placements.map((placement) => ({
    cell: CONTROL_CELL,
    replica: placement.id,
    datacenter: placement.datacenter,
    region: placement.region,
    voters,
    electionOrder: order,
  }));
}

interface CachedControlStatus {
  readonly status: LiveControlStatus;
  readonly atMs: number;
}

export class LiveControlGroup {
  /** The control replica process's entry. */
  static readonly entry = "runtime/live/control-main.ts";
  /** Raft settings of the control replicas on top of the world's (as the virtual control group). */
  static readonly raft = { snapshotEntries: 1_024 };

  readonly plane: ControlPlane;
  readonly placements: readonly ControlReplicaPlacement[];
  private readonly statuses = new Map<string, CachedControlStatus>();
  private readonly activity = new ActivityWindow(CONTROL_ACTIVE_WINDOW_MS);
  private readonly transports: TcpTransport[] = [];
  private readonly clients: ControlClient[] = [];
  /** The last probe answers fetched from a control leader (the controller sees through them until they age). */
  private probeRecord: { readonly replica: string; readonly receivedUs: number; readonly probes: LiveProbeAnswers } | null = null;
  private mirror: {
    readonly replica: string;
    readonly term: number;
    readonly machine: ControlStateMachine;
    readonly atMs: number;
  } | null = null;
  private mirroring = false;

  constructor(
    private readonly host: LiveControlHost,
    options: LiveControlOptions,
    replicas: readonly ControlBootReplica[],
    endpoints: readonly ControlBootEndpoint[],
    addressFor: (from: string, to: string) => string,
  ) {
    this.placements = replicas.map((replica) => ({ id: replica.replica, region: replica.region, datacenter: replica.datacenter }));
    const voters = replicas.map((replica) => replica.replica);
    this.plane = new ControlPlane(
      endpoints.map((endpoint) => endpoint.region),
      { clock: host.clock, replicas: () => this.probes() },
      options.commitTimeoutUs,
    );
    for (const endpoint of endpoints) {
      const transport = new TcpTransport({
        self: endpoint.id,
        peers: new Map(voters.map((voter) => [voter, addressFor(endpoint.id, voter)])),
      });
      this.transports.push(transport);
      transport.connectAll();
      // A replica known dead or cut answers at once (a refused connection), not after an attempt timeout.
      const guarded = failFastTransport(transport, (target) => host.reachable(endpoint.id, target));
      const client = new ControlClient(
        // Real time: an attempt waits longer than in the simulator (a commit is a real cross-region round trip plus fsyncs).
        { replicas: voters, ...defaultControlClientOptions, attemptTimeoutUs: 300_000, retryBackoffUs: 50_000 },
        { clock: host.clock, transport: guarded },
      );
      this.clients.push(client);
      this.plane.setEndpoint({ region: endpoint.region, client, up: () => host.faults.isUp(endpoint.id) });
    }
  }

  /**
   * The cells as the control leader's probes see them (the controller's `observe`): the last
   * answers fetched from a leader, each fresh for `liveProberOptions.staleUs` from when the leader's
   * process received it. No leader answering: they age to `unreachable`, as the controller then
   * has no eyes.
   */
  observedCells(): CellView[] {
    const record = this.probeRecord;
    const nowUs = this.host.clock.nowUs();
    const answer = (replica: string): ProbeAnswer | undefined => {
      const seen = record?.probes.answers[replica];
      if (record === null || seen === undefined) return undefined;
      const atUs = record.receivedUs - seen.ageUs;
      return nowUs - atUs > liveProberOptions.staleUs ? undefined : { status: seen.status, atUs };
    };
    return observedCellsOf(this.host.placement.cells, answer);
  }

  /** The control replica whose probes the controller sees through now (null before a first leader answered). */
  get eyes(): string | null {
    return this.probeRecord?.replica ?? null;
  }

  /** The probes' counts of the replica the controller sees through (tests and metrics). */
  get probeCounts(): LiveProbeAnswers["counts"] | null {
    return this.probeRecord?.probes.counts ?? null;
  }

  /** Fetches the current control leader's probe answers (with every status poll). */
  private async fetchProbes(): Promise<void> {
    const leader = this.plane.status().leader;
    const process = leader === null ? undefined : this.process(leader);
    if (leader === null || process === undefined || process.state !== "running") return;
    try {
      const probes = await process.admin<LiveProbeAnswers>({ op: "probes" }, STATUS_TIMEOUT_MS);
      this.probeRecord = { replica: leader, receivedUs: this.host.clock.nowUs(), probes };
    } catch {
      // paused or just died: its last answers age out
    }
  }

  private process(id: string): ReplicaProcess | undefined {
    return this.host.processes.get(id);
  }

  /** Each control replica's last status, if its process runs and answered recently. */
  probes(): ControlReplicaProbe[] {
    const nowMs = this.host.clock.nowUs() / 1000;
    return this.placements.map((placement) => {
      const cached = this.statuses.get(placement.id);
      const running = this.process(placement.id)?.state === "running";
      const status = running && cached !== undefined && nowMs - cached.atMs <= STATUS_STALE_MS ? cached.status : null;
      const machine = status?.role === "leader" && this.mirror?.replica === placement.id ? this.mirror.machine : null;
      return { placement, status: status === null ? null : this.activity.apply(status, nowMs), stateMachine: machine };
    });
  }

  /** Polls every running control replica's status; refreshes the mirror of the leader's state. */
  async poll(): Promise<void> {
    await Promise.all(
      this.placements.map(async (placement) => {
        const process = this.process(placement.id);
        if (process === undefined || process.state !== "running") return;
        try {
          const status = await process.admin<LiveControlStatus>({ op: "status" }, STATUS_TIMEOUT_MS);
          const atMs = this.host.clock.nowUs() / 1000;
          this.statuses.set(placement.id, { status, atMs });
          this.activity.note(status, atMs);
        } catch {
          // paused or just died: the status ages out
        }
      }),
    );
    void this.refreshMirror();
    await this.fetchProbes();
  }

  /** A control replica's process exited. */
  forget(id: string): void {
    this.statuses.delete(id);
    this.activity.forget(id);
    if (this.mirror?.replica === id) this.mirror = null;
  }

  /** What a control replica's state machine holds now (over its admin channel). */
  state(id: string, snapshot = false): Promise<LiveControlState> {
    const process = this.process(id);
    if (process === undefined) return Promise.reject(new Error(`no control replica ${id}`));
    return process.admin<LiveControlState>({ op: "control-state", snapshot }, STATE_TIMEOUT_MS);
  }

  /** The rows of a control replica's local SQLite store, brought to its applied state first (over its admin channel). */
  storeRows(id: string): Promise<ControlStoreRows> {
    const process = this.process(id);
    if (process === undefined) return Promise.reject(new Error(`no control replica ${id}`));
    return process.admin<ControlStoreRows>({ op: "control-store" }, STATE_TIMEOUT_MS);
  }

  async close(): Promise<void> {
    for (const client of this.clients) client.abandonAll("the live runtime is closing");
    await Promise.all(this.transports.map((transport) => transport.close()));
  }

  private async refreshMirror(): Promise<void> {
    const status = this.plane.status();
    const leader = status.leader;
    const nowMs = this.host.clock.nowUs() / 1000;
    if (leader === null || this.mirroring) return;
    const current = this.mirror !== null && this.mirror.replica === leader && this.mirror.term === status.term;
    if (current && nowMs - (this.mirror?.atMs ?? 0) < MIRROR_PERIOD_MS) return;
    this.mirroring = true;
    try {
      const state = await this.state(leader, true);
      if (state.snapshot === null) return;
      const machine = new ControlStateMachine();
      machine.restore(state.snapshot);
      this.mirror = { replica: leader, term: status.term, machine, atMs: nowMs };
    } catch {
      // the leader went away meanwhile: the next poll tries the next one
    } finally {
      this.mirroring = false;
    }
  }
}

/**
 * Which peers a control leader was in contact with lately. Raft clears each peer's `recentActive`
 * at every check-quorum round and sets it again on the peer's next answer, so a single status
 * sampled just after a round shows almost no peer active. `note` remembers, per peer, the last
 * sample of a leader that showed it active; `apply` marks a peer of a leader's status active if
 * that same leader, in the same term, showed it active within `windowMs`.
 */
export class ActivityWindow {
  private readonly activeAt = new Map<string, { readonly atMs: number; readonly leader: string; readonly term: number }>();

  constructor(private readonly windowMs: number) {}

  note(status: LiveControlStatus, atMs: number): void {
    if (status.role !== "leader" || status.progress === null || status.progress === undefined) return;
    for (const [peer, progress] of Object.entries(status.progress))
      if (progress.recentActive) this.activeAt.set(peer, { atMs, leader: status.id, term: status.term ?? 0 });
  }

  apply(status: LiveControlStatus, nowMs: number): LiveControlStatus {
    if (status.role !== "leader" || status.progress === null || status.progress === undefined) return status;
    const progress = Object.fromEntries(
      Object.entries(status.progress).map(([peer, entry]) => {
        const seen = this.activeAt.get(peer);
        const recent =
          seen !== undefined && seen.leader === status.id && seen.term === (status.term ?? 0) && nowMs - seen.atMs <= this.windowMs;
        return [peer, { ...entry, recentActive: entry.recentActive || recent }];
      }),
    );
    return { ...status, progress };
  }

  /** The peer's process exited: what it answered before counts no more. */
  forget(peer: string): void {
    this.activeAt.delete(peer);
  }
}
