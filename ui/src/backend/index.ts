// The one door from the UI to Rust. No other UI file imports @tauri-apps/*.
// The types come from the Rust side (ts-rs writes ./bindings when the engine's tests run).
import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import { open } from "@tauri-apps/plugin-dialog";
import type { StepState } from "./bindings/StepState";
import type { ChainReport } from "./bindings/ChainReport";
import type { DoctorCheck } from "./bindings/DoctorCheck";
import type { Agent } from "./bindings/Agent";
import type { DiscardReport } from "./bindings/DiscardReport";
import type { GoalWarning } from "./bindings/GoalWarning";
import type { RepoReport } from "./bindings/RepoReport";
import type { Task } from "./bindings/Task";
import type { PendingApproval } from "./bindings/PendingApproval";
import type { RememberScope } from "./bindings/RememberScope";
import type { RememberedRule } from "./bindings/RememberedRule";
import type { PolicySummary } from "./bindings/PolicySummary";
import type { UserRuleInput } from "./bindings/UserRuleInput";
import type { Verdict } from "./bindings/Verdict";
import type { ReviewDiff } from "./bindings/ReviewDiff";
import type { FileDiff } from "./bindings/FileDiff";
import type { FileContents } from "./bindings/FileContents";
import type { ReviewComment } from "./bindings/ReviewComment";
import type { ReviewNote } from "./bindings/ReviewNote";
import type { MergeOptions } from "./bindings/MergeOptions";
import type { MergeOutcome } from "./bindings/MergeOutcome";
import type { TestStatus } from "./bindings/TestStatus";
import type { NetworkSettings } from "./bindings/NetworkSettings";
import type { NetworkConnection } from "./bindings/NetworkConnection";
import type { HostRuleVerdict } from "./bindings/HostRuleVerdict";
import type { Finding } from "./bindings/Finding";
import type { ScanReport } from "./bindings/ScanReport";
import type { ScanProgress } from "./bindings/ScanProgress";
import type { HeldSecret } from "./bindings/HeldSecret";
import type { MoveReport } from "./bindings/MoveReport";
import type { SetupView } from "./bindings/SetupView";
import type { SetupStage } from "./bindings/SetupStage";
import type { AckKind } from "./bindings/AckKind";
import type { LaunchAgent } from "./bindings/LaunchAgent";
import type { LaunchPlan } from "./bindings/LaunchPlan";
import type { LaunchOutcome } from "./bindings/LaunchOutcome";

export type { StepState, ChainReport, DoctorCheck, Agent, DiscardReport, GoalWarning, RepoReport, Task };
export type { PendingApproval, RememberScope, RememberedRule, PolicySummary, UserRuleInput, Verdict };
export type { Approval } from "./bindings/Approval";
export type { Action } from "./bindings/Action";
export type { PartDecision } from "./bindings/PartDecision";
export type { RememberMatch } from "./bindings/RememberMatch";
export type { RememberReach } from "./bindings/RememberReach";
export type { DefaultExample } from "./bindings/DefaultExample";
export type { PolicyRuleView } from "./bindings/PolicyRuleView";
export type { StepId } from "./bindings/StepId";
export type { ReviewDiff, FileDiff, FileContents, ReviewComment, ReviewNote, MergeOptions, MergeOutcome, TestStatus };
export type { FileSide } from "./bindings/FileSide";
export type { FileStatus } from "./bindings/FileStatus";
export type { AttentionItem } from "./bindings/AttentionItem";
export type { TestRun } from "./bindings/TestRun";
export type { StepStatus } from "./bindings/StepStatus";
export type { ChainProblem } from "./bindings/ChainProblem";
export type { TaskState } from "./bindings/TaskState";
export type { GoalWarningCode } from "./bindings/GoalWarningCode";
export type { NetworkSettings, NetworkConnection, HostRuleVerdict };
export type { NetworkPreset } from "./bindings/NetworkPreset";
export type { NetworkHostRule } from "./bindings/NetworkHostRule";
export type { ConnectionVerdict } from "./bindings/ConnectionVerdict";
export type { Finding, ScanReport, ScanProgress, HeldSecret, MoveReport };
export type { SetupView, SetupStage, AckKind, LaunchAgent, LaunchPlan, LaunchOutcome };
export type { StepGate } from "./bindings/StepGate";
export type { Acknowledgement } from "./bindings/Acknowledgement";
export type { Terminal } from "./bindings/Terminal";
export type { TerminalKind } from "./bindings/TerminalKind";
export type { PaddockSource } from "./bindings/PaddockSource";

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

/** Exactly what the tray shows (src-tauri/src/approvals.rs, TrayState). */
export interface TrayState {
  pending_label: string;
  /** null: the store could not be read. */
  pending: number | null;
  items: { approval_id: number; task: string | null; label: string; approve_label: string; deny_label: string }[];
  icon: "idle" | "pending";
}

/** One task awaiting review with what its badges say (src-tauri/src/review.rs, QueueEntry). */
export interface QueueEntry {
  task: Task;
  files: number;
  additions: number;
  deletions: number;
  reviewed: number;
  test_status: TestStatus;
  /** Approvals a person granted while the agent worked. */
  approvals: number;
  /** Actions that were denied (policy, person or timeout). */
  blocked: number;
  unsent_comments: number;
  error: string | null;
}

/** Why the engine refused a merge (src-tauri/src/review.rs, MergeRefusal). */
export interface MergeRefusal {
  reason: "unreviewed" | "tests" | "conflict" | "dirty_checkout" | "worktree_dirty" | "nothing_to_merge" | "base_moved" | "wrong_state" | "error";
  message: string;
  /** True only when "merge anyway" would override the refusal (tests). */
  merge_anyway: boolean;
  files: string[];
}

/** The Logs screen's filters (src-tauri/src/review.rs, KINDS). */
export const TIMELINE_KINDS = ["prompts", "commands", "decisions", "network", "files", "tests"] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

/** One audit event on a task's timeline (src-tauri/src/review.rs, TimelineEntry). */
export interface TimelineEntry {
  id: number;
  at: string;
  kind: string;
  actor: string;
  reason: string;
  kinds: TimelineKind[];
  subject: string | null;
  verdict: string | null;
  payload: string;
}

/** Call `handler` on every `event` from the shell; resolves to a function that stops listening. */
async function on(event: string, handler: () => void): Promise<() => void> {
  return listen(event, () => handler());
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
  /** Requests waiting for a person, newest first. */
  listPendingApprovals: () => invoke<PendingApproval[]>("list_pending_approvals"),
  /** Approve or deny; `remember` null means this once. Returns the rule remembered, if any. */
  decideApproval: (id: number, verdict: Exclude<Verdict, "ask">, remember: RememberScope | null) =>
    invoke<RememberedRule | null>("decide_approval", { id, verdict, remember }),
  listRules: () => invoke<RememberedRule[]>("list_rules"),
  revokeRule: (id: number) => invoke<RememberedRule>("revoke_rule", { id }),
  policySummary: () => invoke<PolicySummary>("policy_summary"),
  saveUserRule: (rule: UserRuleInput) => invoke<PolicySummary>("save_user_rule", { rule }),
  deleteUserRule: (id: string) => invoke<PolicySummary>("delete_user_rule", { id }),
  trayState: () => invoke<TrayState | null>("tray_state"),
  /** The pending requests changed (the tray watcher saw it). */
  onApprovalsChanged: (handler: () => void) => on("approvals-changed", handler),
  /** The person chose the pending count in the tray or a notification: show the Approvals screen. */
  onOpenApprovals: (handler: () => void) => on("open-approvals", handler),
  /** Tasks awaiting review, newest first, with their badges. */
  reviewQueue: () => invoke<QueueEntry[]>("review_queue"),
  reviewDiff: (task: string) => invoke<ReviewDiff>("review_diff", { task }),
  /** Both sides of one changed file, for the side-by-side view. */
  reviewFile: (task: string, path: string) => invoke<FileContents>("review_file", { task, path }),
  reviewMark: (task: string, path: string, reviewed: boolean) => invoke<FileDiff>("review_mark", { task, path, reviewed }),
  reviewComment: (task: string, path: string, line: number | null, text: string) =>
    invoke<ReviewComment>("review_comment", { task, path, line, text }),
  reviewComments: (task: string) => invoke<ReviewComment[]>("review_comments", { task }),
  /** Send the unsent comments to the agent; resolves to its next instruction. */
  reviewRequestChanges: (task: string) => invoke<string>("review_request_changes", { task }),
  reviewNote: (task: string) => invoke<ReviewNote>("review_note", { task }),
  /** The user's approval. Rejects with a MergeRefusal when the engine refuses. */
  reviewMerge: (task: string, options: MergeOptions) => invoke<MergeOutcome>("review_merge", { task, options }),
  /** A task's audit events, oldest first; `kinds` null: every event. */
  taskTimeline: (task: string, kinds: TimelineKind[] | null) => invoke<TimelineEntry[]>("task_timeline", { task, kinds }),
  /** The number of tasks awaiting review changed (the tray watcher saw it). */
  onReviewChanged: (handler: () => void) => on("review-changed", handler),
  /** The person chose "Ready for review" in the tray: show the review queue. */
  onOpenReview: (handler: () => void) => on("open-review", handler),
  /** A task's presets and host rules; `task` null: the newest active task. */
  networkSettings: (task: string | null) => invoke<NetworkSettings>("network_settings", { task }),
  setNetworkPreset: (task: string | null, name: string, on: boolean) =>
    invoke<NetworkSettings>("set_network_preset", { task, name, on }),
  addNetworkRule: (task: string | null, host: string, verdict: HostRuleVerdict) =>
    invoke<NetworkSettings>("add_network_rule", { task, host, verdict }),
  removeNetworkRule: (task: string | null, id: number) => invoke<NetworkSettings>("remove_network_rule", { task, id }),
  /** The task's connections through its proxy, newest first (waiting ones carry their approval id). */
  taskConnections: (task: string | null) => invoke<NetworkConnection[]>("task_connections", { task }),
  /** Scan the task's repository (null: the newest active task); progress arrives through onSecretsScanProgress. */
  secretsScan: (task: string | null) => invoke<ScanReport>("secrets_scan", { task }),
  /** Move these findings (or all with `all`) of a fresh scan into the keychain; references stay in their place. */
  secretsMove: (task: string | null, findingIds: string[], all: boolean) =>
    invoke<MoveReport>("secrets_move", { task, findingIds, all }),
  /** The secrets Paddock holds: names, files, references (never values). */
  secretsHeld: () => invoke<HeldSecret[]>("secrets_held"),
  /** A running scan's progress (a few times a second). */
  onSecretsScanProgress: (handler: (p: ScanProgress) => void): Promise<() => void> =>
    listen<ScanProgress>("secrets-scan-progress", (e) => handler(e.payload)),
  /** Where the person left the guided setup; on a first launch the repository screen; null: nothing to resume. */
  setupResume: () => invoke<SetupView | null>("setup_resume"),
  /** Begin setting up a new task (recorded, so a restart returns to it). */
  setupBegin: () => invoke<SetupView>("setup_begin"),
  /** The setup of a task at a stage, measured now. */
  setupView: (task: string, stage: SetupStage) => invoke<SetupView>("setup_view", { task, stage }),
  /** Move to a stage; the engine refuses to pass a step that may not be left. */
  setupGo: (task: string, stage: SetupStage) => invoke<SetupView>("setup_go", { task, stage }),
  /** Record an acknowledgement of the step a stage sets up (logged). */
  setupAck: (task: string, step: SetupStage, kind: AckKind, stage: SetupStage) =>
    invoke<SetupView>("setup_ack", { task, step, kind, stage }),
  /** What "Start the agent" would run, where, with which paddock; `command` null: the agent's default. */
  launchPlan: (task: string, agent: LaunchAgent, command: string | null) =>
    invoke<LaunchPlan>("launch_plan", { task, agent, command }),
  /** Wire the agent if needed and start it in a terminal window, inside its fence. */
  launchAgent: (task: string, agent: LaunchAgent, command: string | null) =>
    invoke<LaunchOutcome>("launch_agent", { task, agent, command }),
  /** The Commands step's fix: wire the task's agent to Paddock (`paddock agent setup`); the files written. */
  wireAgent: (task: string) => invoke<string[]>("wire_agent", { task }),
  /** Put text on the clipboard (the command to paste when no terminal is found). */
  copyText: (text: string) => navigator.clipboard.writeText(text),
};

export type Backend = typeof backend;
