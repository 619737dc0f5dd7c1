// The WebSocket stream at /api/v1/events: a `hello` snapshot first, then the controller's events.
// Health, traffic and consistency are throttled per socket (at most every 250 / 500 / 1000 ms of wall time, keeping the
// latest); a socket that cannot keep up (send buffer over `socketBufferBytesMax`) is closed.
import type { Server } from "node:http";
import { WebSocketServer, type WebSocket } from "ws";
import type { ControllerApi, ControllerEvent } from "../../domain/records.js";

export const healthIntervalMsMin = 250;
export const trafficIntervalMsMin = 500;
export const consistencyIntervalMsMin = 1_000;
export const socketBufferBytesMax = 4 * 1024 * 1024;
export const socketsMax = 64;

export function attachEvents(server: Server, controller: ControllerApi): WebSocketServer {
  const wss = new WebSocketServer({ server, path: "/api/v1/events", maxPayload: 1024 });
  wss.on("connection", (socket: WebSocket) => {
    if (wss.clients.size > socketsMax) {
      socket.close(1013, `at most ${socketsMax} event streams`);
      return;
    }
    const send = (event: unknown): void => {
      if (socket.readyState !== socket.OPEN) return;
      if (socket.bufferedAmount > socketBufferBytesMax) {
        socket.close(1013, "event stream too slow");
        return;
      }
      socket.send(JSON.stringify(event));
    };
    const faults = controller.faults();
    // The page's map is the truth panel (as the health events it then gets): the world as it is.
    const truth = controller.truth?.();
    const topology = controller.topology(true) as { nowMs: number };
    send({
      type: "hello",
      atMs: topology.nowMs,
      topology,
      cells: truth?.cells ?? controller.cells(),
      regions: truth?.regions ?? controller.regions(),
      routing: controller.routing(),
      faults: faults.faults,
      catalogue: faults.catalogue,
      consistency: controller.consistency(),
      halt: controller.haltState(),
    });
    const lastSentMs: Record<string, number> = { health: 0, traffic: 0, consistency: 0 };
    const pending: Record<string, ControllerEvent | null> = { health: null, traffic: null, consistency: null };
    const timers: Record<string, NodeJS.Timeout | null> = { health: null, traffic: null, consistency: null };
    const throttled = (event: ControllerEvent, intervalMs: number): void => {
      const kind = event.type;
      const now = Date.now();
      if (now - (lastSentMs[kind] ?? 0) >= intervalMs) {
        lastSentMs[kind] = now;
        send(event);
        return;
      }
      pending[kind] = event;
      if (timers[kind] !== null) return;
      timers[kind] = setTimeout(
        () => {
          timers[kind] = null;
          const latest = pending[kind];
          pending[kind] = null;
          if (latest !== null && latest !== undefined) {
            lastSentMs[kind] = Date.now();
            send(latest);
          }
        },
        intervalMs - (now - (lastSentMs[kind] ?? 0)),
      );
    };
    const unsubscribe = controller.subscribe((event) => {
      if (event.type === "health") throttled(event, healthIntervalMsMin);
      else if (event.type === "traffic") throttled(event, trafficIntervalMsMin);
      else if (event.type === "consistency") throttled(event, consistencyIntervalMsMin);
      else send(event);
    });
    socket.on("close", () => {
      unsubscribe();
      for (const timer of Object.values(timers)) if (timer !== null) clearTimeout(timer);
    });
    socket.on("error", () => socket.terminate());
  });
  return wss;
}
