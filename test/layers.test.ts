// The layer rule of eslint.config.js (LAYERS): an import that runs the wrong way fails
// `npm run lint`, and the real tree has none. Fixtures are linted as text under a path inside a
// lower layer, so no wrong-way file ever sits in the tree.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";
import { LAYERS } from "../eslint.config.js";

const root = join(import.meta.dirname, "..");
const eslint = new ESLint({ cwd: root, ruleFilter: ({ ruleId }) => ruleId === "no-restricted-imports" });
const layers = LAYERS;
const topFolders = [...Object.keys(layers), "cli", "bench", "test"];

async function importErrors(filePath: string, specifier: string): Promise<string[]> {
  const [result] = await eslint.lintText(`import type { X } from "${specifier}";\nexport type Y = X;\n`, {
    filePath: join(root, filePath),
  });
  return (result?.messages ?? []).filter((message) => message.ruleId === "no-restricted-imports").map((message) => message.message);
}

describe("the layer rule", () => {
  it("refuses an upward import from a lower layer, naming the rule", async () => {
    const errors = await importErrors("cells/raft/upward-fixture.ts", "../../controller/controller.js");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/cells\/ may import only cells, ground .*controller\/ is not below it/);
  });

  it("refuses chaos -> controller, controller -> sim and sim -> runtime (the old wrong ways)", async () => {
    expect(await importErrors("chaos/fault-manager-fixture.ts", "../controller/types.js")).toHaveLength(1);
    expect(await importErrors("controller/gateway-fixture.ts", "../sim/workload/workload.js")).toHaveLength(1);
    expect(await importErrors("sim/world/fixture.ts", "../../runtime/virtual/world.js")).toHaveLength(1);
  });

  it("allows exactly the listed folders, for every layer", async () => {
    for (const [folder, allowed] of Object.entries(layers)) {
      for (const target of topFolders) {
        const errors = await importErrors(`${folder}/sub/fixture.ts`, `../../${target}/x.js`);
        const permitted = target === folder || allowed.includes(target);
        expect(errors.length, `${folder} -> ${target}`).toBe(permitted ? 0 : 1);
      }
    }
  });

  it("leaves the top (cli, bench, test) free to import any layer", async () => {
    for (const folder of ["cli", "bench", "test"])
      expect(await importErrors(`${folder}/fixture.ts`, "../runtime/virtual/world.js")).toEqual([]);
  });

  it("has no folder inside the tree named like a top folder (the rule matches specifiers, not resolved paths)", () => {
    const nested: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
        if (!entry.isDirectory()) continue;
        const path = `${dir}/${entry.name}`;
        if (topFolders.includes(entry.name)) nested.push(path);
        walk(path);
      }
    };
    for (const folder of Object.keys(layers)) walk(folder);
    expect(nested).toEqual([]);
  });

  it("passes on the real tree", async () => {
    const results = await eslint.lintFiles(Object.keys(layers).map((folder) => `${folder}/**/*.ts`));
    const wrongWay = results.flatMap((result) =>
      result.messages
        .filter((message) => message.ruleId === "no-restricted-imports")
        .map((message) => `${result.filePath}:${message.line} ${message.message}`),
    );
    expect(results.length).toBeGreaterThan(100);
    expect(wrongWay).toEqual([]);
  });
});
