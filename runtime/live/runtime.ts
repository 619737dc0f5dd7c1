// The live runtime: the world of docs/architecture.md as OS processes. Each replica is a `replica-main.ts`
// process with its own data directory and port; every replica->replica and client->replica
// link goes through its own Toxiproxy proxy (or straight to the replica's port with
// `via: "direct"`); region clients (CellClient over TcpTransport) run in this process and carry
// the workload, recorded as a history the same checkers judge as in the virtual runtime.
//
// Mirrors VirtualRuntime where drills and `ldc start` need it (cluster, faults, recorder,
// workloadRunner, finalLedgers, replicaChains, invariantViolations), but time is real: waiting
// is `await`, and the ledger contents are fetched over the admin channel by `collectFinalState`
// before the (synchronous) checkers run.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { electionOrder, planPlacement, type Placement } from "../../cells/placement.js";
import { CellClient, defaultBatching, type BatchingOptions, type CellOutcome } from "../../cells/cell/client.js";
import type { FinalLedgers, AppliedCommand } from "../../harness/checkers/durability.js";
import type { ReplicaChains, ChainPoint } from "../../harness/checkers/replica-agreement.js";
import type { WitnessLog } from "../../harness/checkers/ledger-witness.js";
import { createRandom, type Random } from "../../ground/random.js";
import { Topology } from "../../sim/world/topology.js";
import { DEFAULT_CROSS_CELL_RATIO, defaultWorldConfig, type WorldConfig } from "../../domain/config.js";
import { HistoryRecorder } from "../../sim/workload/recorder.js";
import { Workload, defaultWorkloadOptions, type RequestSink, type UserRequest, type WorkloadOptions } from "../../sim/workload/workload.js";
import { CrossCellRelay, defaultRelayOptions, type CellSubmitter, type DestinationLookup } from "../../cells/cell/relay.js";
import { RealClock } from "./adapters/real-clock.js";
import { TcpTransport } from "./adapters/tcp-transport.js";
import { freePorts } from "./ports.js";
import { ProxyMesh, linkName, splitRttMs, type LinkSpec } from "./proxies.js";
import { REPO_ROOT, ReplicaProcess } from "./replica/process.js";
import { nodeArgumentsFor } from "./replica/entry.js";
import type { LedgerDump, LiveReplicaStatus } from "./replica/admin.js";
import type { ReplicaSpec } from "./replica/spec.js";
import { LiveCluster } from "./cluster.js";
import type { Runtime } from "../runtime.js";
import type { CachedStatus, LiveRuntimeState } from "./host.js";
import { LiveFaults, type LiveHost } from "./faults.js";
import { LiveInvariants } from "./invariants.js";
import { failFastTransport } from "./fail-fast.js";
import { registerCleanup } from "./cleanup.js";
import { applyLiveNice, liveProcessNice } from "./priority.js";
import { LivenessWatch } from "../liveness-watch.js";
import { STATUS_STALE_MS } from "./cluster.js";
import { CONTROL_CELL, LiveControlGroup, controlBootReplicas, controlEndpointId, type LiveControlOptions } from "./control-plane.js";

export const LIVE_CLIENT_PREFIX = "client/";

export interface LiveRuntimeOptions {
  readonly seed: number;
  readonly config?: WorldConfig;
  /** Overrides config.cells.count (one cell for the bench, six for `ldc start --runtime live`). */
  readonly cellCount?: number;
  /** "toxiproxy" (default): every link through its own proxy; "direct": plain TCP. */
  readonly via?: "toxiproxy" | "direct";
  /** A running Toxiproxy (default: TOXIPROXY_URL, else an embedded server started here). */
  readonly toxiproxyUrl?: string;
  /** Parent of the replicas' data directories (default: a fresh temp directory, removed on close). */
  readonly dataDir?: string;
  readonly workload?: Partial<WorkloadOptions>;
  /** Raft settings on top of the config's `raft` section (the bench's batching). */
  readonly raft?: Partial<WorldConfig["raft"]>;
  readonly statusPollMs?: number;
  readonly client?: Partial<typeof liveClientTimeouts & { batching: BatchingOptions }>;
  readonly pendingRequestsMax?: number;
  /** Run the embedded Toxiproxy inside this process instead of its own (tests of the server). */
  readonly toxiproxyInProcess?: boolean;
  /**
   * The control group (runtime/live/control-plane.ts): five control replica processes (2 + 2 + 1
   * over the regions by default) and one endpoint per region. Absent: none (drills, benchmarks).
   */
  readonly controlPlane?: LiveControlOptions;
}

/** Client timeouts: real time is slower to elect than the simulator's defaults assume. */
export const liveClientTimeouts = {
  attemptTimeoutUs: 250_000,
  requestTimeoutUs: 6_000_000,
  retryBackoffUs: 50_000,
  inflightRequestsMax: 50_000,
};

const STATUS_POLL_MS_DEFAULT = 100;
const BOOT_ATTEMPTS_MAX = 3;
const STATUS_TIMEOUT_MS = 1_000;
const LEDGER_TIMEOUT_MS = 10_000;

export type { CachedStatus } from "./host.js";

type BootReplica = Placement["cells"][number]["replicas"][number] & {
  readonly voters: string[];
  /** Control replicas only: their voters' election order. */
  readonly electionOrder?: readonly string[];
};
interface BootClient {
  readonly id: string;
  readonly region: string;
  readonly datacenter: string;
}

export class LiveRuntime implements Runtime, LiveRuntimeState {
  readonly runtime = "live" as const;
  readonly clock = new RealClock({ unrefTimers: false });
  readonly recorder = new HistoryRecorder();
  readonly random: Random;
  readonly placement: Placement;
  readonly topology: Topology;
  readonly regions: readonly { readonly name: string; readonly datacenters: readonly string[] }[];
  readonly processes = new Map<string, ReplicaProcess>();
  readonly statuses = new Map<string, CachedStatus>();
  readonly regionClients = new Map<string, CellClient>();
  readonly clientTransports = new Map<string, TcpTransport>();
  /** The control group, when options.controlPlane asked for one. */
  control: LiveControlGroup | null = null;
  cluster!: LiveCluster;
  faults!: LiveFaults;
  invariants!: LiveInvariants;
  mesh: ProxyMesh | null = null;
  private workload!: Workload;
  /** The cross-cell relays, one per region beside its client (started with the workload when it sends cross-cell transfers). */
  private readonly relays: CrossCellRelay[] = [];
  private pollTimer: NodeJS.Timeout | null = null;
  private livenessWatch: LivenessWatch | null = null;
  private finalLedgersCache: FinalLedgers | null = null;
  private replicaChainsCache: ReplicaChains | null = null;
  private finalEventsCache: Record<string, WitnessLog> | null = null;
  private closeEmbedded: (() => Promise<void>) | null = null;
  private toxiproxyChild: ChildProcess | null = null;
  private unregisterCleanup: (() => void) | null = null;
  private closed = false;
  readonly dataDir: string;
  private readonly ownsDataDir: boolean;

  private constructor(
    readonly options: LiveRuntimeOptions,
    readonly config: WorldConfig,
  ) {
    this.random = createRandom(options.seed);
    this.topology = new Topology(config.topology);
    const topology = this.topology;
    this.regions = topology.regions.map((name) => ({
      name,
      datacenters: topology.datacenters.filter((dc) => topology.regionOf(dc) === name),
    }));
    const cellCount = options.cellCount ?? config.cells.count;
    // A smaller world than the config's keeps only the preferences of the cells it has.
    const preferred = Object.fromEntries(
      Object.entries(config.cells.preferredLeaderRegions ?? {}).filter(
        ([cell]) => Number(/^cell-(\d+)$/.exec(cell)?.[1] ?? 0) <= cellCount,
      ),
    );
    this.placement = planPlacement(
      { regions: this.regions },
      {
        cellCount,
        replicasPerCell: config.cells.replicasPerCell,
        shardCount: config.cells.shards,
        preferredLeaderRegions: preferred,
      },
    );
    this.ownsDataDir = options.dataDir === undefined;
    this.dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "ldc-live-"));
    mkdirSync(this.dataDir, { recursive: true });
  }

  get seed(): number {
    return this.options.seed;
  }

  /** Pid of the embedded Toxiproxy process (null: TOXIPROXY_URL, in-process, or direct). */
  get toxiproxyPid(): number | null {
    return this.toxiproxyChild?.pid ?? null;
  }

  get via(): "toxiproxy" | "direct" {
    return this.options.via ?? "toxiproxy";
  }

  nowUs(): number {
    return this.clock.nowUs();
  }

  /** Builds the world: proxies, replica processes (listening), region clients, status polling. */
  static async start(options: LiveRuntimeOptions): Promise<LiveRuntime> {
    const config = options.config ?? defaultWorldConfig();
    // The supervisor's region clients are part of every RTO and latency figure, so it runs at
    // the replicas' priority too (children started after this inherit it; runtime/live/priority.ts).
    applyLiveNice(process.pid, liveProcessNice());
    for (let attempt = 1; ; attempt++) {
      const world = new LiveRuntime(options, config);
      world.unregisterCleanup = registerCleanup(() => world.killAllSync());
      try {
        await world.boot();
        return world;
      } catch (error) {
        await world.close();
        // Ports are reserved then released before use; on a busy machine another process can
        // take one in between (Toxiproxy answers 500, a replica exits EADDRINUSE): start again.
        if (attempt >= BOOT_ATTEMPTS_MAX || !/status code 500|EADDRINUSE|address already in use/i.test(String((error as Error).message)))
          throw error;
      }
    }
  }

  private async boot(): Promise<void> {
    const cellReplicas: BootReplica[] = this.placement.cells.flatMap((cell) =>
      cell.replicas.map((replica) => ({ ...replica, voters: cell.replicas.map((r) => r.replica) })),
    );
    const clients = this.regions.map((region) => ({
      id: `${LIVE_CLIENT_PREFIX}${region.name}`,
      region: region.name,
      datacenter: region.datacenters[0] as string,
    }));
    // The control group's replicas are replica processes like the cells' (their own voters, their
    // own links); their clients are the region endpoints api/<region>, not the region clients.
    const controlReplicas = this.options.controlPlane === undefined ? [] : controlBootReplicas(this.regions, this.options.controlPlane);
    const endpoints =
      this.options.controlPlane === undefined
        ? []
        : this.regions.map((region) => ({
            id: controlEndpointId(region.name),
            region: region.name,
            datacenter: region.datacenters[0] as string,
          }));
    const replicas: BootReplica[] = [...cellReplicas, ...controlReplicas];
    // Each control replica probes every cell replica (while it leads) over a link of its own, as a client of that replica.
    const probers: BootClient[] = controlReplicas.map((replica) => ({
      id: replica.replica,
      region: replica.region,
      datacenter: replica.datacenter,
    }));
    const clientsOf = (replica: BootReplica): readonly BootClient[] =>
      replica.cell === CONTROL_CELL ? endpoints : [...clients, ...probers];
    for (const replica of replicas) this.topology.addHost(replica.replica, replica.datacenter);
    for (const client of [...clients, ...endpoints]) this.topology.addHost(client.id, client.datacenter);

    // Every port in one reservation: ports released by one call could be handed out by the next.
    const linkCount =
      this.via === "toxiproxy" ? replicas.reduce((sum, replica) => sum + replica.voters.length - 1 + clientsOf(replica).length, 0) : 0;
    const allPorts = await freePorts(replicas.length + linkCount);
    const replicaPorts = allPorts.slice(0, replicas.length);
    const linkPorts = allPorts.slice(replicas.length);
    const replicaAddress = new Map(replicas.map((replica, index) => [replica.replica, `127.0.0.1:${replicaPorts[index] as number}`]));
    const dialAddress =
      this.via === "toxiproxy" ? await this.createProxyLinks(replicas, clientsOf, linkPorts, replicaAddress) : new Map<string, string>();
    const addressFor = (from: string, to: string): string => dialAddress.get(`${from}\u0000${to}`) ?? (replicaAddress.get(to) as string);

    this.createReplicaProcesses(replicas, replicaAddress, addressFor);
    await Promise.all([...this.processes.values()].map((process) => process.start()));

    this.connectRegionClients(clients, cellReplicas, addressFor);

    const hosts: LiveHost[] = [
      ...cellReplicas.map((replica) => ({
        id: replica.replica,
        datacenter: replica.datacenter,
        region: replica.region,
        cell: replica.cell,
      })),
      ...clients.map((client) => ({ id: client.id, datacenter: client.datacenter, region: client.region })),
      // Control replicas and endpoints are hosts of their regions (an outage powers them off) in no cell.
      ...[...controlReplicas, ...endpoints].map((host) => ({
        id: "replica" in host ? host.replica : host.id,
        datacenter: host.datacenter,
        region: host.region,
      })),
    ];
    this.faults = new LiveFaults(this, hosts);
    if (this.options.controlPlane !== undefined)
      this.control = new LiveControlGroup(this, this.options.controlPlane, controlReplicas, endpoints, addressFor);
    this.cluster = new LiveCluster(this, this.faults);
    this.invariants = new LiveInvariants(this);

    const workloadConfig = this.config.workload;
    this.workload = new Workload(
      {
        ...defaultWorkloadOptions,
        profile: workloadConfig.profile,
        opsPerSecond: workloadConfig.opsPerSecond,
        readFraction: workloadConfig.readFraction,
        accountsPerShard: workloadConfig.accountsPerShard,
        crossCellRatio: workloadConfig.crossCellRatio ?? DEFAULT_CROSS_CELL_RATIO,
        ...this.options.workload,
      },
      { clock: this.clock, random: this.random.fork("workload"), placement: this.placement, recorder: this.recorder },
      this.directSink(),
    );
    this.pollTimer = setInterval(() => void this.pollStatuses(), this.options.statusPollMs ?? STATUS_POLL_MS_DEFAULT);
    await this.pollStatuses();
  }

  /** One Toxiproxy proxy per directed link (replica -> peer, region client -> replica); the address each side dials. */
  private async createProxyLinks(
    replicas: readonly BootReplica[],
    clientsOf: (replica: BootReplica) => readonly BootClient[],
    linkPorts: readonly number[],
    replicaAddress: ReadonlyMap<string, string>,
  ): Promise<Map<string, string>> {
    const dialAddress = new Map<string, string>(); // "from\0to" -> address dialled
    const url = this.options.toxiproxyUrl ?? process.env.TOXIPROXY_URL ?? (await this.startEmbeddedToxiproxy());
    const mesh = new ProxyMesh(url, `ldc-${process.pid}-`);
    this.mesh = mesh;
    await mesh.removeStale();
    const pairs: { from: string; to: string; fromDc: string; toDc: string; client: boolean }[] = [];
    for (const replica of replicas) {
      for (const peer of replica.voters)
        if (peer !== replica.replica)
          pairs.push({
            from: replica.replica,
            to: peer,
            fromDc: replica.datacenter,
            toDc: (replicas.find((r) => r.replica === peer) as { datacenter: string }).datacenter,
            client: false,
          });
      for (const client of clientsOf(replica))
        pairs.push({ from: client.id, to: replica.replica, fromDc: client.datacenter, toDc: replica.datacenter, client: true });
    }
    const listenPorts = linkPorts;
    if (listenPorts.length !== pairs.length)
      throw new Error(`live world: reserved ${listenPorts.length} proxy ports for ${pairs.length} links`);
    const links: LinkSpec[] = pairs.map((pair, index) => {
      const rttMs = this.topology.datacenterRttUs(pair.fromDc, pair.toDc) / 1000;
      const split = splitRttMs(rttMs, pair.client || pair.from < pair.to);
      const listen = `127.0.0.1:${listenPorts[index] as number}`;
      dialAddress.set(`${pair.from}\u0000${pair.to}`, listen);
      return {
        name: linkName(mesh.prefix, pair.from, pair.to),
        from: pair.from,
        to: pair.to,
        listen,
        upstream: replicaAddress.get(pair.to) as string,
        upstreamLatencyMs: split.forwardMs,
        downstreamLatencyMs: pair.client ? split.backwardMs : 0,
      };
    });
    await mesh.create(links);
    return dialAddress;
  }

  /** One supervised process per replica, its peers dialled through their links. */
  private createReplicaProcesses(
    replicas: readonly BootReplica[],
    replicaAddress: ReadonlyMap<string, string>,
    addressFor: (from: string, to: string) => string,
  ): void {
    const raft = { ...this.config.raft, ...this.options.raft };
    const cellReplicas = replicas.filter((replica) => replica.cell !== CONTROL_CELL);
    // Priority elections as in the virtual world: each cell's voters stand in electionOrder.
    const priority = (raft as { priorityElections?: boolean }).priorityElections !== false;
    const orders = new Map(this.placement.cells.map((cell) => [cell.cell, electionOrder(cell)]));
    for (const replica of replicas) {
      const spec: ReplicaSpec = {
        id: replica.replica,
        cell: replica.cell,
        voters: replica.voters,
        host: "127.0.0.1",
        port: Number((replicaAddress.get(replica.replica) as string).split(":")[1]),
        peers: Object.fromEntries(
          replica.voters.filter((peer) => peer !== replica.replica).map((peer) => [peer, addressFor(replica.replica, peer)]),
        ),
        dataDir: join(this.dataDir, replica.replica.replace(/[^A-Za-z0-9._-]/g, "_")),
        seed: this.options.seed,
        raft:
          replica.cell === CONTROL_CELL
            ? { ...raft, ...LiveControlGroup.raft, ...(priority && { electionOrder: [...(replica.electionOrder ?? [])] }) }
            : priority
              ? { ...raft, electionOrder: orders.get(replica.cell) ?? [] }
              : raft,
        ...(this.options.pendingRequestsMax !== undefined ? { pendingRequestsMax: this.options.pendingRequestsMax } : {}),
        // A control replica's probes of the cells (runtime/live/control-main.ts), each over its own link.
        ...(replica.cell === CONTROL_CELL && {
          probes: Object.fromEntries(cellReplicas.map((cell) => [cell.replica, addressFor(replica.replica, cell.replica)])),
        }),
      };
      this.processes.set(
        replica.replica,
        new ReplicaProcess(
          spec,
          (process, _code, _signal, expected) => {
            this.statuses.delete(process.spec.id);
            this.control?.forget(process.spec.id);
            if (!expected) this.faults?.noteUnexpectedExit(process.spec.id);
          },
          replica.cell === CONTROL_CELL ? LiveControlGroup.entry : undefined,
        ),
      );
    }
  }

  /** Each region's client: a CellClient over TCP that fails fast on replicas known cut or dead. */
  private connectRegionClients(
    clients: readonly BootClient[],
    replicas: readonly BootReplica[],
    addressFor: (from: string, to: string) => string,
  ): void {
    const cellsReplicas = new Map<string, readonly string[]>(
      this.placement.cells.map((cell) => [cell.cell, cell.replicas.map((r) => r.replica)]),
    );
    for (const client of clients) {
      const transport = new TcpTransport({
        self: client.id,
        peers: new Map(replicas.map((replica) => [replica.replica, addressFor(client.id, replica.replica)])),
        sendQueueFramesMax: 50_000,
      });
      this.clientTransports.set(client.id, transport);
      transport.connectAll();
      const guarded = failFastTransport(transport, (target) => this.reachable(client.id, target));
      this.regionClients.set(
        client.region,
        new CellClient(
          { cells: cellsReplicas, ...liveClientTimeouts, batching: this.config.batching ?? defaultBatching, ...this.options.client },
          { clock: this.clock, random: this.random.fork(client.id), transport: guarded },
        ),
      );
    }
  }

  /** The embedded Toxiproxy, in its own process (runtime/live/toxiproxy-main.ts) unless asked otherwise. */
  private async startEmbeddedToxiproxy(): Promise<string> {
    if (this.options.toxiproxyInProcess === true) {
      const { startToxiproxyServer } = await import("./toxiproxy/index.js");
      const server = await startToxiproxyServer({ host: "127.0.0.1", port: 0 });
      this.closeEmbedded = () => server.close();
      return server.url;
    }
    const child = spawn(process.execPath, [...(await nodeArgumentsFor("runtime/live/toxiproxy-main.ts")), "0"], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "ignore", "inherit", "ipc"],
    });
    this.toxiproxyChild = child;
    // Toxiproxy is every link's data path: it runs at the replicas' priority (runtime/live/priority.ts).
    applyLiveNice(child.pid, liveProcessNice());
    this.closeEmbedded = () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGKILL");
      });
    return new Promise((resolve, reject) => {
      child.once("exit", (code) => reject(new Error(`embedded toxiproxy exited with ${code} before it was ready`)));
      child.once("message", (message: { type?: string; url?: string }) => {
        if (message.type === "ready" && typeof message.url === "string") resolve(message.url);
      });
    });
  }

  /** Asks every running replica for its status; a replica that does not answer keeps its old one. */
  async pollStatuses(): Promise<void> {
    await Promise.all([
      ...[...this.processes.values()].map(async (process) => {
        if (process.state !== "running" || process.spec.cell === CONTROL_CELL) return;
        try {
          const status = await process.admin<LiveReplicaStatus>({ op: "status" }, STATUS_TIMEOUT_MS);
          this.statuses.set(process.spec.id, { status, atMs: this.clock.nowUs() / 1000 });
        } catch {
          // paused or just died: the view ages the old status out
        }
      }),
      this.control?.poll(),
    ]);
    this.invariants?.check();
    this.livenessWatch?.sample();
  }

  /**
   * Starts watching liveness from now (right after the final heal), sampled on every status poll:
   * a cell is live again once a replica the supervisor last saw as a running leader (a fresh status)
   * committed past the heal, and routed once the users' requests go to that leader's region (the
   * direct sink sends them to the region of the cluster view's leader).
   */
  watchLiveness(boundUs: number): LivenessWatch {
    const fresh = (host: string): LiveReplicaStatus | null => {
      const cached = this.statuses.get(host);
      if (cached === undefined || this.processes.get(host)?.state !== "running") return null;
      return this.clock.nowUs() / 1000 - cached.atMs <= STATUS_STALE_MS ? cached.status : null;
    };
    this.livenessWatch = new LivenessWatch(
      {
        placement: this.placement,
        commitOf: (host) => this.statuses.get(host)?.status.commit ?? 0,
        leaderStatus: (host) => {
          const status = fresh(host);
          return status !== null && status.phase === "running" && status.role === "leader"
            ? { commit: status.commit, lastIndex: status.lastIndex }
            : null;
        },
        routedRegion: (cell) => this.cluster.cell(cell)?.leader?.region ?? null,
        nowUs: () => this.clock.nowUs(),
      },
      boundUs,
    );
    this.livenessWatch.sample();
    return this.livenessWatch;
  }

  /** The sink that sends each user request through the client of its cell's leader region. */
  directSink(): RequestSink {
    return {
      submit: (request: UserRequest, callback: (outcome: CellOutcome) => void) => {
        const view = this.cluster.cell(request.cell);
        const preferred = view?.leader?.region ?? view?.preferredRegion;
        const up = this.regions.map((region) => region.name).filter((region) => this.faults.isUp(`${LIVE_CLIENT_PREFIX}${region}`));
        const region = preferred !== undefined && up.includes(preferred) ? preferred : up[0];
        const client = region === undefined ? undefined : this.regionClients.get(region);
        if (client === undefined) {
          callback({ ok: false, error: { code: "UNAVAILABLE", message: "every region client is down" } });
          return;
        }
        this.steerAwayFromDead(client, `${LIVE_CLIENT_PREFIX}${region as string}`, request.cell, view?.leader?.replica);
        client.submit(request.cell, request.requestId, request.kind, request.payload, callback);
      },
    };
  }

  /**
   * Health checking, as a gateway does: a client whose cached leader is a dead process or behind
   * a cut link is pointed at the known leader (or the first live, reachable replica) before it
   * spends an attempt timeout on a replica the supervisor already knows cannot answer.
   */
  /** Whether `from` can reach replica `to` now, as far as the supervisor knows. */
  reachable(from: string, to: string): boolean {
    return this.processes.get(to)?.state === "running" && this.faults?.isUp(to) !== false && this.faults?.isCut(from, to) !== true;
  }

  private steerAwayFromDead(client: CellClient, clientId: string, cell: string, leader: string | undefined): void {
    const usable = (replica: string): boolean => this.reachable(clientId, replica);
    const cached = client.leaderOf(cell);
    if (cached !== null && usable(cached)) return;
    const replicas = this.placement.cells.find((entry) => entry.cell === cell)?.replicas.map((replica) => replica.replica) ?? [];
    client.setLeaderHint(cell, leader !== undefined && usable(leader) ? leader : (replicas.find(usable) ?? null));
  }

  get workloadRunner(): Workload {
    return this.workload;
  }

  startWorkload(options?: { sink?: RequestSink; openAccounts?: boolean }): void {
    if (options?.sink) this.workload.setSink(options.sink);
    if (options?.openAccounts ?? true) this.workload.openAccounts();
    this.workload.start();
    if (this.crossCellEnabled && this.relays.length === 0) this.startRelays();
  }

  /** Whether the workload sends cross-cell transfers (then relays run beside the region clients). */
  get crossCellEnabled(): boolean {
    return this.workload.crossCellRatio > 0;
  }

  /**
   * One relay per region over that region's client (TCP through its Toxiproxy proxies): primary
   * for the cells preferring the region, standby (2 s takeover) for the others, as in the virtual
   * runtime. A region whose client is cut fails its relay's requests; the standbys elsewhere deliver.
   */
  private startRelays(): void {
    const lookup = (account: string): DestinationLookup => {
      const cell = this.placement.cellOfAccount(account);
      return cell === undefined ? { kind: "retry", reason: `no cell owns ${account}` } : { kind: "cell", cell };
    };
    for (const region of this.regions) {
      const client = this.regionClients.get(region.name);
      if (client === undefined) continue;
      const primary = this.placement.cells.filter((cell) => cell.preferredLeaderRegion === region.name).map((cell) => cell.cell);
      const standby = this.placement.cells.filter((cell) => cell.preferredLeaderRegion !== region.name).map((cell) => cell.cell);
      const submitter: CellSubmitter = {
        submit: (cell, requestId, kind, payload, callback) => {
          const view = this.cluster.cell(cell);
          this.steerAwayFromDead(client, `${LIVE_CLIENT_PREFIX}${region.name}`, cell, view?.leader?.replica);
          client.submit(cell, requestId, kind, payload, callback);
        },
      };
      for (const [suffix, sources, takeoverAfterUs, pollIntervalUs] of [
        ["p", primary, 0, defaultRelayOptions.pollIntervalUs],
        ["s", standby, 2_000_000, 500_000],
      ] as const) {
        if (sources.length === 0) continue;
        const relay = new CrossCellRelay(
          {
            ...defaultRelayOptions,
            pollIntervalUs,
            name: `${region.name}${suffix}`,
            sources: sources.map((cell) => ({ cell, takeoverAfterUs })),
          },
          { clock: this.clock, random: this.random.fork(`relay-${region.name}-${suffix}`), client: submitter, lookup },
        );
        relay.start();
        this.relays.push(relay);
      }
    }
  }

  /** Open outbox records over every cell, read through the region clients (null: some cell did not answer). */
  private async outboxOpenCount(): Promise<number | null> {
    const counts = await Promise.all(
      this.placement.cells.map(
        (cell) =>
          new Promise<number | null>((resolve) => {
            const region = this.regions.map((entry) => entry.name).find((name) => this.faults.isUp(`${LIVE_CLIENT_PREFIX}${name}`));
            const client = region === undefined ? undefined : this.regionClients.get(region);
            if (client === undefined) return resolve(null);
            client.submit(cell.cell, `drain-outbox-${cell.cell}-${++this.outboxReads}`, "read", { outbox: { limit: 1 } }, (outcome) => {
              const records = outcome.ok ? (outcome.result as { records?: unknown[] } | undefined)?.records : undefined;
              resolve(Array.isArray(records) ? records.length : null);
            });
          }),
      ),
    );
    return counts.some((count) => count === null) ? null : counts.reduce((sum: number, count) => sum + (count as number), 0);
  }

  private outboxReads = 0;

  stopWorkload(): void {
    this.workload.stop();
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  /** Waits until every cell has a leader, or `maxUs` (microseconds, as every duration a runtime takes). */
  async awaitLeaders(maxUs: number): Promise<boolean> {
    const deadline = performance.now() + maxUs / 1000;
    for (;;) {
      await this.pollStatuses();
      if (this.cluster.cells().every((cell) => cell.leader !== null)) return true;
      if (performance.now() >= deadline) return false;
      await this.sleep(50);
    }
  }

  /** Time passes (really) until the clock reads `atUs`. */
  async runUntil(atUs: number): Promise<void> {
    const waitUs = atUs - this.nowUs();
    if (waitUs > 0) await this.sleep(waitUs / 1000);
  }

  /**
   * Elects the first leaders, then hands each cell's leadership to its preferred region, as the
   * virtual runtime does (same placement before traffic in both). True when every cell ends led
   * from its preferred region.
   */
  async settleLeaders(maxUs: number): Promise<boolean> {
    const deadlineUs = this.nowUs() + maxUs;
    if (!(await this.awaitLeaders(maxUs))) return false;
    const transfers: Promise<void>[] = [];
    for (const cell of this.cluster.cells()) {
      if (cell.leader === null || cell.leader.region === cell.preferredRegion) continue;
      const target = cell.replicas.find((replica) => replica.region === cell.preferredRegion && replica.state === "up");
      if (target === undefined) continue;
      transfers.push(
        new Promise((resolve) =>
          this.cluster.transferLeadership(cell.id, target.id, Math.max(1, deadlineUs - this.nowUs()), () => resolve()),
        ),
      );
    }
    await Promise.all(transfers);
    await this.pollStatuses();
    return this.cluster.cells().every((cell) => cell.leader?.region === cell.preferredRegion);
  }

  /** Stops the arrivals and waits until every invoked operation completed (or `maxUs`). */
  async drain(maxUs: number): Promise<void> {
    // Heals still on their way to the proxies land first: in-flight requests need the links back.
    await this.faults.settled();
    this.stopWorkload();
    const deadline = performance.now() + maxUs / 1000;
    while (this.recorder.inflight > 0 && performance.now() < deadline) await this.sleep(50);
    if (!this.crossCellEnabled) return;
    // The relays go on after the users stop: the money in flight must land (or come back).
    while (performance.now() < deadline && (await this.outboxOpenCount()) !== 0) await this.sleep(100);
  }

  /** Fetches every running replica's ledger (for finalLedgers / replicaChains). */
  async collectFinalState(): Promise<void> {
    await this.pollStatuses();
    const dumps = new Map<string, LedgerDump>();
    await Promise.all(
      [...this.processes.values()].map(async (process) => {
        if (process.state !== "running" || process.spec.cell === CONTROL_CELL) return;
        try {
          dumps.set(process.spec.id, await process.admin<LedgerDump>({ op: "ledger" }, LEDGER_TIMEOUT_MS));
        } catch {
          // not answering: treated as down for the checkers
        }
      }),
    );
    const ledgers: Record<string, AppliedCommand[]> = {};
    const witnesses: Record<string, WitnessLog> = {};
    const chains: Record<string, Record<string, ChainPoint[]>> = {};
    for (const cell of this.placement.cells) {
      let best: LedgerDump | undefined;
      const cellChains: Record<string, ChainPoint[]> = {};
      for (const replica of cell.replicas) {
        const dump = dumps.get(replica.replica);
        if (dump === undefined) continue;
        cellChains[replica.replica] = [...dump.chain];
        if (dump.firstRetainedEventIndex !== 0) continue;
        if (best === undefined || dump.commands.length > best.commands.length) best = dump;
      }
      ledgers[cell.cell] = best === undefined ? [] : [...best.commands];
      const eventCountMax = Math.max(-1, ...cell.replicas.map((replica) => dumps.get(replica.replica)?.eventCount ?? -1));
      witnesses[cell.cell] =
        best === undefined || best.eventCount < eventCountMax
          ? { complete: false, reason: `no answering replica of ${cell.cell} holds all ${eventCountMax} events from the first` }
          : { complete: true, events: best.events };
      chains[cell.cell] = cellChains;
    }
    this.finalLedgersCache = ledgers;
    this.replicaChainsCache = chains;
    this.finalEventsCache = witnesses;
  }

  finalEvents(): Record<string, WitnessLog> {
    if (this.finalEventsCache === null) throw new Error("finalEvents: call collectFinalState() first");
    return this.finalEventsCache;
  }

  finalLedgers(): FinalLedgers {
    if (this.finalLedgersCache === null) throw new Error("finalLedgers: call collectFinalState() first");
    return this.finalLedgersCache;
  }

  replicaChains(): ReplicaChains {
    if (this.replicaChainsCache === null) throw new Error("replicaChains: call collectFinalState() first");
    return this.replicaChainsCache;
  }

  invariantViolations(): readonly string[] {
    return this.invariants.violations;
  }

  summary(): { seed: number; simulatedMs: number; events: number; traceHash: string } {
    // A live run is not reproducible byte for byte: there is no trace hash to give.
    return { seed: this.seed, simulatedMs: Math.round(this.nowUs() / 1000), events: this.recorder.length, traceHash: "live" };
  }

  /** Kills every replica, removes the proxies, stops the embedded Toxiproxy. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.workload?.stop();
    for (const relay of this.relays) relay.stop();
    if (this.pollTimer !== null) clearInterval(this.pollTimer);
    await this.control?.close();
    await Promise.all([...this.clientTransports.values()].map((transport) => transport.close()));
    await Promise.all([...this.processes.values()].map((process) => process.stop()));
    await this.mesh?.removeAll().catch(() => undefined);
    await this.closeEmbedded?.();
    this.unregisterCleanup?.();
    if (this.ownsDataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** Last resort on process exit: signals only (no awaiting is possible there). */
  private killAllSync(): void {
    const pids = [...this.processes.values()].map((process) => process.pid);
    pids.push(this.toxiproxyChild?.pid ?? null);
    for (const pid of pids) {
      if (pid === null) continue;
      try {
        globalThis.process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
}
