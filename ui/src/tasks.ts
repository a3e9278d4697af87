// How the task form and the task list present the engine's answers. Nothing
// here decides anything about a task: the engine validates the repository, the
// base branch and the goal again when the task is created.
import type { Agent, GoalWarning, RepoReport, StepState, Task, TaskState } from "./backend";

export const TASK_STATE_LABEL: Record<TaskState, string> = {
  draft: "Draft",
  ready: "Ready",
  running: "Running",
  awaiting_review: "Awaiting review",
  merged: "Merged",
  discarded: "Discarded",
};

/** The badge colour class (style.css) for a task state. */
export function taskStateTone(state: TaskState): "ok" | "warn" | "fail" | "not_set_up" {
  switch (state) {
    case "ready":
    case "running":
      return "ok";
    case "awaiting_review":
      return "warn";
    case "merged":
    case "discarded":
      return "not_set_up";
    case "draft":
      return "warn";
  }
}

export const AGENTS: { id: Agent; label: string }[] = [
  { id: "claude", label: "Claude Code" },
  { id: "codex", label: "Codex" },
  { id: "other", label: "Another command" },
];

/** The steps whose state a task makes: the task form is shown under them. */
export const TASK_STEPS: StepState["id"][] = ["workspace", "branch", "goal"];

export function isTaskStep(id: StepState["id"] | null): boolean {
  return id !== null && TASK_STEPS.includes(id);
}

export function shortCommit(hex: string): string {
  return hex.slice(0, 8);
}

/** "works in <worktree> on <branch>; <base> is protected" */
export function whereItWorks(task: Task): string {
  return `works in ${task.worktree} on ${task.branch}; ${task.base} is protected`;
}

/** Only tasks that are not finished can be discarded. */
export function canDiscard(task: Task): boolean {
  return task.state !== "merged" && task.state !== "discarded";
}

/** The base branch to preselect: the one the person chose if it still exists, else the repository's current one. */
export function defaultBase(branches: string[], report: RepoReport | null, chosen: string | null): string | null {
  if (chosen !== null && branches.includes(chosen)) return chosen;
  if (report && branches.includes(report.base)) return report.base;
  return branches[0] ?? null;
}

/** What the form knows at a moment. */
export interface TaskForm {
  repo: string;
  /** The engine's report for `repo` (null: not inspected yet, or it failed). */
  report: RepoReport | null;
  /** Set while the repository is being inspected. */
  inspecting: boolean;
  base: string | null;
  goal: string;
  /** The goal text the warnings below were computed for (null: not checked yet). */
  checkedGoal: string | null;
  warnings: GoalWarning[];
  acceptWarnings: boolean;
  creating: boolean;
}

/** Whether Create is enabled, and if not, what is missing (shown next to the button). */
export function createReadiness(f: TaskForm): { ready: boolean; missing: string | null } {
  const missing = ((): string | null => {
    if (f.creating) return "Creating the task…";
    if (f.repo.trim() === "") return "Choose a repository.";
    if (f.inspecting) return "Reading the repository…";
    if (!f.report) return "Choose a git repository Paddock can read.";
    if (!f.base) return "Choose a base branch.";
    if (f.goal.trim() === "") return "Say in one sentence what the agent should change.";
    if (f.checkedGoal !== f.goal) return "Checking the goal…";
    if (f.warnings.length > 0 && !f.acceptWarnings)
      return "Make the goal narrower, or tick \"Create anyway\".";
    return null;
  })();
  return { ready: missing === null, missing };
}

export function warningCount(n: number): string {
  return `${n} goal warning${n === 1 ? "" : "s"}`;
}
