// A move's progress in the page's model (ui/lib/store.js applyMoveAudit, ui/views/elastic.js
// moveStages), without a browser: the controller's audit entries move it through fenced, copying
// and cut over; a rollback marks the stage it stopped at failed; a resumed move after a controller
// restart continues; refusals are not moves.
import { beforeAll, describe, expect, it } from "vitest";

interface Stage {
  name: string;
  status: string;
}
interface StoreModule {
  createStore(): { moves: Map<string, { state: string }> };
  applyMoveAudit(store: unknown, entry: unknown): boolean;
}
interface ElasticModule {
  moveStages(move: unknown): Stage[];
  shardRanges(shards: number[]): string;
}

let model: StoreModule;
let elastic: ElasticModule;
beforeAll(async () => {
  model = (await import(/* @vite-ignore */ new URL("../../ui/lib/store.js", import.meta.url).href)) as StoreModule;
  elastic = (await import(/* @vite-ignore */ new URL("../../ui/views/elastic.js", import.meta.url).href)) as ElasticModule;
});

const entry = (action: string, outcome: string, atMs: number) => ({
  id: atMs,
  atMs,
  action,
  outcome,
  target: "0..4 cell-1 -> cell-7",
  details: { move: "mv-1" },
});

function stages(store: ReturnType<StoreModule["createStore"]>): string {
  return elastic
    .moveStages(store.moves.get("mv-1"))
    .map((stage) => `${stage.name}:${stage.status}`)
    .join(" ");
}

describe("a move's progress on the page", () => {
  it("goes fenced, copying, cut over as the step entries arrive", () => {
    const store = model.createStore();
    expect(model.applyMoveAudit(store, entry("move-shards", "started", 1))).toBe(true);
    expect(stages(store)).toBe("fenced:active copying:pending cut over:pending");
    model.applyMoveAudit(store, entry("move-shards:expect", "done", 2));
    expect(stages(store)).toBe("fenced:active copying:pending cut over:pending");
    model.applyMoveAudit(store, entry("move-shards:fence", "done: 20 accounts, 4 ids", 3));
    expect(stages(store)).toBe("fenced:done copying:active cut over:pending");
    model.applyMoveAudit(store, entry("move-shards:import", "done", 4));
    expect(stages(store)).toBe("fenced:done copying:done cut over:active");
    model.applyMoveAudit(store, entry("move-shards:cut-over", "ok", 5));
    expect(stages(store)).toBe("fenced:done copying:done cut over:done");
  });

  it("a rollback after the fence fails the copying stage; a refusal is no move", () => {
    const store = model.createStore();
    expect(model.applyMoveAudit(store, { ...entry("move-shards", "refused", 0), details: { move: "mv-0" } })).toBe(false);
    model.applyMoveAudit(store, entry("move-shards", "started", 1));
    model.applyMoveAudit(store, entry("move-shards:expect", "done", 2));
    model.applyMoveAudit(store, entry("move-shards:fence", "done", 3));
    model.applyMoveAudit(store, entry("move-shards:rolling-back", "import at cell-7: no answer", 4));
    model.applyMoveAudit(store, entry("move-shards:rolled-back", "import at cell-7: no answer", 5));
    expect(store.moves.get("mv-1")?.state).toBe("rolled-back");
    expect(stages(store)).toBe("fenced:done copying:failed cut over:pending");
    expect(store.moves.has("mv-0")).toBe(false);
  });

  it("a move resumed by a restarted controller (known only from its recover entry) goes on to cut over", () => {
    const store = model.createStore();
    model.applyMoveAudit(store, entry("move-shards:recover", "resuming (recorded copying)", 1));
    model.applyMoveAudit(store, entry("move-shards:expect", "refused: already imported, completing", 2));
    model.applyMoveAudit(store, entry("move-shards:cut-over", "ok", 3));
    expect(store.moves.get("mv-1")?.state).toBe("cut-over");
    expect(elastic.shardRanges([4, 0, 1, 2, 9, 3, 11, 10])).toBe("0..4, 9..11");
  });
});
