import { describe, expect, it } from "vitest";
import type { RepoReport, Task } from "./backend";
import {
  TASK_STATE_LABEL, canDiscard, createReadiness, defaultBase, isTaskStep, shortCommit,
  taskStateTone, warningCount, whereItWorks, type TaskForm,
} from "./tasks";

const report: RepoReport = {
  root: "/src/app", name: "app", base: "main", base_commit: "0123456789abcdef0123456789abcdef01234567",
  uncommitted: 0, checkout_note: "your checkout is clean (left untouched)", submodules: 0,
};

const task = (over: Partial<Task> = {}): Task => ({
  id: "1a2b3c4d", repo: "/src/app", repo_name: "app", base: "main",
  base_commit: "0123456789abcdef0123456789abcdef01234567",
  branch: "paddock/fix-checkout-tax-calculation-and-1a2b3c4d",
  worktree: "/home/u/.local/share/paddock/worktrees/app/1a2b3c4d",
  goal: "Fix checkout tax calculation and add tests", goal_warnings: [], agent: "claude",
  state: "ready", created_at: "2025-01-01T00:00:00Z", updated_at: "2025-01-01T00:00:00Z",
  ...over,
});

const form = (over: Partial<TaskForm> = {}): TaskForm => ({
  repo: "/src/app", report, inspecting: false, base: "main",
  goal: "Fix checkout tax calculation and add tests",
  checkedGoal: "Fix checkout tax calculation and add tests",
  warnings: [], acceptWarnings: false, creating: false, ...over,
});

const vague = [{ code: "vague" as const, message: "\"improve stuff\" names an activity", suggestion: "name it" }];

describe("createReadiness", () => {
  it("is ready with a readable repository, a base and a checked goal without warnings", () => {
    expect(createReadiness(form())).toEqual({ ready: true, missing: null });
  });
  it("says what is missing, in the order the form asks for it", () => {
    expect(createReadiness(form({ repo: " " })).missing).toBe("Choose a repository.");
    expect(createReadiness(form({ inspecting: true })).missing).toBe("Reading the repository…");
    expect(createReadiness(form({ report: null })).missing).toBe("Choose a git repository Paddock can read.");
    expect(createReadiness(form({ base: null })).missing).toBe("Choose a base branch.");
    expect(createReadiness(form({ goal: "  ", checkedGoal: "  " })).missing).toContain("one sentence");
    expect(createReadiness(form({ creating: true })).ready).toBe(false);
  });
  it("waits until the engine checked the goal as typed", () => {
    expect(createReadiness(form({ checkedGoal: "Fix checkout" })).missing).toBe("Checking the goal…");
  });
  it("needs the override ticked while the goal has warnings", () => {
    const f = form({ goal: "improve stuff", checkedGoal: "improve stuff", warnings: vague });
    expect(createReadiness(f).ready).toBe(false);
    expect(createReadiness(f).missing).toContain("Create anyway");
    expect(createReadiness({ ...f, acceptWarnings: true }).ready).toBe(true);
  });
});

describe("defaultBase", () => {
  it("keeps the person's choice, else takes the repository's current branch", () => {
    expect(defaultBase(["dev", "main"], report, "dev")).toBe("dev");
    expect(defaultBase(["dev", "main"], report, null)).toBe("main");
    expect(defaultBase(["dev", "main"], report, "gone")).toBe("main");
    expect(defaultBase(["dev"], report, null)).toBe("dev");
    expect(defaultBase([], null, null)).toBeNull();
  });
});

describe("presentation", () => {
  it("says where the agent works and that the base is protected", () => {
    expect(whereItWorks(task())).toBe(
      "works in /home/u/.local/share/paddock/worktrees/app/1a2b3c4d on paddock/fix-checkout-tax-calculation-and-1a2b3c4d; main is protected",
    );
  });
  it("labels every state and lets only unfinished tasks be discarded", () => {
    expect(TASK_STATE_LABEL.awaiting_review).toBe("Awaiting review");
    expect(taskStateTone("ready")).toBe("ok");
    expect(taskStateTone("discarded")).toBe("not_set_up");
    expect(canDiscard(task())).toBe(true);
    expect(canDiscard(task({ state: "merged" }))).toBe(false);
    expect(canDiscard(task({ state: "discarded" }))).toBe(false);
  });
  it("shows the form only under the Workspace, Branch and Goal steps", () => {
    expect(["workspace", "branch", "goal"].every((s) => isTaskStep(s as never))).toBe(true);
    expect(isTaskStep("logs")).toBe(false);
    expect(isTaskStep(null)).toBe(false);
  });
  it("shortens commits and counts warnings", () => {
    expect(shortCommit(report.base_commit)).toBe("01234567");
    expect(warningCount(1)).toBe("1 goal warning");
    expect(warningCount(3)).toBe("3 goal warnings");
  });
});
