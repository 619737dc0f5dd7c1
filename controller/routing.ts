// The versioned routing table: logical shard -> cell (read from the placement's one ownership
// map, cells/placement.ts: it changes when a shard range moves), cell -> the region
// whose gateway receives its users (normally its leader's region), and the drained regions.
// Every change is a new version with its reason and simulated time; gateways read the current
// version on every request, so a change takes effect on the next request without a flush.
import type { RoutingSnapshot } from "../domain/records.js";

export const routingHistoryEntriesMax = 256;

export interface RoutingVersion {
  readonly version: number;
  readonly atMs: number;
  readonly reason: string;
  readonly cells: Readonly<Record<string, string>>;
  readonly drained: readonly string[];
}

export class RoutingError extends Error {
  constructor(
    readonly code: "UNKNOWN_CELL" | "UNKNOWN_REGION" | "UNKNOWN_SHARD",
    message: string,
  ) {
    super(message);
  }
}

/** Who owns each shard now (the Placement): the routing table reads it, never copies it. */
export interface ShardOwner {
  readonly shardCount: number;
  cellOfShard(shard: number): string;
}

function fixedOwner(shardToCell: readonly string[]): ShardOwner {
  const copy = [...shardToCell];
  return {
    shardCount: copy.length,
    cellOfShard: (shard) => copy[shard] as string,
  };
}

export class RoutingTable {
  private readonly owner: ShardOwner;
  private cellToRegion: Map<string, string>;
  private drainedRegions: Set<string>;
  private readonly history: RoutingVersion[] = [];
  private currentVersion = 0;
  private readonly listeners = new Set<(version: RoutingVersion) => void>();

  constructor(
    shardToCell: readonly string[] | ShardOwner,
    initialCells: Readonly<Record<string, string>>,
    private readonly regions: readonly string[],
    atMs: number,
  ) {
    this.owner = Array.isArray(shardToCell) ? fixedOwner(shardToCell as readonly string[]) : (shardToCell as ShardOwner);
    for (let shard = 0; shard < this.owner.shardCount; shard++) {
      const cell = this.owner.cellOfShard(shard);
      if (initialCells[cell] === undefined) throw new RoutingError("UNKNOWN_CELL", `shard table names ${cell}, which has no region`);
    }
    this.cellToRegion = new Map(Object.entries(initialCells));
    for (const region of this.cellToRegion.values()) this.assertRegion(region);
    this.drainedRegions = new Set();
    this.commit("initial placement", atMs);
  }

  get version(): number {
    return this.currentVersion;
  }

  cellOfShard(shard: number): string {
    if (!Number.isSafeInteger(shard) || shard < 0 || shard >= this.owner.shardCount)
      throw new RoutingError("UNKNOWN_SHARD", `shard ${shard} is not in [0, ${this.owner.shardCount})`);
    return this.owner.cellOfShard(shard);
  }

  get shardCount(): number {
    return this.owner.shardCount;
  }

  /**
   * A new cell joins the table (placed, owning no shard: nothing routes to it yet), entered at
   * `region`: one new version. Every reader of a cell's region finds it from then on.
   */
  addCell(cell: string, region: string, reason: string, atMs: number): number {
    if (this.cellToRegion.has(cell)) throw new RoutingError("UNKNOWN_CELL", `cell ${cell} is already in the table`);
    this.assertRegion(region);
    this.cellToRegion = new Map(this.cellToRegion).set(cell, region);
    return this.commit(reason, atMs);
  }

  /** The new cell is led from its preferred region and may receive shards: one new version, entered at `region`. */
  cellReady(cell: string, region: string, reason: string, atMs: number): number {
    if (!this.cellToRegion.has(cell)) throw new RoutingError("UNKNOWN_CELL", `no cell ${cell}`);
    this.assertRegion(region);
    this.cellToRegion = new Map(this.cellToRegion).set(cell, region);
    return this.commit(reason, atMs);
  }

  /** An empty cell leaves the table: one new version. */
  removeCell(cell: string, reason: string, atMs: number): number {
    if (!this.cellToRegion.has(cell)) throw new RoutingError("UNKNOWN_CELL", `no cell ${cell}`);
    const next = new Map(this.cellToRegion);
    next.delete(cell);
    this.cellToRegion = next;
    return this.commit(reason, atMs);
  }

  /**
   * Shards changed owner (the placement already says so: the destination committed them): one
   * new version, so every reader of the table sees the move at once.
   */
  shardsMoved(reason: string, atMs: number): number {
    return this.commit(reason, atMs);
  }

  regionOfCell(cell: string): string {
    const region = this.cellToRegion.get(cell);
    if (region === undefined) throw new RoutingError("UNKNOWN_CELL", `no cell ${cell}`);
    return region;
  }

  isDrained(region: string): boolean {
    return this.drainedRegions.has(region);
  }

  drained(): readonly string[] {
    return [...this.drainedRegions].sort();
  }

  cells(): Readonly<Record<string, string>> {
    return Object.fromEntries(this.cellToRegion);
  }

  /**
   * Applies a set of changes as ONE new version (an evacuation moves many cells and drains a
   * gateway; readers must never see half of it). Returns the version, unchanged if nothing moved.
   */
  update(
    change: { readonly cells?: Readonly<Record<string, string>>; readonly drain?: readonly string[]; readonly undrain?: readonly string[] },
    reason: string,
    atMs: number,
  ): number {
    const nextCells = new Map(this.cellToRegion);
    for (const [cell, region] of Object.entries(change.cells ?? {})) {
      if (!nextCells.has(cell)) throw new RoutingError("UNKNOWN_CELL", `no cell ${cell}`);
      this.assertRegion(region);
      nextCells.set(cell, region);
    }
    const nextDrained = new Set(this.drainedRegions);
    for (const region of change.drain ?? []) nextDrained.add(this.assertRegion(region));
    for (const region of change.undrain ?? []) nextDrained.delete(this.assertRegion(region));
    const same =
      [...nextCells].every(([cell, region]) => this.cellToRegion.get(cell) === region) &&
      nextDrained.size === this.drainedRegions.size &&
      [...nextDrained].every((region) => this.drainedRegions.has(region));
    if (same) return this.currentVersion;
    this.cellToRegion = nextCells;
    this.drainedRegions = nextDrained;
    return this.commit(reason, atMs);
  }

  onChange(listener: (version: RoutingVersion) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  snapshot(): RoutingSnapshot {
    return {
      version: this.currentVersion,
      shards: Object.fromEntries(
        Array.from({ length: this.owner.shardCount }, (_, shard) => [String(shard), this.owner.cellOfShard(shard)]),
      ),
      cells: this.cells(),
      drained: this.drained(),
      history: this.history.map((entry) => ({ ...entry })),
    };
  }

  private commit(reason: string, atMs: number): number {
    this.currentVersion++;
    const entry: RoutingVersion = { version: this.currentVersion, atMs, reason, cells: this.cells(), drained: this.drained() };
    this.history.push(entry);
    if (this.history.length > routingHistoryEntriesMax) this.history.shift();
    for (const listener of this.listeners) listener(entry);
    return this.currentVersion;
  }

  private assertRegion(region: string): string {
    if (!this.regions.includes(region)) throw new RoutingError("UNKNOWN_REGION", `no region ${region} (one of ${this.regions.join(", ")})`);
    return region;
  }
}
