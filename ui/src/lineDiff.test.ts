import { describe, expect, it } from "vitest";
import { lineDiff } from "./lineDiff";

const table = (n: number, changed: (i: number) => boolean) =>
  Array.from({ length: n }, (_, i) => `pub const RATE_${String(i).padStart(5, "0")}: u32 = ${changed(i) ? i + 1 : i};\n`).join("");

describe("the line-first diff", () => {
  it("finds each changed line of a 20,000-line file, quickly", () => {
    const a = table(20_000, () => false);
    const b = table(20_000, (i) => i % 250 === 0);
    const t0 = performance.now();
    const changes = lineDiff(a, b);
    const ms = performance.now() - t0;
    expect(changes.length).toBeGreaterThanOrEqual(80);
    expect(changes.length).toBeLessThanOrEqual(160);
    // Every change stays inside one of the 80 changed lines.
    const lineOf = (pos: number) => a.slice(0, pos).split("\n").length - 1;
    const lines = new Set(changes.map((c) => lineOf(c.fromA)));
    expect([...lines].every((l) => l % 250 === 0)).toBe(true);
    expect(lines.size).toBe(80);
    expect(ms).toBeLessThan(2000);
  });

  it("handles added, deleted and final lines without a newline", () => {
    expect(lineDiff("", "x\ny")).toEqual([expect.objectContaining({ fromA: 0, toA: 0, fromB: 0, toB: 3 })]);
    expect(lineDiff("x\ny\n", "")).toEqual([expect.objectContaining({ fromA: 0, toA: 4, fromB: 0, toB: 0 })]);
    const c = lineDiff("a\nb\nc", "a\nb\nd");
    expect(c).toHaveLength(1);
    expect([c[0].fromA, c[0].toA, c[0].fromB, c[0].toB]).toEqual([4, 5, 4, 5]);
    expect(lineDiff("same\n", "same\n")).toEqual([]);
  });
});
