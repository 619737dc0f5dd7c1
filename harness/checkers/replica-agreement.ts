// Replica agreement: within a cell every replica's event hash chain must be the same over the
// prefix all of them have committed. Each event carries the hash of its predecessor, so equal
// hashes at an index mean equal histories up to it; a replica whose hash differs from the
// majority at a shared index has diverged and is named with the first such index.

/** A point on a replica's hash chain: the hash after `index` committed events. */
export interface ChainPoint {
  index: number;
  hash: string;
}

/** A replica's chain as points, or just its head (hash after `count` events). */
export type ReplicaChain = readonly ChainPoint[] | { headHash: string; count: number };

/** Per cell, per replica. */
export type ReplicaChains = Readonly<Record<string, Readonly<Record<string, ReplicaChain>>>>;

export interface Divergence {
  cell: string;
  replica: string;
  /** The first shared index at which this replica's hash differs from the majority's. */
  index: number;
  hash: string;
  expectedHash: string;
}

export interface ReplicaAgreementVerdict {
  valid: boolean;
  /** Per cell, the committed prefix all replicas share (the shortest chain). */
  commonPrefix: Record<string, number>;
  comparedPoints: number;
  divergences: Divergence[];
}

export class ReplicaChainError extends Error {
  readonly code = "REPLICA_CHAIN_FORMAT";
}

function points(cell: string, replica: string, chain: ReplicaChain): ChainPoint[] {
  const list = Array.isArray(chain)
    ? (chain as readonly ChainPoint[])
    : [{ index: (chain as { count: number }).count, hash: (chain as { headHash: string }).headHash }];
  for (let i = 0; i < list.length; i++) {
    const point = list[i] as ChainPoint;
    if (!Number.isInteger(point.index) || point.index < 0 || typeof point.hash !== "string") {
      throw new ReplicaChainError(`chains.${cell}.${replica}[${i}]: expected {index: non-negative integer, hash: string}`);
    }
    if (i > 0 && point.index <= (list[i - 1] as ChainPoint).index)
      throw new ReplicaChainError(`chains.${cell}.${replica}[${i}]: indexes must increase`);
  }
  return [...list];
}

export function checkReplicaAgreement(chains: ReplicaChains): ReplicaAgreementVerdict {
  const verdict: ReplicaAgreementVerdict = { valid: true, commonPrefix: {}, comparedPoints: 0, divergences: [] };
  for (const cell of Object.keys(chains).sort()) {
    const replicas = chains[cell] as Readonly<Record<string, ReplicaChain>>;
    const names = Object.keys(replicas).sort();
    const byReplica = new Map(names.map((name) => [name, points(cell, name, replicas[name] as ReplicaChain)]));
    const common = Math.min(...names.map((name) => (byReplica.get(name) as ChainPoint[]).at(-1)?.index ?? 0));
    verdict.commonPrefix[cell] = names.length === 0 ? 0 : common;
    // index -> replica -> hash, over the common prefix only
    const atIndex = new Map<number, Map<string, string>>();
    for (const name of names) {
      for (const point of byReplica.get(name) as ChainPoint[]) {
        if (point.index > common) break;
        let hashes = atIndex.get(point.index);
        if (!hashes) atIndex.set(point.index, (hashes = new Map()));
        hashes.set(name, point.hash);
      }
    }
    const diverged = new Set<string>();
    for (const index of [...atIndex.keys()].sort((a, b) => a - b)) {
      const hashes = atIndex.get(index) as Map<string, string>;
      if (hashes.size < 2) continue;
      verdict.comparedPoints++;
      const votes = new Map<string, number>();
      for (const hash of hashes.values()) votes.set(hash, (votes.get(hash) ?? 0) + 1);
      let majority = "";
      let best = -1;
      for (const [hash, count] of votes) if (count > best) [majority, best] = [hash, count];
      for (const [replica, hash] of hashes) {
        if (hash === majority || diverged.has(replica)) continue;
        diverged.add(replica);
        verdict.divergences.push({ cell, replica, index, hash, expectedHash: majority });
      }
    }
  }
  verdict.valid = verdict.divergences.length === 0;
  return verdict;
}
