// How the guided setup presents the engine's answers. Nothing here decides
// whether a step is in place or may be left: the engine's SetupView says so.
import type { AckKind, LaunchAgent, LaunchPlan, SetupStage, SetupView, StepGate, StepState, Task } from "./backend";

export const STAGES: SetupStage[] = [
  "repository", "workspace", "branch", "goal", "secrets", "network", "commands", "logs", "review", "ready",
];

export const STAGE_TITLE: Record<SetupStage, string> = {
  repository: "Repository",
  workspace: "Workspace",
  branch: "Branch",
  goal: "Goal",
  secrets: "Secrets",
  network: "Network",
  commands: "Commands",
  logs: "Logs",
  review: "Review",
  ready: "Ready",
};

export function stageIndex(stage: SetupStage): number {
  return STAGES.indexOf(stage);
}

export function nextStage(stage: SetupStage): SetupStage | null {
  return STAGES[stageIndex(stage) + 1] ?? null;
}

/** Back from the Workspace step is not the repository form again: the task exists. */
export function previousStage(stage: SetupStage): SetupStage | null {
  const i = stageIndex(stage);
  return i <= 1 ? null : STAGES[i - 1];
}

/** The engine's measurement of the step a stage sets up (none for the first and last screens). */
export function stepOf(view: SetupView, stage: SetupStage): StepState | null {
  return view.steps.find((s) => s.id === stage) ?? null;
}

export function gateOf(view: SetupView, stage: SetupStage): StepGate | null {
  return view.gates.find((g) => g.step === stage) ?? null;
}

export const ACK_LABEL: Record<AckKind, string> = {
  policy_reviewed: "I have reviewed the command policy",
  review_required: "Nothing merges into the base branch without my review",
  continue_anyway: "Continue anyway (logged)",
};

/** The sentence under a Next button the engine would refuse. */
export function whyNotNext(gate: StepGate | null): string | null {
  if (!gate || gate.can_leave) return null;
  if (gate.blocked) return gate.blocked;
  return `Before you go on: ${gate.needs.map((k) => ACK_LABEL[k].replace(" (logged)", "")).join("; ")}.`;
}

/** The agent "Start the agent" proposes first: the one the task was made for. */
export function defaultLaunchAgent(task: Task | null): LaunchAgent {
  if (!task) return "claude";
  return task.agent === "other" ? "command" : task.agent;
}

export const LAUNCH_AGENTS: { id: LaunchAgent; label: string }[] = [
  { id: "claude", label: "Claude Code" },
  { id: "codex", label: "Codex" },
  { id: "command", label: "Any command" },
];

/** Where the `paddock` binary comes from, in words. */
export function paddockWhere(plan: LaunchPlan): string {
  if (!plan.paddock) return "No paddock binary was found beside the app or on PATH.";
  return plan.paddock_source === "beside_app"
    ? `paddock beside the app: ${plan.paddock}`
    : `paddock on PATH: ${plan.paddock}`;
}

/** The steps the last screen lists: every one not fully in place, with what the engine said. */
export function openSteps(view: SetupView): StepState[] {
  return view.steps.filter((s) => s.status !== "ok");
}
