// The page's figure formatters, without a browser (plain browser JS loaded by path).
import { beforeAll, describe, expect, it } from "vitest";

interface FormatModule {
  formatErrorRate(rate: number): string;
}
let format: FormatModule;

beforeAll(async () => {
  format = (await import(/* @vite-ignore */ new URL("../../ui/views/format.js", import.meta.url).href)) as FormatModule;
});

describe("formatErrorRate", () => {
  it("never shows a non-zero error rate as 0% (the page rounded a 0.4 % spike to 0 while the report said 0.4 %)", () => {
    expect(format.formatErrorRate(0.004)).toBe("0.4%");
    expect(format.formatErrorRate(0.0025)).toBe("0.25%");
    expect(format.formatErrorRate(0.00001)).toBe("<0.01%");
    expect(format.formatErrorRate(0)).toBe("0%");
  });

  it("keeps two decimals and whole rates plain", () => {
    expect(format.formatErrorRate(0.02)).toBe("2%");
    expect(format.formatErrorRate(0.12345)).toBe("12.35%");
    expect(format.formatErrorRate(1)).toBe("100%");
    expect(format.formatErrorRate(Number.NaN)).toBe("–");
  });
});
