// The page's model without a browser: bounded chart windows, event application, and the redraw
// throttle. The modules are plain browser JS, loaded by path so TypeScript does not type them;
// the shapes used here are declared locally.
import { beforeAll, describe, expect, it, vi } from "vitest";

interface Ring<T> {
  push(item: T): void;
  toArray(): T[];
  last(): T | undefined;
  length: number;
}
interface RingModule {
  RingBuffer: new <T>(capacity: number) => Ring<T>;
}
interface Point {
  atMs: number;
  tps: number;
}
interface Store {
  series: Map<string, Ring<Point>>;
  regionSeries: Map<string, Ring<{ atMs: number; p99Ms: number }>>;
  routingMarks: { version: number; atMs: number }[];
  simAtMs: number;
  routing: { version: number; drained?: string[] } | null;
  faults: Map<string, { id: string }>;
  faultWindows: { id: string; endMs: number | null }[];
  cells: Map<string, { leader: { region: string } | null; replicas: { id: string; role: string }[] }>;
  audit: { id: string | number }[];
}
interface StoreModule {
  CHART_POINTS_MAX: number;
  AUDIT_ENTRIES_MAX: number;
  createStore(): Store;
  applyEvent(store: Store, event: Record<string, unknown>): string[];
  setAudit(store: Store, entries: { id: number }[]): void;
  drainedRegions(store: Store): Set<string>;
  applyHistory(store: Store, history: Record<string, unknown>): void;
  longestLeaderGap(store: Store, fromMs: number): { cell: string; ms: number } | null;
}
interface FrameModule {
  createFrameScheduler(options: { minIntervalMs: number; draw: (dirty: Set<string>) => void; now?: () => number }): {
    request(view: string): void;
  };
}

const load = <T>(path: string): Promise<T> => import(/* @vite-ignore */ path) as Promise<T>;

let ring: RingModule;
let model: StoreModule;
let frame: FrameModule;

beforeAll(async () => {
  ring = await load<RingModule>(new URL("../../ui/lib/ring.js", import.meta.url).href);
  model = await load<StoreModule>(new URL("../../ui/lib/store.js", import.meta.url).href);
  frame = await load<FrameModule>(new URL("../../ui/lib/frame.js", import.meta.url).href);
});

describe("RingBuffer", () => {
  it("keeps the newest `capacity` items in order", () => {
    const buffer = new ring.RingBuffer<number>(3);
    for (let i = 1; i <= 7; i += 1) buffer.push(i);
    expect(buffer.toArray()).toEqual([5, 6, 7]);
    expect(buffer.length).toBe(3);
    expect(buffer.last()).toBe(7);
  });
  it("rejects a capacity that is not a positive integer", () => {
    expect(() => new ring.RingBuffer(0)).toThrow(/capacity/);
    expect(() => new ring.RingBuffer(1.5)).toThrow(/capacity/);
  });
});

describe("store", () => {
  it("holds at most CHART_POINTS_MAX points per cell however many traffic events arrive", () => {
    const store = model.createStore();
    const events = model.CHART_POINTS_MAX + 50;
    for (let i = 0; i < events; i += 1) {
      model.applyEvent(store, {
        type: "traffic",
        atMs: i * 500,
        regions: {},
        cells: { "cell-1": { tps: i, p50Ms: 1, p99Ms: 2, errorRate: 0 } },
      });
    }
    const points = store.series.get("cell-1")!.toArray();
    expect(points.length).toBe(model.CHART_POINTS_MAX);
    expect(points[0].tps).toBe(50);
    expect(points.at(-1)!.tps).toBe(events - 1);
  });

  it("a health event's cell list is every cell: an added cell appears, a removed one disappears", () => {
    const store = model.createStore();
    const cell = (id: string) => ({ id, leader: null, replicas: [] });
    model.applyEvent(store, { type: "health", atMs: 1, cells: [cell("cell-1"), cell("cell-7")], regions: [] });
    expect([...store.cells.keys()]).toEqual(["cell-1", "cell-7"]);
    model.applyEvent(store, { type: "health", atMs: 2, cells: [cell("cell-1")], regions: [] });
    expect([...store.cells.keys()]).toEqual(["cell-1"]);
  });

  it("ignores an older routing version arriving after a newer one", () => {
    const store = model.createStore();
    model.applyEvent(store, { type: "routing", atMs: 1, version: 9, cells: {}, drained: ["hangzhou"] });
    model.applyEvent(store, { type: "routing", atMs: 2, version: 8, cells: {}, drained: [] });
    expect(store.routing?.version).toBe(9);
    expect([...model.drainedRegions(store)]).toEqual(["hangzhou"]);
  });

  it("moves the leader mark on a leader event and asks for the map to redraw", () => {
    const store = model.createStore();
    const replicas = ["hz-a", "sh-a"].map((dc) => ({
      id: `cell-1/${dc}`,
      datacenter: dc,
      role: dc === "hz-a" ? "leader" : "follower",
      state: "up",
    }));
    model.applyEvent(store, {
      type: "hello",
      atMs: 0,
      topology: { regions: [], links: [], speed: 1, nowMs: 0 },
      cells: [{ id: "cell-1", leader: { replica: "cell-1/hz-a", region: "hangzhou" }, replicas }],
    });
    const views = model.applyEvent(store, {
      type: "leader",
      atMs: 5,
      cell: "cell-1",
      leader: { replica: "cell-1/sh-a", datacenter: "sh-a", region: "shanghai" },
      term: 4,
    });
    expect(views).toContain("topology");
    const cell = store.cells.get("cell-1")!;
    expect(cell.leader?.region).toBe("shanghai");
    expect(cell.replicas.map((replica) => replica.role)).toEqual(["follower", "leader"]);
  });

  it("opens a fault window on injection and closes it on heal", () => {
    const store = model.createStore();
    const fault = { id: "f-1", type: "partition", startedMs: 100, expiresMs: 1100, affects: { links: [["hangzhou", "shanghai"]] } };
    model.applyEvent(store, { type: "fault", atMs: 100, action: "injected", fault });
    expect(store.faults.has("f-1")).toBe(true);
    model.applyEvent(store, { type: "fault", atMs: 400, action: "healed", fault });
    expect(store.faults.has("f-1")).toBe(false);
    expect(store.faultWindows).toEqual([expect.objectContaining({ id: "f-1", endMs: 400 })]);
  });

  it("keeps at most AUDIT_ENTRIES_MAX audit entries, newest first, without duplicates", () => {
    const store = model.createStore();
    for (let i = 0; i < model.AUDIT_ENTRIES_MAX + 10; i += 1) model.applyEvent(store, { type: "audit", atMs: i, entry: { id: `a-${i}` } });
    model.applyEvent(store, { type: "audit", atMs: 999, entry: { id: `a-${model.AUDIT_ENTRIES_MAX + 9}` } });
    expect(store.audit.length).toBe(model.AUDIT_ENTRIES_MAX);
    expect(store.audit[0].id).toBe(`a-${model.AUDIT_ENTRIES_MAX + 9}`);
    expect(store.audit[1].id).toBe(`a-${model.AUDIT_ENTRIES_MAX + 8}`);
  });

  it("a fetched audit page older than a row the WebSocket pushed keeps that row (ids are a sequence)", () => {
    const store = model.createStore();
    model.applyEvent(store, { type: "audit", atMs: 1, entry: { id: 7 } });
    model.applyEvent(store, { type: "audit", atMs: 2, entry: { id: 8 } });
    // GET /audit built before entry 8 (a refusal) was recorded, answered after its push.
    model.setAudit(store, [{ id: 7 }, { id: 6 }]);
    expect(store.audit.map((entry) => entry.id)).toEqual([8, 7, 6]);
    // A later page that holds it replaces the rest as before.
    model.setAudit(store, [{ id: 9 }, { id: 8 }]);
    expect(store.audit.map((entry) => entry.id)).toEqual([9, 8]);
  });
});

describe("back-fill and drill measurements", () => {
  const sample = (atMs: number) => ({
    atMs,
    cells: { "cell-1": { tps: atMs, p50Ms: 1, p99Ms: 2, errorRate: 0 } },
    regions: { hangzhou: { rps: 1, p50Ms: 3, p99Ms: 4, errorRate: 0 } },
  });

  it("puts the server's history before the live points, without duplicates, and keeps its fault windows and routing versions", () => {
    const store = model.createStore();
    // The stream delivered two points before the history answered; the history overlaps one.
    for (const atMs of [60_000, 60_500]) model.applyEvent(store, { type: "traffic", ...sample(atMs) });
    const samples = Array.from({ length: 121 }, (_, index) => sample(index * 500));
    model.applyHistory(store, {
      atMs: 60_000,
      samples,
      faults: [{ id: "f-0", type: "latency", startMs: 1000, endMs: 5000 }],
      routing: [{ version: 3, atMs: 2000, reason: "x" }],
    });
    const points = store.series
      .get("cell-1")!
      .toArray()
      .map((point) => point.atMs);
    expect(points.length).toBe(122);
    expect(points[0]).toBe(0);
    expect(points.slice(-2)).toEqual([60_000, 60_500]);
    expect(store.regionSeries.get("hangzhou")!.toArray().length).toBe(122);
    expect(store.faultWindows).toEqual([expect.objectContaining({ id: "f-0", endMs: 5000 })]);
    expect(store.routingMarks).toEqual([expect.objectContaining({ version: 3, atMs: 2000 })]);
  });

  it("measures the longest leaderless span since a drill started, an open one counting until now", () => {
    const store = model.createStore();
    const leader = { replica: "cell-1/hz-a", datacenter: "hz-a", region: "hangzhou" };
    model.applyEvent(store, {
      type: "hello",
      atMs: 0,
      topology: { regions: [], links: [], speed: 1, nowMs: 0 },
      cells: [
        { id: "cell-1", leader, replicas: [] },
        { id: "cell-2", leader, replicas: [] },
      ],
    });
    model.applyEvent(store, { type: "leader", atMs: 1000, cell: "cell-1", leader: null, term: 4 });
    model.applyEvent(store, { type: "leader", atMs: 1700, cell: "cell-1", leader, term: 5 });
    expect(model.longestLeaderGap(store, 500)).toEqual({ cell: "cell-1", ms: 700 });
    expect(model.longestLeaderGap(store, 1500)).toBeNull();
    model.applyEvent(store, { type: "leader", atMs: 2000, cell: "cell-2", leader: null, term: 4 });
    // Simulated time advances with the next event: cell-2 has been leaderless for 1 s.
    model.applyEvent(store, { type: "consistency", atMs: 3000 });
    expect(model.longestLeaderGap(store, 500)?.cell).toBe("cell-2");
    expect(model.longestLeaderGap(store, 500)?.ms).toBeGreaterThanOrEqual(1000);
  });
});

describe("chart decimation", () => {
  it("draws a 15-minute line with at most ~2 points per pixel and keeps a one-sample spike and dip, in time order", async () => {
    const charts = await load<{ decimate(points: { atMs: number; v: number }[], key: string): { atMs: number; v: number }[] }>(
      new URL("../../ui/views/charts.js", import.meta.url).href,
    );
    const points = Array.from({ length: 1800 }, (_, index) => ({ atMs: index * 500, v: index === 777 ? 100 : index === 1234 ? -5 : 1 }));
    const drawn = charts.decimate(points, "v");
    expect(drawn.length).toBeLessThan(1000);
    expect(drawn.some((point) => point.v === 100)).toBe(true);
    expect(drawn.some((point) => point.v === -5)).toBe(true);
    expect(drawn.every((point, index) => index === 0 || point.atMs > drawn[index - 1]!.atMs)).toBe(true);
    const few = points.slice(0, 100);
    expect(charts.decimate(few, "v")).toBe(few);
  });
});

describe("frame scheduler", () => {
  it("coalesces requests into one draw per frame and waits out the minimum interval", () => {
    vi.useFakeTimers();
    const frames: (() => void)[] = [];
    vi.stubGlobal("requestAnimationFrame", (callback: () => void) => {
      frames.push(callback);
      return frames.length;
    });
    let nowMs = 1000;
    const draws: string[][] = [];
    const scheduler = frame.createFrameScheduler({ minIntervalMs: 200, now: () => nowMs, draw: (dirty) => draws.push([...dirty].sort()) });
    scheduler.request("charts");
    scheduler.request("topology");
    scheduler.request("charts");
    expect(frames.length).toBe(1);
    frames.shift()!();
    expect(draws).toEqual([["charts", "topology"]]);
    // 50 ms later: a request waits for the rest of the 200 ms before it may draw.
    nowMs += 50;
    scheduler.request("flow");
    frames.shift()!();
    expect(draws.length).toBe(1);
    nowMs += 150;
    vi.advanceTimersByTime(150);
    expect(frames.length).toBe(1);
    frames.shift()!();
    expect(draws).toEqual([["charts", "topology"], ["flow"]]);
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });
});
