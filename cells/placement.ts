// Cell placement and shard routing: which datacenters hold each cell's replicas, which region
// should lead it, which logical shards (and so which accounts) it owns.
//
// Replicas: one per datacenter, chosen round-robin over regions (largest first) with at most
// floor((replicas - 1) / 2) per region, so losing any one region leaves a quorum. The default
// world gives every cell hz-a, hz-b, sh-a, sh-b, sz-a: 2 + 2 + 1.
// Preferred leader: a region holding the most replicas of the cell (2 of 5), so a commit needs
// only one remote acknowledgement from the nearest other region. Cells are split into
// contiguous blocks over those regions: cells 1-3 hangzhou, 4-6 shanghai. The one-replica
// region (shenzhen) never leads by preference.
// Shards: contiguous ranges, cell k owns [floor(k*S/C), floor((k+1)*S/C)): sizes differ by at
// most one, and a range can later be split or moved whole, as in LDC's unit planning.
// Accounts: user `uid` has shard `uid % shards` and account `acct-<shard>-<n>` with
// n = floor(uid / shards), a bijection, so the shard (and the cell) is readable from the id.

export type CellId = string;

export interface RegionInput {
  readonly name: string;
  readonly datacenters: readonly string[];
}

/** The minimal structural topology placement needs. */
export interface TopologyInput {
  readonly regions: readonly RegionInput[];
}

/** The world config's flat form: regions, then datacenters naming their region. */
export interface FlatTopologyInput {
  readonly regions: readonly { readonly name: string }[];
  readonly datacenters: readonly { readonly name: string; readonly region: string }[];
}

export interface PlacementOptions {
  readonly cellCount: number;
  readonly replicasPerCell: number;
  readonly shardCount: number;
  /** Cell -> region; cells left out get the default (a block split over the largest regions). */
  readonly preferredLeaderRegions?: Readonly<Record<CellId, string>>;
}

export const defaultPlacementOptions: PlacementOptions = { cellCount: 6, replicasPerCell: 5, shardCount: 100 };

export const placementLimits = { cellCountMax: 1_000, shardCountMax: 100_000, replicasPerCellMax: 9 } as const;

export interface ReplicaPlacement {
  readonly cell: CellId;
  /** `<cell>/<datacenter>`, e.g. "cell-1/hz-a". */
  readonly replica: string;
  readonly datacenter: string;
  readonly region: string;
}

export interface CellPlacement {
  readonly cell: CellId;
  /** 1-based: cell-1 has index 1. */
  readonly index: number;
  readonly replicas: readonly ReplicaPlacement[];
  readonly preferredLeaderRegion: string;
  /** Owned logical shards, ascending and contiguous. */
  readonly shards: readonly number[];
}

export type PlacementErrorCode = "INVALID_TOPOLOGY" | "INVALID_OPTION" | "INVALID_INPUT";

export class PlacementError extends Error {
  constructor(
    readonly code: PlacementErrorCode,
    readonly field: string,
    readonly expected: string,
  ) {
    super(`${field}: expected ${expected}`);
    this.name = "PlacementError";
  }
}

/** Groups the world config's flat datacenter list by region, keeping the listed order. */
export function groupDatacenters(flat: FlatTopologyInput): TopologyInput {
  const byRegion = new Map<string, string[]>(flat.regions.map((region) => [region.name, []]));
  flat.datacenters.forEach((datacenter, i) => {
    const list = byRegion.get(datacenter.region);
    if (list === undefined)
      throw new PlacementError(
        "INVALID_TOPOLOGY",
        `topology.datacenters[${i}].region`,
        `one of the regions (${[...byRegion.keys()].join(", ")})`,
      );
    list.push(datacenter.name);
  });
  return { regions: [...byRegion].map(([name, datacenters]) => ({ name, datacenters })) };
}

export function cellId(index: number): CellId {
  return `cell-${index}`;
}

const ACCOUNT_PATTERN = /^acct-(\d+)-(\d+)$/;

/** What a placement needs to place a cell added later (the plan it was made with). */
export interface PlacementPlan {
  readonly topology: TopologyInput;
  readonly replicasPerCell: number;
}

/** One change of ownership or of the set of cells. */
export interface OwnershipChange {
  readonly version: number;
  readonly kind: "cell-added" | "cell-removed" | "shards-assigned";
  readonly cell: CellId;
  readonly shards: readonly number[];
}

/**
 * Cells, their replicas and which cell owns each shard. Ownership is dynamic (elastic cells:
 * docs/cells.md): cells are added and removed, shard ranges reassigned, each change a new
 * `ownershipVersion` heard by every listener. This is the ONE place shard -> cell is kept:
 * the workload, the gateways' routing table, the region clients and the checkers all read it.
 */
export class Placement {
  private readonly cellByShard: CellId[];
  private readonly cellById: Map<CellId, CellPlacement>;
  private cellList: CellPlacement[];
  /** The highest cell index ever placed: added cells count on from it, so ids are never reused. */
  private highestIndex = 0;
  private version = 0;
  private readonly listeners = new Set<(change: OwnershipChange) => void>();

  constructor(
    cells: readonly CellPlacement[],
    readonly shardCount: number,
    private readonly plan?: PlacementPlan,
  ) {
    this.cellList = [...cells];
    this.cellByShard = new Array<CellId>(shardCount);
    for (const cell of cells) for (const shard of cell.shards) this.cellByShard[shard] = cell.cell;
    this.cellById = new Map(cells.map((cell) => [cell.cell, cell]));
  }

  /** The cells, in the order they were created. */
  get cells(): readonly CellPlacement[] {
    return this.cellList;
  }

  /** Bumped by every change of ownership or of the set of cells. */
  get ownershipVersion(): number {
    return this.version;
  }

  onChange(listener: (change: OwnershipChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Places a new cell (the next index), with no shards: its replicas by the same rules as the
   * first cells (2 + 2 + 1), its preferred leader region the eligible region preferred by the
   * fewest cells. Throws PlacementError when the placement was made without a plan.
   */
  addCell(): CellPlacement {
    if (this.plan === undefined) throw new PlacementError("INVALID_INPUT", "cells", "a placement made by planPlacement");
    if (this.cellList.length >= placementLimits.cellCountMax)
      throw new PlacementError("INVALID_INPUT", "cells", `at most ${placementLimits.cellCountMax} cells`);
    // Never an id used before (a removed cell's hosts, disks and logs keep its name).
    const index = Math.max(this.highestIndex, ...this.cellList.map((cell) => cell.index)) + 1;
    this.highestIndex = index;
    const cell = cellId(index);
    const chosen = chooseDatacenters(this.plan.topology, this.plan.replicasPerCell, index - 1);
    const replicas = chosen.map(({ region, datacenter }) => ({ cell, replica: `${cell}/${datacenter}`, datacenter, region }));
    const eligible = eligibleLeaderRegions(this.plan.topology, replicas);
    const preferredBy = (region: string): number => this.cellList.filter((other) => other.preferredLeaderRegion === region).length;
    const preferredLeaderRegion = [...eligible].sort((a, b) => preferredBy(a) - preferredBy(b))[0] as string;
    const placement: CellPlacement = { cell, index, replicas, preferredLeaderRegion, shards: [] };
    this.cellList.push(placement);
    this.cellById.set(cell, placement);
    this.notify("cell-added", cell, []);
    return placement;
  }

  /** Removes a cell that owns no shard; throws PlacementError otherwise. */
  removeCell(cell: CellId): void {
    const placement = this.cellById.get(cell);
    if (placement === undefined) throw new PlacementError("INVALID_INPUT", "cell", `one of ${[...this.cellById.keys()].join(", ")}`);
    if (placement.shards.length > 0) throw new PlacementError("INVALID_INPUT", "cell", "a cell that owns no shard");
    this.cellList = this.cellList.filter((other) => other.cell !== cell);
    this.cellById.delete(cell);
    this.notify("cell-removed", cell, []);
  }

  /** Hands `shards` to `cell` (the last step of a move: after the destination committed them). */
  assignShards(shards: readonly number[], cell: CellId): void {
    const target = this.cellById.get(cell);
    if (target === undefined) throw new PlacementError("INVALID_INPUT", "cell", `one of ${[...this.cellById.keys()].join(", ")}`);
    for (const shard of shards) this.cellOfShard(shard);
    const moving = new Set(shards);
    const losers = new Set(shards.map((shard) => this.cellByShard[shard] as CellId));
    for (const shard of shards) this.cellByShard[shard] = cell;
    const replace = (placement: CellPlacement, nextShards: number[]): void => {
      const next = { ...placement, shards: nextShards.sort((a, b) => a - b) };
      this.cellById.set(placement.cell, next);
      this.cellList = this.cellList.map((other) => (other.cell === placement.cell ? next : other));
    };
    for (const loser of losers) {
      const placement = this.cellById.get(loser);
      if (placement !== undefined && loser !== cell)
        replace(
          placement,
          placement.shards.filter((shard) => !moving.has(shard)),
        );
    }
    replace(target, [...new Set([...target.shards, ...shards])]);
    this.notify("shards-assigned", cell, [...shards]);
  }

  private notify(kind: OwnershipChange["kind"], cell: CellId, shards: readonly number[]): void {
    this.version++;
    const change: OwnershipChange = { version: this.version, kind, cell, shards };
    for (const listener of this.listeners) listener(change);
  }

  cell(cell: CellId): CellPlacement | undefined {
    return this.cellById.get(cell);
  }

  replicas(): ReplicaPlacement[] {
    return this.cells.flatMap((cell) => cell.replicas);
  }

  cellOfShard(shard: number): CellId {
    if (!Number.isSafeInteger(shard) || shard < 0 || shard >= this.shardCount) {
      throw new PlacementError("INVALID_INPUT", "shard", `an integer in [0, ${this.shardCount})`);
    }
    return this.cellByShard[shard];
  }

  shardOfUser(uid: number): number {
    if (!Number.isSafeInteger(uid) || uid < 0) throw new PlacementError("INVALID_INPUT", "uid", "a non-negative safe integer");
    return uid % this.shardCount;
  }

  cellOfUser(uid: number): CellId {
    return this.cellOfShard(this.shardOfUser(uid));
  }

  accountOfUser(uid: number): string {
    const shard = this.shardOfUser(uid);
    return `acct-${shard}-${(uid - shard) / this.shardCount}`;
  }

  /** The inverse of accountOfUser, or undefined for an id this placement did not issue. */
  userOfAccount(account: string): number | undefined {
    const match = ACCOUNT_PATTERN.exec(account);
    if (match === null) return undefined;
    const shard = Number(match[1]);
    const n = Number(match[2]);
    if (shard >= this.shardCount || `acct-${shard}-${n}` !== account) return undefined; // rejects leading zeros
    const uid = n * this.shardCount + shard;
    return Number.isSafeInteger(uid) ? uid : undefined;
  }

  shardOfAccount(account: string): number | undefined {
    const uid = this.userOfAccount(account);
    return uid === undefined ? undefined : uid % this.shardCount;
  }

  cellOfAccount(account: string): CellId | undefined {
    const shard = this.shardOfAccount(account);
    return shard === undefined ? undefined : this.cellByShard[shard];
  }

  /** The first `accountsPerShard` accounts of a shard: acct-<shard>-0 ... */
  accountsOfShard(shard: number, accountsPerShard: number): string[] {
    this.cellOfShard(shard);
    if (!Number.isSafeInteger(accountsPerShard) || accountsPerShard < 0)
      throw new PlacementError("INVALID_INPUT", "accountsPerShard", "a non-negative safe integer");
    return Array.from({ length: accountsPerShard }, (_, n) => `acct-${shard}-${n}`);
  }

  accountsOfCell(cell: CellId, accountsPerShard: number): string[] {
    const placement = this.cellById.get(cell);
    if (placement === undefined) throw new PlacementError("INVALID_INPUT", "cell", `one of ${[...this.cellById.keys()].join(", ")}`);
    return placement.shards.flatMap((shard) => this.accountsOfShard(shard, accountsPerShard));
  }
}

function validateTopology(topology: TopologyInput): void {
  if (typeof topology !== "object" || topology === null || !Array.isArray(topology.regions) || topology.regions.length === 0) {
    throw new PlacementError("INVALID_TOPOLOGY", "topology.regions", "a non-empty array of {name, datacenters}");
  }
  const regionNames = new Set<string>();
  const datacenterNames = new Set<string>();
  topology.regions.forEach((region, i) => {
    if (typeof region?.name !== "string" || region.name.length === 0 || regionNames.has(region.name)) {
      throw new PlacementError("INVALID_TOPOLOGY", `topology.regions[${i}].name`, "a unique non-empty region name");
    }
    regionNames.add(region.name);
    if (!Array.isArray(region.datacenters))
      throw new PlacementError("INVALID_TOPOLOGY", `topology.regions[${i}].datacenters`, "an array of datacenter names");
    region.datacenters.forEach((datacenter: unknown, j: number) => {
      if (typeof datacenter !== "string" || datacenter.length === 0 || datacenterNames.has(datacenter)) {
        throw new PlacementError(
          "INVALID_TOPOLOGY",
          `topology.regions[${i}].datacenters[${j}]`,
          "a datacenter name unique across the topology",
        );
      }
      datacenterNames.add(datacenter);
    });
  });
}

function validateOptions(options: PlacementOptions): void {
  const { cellCount, replicasPerCell, shardCount } = options;
  if (!Number.isSafeInteger(cellCount) || cellCount < 1 || cellCount > placementLimits.cellCountMax) {
    throw new PlacementError("INVALID_OPTION", "cells.count", `an integer in [1, ${placementLimits.cellCountMax}]`);
  }
  if (
    !Number.isSafeInteger(replicasPerCell) ||
    replicasPerCell < 3 ||
    replicasPerCell % 2 === 0 ||
    replicasPerCell > placementLimits.replicasPerCellMax
  ) {
    throw new PlacementError("INVALID_OPTION", "cells.replicasPerCell", `an odd integer in [3, ${placementLimits.replicasPerCellMax}]`);
  }
  if (!Number.isSafeInteger(shardCount) || shardCount < cellCount || shardCount > placementLimits.shardCountMax) {
    throw new PlacementError(
      "INVALID_OPTION",
      "cells.shards",
      `an integer in [cells.count = ${cellCount}, ${placementLimits.shardCountMax}] (every cell owns a shard)`,
    );
  }
}

/**
 * Picks `replicasPerCell` datacenters for cell number `cellIndex` (0-based): round-robin over the
 * regions, largest first, at most `perRegionMax` per region. Where a region has more datacenters
 * than it contributes, the starting datacenter rotates with the cell to spread the load.
 */
function chooseDatacenters(topology: TopologyInput, replicasPerCell: number, cellIndex: number): { region: string; datacenter: string }[] {
  const perRegionMax = (replicasPerCell - 1) / 2;
  const regions = topology.regions
    .map((region, order) => ({ region, order }))
    .sort((a, b) => b.region.datacenters.length - a.region.datacenters.length || a.order - b.order)
    .map(({ region }) => region);
  const takenByRegion = new Map<string, number>(regions.map((region) => [region.name, 0]));
  const chosen: { region: string; datacenter: string }[] = [];
  for (let round = 0; round < perRegionMax && chosen.length < replicasPerCell; round++) {
    for (const region of regions) {
      if (chosen.length === replicasPerCell) break;
      if (round >= region.datacenters.length) continue;
      const datacenter = region.datacenters[(cellIndex + round) % region.datacenters.length];
      chosen.push({ region: region.name, datacenter });
      takenByRegion.set(region.name, round + 1);
    }
  }
  const regionsUsed = [...takenByRegion.values()].filter((count) => count > 0).length;
  if (chosen.length < replicasPerCell) {
    throw new PlacementError(
      "INVALID_TOPOLOGY",
      "topology.regions",
      `enough datacenters for ${replicasPerCell} replicas with at most ${perRegionMax} per region (so that losing any one region keeps a quorum of ${perRegionMax + 1}); found ${chosen.length} usable over ${regionsUsed} region(s)`,
    );
  }
  // Listed topology order, so cell-1's replicas read hz-a, hz-b, sh-a, sh-b, sz-a.
  const position = new Map<string, number>();
  topology.regions.forEach((region, i) => region.datacenters.forEach((datacenter, j) => position.set(datacenter, i * 10_000 + j)));
  return chosen.sort((a, b) => (position.get(a.datacenter) ?? 0) - (position.get(b.datacenter) ?? 0));
}

/** Computes every cell's replicas, preferred leader region and shards; throws PlacementError naming the field. */
export function planPlacement(topology: TopologyInput, options: Partial<PlacementOptions> = {}): Placement {
  const resolved: PlacementOptions = { ...defaultPlacementOptions, ...options };
  validateTopology(topology);
  validateOptions(resolved);
  const { cellCount, replicasPerCell, shardCount } = resolved;
  const preferred = resolved.preferredLeaderRegions ?? {};
  for (const cell of Object.keys(preferred)) {
    const match = /^cell-(\d+)$/.exec(cell);
    if (match === null || Number(match[1]) < 1 || Number(match[1]) > cellCount) {
      throw new PlacementError("INVALID_OPTION", `cells.preferredLeaderRegions.${cell}`, `a key cell-1 ... cell-${cellCount}`);
    }
  }

  const cells: CellPlacement[] = [];
  for (let k = 0; k < cellCount; k++) {
    const cell = cellId(k + 1);
    const chosen = chooseDatacenters(topology, replicasPerCell, k);
    const replicas = chosen.map(({ region, datacenter }) => ({ cell, replica: `${cell}/${datacenter}`, datacenter, region }));
    const countByRegion = new Map<string, number>();
    for (const replica of replicas) countByRegion.set(replica.region, (countByRegion.get(replica.region) ?? 0) + 1);
    const largest = Math.max(...countByRegion.values());
    const eligible = topology.regions.map((region) => region.name).filter((name) => countByRegion.get(name) === largest);
    const requested = preferred[cell];
    if (requested !== undefined && !eligible.includes(requested)) {
      throw new PlacementError(
        "INVALID_OPTION",
        `cells.preferredLeaderRegions.${cell}`,
        `a region holding ${largest} of the cell's replicas (${eligible.join(", ")}): a leader elsewhere needs more remote acknowledgements per commit`,
      );
    }
    const preferredLeaderRegion = requested ?? (eligible[Math.floor((k * eligible.length) / cellCount)] as string);
    const first = Math.floor((k * shardCount) / cellCount);
    const end = Math.floor(((k + 1) * shardCount) / cellCount);
    const shards = Array.from({ length: end - first }, (_, i) => first + i);
    cells.push({ cell, index: k + 1, replicas, preferredLeaderRegion, shards });
  }
  return new Placement(cells, shardCount, { topology, replicasPerCell });
}

/** The regions holding the most of these replicas: where a leader needs the fewest remote acknowledgements. */
function eligibleLeaderRegions(topology: TopologyInput, replicas: readonly ReplicaPlacement[]): string[] {
  const countByRegion = new Map<string, number>();
  for (const replica of replicas) countByRegion.set(replica.region, (countByRegion.get(replica.region) ?? 0) + 1);
  const largest = Math.max(...countByRegion.values());
  return topology.regions.map((region) => region.name).filter((name) => countByRegion.get(name) === largest);
}

/**
 * The order in which a cell's replicas stand for election when its leader is lost (priority
 * elections): the preferred leader region's replicas first (a crashed leader's neighbour takes
 * over in place), then the regions holding more replicas (a leader there needs fewer remote
 * acknowledgements), then topology order.
 */
export function electionOrder(cell: CellPlacement): string[] {
  const perRegion = new Map<string, number>();
  for (const replica of cell.replicas) perRegion.set(replica.region, (perRegion.get(replica.region) ?? 0) + 1);
  const rank = (replica: ReplicaPlacement): number => (replica.region === cell.preferredLeaderRegion ? 0 : 1);
  return cell.replicas
    .map((replica, position) => ({ replica, position }))
    .sort(
      (a, b) =>
        rank(a.replica) - rank(b.replica) ||
        (perRegion.get(b.replica.region) ?? 0) - (perRegion.get(a.replica.region) ?? 0) ||
        a.position - b.position,
    )
    .map(({ replica }) => replica.replica);
}
