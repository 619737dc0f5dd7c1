// Free TCP ports on 127.0.0.1, reserved by binding port 0 and releasing it. Replicas keep their
// port across restarts, so a proxy's upstream never changes; the small window between release
// and reuse is the usual trade-off of this trick.
import { createServer, type Server } from "node:net";

export async function freePorts(count: number, host = "127.0.0.1"): Promise<number[]> {
  const servers: Server[] = [];
  const ports: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, host, () => resolve());
      });
      const address = server.address();
      if (address === null || typeof address === "string") throw new Error("freePorts: listener has no TCP address");
      ports.push(address.port);
    }
  } finally {
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
  return ports;
}
