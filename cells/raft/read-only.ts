// ReadIndex (thesis §6.4): a leader answers a read at its commit index only after a heartbeat
// round shows a quorum still follows it, so a deposed leader cannot serve stale data. Requests
// are confirmed in arrival order: an ack for a later round confirms every earlier request too.

import { invariant } from "./errors.js";
import type { LogIndex, NodeId } from "./types.js";

export interface ReadRequest {
  readonly context: string;
  readonly index: LogIndex;
  /** Who asked: the leader itself or a follower that forwarded its client's read. */
  readonly from: NodeId;
  readonly acks: Set<NodeId>;
}

export class ReadOnly {
  private readonly queue: ReadRequest[] = [];
  private readonly byContext = new Map<string, ReadRequest>();

  constructor(readonly requestsMax: number) {}

  get size(): number {
    return this.queue.length;
  }

  has(context: string): boolean {
    return this.byContext.has(context);
  }

  add(context: string, index: LogIndex, from: NodeId, self: NodeId): void {
    invariant(!this.byContext.has(context), () => `duplicate read context ${context}`);
    invariant(this.queue.length < this.requestsMax, "read-only queue overflow");
    const request: ReadRequest = { context, index, from, acks: new Set([self]) };
    this.queue.push(request);
    this.byContext.set(context, request);
  }

  /** Records a heartbeat ack; returns how many voters have acked that round. */
  ack(context: string, from: NodeId): number {
    const request = this.byContext.get(context);
    if (request === undefined) return 0;
    request.acks.add(from);
    return request.acks.size;
  }

  /** Removes and returns every request up to and including `context`. */
  release(context: string): ReadRequest[] {
    const position = this.queue.findIndex((request) => request.context === context);
    if (position < 0) return [];
    const released = this.queue.splice(0, position + 1);
    for (const request of released) this.byContext.delete(request.context);
    return released;
  }

  lastContext(): string | null {
    const last = this.queue[this.queue.length - 1];
    return last === undefined ? null : last.context;
  }

  reset(): void {
    this.queue.length = 0;
    this.byContext.clear();
  }
}
