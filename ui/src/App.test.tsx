import { afterEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { App } from "./App";
import { fakeBackend, fixedTask, step as s } from "./testSupport";

// The app's view of a backend that answers with fixed engine states: this tests
// rendering only; the real engine is exercised by the end-to-end tests.
afterEach(cleanup);

const REPO = "/src/app";
const repos = { [REPO]: { branches: ["dev", "main"], head: "main" } };
const taskSteps = [s("workspace", "not_set_up", "no active task yet"), s("branch", "not_set_up"), s("goal", "not_set_up")];

function type(testId: string, value: string) {
  fireEvent.change(screen.getByTestId(testId), { target: { value } });
}

const createButton = () => screen.getByTestId("create-task") as HTMLButtonElement;

describe("App", () => {
  it("renders every step with its state and opens the first broken one", async () => {
    const { backend } = fakeBackend({ steps: [s("workspace", "not_set_up"), s("logs", "fail", "row 2 was edited")] });
    render(<App backend={backend} />);
    await waitFor(() => expect(screen.getByTestId("step-logs")).toBeTruthy());
    expect(screen.getByTestId("step-workspace").getAttribute("data-status")).toBe("not_set_up");
    expect(screen.getByTestId("step-summary").textContent).toBe("row 2 was edited");
    expect(screen.queryByTestId("task-form")).toBeNull();
    fireEvent.click(screen.getByTestId("step-workspace"));
    expect(screen.getByTestId("step-detail").textContent).toContain("why workspace");
    expect(screen.getByTestId("task-form")).toBeTruthy();
  });

  it("shows the engine's fix for a broken step and none for a step in place", async () => {
    const fix = "paddock agent setup claude --task shop-1";
    const { backend } = fakeBackend({ steps: [s("workspace", "ok", "works in /wt"), s("commands", "fail", "not wired", fix)] });
    render(<App backend={backend} />);
    await waitFor(() => expect(screen.getByTestId("step-fix").textContent).toBe(`Fix: ${fix}`));
    fireEvent.click(screen.getByTestId("step-workspace"));
    expect(screen.getByTestId("step-summary").textContent).toBe("works in /wt");
    expect(screen.queryByTestId("step-fix")).toBeNull();
  });

  it("shows the engine's error instead of pretending", async () => {
    const { backend } = fakeBackend({ steps: new Error("database is not a Paddock database") });
    render(<App backend={backend} />);
    await waitFor(() => expect(screen.getByTestId("error").textContent).toContain("not a Paddock database"));
  });
});

describe("the task wizard", () => {
  it("creates a task from a repository, its current branch and a narrow goal", async () => {
    const fake = fakeBackend({ steps: taskSteps, repos });
    render(<App backend={fake.backend} />);
    await waitFor(() => expect(screen.getByTestId("task-form")).toBeTruthy());
    expect(createButton().disabled).toBe(true);
    expect(screen.getByTestId("create-missing").textContent).toBe("Choose a repository.");

    type("repo-path", REPO);
    await waitFor(() => expect((screen.getByTestId("base-branch") as HTMLSelectElement).value).toBe("main"));
    expect(screen.getByTestId("repo-note").textContent).toContain("1 uncommitted change in your checkout");
    expect(screen.getByTestId("base-note").textContent).toContain("from main at 01234567");
    const options = [...screen.getByTestId("base-branch").querySelectorAll("option")].map((o) => o.value);
    expect(options).toEqual(["dev", "main"]);

    type("goal", "Fix checkout tax calculation and add tests");
    await waitFor(() => expect(screen.getByTestId("goal-ok")).toBeTruthy());
    expect(screen.queryByTestId("goal-warnings")).toBeNull();
    expect(createButton().disabled).toBe(false);

    fireEvent.change(screen.getByTestId("agent"), { target: { value: "codex" } });
    fireEvent.click(createButton());
    await waitFor(() => expect(screen.getByTestId("task-created")).toBeTruthy());
    expect(fake.created).toEqual([
      { repo: REPO, base: "main", goal: "Fix checkout tax calculation and add tests", agent: "codex", accept_goal_warnings: false },
    ]);
    expect(screen.getByTestId("created-where").textContent).toBe(
      "works in /p/worktrees/app/1a2b3c4d on paddock/fix-checkout-tax-calculation-and-1a2b3c4d; main is protected",
    );

    fireEvent.click(screen.getByTestId("show-tasks"));
    await waitFor(() => expect(screen.getAllByTestId("task-row")).toHaveLength(1));
    expect(screen.getByTestId("task-state").textContent).toBe("Ready");
    expect(screen.getByTestId("task-branch").textContent).toBe("paddock/fix-checkout-tax-calculation-and-1a2b3c4d");
    expect(screen.getByTestId("task-worktree").textContent).toBe("/p/worktrees/app/1a2b3c4d");
    expect(screen.getByTestId("task-goal").textContent).toContain("Fix checkout tax calculation and add tests");
    expect(screen.getByTestId("nav-tasks").textContent).toBe("Tasks (1)");
  });

  it("asks the engine about another base branch and sends it", async () => {
    const fake = fakeBackend({ steps: taskSteps, repos });
    render(<App backend={fake.backend} />);
    await waitFor(() => expect(screen.getByTestId("task-form")).toBeTruthy());
    type("repo-path", REPO);
    await waitFor(() => expect((screen.getByTestId("base-branch") as HTMLSelectElement).value).toBe("main"));
    fireEvent.change(screen.getByTestId("base-branch"), { target: { value: "dev" } });
    await waitFor(() => expect(screen.getByTestId("base-note").textContent).toContain("from dev at fedcba98"));
    type("goal", "Fix checkout tax calculation and add tests");
    await waitFor(() => expect(createButton().disabled).toBe(false));
    fireEvent.click(createButton());
    await waitFor(() => expect(fake.created).toHaveLength(1));
    expect(fake.created[0].base).toBe("dev");
  });

  it("shows live goal warnings and keeps Create disabled until the override is ticked", async () => {
    const fake = fakeBackend({ steps: taskSteps, repos });
    render(<App backend={fake.backend} />);
    await waitFor(() => expect(screen.getByTestId("task-form")).toBeTruthy());
    type("repo-path", REPO);
    type("goal", "improve stuff");
    await waitFor(() => expect(screen.getAllByTestId("goal-warning")).toHaveLength(2));
    const warning = screen.getAllByTestId("goal-warning")[1];
    expect(warning.getAttribute("data-code")).toBe("vague");
    expect(warning.textContent).toContain("names an activity but not what it applies to");
    expect(warning.textContent).toContain("name the specific thing");
    await waitFor(() => expect(screen.getByTestId("create-missing").textContent).toContain("Create anyway"));
    expect(createButton().disabled).toBe(true);

    fireEvent.click(screen.getByTestId("accept-warnings"));
    expect(createButton().disabled).toBe(false);
    fireEvent.click(createButton());
    await waitFor(() => expect(fake.created).toHaveLength(1));
    expect(fake.created[0].accept_goal_warnings).toBe(true);
  });

  it("shows the engine's words when the folder is not a repository or creating fails", async () => {
    const fake = fakeBackend({ steps: taskSteps, repos, createError: "the branch \"paddock/x\" already exists" });
    render(<App backend={fake.backend} />);
    await waitFor(() => expect(screen.getByTestId("task-form")).toBeTruthy());
    type("repo-path", "/tmp/nothing");
    await waitFor(() => expect(screen.getByTestId("repo-error").textContent).toBe("/tmp/nothing is not inside a git repository"));
    expect(createButton().disabled).toBe(true);

    fireEvent.click(screen.getByTestId("browse-repo"));
    await waitFor(() => expect((screen.getByTestId("repo-path") as HTMLInputElement).value).toBe(REPO));
    await waitFor(() => expect(screen.queryByTestId("repo-error")).toBeNull());
    type("goal", "Fix checkout tax calculation and add tests");
    await waitFor(() => expect(createButton().disabled).toBe(false));
    fireEvent.click(createButton());
    await waitFor(() => expect(screen.getByTestId("create-error").textContent).toBe("the branch \"paddock/x\" already exists"));
    expect(screen.queryByTestId("task-created")).toBeNull();
  });
});

describe("the task list", () => {
  it("lists tasks and discards one only after a confirmation, with force only after a refusal", async () => {
    const fake = fakeBackend({
      steps: taskSteps,
      tasks: [fixedTask(), fixedTask({ id: "old00001", state: "merged", branch: "paddock/old-old00001" })],
      discardError: "branch paddock/x has 2 commits not yet reviewed (not on main); review them or discard with force to throw them away",
    });
    render(<App backend={fake.backend} />);
    fireEvent.click(screen.getByTestId("nav-tasks"));
    await waitFor(() => expect(screen.getAllByTestId("task-row")).toHaveLength(2));
    const [active, merged] = screen.getAllByTestId("task-row");
    expect(merged.getAttribute("data-state")).toBe("merged");
    expect(merged.querySelector("[data-testid=discard]")).toBeNull();

    fireEvent.click(active.querySelector("[data-testid=discard]")!);
    expect(fake.discarded).toEqual([]);
    fireEvent.click(screen.getByTestId("discard-confirm"));
    await waitFor(() => expect(screen.getByTestId("discard-error").textContent).toContain("2 commits not yet reviewed"));
    fireEvent.click(screen.getByTestId("discard-force"));
    await waitFor(() => expect(screen.getAllByTestId("task-row")[0].getAttribute("data-state")).toBe("discarded"));
    expect(fake.discarded).toEqual([{ id: "1a2b3c4d", force: false }, { id: "1a2b3c4d", force: true }]);
  });

  it("opens the wizard from New task and says when there are no tasks", async () => {
    const { backend } = fakeBackend({ steps: [...taskSteps, s("logs", "fail")] });
    render(<App backend={backend} />);
    fireEvent.click(screen.getByTestId("nav-tasks"));
    await waitFor(() => expect(screen.getByTestId("no-tasks")).toBeTruthy());
    fireEvent.click(screen.getByTestId("new-task"));
    await waitFor(() => expect(screen.getByTestId("task-form")).toBeTruthy());
    expect(screen.getByTestId("step-workspace").className).toContain("selected");
  });
});
