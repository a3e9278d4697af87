// Words for what the engine said about a review: badges, progress, why a merge
// cannot happen yet, and the Logs screen's filters. No decision is made here:
// the engine decides whether a merge may happen, and refuses it itself.
import type {
  FileDiff, FileStatus, MergeRefusal, QueueEntry, ReviewDiff, TestStatus, TimelineKind,
} from "./backend";
import { TIMELINE_KINDS } from "./backend";

export type Tone = "ok" | "warn" | "fail" | "info";

export interface Badge {
  id: "tests" | "approvals" | "blocked" | "reviewed" | "comments";
  label: string;
  tone: Tone;
}

export function testBadge(status: TestStatus): Badge {
  switch (status) {
    case "passing":
      return { id: "tests", label: "tests passed", tone: "ok" };
    case "failing":
      return { id: "tests", label: "tests failed", tone: "fail" };
    case "missing":
      return { id: "tests", label: "no tests", tone: "warn" };
  }
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The badges of a queue entry, in the order they are shown. */
export function queueBadges(e: QueueEntry): Badge[] {
  const out: Badge[] = [testBadge(e.test_status)];
  out.push({ id: "approvals", label: plural(e.approvals, "approval"), tone: e.approvals > 0 ? "info" : "ok" });
  out.push({ id: "blocked", label: plural(e.blocked, "blocked action"), tone: e.blocked > 0 ? "fail" : "ok" });
  out.push({
    id: "reviewed",
    label: `${e.reviewed}/${e.files} reviewed`,
    tone: e.files > 0 && e.reviewed === e.files ? "ok" : "info",
  });
  if (e.unsent_comments > 0) out.push({ id: "comments", label: plural(e.unsent_comments, "unsent comment"), tone: "info" });
  return out;
}

/** How much of a diff is marked reviewed (as the engine counts it). */
export function reviewProgress(diff: Pick<ReviewDiff, "files">) {
  const total = diff.files.length;
  const reviewed = diff.files.filter((f) => f.reviewed).length;
  return { reviewed, total, all: total > 0 && reviewed === total };
}

/**
 * Why "Approve & merge" is not offered yet, or null when it is. This only
 * mirrors the engine's rule so the button can say why; the engine checks again.
 */
export function mergeWaitsFor(diff: Pick<ReviewDiff, "files"> | null): string | null {
  if (!diff) return "reading the diff…";
  const p = reviewProgress(diff);
  if (p.total === 0) return "the task changes nothing";
  if (!p.all) {
    const left = p.total - p.reviewed;
    return `${plural(left, "file")} not reviewed yet: mark every file reviewed before merging`;
  }
  return null;
}

/** Whether to offer "merge anyway": only when the engine says tests are not passing. */
export function offerMergeAnyway(status: TestStatus | null, refusal: MergeRefusal | null): boolean {
  return (status !== null && status !== "passing") || (refusal?.merge_anyway ?? false);
}

/** A rejected `reviewMerge` as a refusal (the shell sends one; anything else is an error line). */
export function refusalOf(e: unknown): MergeRefusal {
  if (e && typeof e === "object" && "message" in e && "reason" in e) {
    const r = e as MergeRefusal;
    return { reason: r.reason, message: String(r.message), merge_anyway: Boolean(r.merge_anyway), files: r.files ?? [] };
  }
  return { reason: "error", message: String(e), merge_anyway: false, files: [] };
}

export function statusLetter(s: FileStatus): string {
  switch (s) {
    case "added": return "A";
    case "modified": case "mode_change": return "M";
    case "deleted": return "D";
    case "renamed": return "R";
    case "copied": return "C";
    case "type_change": return "T";
  }
}

/** A file as its row says it: `path` or `old → new`. */
export function fileLabel(f: Pick<FileDiff, "path" | "old_path">): string {
  return f.old_path && f.old_path !== f.path ? `${f.old_path} → ${f.path}` : f.path;
}

/** The kinds to ask the engine for: null when every kind is on (then events of no kind show too). */
export function kindsParam(selected: ReadonlySet<TimelineKind>): TimelineKind[] | null {
  if (TIMELINE_KINDS.every((k) => selected.has(k))) return null;
  return TIMELINE_KINDS.filter((k) => selected.has(k));
}

export function toggleKind(selected: ReadonlySet<TimelineKind>, kind: TimelineKind): Set<TimelineKind> {
  const next = new Set(selected);
  if (next.has(kind)) next.delete(kind);
  else next.add(kind);
  return next;
}

export const KIND_LABELS: Record<TimelineKind, string> = {
  prompts: "Prompts", commands: "Commands", decisions: "Decisions", network: "Network", files: "Files", tests: "Tests",
};
