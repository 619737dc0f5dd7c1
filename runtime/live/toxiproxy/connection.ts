// A client connection through a proxy: the client socket, the upstream socket, and the two
// links between them (upstream = client -> server, downstream = server -> client).
import type { Socket } from "node:net";
import type { Direction, Toxic } from "./toxic.js";
import { ToxicLink } from "./link.js";

export interface ConnectionOwner {
  linkStarted(link: ToxicLink): void;
  linkFinished(link: ToxicLink): void;
  connectionClosed(connection: Connection): void;
}

export class Connection {
  private openSockets = 2;

  constructor(
    private readonly client: Socket,
    private readonly upstream: Socket,
    chains: Readonly<Record<Direction, readonly Toxic[]>>,
    private readonly owner: ConnectionOwner,
  ) {
    const events = {
      resetConnection: () => this.reset(),
      finished: (link: ToxicLink) => owner.linkFinished(link),
    };
    for (const socket of [client, upstream]) {
      socket.once("close", () => {
        this.openSockets -= 1;
        if (this.openSockets === 0) owner.connectionClosed(this);
      });
    }
    owner.linkStarted(new ToxicLink("upstream", client, upstream, chains.upstream, events));
    owner.linkStarted(new ToxicLink("downstream", upstream, client, chains.downstream, events));
  }

  /** Disabling or deleting the proxy closes its connections, as Toxiproxy's stop() does. */
  close(): void {
    this.client.destroy();
    this.upstream.destroy();
  }

  /** TCP RST on both sides. */
  reset(): void {
    for (const socket of [this.client, this.upstream]) {
      if (!socket.destroyed) socket.resetAndDestroy();
    }
  }
}
