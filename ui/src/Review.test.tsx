import { afterEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { ReviewScreen } from "./components/ReviewScreen";
import { LogsScreen } from "./components/LogsScreen";
import type { DiffViewProps } from "./components/diffView";
import type { TimelineEntry } from "./backend";
import { changedFile, fakeBackend, fixedTask, queueEntry, reviewDiff, reviewNote } from "./testSupport";

// The review queue, the review page and the Logs screen over a backend with
// fixed engine answers. The CodeMirror view is swapped for a plain one here;
// the real one runs in tests/app_review.rs.
afterEach(cleanup);

function PlainDiff({ path, contents, onLine }: DiffViewProps) {
  return (
    <div data-testid="diff-view" data-path={path}>
      <pre data-testid="old-side">{contents.old?.text ?? ""}</pre>
      <pre data-testid="new-side" onClick={() => onLine?.(2)}>{contents.new?.text ?? ""}</pre>
    </div>
  );
}

function setup(over: { tests?: "passing" | "failing" | "missing"; files?: number } = {}) {
  const task = fixedTask({ state: "awaiting_review" });
  const files = Array.from({ length: over.files ?? 3 }, (_, i) =>
    changedFile(`src/f${i}.rs`, { status: i === 0 ? "added" : i === 1 ? "deleted" : "modified" }),
  );
  const diff = reviewDiff(files, task.id);
  const note = reviewNote(diff, { test_status: over.tests ?? "passing", tests: over.tests === "missing" ? [] : reviewNote(diff).tests });
  const fake = fakeBackend({
    tasks: [task],
    queue: [queueEntry(task, { test_status: over.tests ?? "passing", files: files.length })],
    reviews: {
      [task.id]: {
        diff, note,
        mergeRefusal: over.tests && over.tests !== "passing"
          ? { reason: "tests", message: "no tests were run; pass merge anyway", merge_anyway: true, files: [] }
          : undefined,
      },
    },
  });
  let changed = 0;
  render(
    <ReviewScreen backend={fake.backend} queue={fake.backend ? [queueEntry(task, { test_status: over.tests ?? "passing", files: files.length })] : null}
      error={null} onChanged={() => changed++} onShowLogs={() => undefined} DiffView={PlainDiff} />,
  );
  return { fake, task, files, changed: () => changed };
}

describe("the review queue", () => {
  it("lists tasks awaiting review with their badges", () => {
    const { task } = setup({ tests: "failing" });
    const entry = screen.getByTestId("queue-entry");
    expect(entry.getAttribute("data-task-id")).toBe(task.id);
    expect(within(entry).getByTestId("queue-goal").textContent).toBe(task.goal);
    expect(within(entry).getByTestId("badge-tests").textContent).toBe("tests failed");
    expect(within(entry).getByTestId("badge-approvals").textContent).toBe("1 approval");
    expect(within(entry).getByTestId("badge-blocked").textContent).toBe("0 blocked actions");
  });
});

describe("the review page", () => {
  it("shows each file side by side, refuses merge until every file is reviewed, then merges", async () => {
    const { fake, task } = setup();
    fireEvent.click(screen.getByTestId("queue-open"));
    await waitFor(() => expect(screen.getAllByTestId("review-file")).toHaveLength(3));
    expect(screen.getByTestId("note-goal").textContent).toBe("Fix checkout tax calculation and add tests");
    expect(screen.getByTestId("review-tests").textContent).toBe("tests passed");
    const merge = screen.getByTestId("merge") as HTMLButtonElement;
    expect(merge.disabled).toBe(true);
    expect(screen.getByTestId("merge-waits").textContent).toBe("3 files not reviewed yet: mark every file reviewed before merging");
    expect(screen.queryByTestId("merge-anyway")).toBeNull();

    fireEvent.click(within(screen.getAllByTestId("review-file")[2]).getByTestId("file-open"));
    await waitFor(() => expect(screen.getByTestId("diff-view").getAttribute("data-path")).toBe("src/f2.rs"));
    expect(screen.getByTestId("new-side").textContent).toBe("new src/f2.rs\n");

    for (const row of screen.getAllByTestId("review-file")) {
      fireEvent.click(within(row).getByTestId("file-reviewed"));
    }
    await waitFor(() => expect(screen.getByTestId("review-progress").textContent).toBe("3/3 reviewed"));
    expect(fake.marked.map((m) => m.path)).toEqual(["src/f0.rs", "src/f1.rs", "src/f2.rs"]);
    expect(merge.disabled).toBe(false);
    fireEvent.click(screen.getByTestId("merge-squash"));
    fireEvent.click(merge);
    await waitFor(() => expect(screen.getByTestId("review-done").textContent).toContain(`Merged task ${task.id} into main`));
    expect(fake.merges).toEqual([{ task: task.id, options: { squash: true, merge_anyway: false, delete_branch: true } }]);
  });

  it("offers merge anyway only when tests are missing, and shows the engine's refusal", async () => {
    const { fake, task } = setup({ tests: "missing", files: 1 });
    fireEvent.click(screen.getByTestId("queue-open"));
    await waitFor(() => expect(screen.getAllByTestId("review-file")).toHaveLength(1));
    fireEvent.click(screen.getByTestId("file-reviewed"));
    await waitFor(() => expect((screen.getByTestId("merge") as HTMLButtonElement).disabled).toBe(false));
    fireEvent.click(screen.getByTestId("merge"));
    await waitFor(() => expect(screen.getByTestId("merge-refused").getAttribute("data-reason")).toBe("tests"));
    expect(screen.getByTestId("merge-refused").textContent).toContain("no tests were run");
    fireEvent.click(screen.getByTestId("merge-anyway"));
    fireEvent.click(screen.getByTestId("merge"));
    await waitFor(() => expect(screen.getByTestId("review-done").textContent).toContain("merged anyway (logged)"));
    expect(fake.merges.map((m) => m.options.merge_anyway)).toEqual([false, true]);
    expect(fake.merges[1].task).toBe(task.id);
  });

  it("sends line and file comments back to the agent as its next instruction", async () => {
    const { fake } = setup();
    fireEvent.click(screen.getByTestId("queue-open"));
    await waitFor(() => expect(screen.getAllByTestId("review-file")).toHaveLength(3));
    expect((screen.getByTestId("request-changes") as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(within(screen.getAllByTestId("review-file")[2]).getByTestId("file-open"));
    await waitFor(() => screen.getByTestId("new-side"));
    fireEvent.click(screen.getByTestId("new-side"));
    expect(screen.getByTestId("comment-target").textContent).toContain("src/f2.rs, line 2");
    fireEvent.change(screen.getByTestId("comment-text"), { target: { value: "round half to even here" } });
    fireEvent.click(screen.getByTestId("comment-add"));
    await waitFor(() => expect(screen.getAllByTestId("comment")).toHaveLength(1));
    expect(fake.comments[0]).toMatchObject({ path: "src/f2.rs", line: 2, text: "round half to even here" });
    fireEvent.click(screen.getByTestId("request-changes"));
    await waitFor(() => expect(screen.getByTestId("instruction").textContent).toContain("src/f2.rs line 2: round half to even here"));
  });

  it("discards only after a confirmation", async () => {
    const { fake, task } = setup();
    fireEvent.click(screen.getByTestId("queue-open"));
    await waitFor(() => screen.getByTestId("discard"));
    fireEvent.click(screen.getByTestId("discard"));
    expect(fake.discarded).toEqual([]);
    fireEvent.click(screen.getByTestId("discard-confirm"));
    await waitFor(() => expect(screen.getByTestId("review-done").textContent).toContain(`Discarded task ${task.id}`));
    expect(fake.discarded).toEqual([{ id: task.id, force: true }]);
  });

  it("renders only the visible rows of a 2,000-file change", async () => {
    setup({ files: 2000 });
    fireEvent.click(screen.getByTestId("queue-open"));
    await waitFor(() => expect(screen.getByTestId("file-list").getAttribute("data-count")).toBe("2000"));
    const rows = screen.getAllByTestId("review-file").length;
    expect(rows).toBeGreaterThan(5);
    expect(rows).toBeLessThan(100);
  });
});

const entry = (id: number, kind: string, kinds: TimelineEntry["kinds"], subject: string | null = null): TimelineEntry => ({
  id, at: `2025-01-01T00:00:0${id}Z`, kind, actor: "agent:claude", reason: `reason ${id}`, kinds, subject, verdict: null, payload: "{}",
});

describe("the Logs screen", () => {
  it("shows a task's timeline and filters it by kind", async () => {
    const task = fixedTask();
    const fake = fakeBackend({
      tasks: [task],
      timeline: [
        entry(1, "agent.prompt", ["prompts"], "fix the tax"),
        entry(2, "agent.action", ["decisions", "commands"], "cargo test"),
        entry(3, "agent.result", ["commands", "tests"], "cargo test"),
        entry(4, "network.deny", ["network", "decisions"], "evil.example"),
      ],
    });
    render(<LogsScreen backend={fake.backend} tasks={[task]} task={null} onTask={() => undefined} />);
    await waitFor(() => expect(screen.getAllByTestId("timeline-entry")).toHaveLength(4));
    expect(fake.timelineAsked[0]).toEqual({ task: task.id, kinds: null });
    for (const k of ["prompts", "commands", "decisions", "network", "files"]) fireEvent.click(screen.getByTestId(`kind-${k}`));
    await waitFor(() => expect(screen.getAllByTestId("timeline-entry")).toHaveLength(1));
    expect(fake.timelineAsked[fake.timelineAsked.length - 1]).toEqual({ task: task.id, kinds: ["tests"] });
    expect(screen.getByTestId("timeline-entry").getAttribute("data-kind")).toBe("agent.result");
  });
});
