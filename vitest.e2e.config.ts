import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: "forks",
    globalSetup: ["test/setup/temp-directory.ts"],
    fileParallelism: false,
  },
});
