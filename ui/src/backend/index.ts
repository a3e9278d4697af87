// The one door from the UI to Rust. No other UI file imports @tauri-apps/*.
// The types come from the Rust side (ts-rs writes ./bindings when the engine's tests run).
import { invoke } from "@tauri-apps/api/core";
import { open } from "@tauri-apps/plugin-dialog";
import type { StepState } from "./bindings/StepState";
import type { ChainReport } from "./bindings/ChainReport";
import type { DoctorCheck } from "./bindings/DoctorCheck";
import type { Agent } from "./bindings/Agent";
import type { DiscardReport } from "./bindings/DiscardReport";
import type { GoalWarning } from "./bindings/GoalWarning";
import type { RepoReport } from "./bindings/RepoReport";
import type { Task } from "./bindings/Task";

export type { StepState, ChainReport, DoctorCheck, Agent, DiscardReport, GoalWarning, RepoReport, Task };
export type { StepId } from "./bindings/StepId";
export type { StepStatus } from "./bindings/StepStatus";
export type { ChainProblem } from "./bindings/ChainProblem";
export type { TaskState } from "./bindings/TaskState";
export type { GoalWarningCode } from "./bindings/GoalWarningCode";

export interface AppInfo {
  version: string;
  home: string;
}

/** What the wizard sends to `create_task` (src-tauri/src/tasks.rs, CreateTaskRequest). */
export interface CreateTaskRequest {
  repo: string;
  /** null: the repository's current branch. */
  base: string | null;
  goal: string;
  agent: Agent;
  accept_goal_warnings: boolean;
}

export const backend = {
  steps: () => invoke<StepState[]>("steps"),
  auditStatus: () => invoke<ChainReport>("audit_status"),
  doctor: () => invoke<DoctorCheck[]>("doctor"),
  appInfo: () => invoke<AppInfo>("app_info"),
  /** The native folder picker; null when the person cancels. */
  pickFolder: async (title: string): Promise<string | null> => {
    const picked = await open({ directory: true, multiple: false, title });
    return typeof picked === "string" ? picked : null;
  },
  inspectRepo: (path: string, base: string | null) => invoke<RepoReport>("inspect_repo", { path, base }),
  repoBranches: (path: string) => invoke<string[]>("repo_branches", { path }),
  checkGoal: (goal: string) => invoke<GoalWarning[]>("check_goal", { goal }),
  createTask: (request: CreateTaskRequest) => invoke<Task>("create_task", { request }),
  listTasks: () => invoke<Task[]>("list_tasks"),
  discardTask: (id: string, force: boolean) => invoke<DiscardReport>("discard_task", { id, force }),
};

export type Backend = typeof backend;
