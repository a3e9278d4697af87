// How the Approvals screen presents the engine's pending requests and the
// person's choices. Nothing here decides an action: the engine decided "ask",
// and the engine validates the remembered scope again when it records it.
import type { Action, PendingApproval, RememberScope, RememberedRule, Verdict } from "./backend";

export type Reach = "once" | "task" | "project";
export type MatchKind = "exact" | "prefix";

/** What the person chose in the remember-scope chooser. Default: once. */
export interface RememberChoice {
  reach: Reach;
  match: MatchKind;
  /** The command prefix, as words separated by spaces (for match "prefix"). */
  prefix: string;
}

export const ONCE: RememberChoice = { reach: "once", match: "exact", prefix: "" };

export const REACH_LABEL: Record<Reach, string> = {
  once: "Just this once",
  task: "For this task",
  project: "For this project",
};

export const MATCH_LABEL: Record<MatchKind, string> = {
  exact: "this exact command",
  prefix: "commands starting with…",
};

export const VERDICT_LABEL: Record<Verdict, string> = { allow: "Allow", ask: "Ask", deny: "Deny" };

/** The badge colour class (style.css) for a verdict. */
export function verdictTone(v: Verdict): "ok" | "warn" | "fail" {
  return v === "allow" ? "ok" : v === "ask" ? "warn" : "fail";
}

/** The scope to send to the engine; null means "once". */
export function rememberScope(choice: RememberChoice): RememberScope | null {
  if (choice.reach === "once") return null;
  const matching =
    choice.match === "exact"
      ? ({ kind: "exact" } as const)
      : ({ kind: "prefix", words: choice.prefix.split(/\s+/).filter((w) => w !== "") } as const);
  return { reach: choice.reach, matching };
}

/** Why Approve cannot be sent as chosen (null: it can). The engine checks again. */
export function choiceProblem(choice: RememberChoice, p: PendingApproval): string | null {
  if (choice.reach === "once") return null;
  if (choice.reach === "task" && !p.approval.task) return "This request belongs to no task.";
  if (choice.reach === "project" && !p.approval.project) return "This request belongs to no project.";
  if (choice.match === "prefix") {
    if (p.approval.action.kind !== "shell") return "Only a shell command can be remembered by prefix.";
    if (choice.prefix.trim() === "") return "Type the words the commands start with.";
  }
  return null;
}

/** A prefix to offer: the first two words of the first part that asked. */
export function suggestedPrefix(p: PendingApproval): string {
  const asking = p.approval.parts.find((x) => x.verdict === "ask") ?? p.approval.parts[0];
  const text = asking ? asking.command : p.action_text;
  return text.split(/\s+/).filter((w) => w !== "").slice(0, 2).join(" ");
}

/** In words: what Approve will do. */
export function scopeSentence(choice: RememberChoice): string {
  if (choice.reach === "once") return "Allows this request once; the next one asks again.";
  const where = choice.reach === "task" ? "in this task" : "in this project";
  const what = choice.match === "exact" ? "this exact command" : `commands starting "${choice.prefix.trim()}"`;
  return `Allows ${what} ${where} from now on, until you revoke it.`;
}

/** "Shell command", "Read a file", … */
export function actionKindLabel(a: Action): string {
  switch (a.kind) {
    case "shell":
      return "Shell command";
    case "read":
      return "Read a file";
    case "write":
      return "Write a file";
    case "fetch":
      return "Fetch a URL";
    case "mcp":
      return "MCP tool";
  }
}

/** "4 s", "2 min 5 s", "1 h 3 min" */
export function duration(secs: number): string {
  const s = Math.max(0, Math.floor(secs));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

export interface TaskGroup {
  /** null: the request belongs to no task. */
  task: string | null;
  goal: string | null;
  branch: string | null;
  items: PendingApproval[];
}

/** Group requests (newest first) by task, tasks in the order of their newest request. */
export function groupByTask(pending: PendingApproval[]): TaskGroup[] {
  const groups: TaskGroup[] = [];
  for (const p of pending) {
    let g = groups.find((x) => x.task === p.approval.task);
    if (!g) {
      g = { task: p.approval.task, goal: p.task_goal, branch: p.task_branch, items: [] };
      groups.push(g);
    }
    g.items.push(p);
  }
  return groups;
}

/** The requests in the order the screen shows them (group by group). */
export function displayOrder(pending: PendingApproval[]): number[] {
  return groupByTask(pending).flatMap((g) => g.items.map((p) => p.approval.id));
}

/** The selection after a move of `delta` (clamped); the first request when nothing was selected. */
export function moveSelection(ids: number[], current: number | null, delta: number): number | null {
  if (ids.length === 0) return null;
  const at = current === null ? -1 : ids.indexOf(current);
  if (at === -1) return ids[0];
  return ids[Math.min(ids.length - 1, Math.max(0, at + delta))];
}

/** A selection that still exists (else the first request). */
export function keepSelection(ids: number[], current: number | null): number | null {
  if (current !== null && ids.includes(current)) return current;
  return ids[0] ?? null;
}

export type KeyCommand = "next" | "prev" | "approve" | "deny";

/** The screen's keyboard shortcuts: j/k or arrows move, a approves, d denies. */
export function keyCommand(key: string): KeyCommand | null {
  switch (key) {
    case "j":
    case "ArrowDown":
      return "next";
    case "k":
    case "ArrowUp":
      return "prev";
    case "a":
      return "approve";
    case "d":
      return "deny";
    default:
      return null;
  }
}

/** One line for a remembered rule, like the engine's `describe`. */
export function ruleSentence(r: RememberedRule): string {
  const what = r.matching.kind === "exact" ? `exactly "${r.pattern}"` : `commands starting "${r.pattern}"`;
  const where = r.reach === "task" ? `in task ${r.task ?? "?"}` : `in project ${r.project ?? "?"}`;
  return `${r.verdict} ${r.action_kind} ${what} ${where}`;
}

/** What the screen says after a decision. */
export function decisionNote(verdict: "allow" | "deny", p: PendingApproval, rule: RememberedRule | null): string {
  const did = verdict === "allow" ? "Approved" : "Denied";
  const who = p.approval.task ? `task ${p.approval.task}` : "the agent";
  if (rule) return `${did} for ${who} and remembered: ${ruleSentence(rule)} (rule ${rule.id}).`;
  return `${did} once for ${who}: ${p.short_action}`;
}

/** "1 request waiting" / "3 requests waiting" / "Nothing is waiting for you." */
export function pendingHeadline(n: number): string {
  if (n === 0) return "Nothing is waiting for you.";
  return `${n} request${n === 1 ? "" : "s"} waiting`;
}
