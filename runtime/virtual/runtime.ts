// The virtual runtime: the world of docs/architecture.md in the deterministic simulator. Cells are real
// CellNodes (Raft replica + ledger) on simulated hosts; users are the Workload; region clients
// carry their requests unless the controller's gateways are plugged in as the sink.

import type { Clock, Log } from "../../ground/ports.js";
import { VirtualClock } from "../../sim/kernel/virtual-clock.js";
import { World, type LogSink } from "../../sim/world/world.js";
import { DEFAULT_CROSS_CELL_RATIO, defaultWorldConfig, type WorldConfig } from "../../domain/config.js";
import { electionOrder, planPlacement, type CellPlacement, type Placement } from "../../cells/placement.js";
import type { Ledger, LedgerOptions } from "../../cells/ledger/ledger.js";
import { CellNode } from "../../cells/cell/node.js";
import type { ReplicaOptions } from "../../cells/replica.js";
import { bugOn, type InjectedBugs } from "../../cells/bugs.js";
import { CellClient, defaultBatching, type CellOutcome } from "../../cells/cell/client.js";
import { CrossCellRelay, defaultRelayOptions, type DestinationLookup, type RelayOptions } from "../../cells/cell/relay.js";
import { HistoryRecorder, type HistoryRetention } from "../../sim/workload/recorder.js";
import { Workload, defaultWorkloadOptions, type RequestSink, type UserRequest, type WorkloadOptions } from "../../sim/workload/workload.js";
import type { FinalLedgers, AppliedCommand } from "../../harness/checkers/durability.js";
import type { ReplicaChains, ChainPoint } from "../../harness/checkers/replica-agreement.js";
import { appliedCommandsOf, chainPoints } from "../ledger-facts.js";
import type { LedgerEventBody } from "../../cells/ledger/events.js";
import { ClockSkews, VirtualFaults, type HostPlacement } from "./faults.js";
import { VirtualCluster } from "./cluster.js";
import type { Runtime } from "../runtime.js";
import { InvariantMonitor } from "./invariants.js";
import { LivenessWatch } from "../liveness-watch.js";
import { AppliedEventLog } from "./applied-events.js";
import { percentile } from "../../harness/checkers/availability.js";
import type { CrossCellStatus } from "../../domain/cross-cell.js";
import type { WitnessLog } from "../../harness/checkers/ledger-witness.js";
import type { TimedCellLog } from "../../harness/checkers/global-conservation.js";
import type { ElasticPort } from "../../domain/cluster.js";
import type { LedgerOutcome } from "../../cells/ledger/outcome.js";
import type { NemesisAction, NemesisFamily } from "../../chaos/nemesis.js";
import { leaderMoveAction, type LeaderMoveOutcome } from "./leader-move.js";
import { decodeSnapshotFile } from "../../cells/storage/storage.js";
import { replayWal } from "../../cells/storage/recovery.js";
import type { Snapshot } from "../../cells/raft/types.js";

export interface VirtualRuntimeOptions {
  readonly seed: number;
  readonly config?: WorldConfig;
  /** Workload settings on top of the config's `workload` section. */
  readonly workload?: Partial<WorkloadOptions>;
  /** Throw at the first invariant violation (tests, swarm) or only record it (UI, drills). */
  readonly failFast?: boolean;
  readonly log?: Log;
  /** Where the simulated processes' structured logs go (replica events: repairs, failures); default nowhere. */
  readonly worldLog?: LogSink;
  /**
   * Client hosts per region. Each keeps its own leader cache, as separate application servers
   * would, so during a partition different users can be talking to different leaders.
   */
  readonly clientsPerRegion?: number;
  /** Keep only a recent window of the history (a world that runs indefinitely); absent: all of it. */
  readonly historyRetention?: HistoryRetention;
  /** Per cell, events the harness's applied-event log keeps (memory bound; beyond it checkers fall back to replica ledgers). */
  readonly appliedEventsMax?: number;
  /** Ledger bounds of every replica (a world that runs indefinitely windows them: runtime/virtual/controller-setup.ts). */
  readonly ledger?: Partial<LedgerOptions>;
  /**
   * The cross-cell relays' options (tests inject the refund-on-timeout bug here). Relays run only
   * while the workload sends cross-cell transfers (crossCellRatio > 0), so a ratio of 0 replays
   * the world from before them, trace hash included.
   */
  readonly relay?: Partial<Omit<RelayOptions, "name" | "sources">> & {
    /** The relays' CellClient deadline (defaultClientTimeouts.requestTimeoutUs when absent): past it a delivery's outcome is unknown. */
    readonly clientRequestTimeoutUs?: number;
  };
  /** Where an account lives now, for the relays (default: the placement; a shard move plugs in its routing here). */
  readonly destinationLookup?: (account: string) => DestinationLookup;
  /** Extra replica options (tests inject bugs here to show the harness catches them). */
  readonly replica?: Partial<Pick<ReplicaOptions, "unsafeLocalReads" | "requestTimeoutUs">>;
  /** Deliberate bugs (cells/bugs.ts) in every replica, its storage and its ledger: the harness's own tests only. */
  readonly bugs?: InjectedBugs;
}

export const REGION_CLIENT_PREFIX = "client/";
export const RELAY_HOST_PREFIX = "relay/";
/** Settle latencies kept for the online figures (the most recent). */
export const SETTLE_SAMPLES_MAX = 4096;

/** A standby relay (not in the source cell's preferred region) delivers only records open this long. */
export const RELAY_TAKEOVER_AFTER_US = 2_000_000;
/** How often a standby relay reads the outboxes it only covers. */
export const RELAY_STANDBY_POLL_US = 500_000;
/** ~30 min of the default load per cell; a few hundred MB at most over six cells. */
export const APPLIED_EVENTS_MAX_DEFAULT = 500_000;
/** Bound on the time spent opening accounts before users arrive. */
export const OPEN_ACCOUNTS_US_MAX = 30_000_000;

/** Client timeouts: a per-attempt wait above a cross-region commit, a deadline above an election. */
export const defaultClientTimeouts = {
  attemptTimeoutUs: 100_000,
  requestTimeoutUs: 5_000_000,
  retryBackoffUs: 20_000,
  inflightRequestsMax: 50_000,
} as const;

export class VirtualRuntime implements Runtime {
  readonly world: World;
  readonly config: WorldConfig;
  readonly placement: Placement;
  readonly recorder: HistoryRecorder;
  readonly cluster: VirtualCluster;
  readonly faults: VirtualFaults;
  readonly clock: Clock;
  readonly invariants: InvariantMonitor;
  /** Regions with their datacenters, in configuration order. */
  readonly regions: readonly { readonly name: string; readonly datacenters: readonly string[] }[];
  private readonly nodes = new Map<string, CellNode>();
  private readonly appliedEvents = new Map<string, AppliedEventLog>();
  /** region -> its client processes (index = slot), replaced on restart. */
  private readonly regionClients = new Map<string, (CellClient | undefined)[]>();
  private readonly clientsPerRegion: number;
  private readonly skews = new ClockSkews();
  private workload: Workload | null = null;
  /** region -> its relays (primary for the cells preferring that region, standby for the others). */
  private readonly relays = new Map<string, CrossCellRelay[]>();
  private readonly leaderRegions = new Map<string, string>();
  private livenessWatch: LivenessWatch | null = null;
  private readonly workloadOptions: WorkloadOptions;
  /** Whether the workload sends cross-cell transfers (then relay hosts exist and run). */
  readonly crossCellEnabled: boolean;
  private relaysRunning = false;
  private readonly crossCellCounts = { initiated: 0, settled: 0, refunded: 0 };
  /** Recent settle latencies (µs), a ring of SETTLE_SAMPLES_MAX. */
  private readonly settleSamplesUs: number[] = [];
  private settleSampleCount = 0;
  /** Every host's placement (the fault port's view; grows when a cell is added). */
  private readonly hostPlacements: HostPlacement[];
  /** Replica ids per cell, shared by every region client: a cell added later is reachable at once. */
  private readonly cellsReplicas = new Map<string, readonly string[]>();
  /** Cells removed (empty): their logs stay for the checkers. */
  private readonly retiredCells: CellPlacement[] = [];
  /** Removed cells: the money their moves carried in and out, as their last running replica counted it. */
  private readonly retiredMoved = new Map<string, { readonly movedIn: number; readonly movedOut: number }>();
  private readonly runtimeOptions: VirtualRuntimeOptions;
  /** The nemesis families this runtime carries out itself (chaos/nemesis.ts NemesisAction). */
  readonly nemesisActions: Partial<Record<NemesisFamily, NemesisAction>>;
  /** The controller moves the leader-move nemesis made, with their outcomes. */
  readonly leaderMoves: LeaderMoveOutcome[] = [];

  constructor(options: VirtualRuntimeOptions) {
    this.config = options.config ?? defaultWorldConfig();
    // A drill's pin on the history pins the harness's applied-event logs too: both must hold its window.
    this.recorder = new HistoryRecorder(undefined, options.historyRetention, (fromUs) => {
      for (const log of this.appliedEvents.values()) log.pin(fromUs);
    });
    this.world = new World({ seed: options.seed, config: this.config, ...(options.worldLog !== undefined && { log: options.worldLog }) });
    this.clock = new VirtualClock(this.world.scheduler);
    const cellsConfig = this.config.cells;
    const topology = this.world.topology;
    this.regions = topology.regions.map((name) => ({
      name,
      datacenters: topology.datacenters.filter((dc) => topology.regionOf(dc) === name),
    }));
    this.placement = planPlacement(
      { regions: this.regions },
      {
        cellCount: cellsConfig.count,
        replicasPerCell: cellsConfig.replicasPerCell,
        shardCount: cellsConfig.shards,
        preferredLeaderRegions: cellsConfig.preferredLeaderRegions,
      },
    );
    this.clientsPerRegion = options.clientsPerRegion ?? 2;
    this.workloadOptions = this.resolveWorkloadOptions(options);
    this.crossCellEnabled = this.workloadOptions.crossCellRatio > 0;
    this.runtimeOptions = options;
    const placements = this.addHosts();
    this.hostPlacements = placements;
    this.faults = new VirtualFaults(
      this.world,
      placements,
      this.skews,
      undefined,
      (host) => {
        // A region client that dies takes its in-flight requests with it: their outcome is unknown.
        const client = parseClientHost(host);
        if (client !== null) this.regionClients.get(client.region)?.[client.slot]?.abandonAll(`${host} crashed`);
      },
      (host) => this.nodes.get(host)?.replica.failed === true,
    );
    this.cluster = new VirtualCluster(this, this.faults);
    this.cluster.elastic = elasticPortOf(this);
    this.invariants = new InvariantMonitor(this, { failFast: options.failFast ?? false, seed: options.seed });
    this.nemesisActions = {
      "leader-move": leaderMoveAction(options.bugs, this.leaderMoves, (replica) => this.node(replica)?.replica.status().lastIndex ?? null),
    };
    this.spawnReplicas(options);
    this.spawnRegionClients();
    this.workload = this.createWorkload(options);
    if (this.crossCellEnabled) this.spawnRelays(options);
    this.scheduleMonitor();
  }

  /** Every replica's host in its datacenter, then each region's client hosts; their placements. */
  private addHosts(): HostPlacement[] {
    const placements: HostPlacement[] = [];
    for (const cell of this.placement.cells) placements.push(...this.addCellHosts(cell));
    for (const region of this.regions) {
      for (let slot = 0; slot < this.clientsPerRegion; slot++) {
        const host = clientHost(region.name, slot);
        const datacenter = region.datacenters[slot % region.datacenters.length] as string;
        this.world.addHost(host, datacenter);
        placements.push({ id: host, datacenter, region: region.name });
      }
    }
    if (this.crossCellEnabled) {
      for (const region of this.regions) {
        const host = relayHost(region.name);
        const datacenter = region.datacenters[region.datacenters.length - 1] as string;
        this.world.addHost(host, datacenter);
        placements.push({ id: host, datacenter, region: region.name });
      }
    }
    return placements;
  }

  private addCellHosts(cell: CellPlacement): HostPlacement[] {
    return cell.replicas.map((replica) => {
      this.world.addHost(replica.replica, replica.datacenter);
      return { id: replica.replica, datacenter: replica.datacenter, region: replica.region, cell: cell.cell };
    });
  }

  /**
   * Elastic cells: places a new cell (no shards yet), adds its five hosts and starts its replicas;
   * they elect a leader as any cell's do. The region clients and the fault port know it at once.
   */
  addCell(): CellPlacement {
    const cell = this.placement.addCell();
    this.hostPlacements.push(...this.addCellHosts(cell));
    this.spawnCell(cell, this.runtimeOptions);
    // Its payers' cross-cell transfers (once shards move here) are relayed as any cell's.
    for (const [region, slots] of this.relays) {
      const [primary, standby] = slots;
      if (cell.preferredLeaderRegion === region) primary?.addSource(cell.cell, 0);
      else standby?.addSource(cell.cell, RELAY_TAKEOVER_AFTER_US);
    }
    return cell;
  }

  /** Stops an empty cell's replicas; its event log stays for the checkers. */
  removeCell(id: string): void {
    const cell = this.placement.cell(id);
    if (cell === undefined) return;
    // Its replicas stop here: keep the money its moves carried in and out for the global check.
    const moved = this.movedTotalsOf(cell);
    if (moved !== undefined) this.retiredMoved.set(id, moved);
    this.placement.removeCell(id);
    this.retiredCells.push(cell);
    this.cellsReplicas.delete(id);
    for (const replica of cell.replicas) this.world.crash(replica.replica);
  }

  /** Live and removed cells: what the checkers read. */
  private checkedCells(): CellPlacement[] {
    return [...this.placement.cells, ...this.retiredCells];
  }

  /** A region client that reaches a majority of `cell`'s replicas both ways (the one a controller's move step goes through). */
  clientReaching(cell: string): CellClient | undefined {
    const replicas = this.cellsReplicas.get(cell) ?? [];
    const network = this.world.network;
    for (const region of this.regions) {
      for (let slot = 0; slot < this.clientsPerRegion; slot++) {
        const host = clientHost(region.name, slot);
        const client = this.liveClient(region.name, slot);
        if (client === undefined) continue;
        const reached = replicas.filter(
          (replica) => this.world.isUp(replica) && !network.isBlocked(host, replica) && !network.isBlocked(replica, host),
        ).length;
        if (reached * 2 > replicas.length) return client;
      }
    }
    return undefined;
  }

  /** A move's status as the furthest-applied live replica of `cell` knows it. */
  moveStatus(cell: string, moveId: string): string | null {
    let best: { applied: number; status: string | null } | null = null;
    for (const replica of this.placement.cell(cell)?.replicas ?? []) {
      const node = this.node(replica.replica);
      if (node === undefined) continue;
      const applied = node.stateMachine.appliedIndex;
      if (best === null || applied > best.applied) best = { applied, status: node.stateMachine.ledger.shardMove(moveId)?.status ?? null };
    }
    return best?.status ?? null;
  }

  /** One CellNode process per replica; a restart builds a new node that recovers from its disk. */
  private spawnReplicas(options: VirtualRuntimeOptions): void {
    for (const cell of this.placement.cells) this.spawnCell(cell, options);
  }

  private spawnCell(cell: CellPlacement, options: VirtualRuntimeOptions): void {
    this.cellsReplicas.set(
      cell.cell,
      cell.replicas.map((replica) => replica.replica),
    );
    {
      const voters = cell.replicas.map((replica) => replica.replica);
      const eventLog = new AppliedEventLog(
        cell.cell,
        options.appliedEventsMax ?? APPLIED_EVENTS_MAX_DEFAULT,
        (message) => this.invariants.report(message),
        () => this.clock.nowUs(),
        undefined, // the default pinned bound
        (event, atUs) => this.observeCrossCell(event, atUs),
      );
      this.appliedEvents.set(cell.cell, eventLog);
      for (const replica of cell.replicas) {
        this.world.spawn(replica.replica, (context) => {
          const host = replica.replica;
          const skews = this.skews;
          // Clock drift on this host: its timers fire early (fast clock) or late (slow clock).
          const clock: Clock = {
            nowUs: () => context.clock.nowUs(),
            setTimer: (delayUs, callback) => context.clock.setTimer(skews.scale(host, delayUs), callback),
            cancelTimer: (handle) => context.clock.cancelTimer(handle),
          };
          const node = new CellNode(
            host,
            {
              id: host,
              voters,
              raft: { ...this.config.raft, ...(this.config.raft.priorityElections !== false && { electionOrder: electionOrder(cell) }) },
              ...options.replica,
              ...(options.bugs !== undefined && options.bugs.size > 0 && { bugs: options.bugs }),
            },
            { clock, random: context.random, transport: context.transport, disk: context.disk, log: context.log },
            (eventIndex, event, hash) => eventLog.observe(host, eventIndex, event, hash),
            options.bugs !== undefined && options.bugs.size > 0 ? { ...options.ledger, bugs: options.bugs } : options.ledger,
          );
          this.nodes.set(host, node);
          return {
            stop: () => {
              if (this.nodes.get(host) === node) this.nodes.delete(host);
            },
          };
        });
      }
    }
  }

  /** Each region's client processes (the users' entry when no controller runs). */
  private spawnRegionClients(): void {
    const cellsReplicas = this.cellsReplicas;
    for (const region of this.regions) {
      const clients: (CellClient | undefined)[] = new Array(this.clientsPerRegion).fill(undefined);
      this.regionClients.set(region.name, clients);
      for (let slot = 0; slot < this.clientsPerRegion; slot++) {
        this.world.spawn(clientHost(region.name, slot), (context) => {
          clients[slot] = new CellClient(
            { cells: cellsReplicas, ...defaultClientTimeouts, batching: this.config.batching ?? defaultBatching },
            { clock: context.clock, random: context.random, transport: context.transport },
          );
          return {};
        });
      }
    }
  }

  private resolveWorkloadOptions(options: VirtualRuntimeOptions): WorkloadOptions {
    const workloadConfig = this.config.workload;
    return {
      ...defaultWorkloadOptions,
      profile: workloadConfig.profile,
      opsPerSecond: workloadConfig.opsPerSecond,
      readFraction: workloadConfig.readFraction,
      accountsPerShard: workloadConfig.accountsPerShard,
      crossCellRatio: workloadConfig.crossCellRatio ?? DEFAULT_CROSS_CELL_RATIO,
      ...options.workload,
    };
  }

  /**
   * One relay process per region, each with its own CellClient: the primary for the cells that
   * prefer its region, a standby (later, slower) for every other cell, so a region outage leaves
   * every outbox relayed. Restarted relays start empty: they resume from the committed outboxes.
   */
  private spawnRelays(options: VirtualRuntimeOptions): void {
    // The shared map: a cell added later is reachable by the relays' clients at once.
    const cellsReplicas = this.cellsReplicas;
    // The dynamic placement (elastic cells): a credit to a moved account goes to its new cell.
    const lookup =
      options.destinationLookup ??
      ((account: string): DestinationLookup => {
        const cell = this.placement.cellOfAccount(account);
        return cell === undefined ? { kind: "retry", reason: `no cell owns ${account}` } : { kind: "cell", cell };
      });
    for (const region of this.regions) {
      const slots: CrossCellRelay[] = [];
      this.relays.set(region.name, slots);
      let incarnation = 0;
      this.world.spawn(relayHost(region.name), (context) => {
        // The cells as placed now: a relay restarted after a cell was added reads its outbox too.
        const primary = this.placement.cells.filter((cell) => cell.preferredLeaderRegion === region.name).map((cell) => cell.cell);
        const standby = this.placement.cells.filter((cell) => cell.preferredLeaderRegion !== region.name).map((cell) => cell.cell);
        const client = new CellClient(
          {
            cells: cellsReplicas,
            ...defaultClientTimeouts,
            requestTimeoutUs: options.relay?.clientRequestTimeoutUs ?? defaultClientTimeouts.requestTimeoutUs,
            batching: this.config.batching ?? defaultBatching,
          },
          { clock: context.clock, random: context.random.fork("relay-client"), transport: context.transport },
        );
        const name = `${region.name}.${++incarnation}`;
        const { clientRequestTimeoutUs: _deadline, ...relayOverrides } = options.relay ?? {};
        const relayOptions = {
          ...defaultRelayOptions,
          ...relayOverrides,
          // The injected bug "relay-refund-on-timeout" (cells/bugs.ts): the relay's test switch, from the run's bugs.
          ...(bugOn(options.bugs, "relay-refund-on-timeout") && { unsafeRefundOnTimeout: true }),
        };
        const relays = [
          new CrossCellRelay(
            { ...relayOptions, name: `${name}p`, sources: primary.map((cell) => ({ cell, takeoverAfterUs: 0 })) },
            { clock: context.clock, random: context.random.fork("relay-primary"), client, lookup },
          ),
          new CrossCellRelay(
            {
              ...relayOptions,
              pollIntervalUs: Math.max(relayOptions.pollIntervalUs, RELAY_STANDBY_POLL_US),
              name: `${name}s`,
              sources: standby.map((cell) => ({ cell, takeoverAfterUs: RELAY_TAKEOVER_AFTER_US })),
            },
            { clock: context.clock, random: context.random.fork("relay-standby"), client, lookup },
          ),
        ];
        slots.length = 0;
        for (const relay of relays) {
          if (this.relaysRunning) relay.start();
          slots.push(relay);
        }
        return {
          stop: () => {
            for (const relay of relays) relay.stop();
          },
        };
      });
    }
  }

  private observeCrossCell(event: LedgerEventBody, atUs: number): void {
    switch (event.type) {
      case "TransferSent":
        this.crossCellCounts.initiated++;
        return;
      case "TransferRefunded":
        this.crossCellCounts.refunded++;
        this.workload?.takeCrossCellInvokedUs(event.id);
        return;
      case "TransferSettled": {
        this.crossCellCounts.settled++;
        const invokedUs = this.workload?.takeCrossCellInvokedUs(event.id);
        if (invokedUs === undefined) return;
        this.settleSamplesUs[this.settleSampleCount++ % SETTLE_SAMPLES_MAX] = atUs - invokedUs;
        return;
      }
      default:
        return;
    }
  }

  /**
   * Cross-cell money now, across cells (the furthest replica of each, which at one instant of
   * the simulation holds every committed event): in flight (open records whose credit has not
   * applied at the payee's cell), counts since the start, the recent settle latencies, and
   * whether sum of balances + in flight = opened + deposits - withdrawals.
   */
  crossCellStatus(): CrossCellStatus {
    const furthest = new Map<string, Ledger>();
    for (const cell of this.placement.cells) {
      for (const replica of cell.replicas) {
        const ledger = this.node(replica.replica)?.stateMachine.ledger;
        const best = furthest.get(cell.cell);
        if (ledger !== undefined && (best === undefined || ledger.eventCount > best.eventCount)) furthest.set(cell.cell, ledger);
      }
    }
    let balances = 0;
    let entered = 0;
    let inFlight = 0;
    let inFlightAmount = 0;
    let carriedByMoves = 0;
    const flows = new Map<string, { count: number; amount: number }>();
    for (const [cell, ledger] of furthest) {
      balances += ledger.totalBalance();
      const totals = ledger.totals();
      entered += totals.opened + totals.deposited - totals.withdrawn;
      // Money a fenced, not yet imported, shard range carries is in no cell's balances: counted here.
      const moved = ledger.movedTotals();
      carriedByMoves += moved.movedOut - moved.movedIn;
      for (const record of ledger.openOutbox(Number.MAX_SAFE_INTEGER)) {
        const destination = this.placement.cellOfAccount(record.to);
        if (destination !== undefined && furthest.get(destination)?.receivedOutcome(record.id) === "credited") continue;
        inFlight++;
        inFlightAmount += record.amount;
        const key = `${cell}>${destination ?? record.toCell}`;
        const flow = flows.get(key) ?? { count: 0, amount: 0 };
        flow.count++;
        flow.amount += record.amount;
        flows.set(key, flow);
      }
    }
    const samples = this.settleSamplesUs.slice(0, Math.min(this.settleSampleCount, SETTLE_SAMPLES_MAX)).sort((a, b) => a - b);
    const ms = (us: number | null): number | null => (us === null ? null : Math.round(us) / 1000);
    return {
      enabled: this.crossCellEnabled,
      ...this.crossCellCounts,
      inFlight,
      inFlightAmount,
      flows: Array.from(flows, ([key, flow]) => {
        const [from, to] = key.split(">") as [string, string];
        return { from, to, ...flow };
      }),
      settleMsP50: ms(percentile(samples, 0.5)),
      settleMsP99: ms(percentile(samples, 0.99)),
      // All cells lead at once only if every cell has a live replica: otherwise the sum is not over the world.
      globalMoneyConserved: furthest.size < this.placement.cells.length ? null : balances + inFlightAmount + carriedByMoves === entered,
    };
  }

  /** Starts the relays (with the workload: before it, no outbox has anything to deliver). */
  private startRelays(): void {
    this.relaysRunning = true;
    for (const relays of this.relays.values()) for (const relay of relays) relay.start();
  }

  /** The relays' counters summed over every region (this incarnation of each). */
  relayStats(): { delivered: number; settled: number; refunded: number; retries: number; duplicateCredits: number; inflight: number } {
    const total = { delivered: 0, settled: 0, refunded: 0, retries: 0, duplicateCredits: 0, inflight: 0 };
    for (const relays of this.relays.values()) {
      for (const relay of relays) {
        total.delivered += relay.stats.delivered;
        total.settled += relay.stats.settled;
        total.refunded += relay.stats.refunded;
        total.retries += relay.stats.retries;
        total.duplicateCredits += relay.stats.duplicateCredits;
        total.inflight += relay.inflight;
      }
    }
    return total;
  }

  /** Open outbox records over every cell, as the most advanced live replica of each has applied them. */
  outboxOpen(): { readonly count: number; readonly amount: number } {
    let count = 0;
    let amount = 0;
    for (const cell of this.placement.cells) {
      let best: Ledger | undefined;
      for (const replica of cell.replicas) {
        const ledger = this.node(replica.replica)?.stateMachine.ledger;
        if (ledger !== undefined && (best === undefined || ledger.eventCount > best.eventCount)) best = ledger;
      }
      if (best === undefined) continue;
      const totals = best.crossCellTotals();
      count += totals.outboxOpenCount;
      amount += totals.outboxOpen;
    }
    return { count, amount };
  }

  private createWorkload(options: VirtualRuntimeOptions): Workload {
    void options;
    return new Workload(
      this.workloadOptions,
      { clock: this.clock, random: this.world.random.fork("workload"), placement: this.placement, recorder: this.recorder },
      this.directSink(),
    );
  }

  get seed(): number {
    return this.world.seed;
  }

  nowUs(): number {
    return this.world.nowUs;
  }

  /** The live CellNode on `host`, or undefined when it is down. */
  node(host: string): CellNode | undefined {
    return this.world.isUp(host) || this.world.state(host) === "paused" ? this.nodes.get(host) : undefined;
  }

  /**
   * Storage integrity at rest (called once the run is healed and drained): every replica's WAL,
   * as a crash now would leave it, replays to its end with at most a torn tail, unless the
   * simulator corrupted that disk. Damage found only at the next recovery would be repaired from
   * the peers and never seen (protocol-aware recovery heals it), so the bytes are read here: a
   * replica that wrote after garbage (a torn tail it kept) shows it at once.
   */
  auditStorage(): void {
    for (const cell of this.placement.cells) {
      for (const replica of cell.replicas) {
        const host = replica.replica;
        if (this.diskCorruptions(host) > 0) continue;
        const disk = this.world.disk(host);
        const wal = disk.durableBytes(`raft-${host}.wal`);
        if (wal === null) continue;
        let snapshot: Snapshot | null = null;
        const snapshotBytes = disk.durableBytes(`raft-${host}.snap`);
        try {
          if (snapshotBytes !== null) snapshot = decodeSnapshotFile(snapshotBytes);
        } catch (error) {
          this.invariants.report(
            `storage integrity: ${host}'s snapshot file does not decode (${(error as Error).message}) but its disk was never corrupted`,
          );
          continue;
        }
        const replay = replayWal(wal, snapshot);
        if (replay.code === "DAMAGED")
          this.invariants.report(
            `storage integrity: ${host}'s WAL, as a crash now would leave it, is damaged (${replay.damage.reason}) but its disk was never corrupted`,
          );
      }
    }
  }

  /** Corruptions injected into `host`'s disk (the storage-integrity invariant). */
  diskCorruptions(host: string): number {
    return this.world.disk(host).counts.corruptions;
  }

  runFor(durationUs: number): void {
    this.world.runFor(durationUs);
  }

  runUntil(atUs: number): void {
    this.world.runUntil(atUs);
  }

  /** The sink that sends each user request through the client of its cell's leader region. */
  directSink(): RequestSink {
    return {
      submit: (request: UserRequest, callback: (outcome: CellOutcome) => void) => {
        // Users enter at the region of their cell's leader as last observed (refreshed by the
        // monitor every period, not per request: a full view per request dominated the profile).
        const region = this.leaderRegions.get(request.cell) ?? this.placement.cell(request.cell)?.preferredLeaderRegion ?? "";
        // A user always uses the same client slot; a region whose client is down sends its users
        // to a live one elsewhere (as GSLB would).
        const slot = request.uid % this.clientsPerRegion;
        let client = this.liveClient(region, slot);
        if (client === undefined) {
          for (const name of this.regionClients.keys()) {
            client = this.liveClient(name, slot);
            if (client !== undefined) break;
          }
        }
        if (client === undefined) {
          callback({ ok: false, error: { code: "OVERLOADED", message: "no region entry point is up" } });
          return;
        }
        const refusal = this.crossCellRefusal(request.payload);
        if (refusal !== null) {
          callback({ ok: false, error: { code: "INVALID", message: refusal } });
          return;
        }
        client.submit(request.cell, request.requestId, request.kind, request.payload, callback);
      },
    };
  }

  /**
   * A cross-cell transfer to an account no cell owns, or to a cell that does not own it, is
   * refused at once (money untouched): after the debit it could only be refunded.
   */
  private crossCellRefusal(payload: unknown): string | null {
    const command = payload as { type?: unknown; to?: unknown; toCell?: unknown } | null;
    if (command === null || typeof command !== "object" || command.type !== "TransferOut" || typeof command.to !== "string") return null;
    const owner = this.placement.cellOfAccount(command.to);
    if (owner === undefined) return `payload.to: expected an account of some cell, got ${JSON.stringify(command.to)}`;
    if (owner !== command.toCell) return `payload.toCell: ${command.to} belongs to ${owner}, not ${JSON.stringify(command.toCell)}`;
    return null;
  }

  /** Batches the region clients sent and the commands in them (mean batch size = commands / batches). */
  clientBatches(): { readonly batches: number; readonly commands: number } {
    let batches = 0;
    let commands = 0;
    for (const clients of this.regionClients.values()) {
      for (const client of clients) {
        batches += client?.batchesSent ?? 0;
        commands += client?.commandsSent ?? 0;
      }
    }
    return { batches, commands };
  }

  private liveClient(region: string, slot: number): CellClient | undefined {
    return this.world.isUp(clientHost(region, slot)) ? this.regionClients.get(region)?.[slot] : undefined;
  }

  get workloadRunner(): Workload {
    return this.workload as Workload;
  }

  /**
   * Opens every account and waits (in simulated time) until the opens are answered, retrying the
   * ones whose outcome is unknown (opening is idempotent), then starts the arrival process.
   * Users arrive only once their accounts exist: the bank checker's total depends on it, and a
   * fault injected at the first instant must not leave a cell without accounts.
   */
  startWorkload(options?: { sink?: RequestSink; openAccounts?: boolean }): void {
    const workload = this.workloadRunner;
    if (options?.sink) workload.setSink(options.sink);
    if (options?.openAccounts ?? true) {
      workload.openAccounts();
      const deadlineUs = this.nowUs() + OPEN_ACCOUNTS_US_MAX;
      for (;;) {
        while (this.recorder.inflight > 0 && this.nowUs() < deadlineUs) this.runFor(10_000);
        const missing = workload.unopenedAccounts();
        if (missing === 0 || this.nowUs() >= deadlineUs) break;
        workload.openAccounts(true);
      }
    }
    workload.start();
    if (this.crossCellEnabled) this.startRelays();
  }

  stopWorkload(): void {
    this.workloadRunner.stop();
  }

  /**
   * Stops the arrival process and runs until every invoked operation completed and every
   * cross-cell transfer settled or refunded (or `maxUs`).
   */
  drain(maxUs: number): void {
    this.stopWorkload();
    const deadline = this.nowUs() + maxUs;
    while (this.recorder.inflight > 0 && this.nowUs() < deadline) this.runFor(Math.min(50_000, deadline - this.nowUs()));
    if (!this.crossCellEnabled) return;
    // The relays go on delivering after the users stop: the money in flight must land (or come back).
    while (this.outboxOpen().count > 0 && this.nowUs() < deadline) this.runFor(Math.min(50_000, deadline - this.nowUs()));
  }

  /** Waits (in simulated time) until every cell has a leader, or `maxUs`. */
  awaitLeaders(maxUs: number): boolean {
    const deadline = this.nowUs() + maxUs;
    for (;;) {
      if (this.cluster.cells().every((cell) => cell.leader !== null)) return true;
      if (this.nowUs() >= deadline) return false;
      this.runFor(10_000);
    }
  }

  /**
   * Elects the first leaders, then hands each cell's leadership to its preferred region (the
   * placement an operator sets up before traffic arrives). Returns false when it could not.
   */
  settleLeaders(maxUs: number): boolean {
    const deadline = this.nowUs() + maxUs;
    if (!this.awaitLeaders(maxUs)) return false;
    let pending = 0;
    for (const cell of this.cluster.cells()) {
      if (cell.leader === null || cell.leader.region === cell.preferredRegion) continue;
      const target = cell.replicas.find((replica) => replica.region === cell.preferredRegion && replica.state === "up");
      if (target === undefined) continue;
      pending++;
      this.cluster.transferLeadership(cell.id, target.id, Math.max(1, deadline - this.nowUs()), () => pending--);
    }
    while (pending > 0 && this.nowUs() < deadline) this.runFor(10_000);
    this.refreshLeaderRegions();
    return this.cluster.cells().every((cell) => cell.leader?.region === cell.preferredRegion);
  }

  /** Everything the checkers read is in memory already. */
  collectFinalState(): void {}

  /** Per cell, the commands its ledger holds (the event history below); `fromUs`: enough for the operations invoked from then on. */
  finalLedgers(fromUs = 0): FinalLedgers {
    const result: Record<string, AppliedCommand[]> = {};
    for (const cell of this.checkedCells()) result[cell.cell] = appliedCommandsOf(this.eventHistory(cell, fromUs).events);
    return result;
  }

  /** Per cell, the event log in applied order for the witness checker; incomplete (with the reason) when no record holds every event. */
  finalEvents(fromUs = 0): Record<string, WitnessLog> {
    const result: Record<string, WitnessLog> = {};
    for (const cell of this.checkedCells()) {
      const history = this.eventHistory(cell, fromUs);
      result[cell.cell] = history.complete
        ? { complete: true, events: history.events }
        : {
            complete: false,
            reason: `no replica of ${cell.cell} holds all ${history.eventCountMax} events from the first (snapshot-restored or compacted), and the harness's applied-event log is incomplete`,
          };
    }
    return result;
  }

  /**
   * A cell's events in applied order: the harness's applied-event log when it is whole and as long
   * as the furthest replica's ledger; else the replica that applied the most among those still
   * holding every event from the first (a snapshot-restored ledger does not), complete only if
   * it is that far along.
   */
  private eventHistory(
    cell: CellPlacement,
    fromUs: number,
  ): { readonly events: readonly LedgerEventBody[]; readonly complete: boolean; readonly eventCountMax: number } {
    let eventCountMax = 0;
    let best: Ledger | undefined;
    for (const replica of cell.replicas) {
      const ledger = this.node(replica.replica)?.stateMachine.ledger;
      if (ledger === undefined) continue;
      eventCountMax = Math.max(eventCountMax, ledger.eventCount);
      if (ledger.firstRetainedEventIndex === 0 && (best === undefined || ledger.eventCount > best.eventCount)) best = ledger;
    }
    const appliedLog = this.appliedEvents.get(cell.cell);
    const applied = appliedLog?.log(fromUs);
    if (appliedLog !== undefined && applied !== undefined && applied.complete && appliedLog.eventCount >= eventCountMax)
      return { events: applied.events, complete: true, eventCountMax };
    if (best === undefined) return { events: [], complete: false, eventCountMax };
    return { events: best.eventBodies(), complete: best.eventCount >= eventCountMax, eventCountMax };
  }

  /**
   * Per cell, the whole event log with first-applied times for the global-conservation checker
   * (incomplete when the harness's log was folded or has a gap and no replica holds every event).
   */
  crossCellLogs(): Record<string, TimedCellLog> {
    const result: Record<string, TimedCellLog> = {};
    // Removed cells too: their events (moves in and out, credits) are part of the money's story.
    for (const cell of this.checkedCells()) {
      const timed = this.appliedEvents.get(cell.cell)?.timedLog();
      if (timed !== undefined && timed.complete) {
        result[cell.cell] = timed;
        continue;
      }
      // Without times only the end is a check point: the final log of a replica that holds it all.
      const history = this.eventHistory(cell, 0);
      result[cell.cell] = history.complete
        ? { complete: true, events: history.events }
        : { complete: false, reason: timed !== undefined && !timed.complete ? timed.reason : `no complete log of ${cell.cell}` };
    }
    return result;
  }

  /** Per cell and replica: the event hash chain at its checkpoints and head. */
  replicaChains(): ReplicaChains {
    const result: Record<string, Record<string, ChainPoint[]>> = {};
    for (const cell of this.checkedCells()) {
      const chains: Record<string, ChainPoint[]> = {};
      for (const replica of cell.replicas) {
        const node = this.node(replica.replica);
        if (node === undefined) continue;
        const points = chainPoints(node.stateMachine.ledger);
        chains[replica.replica] = points;
      }
      result[cell.cell] = chains;
    }
    return result;
  }

  /** Per live cell, money shard moves carried in and out, as its furthest-applied replica's ledger says. */
  movedMoney(): Record<string, { readonly movedIn: number; readonly movedOut: number }> {
    const result: Record<string, { readonly movedIn: number; readonly movedOut: number }> = {};
    // Removed cells too (cell ids are never reused: cells/placement.ts addCell).
    for (const [cell, moved] of this.retiredMoved) result[cell] = moved;
    for (const cell of this.placement.cells) {
      const moved = this.movedTotalsOf(cell);
      if (moved !== undefined) result[cell.cell] = moved;
    }
    return result;
  }

  /** The moved totals of the cell's most advanced replica that runs. */
  private movedTotalsOf(cell: CellPlacement): { readonly movedIn: number; readonly movedOut: number } | undefined {
    let best: Ledger | undefined;
    let applied = -1;
    for (const replica of cell.replicas) {
      const node = this.node(replica.replica);
      if (node !== undefined && node.stateMachine.appliedIndex > applied) {
        applied = node.stateMachine.appliedIndex;
        best = node.stateMachine.ledger;
      }
    }
    return best?.movedTotals();
  }

  invariantViolations(): readonly string[] {
    return this.invariants.violations;
  }

  /** Per cell, the events the harness's applied-event log keeps in memory (bounded by appliedEventsMax). */
  appliedEventsKept(): Record<string, number> {
    const result: Record<string, number> = {};
    for (const [cell, log] of this.appliedEvents) result[cell] = log.keptEvents;
    return result;
  }

  summary(): { seed: number; simulatedMs: number; events: number; traceHash: string } {
    return {
      seed: this.seed,
      simulatedMs: Math.round(this.nowUs() / 1000),
      events: this.world.scheduler.eventsDelivered,
      traceHash: this.world.scheduler.traceHash,
    };
  }

  /**
   * Users go to the region of the newest leader: while a deposed leader cut off by a partition
   * still believes it leads, its successor (higher term) is the one that can commit, as a
   * controller that compares terms would route.
   */
  private refreshLeaderRegions(): void {
    for (const cell of this.placement.cells) {
      let newest: { region: string; term: number } | null = null;
      for (const replica of cell.replicas) {
        const node = this.node(replica.replica);
        if (node === undefined || this.world.state(replica.replica) !== "running" || node.replica.role !== "leader") continue;
        const term = node.replica.term ?? 0;
        if (newest === null || term > newest.term) newest = { region: replica.region, term };
      }
      if (newest !== null) this.leaderRegions.set(cell.cell, newest.region);
    }
  }

  /** Starts watching liveness from now (call right after the last heal); sampled on the monitor tick. */
  watchLiveness(boundUs: number): LivenessWatch {
    this.livenessWatch = new LivenessWatch(
      {
        placement: this.placement,
        commitOf: (host) => this.node(host)?.replica.status().commit ?? 0,
        leaderStatus: (host) => {
          if (this.world.state(host) !== "running") return null;
          const node = this.node(host);
          if (node === undefined || node.replica.role !== "leader") return null;
          const status = node.replica.status();
          return { commit: status.commit ?? 0, lastIndex: status.lastIndex as number };
        },
        routedRegion: (cell) => this.leaderRegions.get(cell) ?? null,
        nowUs: () => this.nowUs(),
      },
      boundUs,
    );
    return this.livenessWatch;
  }

  private scheduleMonitor(): void {
    this.clock.setTimer(this.invariants.periodUs, () => {
      this.invariants.check();
      this.refreshLeaderRegions();
      this.livenessWatch?.sample();
      this.scheduleMonitor();
    });
  }
}

export function relayHost(region: string): string {
  return `${RELAY_HOST_PREFIX}${region}`;
}

/** The elastic-cells port of the virtual runtime (domain/cluster.ts ElasticPort). */
function elasticPortOf(virtual: VirtualRuntime): ElasticPort {
  return {
    get shardCount() {
      return virtual.placement.shardCount;
    },
    cellOfShard: (shard) => virtual.placement.cellOfShard(shard),
    addCell: () => virtual.addCell().cell,
    removeCell: (cell) => virtual.removeCell(cell),
    assignShards: (shards, cell) => virtual.placement.assignShards(shards, cell),
    moveStatus: (cell, moveId) => virtual.moveStatus(cell, moveId),
    shardMove: (cell, command, callback) => {
      const client = virtual.clientReaching(cell);
      if (client === undefined) {
        callback({ ok: false, code: "UNAVAILABLE", message: `no client reaches a majority of ${cell}` });
        return;
      }
      client.submitShardMove(cell, command, (outcome) => {
        if (!outcome.ok) callback({ ok: false, code: outcome.error.code, message: outcome.error.message ?? outcome.error.code });
        else {
          const result = outcome.result as LedgerOutcome;
          if (result.outcome !== "shard-move") callback({ ok: false, code: "INVALID", message: `answer ${result.outcome} to a move step` });
          else callback({ ok: true, outcome: result });
        }
      });
    },
  };
}

export function clientHost(region: string, slot: number): string {
  return `${REGION_CLIENT_PREFIX}${region}/${slot}`;
}

export function parseClientHost(host: string): { region: string; slot: number } | null {
  if (!host.startsWith(REGION_CLIENT_PREFIX)) return null;
  const [region, slot] = host.slice(REGION_CLIENT_PREFIX.length).split("/");
  return region === undefined || slot === undefined ? null : { region, slot: Number(slot) };
}

export function createVirtualRuntime(options: VirtualRuntimeOptions): VirtualRuntime {
  return new VirtualRuntime(options);
}
