import { describe, expect, it } from "vitest";
import type { StepState } from "./backend";
import { firstStepToOpen, progress } from "./wizard";

const step = (id: StepState["id"], status: StepState["status"]): StepState => ({
  id, title: id, why: "", status, summary: "", fix: null,
});

describe("progress", () => {
  it("counts the steps in place and names broken ones first", () => {
    const steps = [step("workspace", "ok"), step("logs", "fail"), step("review", "not_set_up")];
    expect(progress(steps)).toEqual({ inPlace: 1, total: 3, broken: 1, headline: "1 of 3 steps broken" });
  });
  it("says the fence is in place only when every step is ok", () => {
    expect(progress([step("logs", "ok"), step("goal", "ok")]).headline).toBe("The fence is in place");
    expect(progress([step("logs", "ok"), step("goal", "warn")]).headline).toBe("1 of 2 steps in place");
  });
  it("does not claim anything when nothing was reported", () => {
    expect(progress([]).headline).toBe("No steps reported");
  });
});

describe("firstStepToOpen", () => {
  it("opens a broken step before an unset one", () => {
    expect(firstStepToOpen([step("workspace", "not_set_up"), step("logs", "fail")])).toBe("logs");
  });
  it("opens the first step not in place", () => {
    expect(firstStepToOpen([step("workspace", "ok"), step("branch", "warn")])).toBe("branch");
  });
  it("returns null for no steps", () => {
    expect(firstStepToOpen([])).toBeNull();
  });
});
