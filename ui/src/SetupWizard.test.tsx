import { afterEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { App } from "./App";
import type { SetupView, StepState } from "./backend";
import { fakeBackend, fixedTask, gateFor, launchPlan, setupView, step as s } from "./testSupport";
import { nextStage, previousStage, whyNotNext } from "./setup";

// The wizard only shows what the engine says (SetupView): these tests feed it
// fixed engine answers and check what it shows and which calls it makes.
afterEach(cleanup);

const REPO = "/src/app";
const repos = { [REPO]: { branches: ["main"], head: "main" } };
const task = fixedTask({ repo: REPO });

function measured(statuses: Partial<Record<StepState["id"], StepState["status"]>>): StepState[] {
  const ids: StepState["id"][] = ["workspace", "branch", "goal", "secrets", "network", "commands", "logs", "review"];
  return ids.map((id) => s(id, statuses[id] ?? "ok", `measured ${id}`));
}

function viewAt(stage: SetupView["stage"], steps: StepState[], acks: SetupView["acks"] = []): SetupView {
  const gates = steps.map((st) => {
    const needs = st.id === "commands" ? ["policy_reviewed" as const] : st.id === "review" ? ["review_required" as const] : [];
    const left = needs.filter((k) => !acks.some((a) => a.step === st.id && a.kind === k));
    const g = gateFor(st, left);
    const warnAcked = acks.some((a) => a.step === st.id && a.kind === "continue_anyway");
    const n = warnAcked ? g.needs.filter((k) => k !== "continue_anyway") : g.needs;
    return { ...g, needs: n, can_leave: g.blocked === null && n.length === 0 };
  });
  const ready = gates.every((g) => g.can_leave);
  return setupView({ task, stage, steps, gates, acks, ready, in_place: steps.filter((x) => x.status === "ok").length, verdict: ready ? "Ready: engine verdict." : "Not ready: engine verdict." });
}

describe("the guided setup", () => {
  it("opens on the repository screen at first launch and moves to Workspace once the task exists", async () => {
    const steps = measured({});
    const fake = fakeBackend({
      repos,
      setupResume: setupView(),
      setupAnswer: (call) => (call.op === "go" ? viewAt(call.stage, steps) : "unexpected"),
    });
    render(<App backend={fake.backend} />);
    await waitFor(() => expect(screen.getByTestId("setup").getAttribute("data-stage")).toBe("repository"));
    fireEvent.change(screen.getByTestId("repo-path"), { target: { value: REPO } });
    fireEvent.change(screen.getByTestId("goal"), { target: { value: "Fix checkout tax calculation and add tests" } });
    await waitFor(() => expect((screen.getByTestId("create-task") as HTMLButtonElement).disabled).toBe(false));
    fireEvent.click(screen.getByTestId("create-task"));
    await waitFor(() => expect(screen.getByTestId("setup").getAttribute("data-stage")).toBe("workspace"));
    expect(fake.setupCalls).toContainEqual({ op: "go", task: "1a2b3c4d", stage: "workspace" });
    expect(screen.getByTestId("setup-why").textContent).toBe("why workspace");
    expect(screen.getByTestId("setup-summary").textContent).toBe("measured workspace");
    expect(screen.getByTestId("setup-status").getAttribute("data-status")).toBe("ok");
  });

  it("resumes where the engine says, and Next follows the engine's gate", async () => {
    const steps = measured({ secrets: "warn" });
    const fake = fakeBackend({
      tasks: [task],
      setupResume: viewAt("secrets", steps),
      setupAnswer: (call, cur) => {
        if (call.op === "ack") return viewAt(cur.stage, steps, [...cur.acks, { step: call.step as StepState["id"], kind: call.kind, summary: "", at: "" }]);
        if (call.op === "go") return viewAt(call.stage, steps, cur.acks);
        return cur;
      },
    });
    render(<App backend={fake.backend} />);
    await waitFor(() => expect(screen.getByTestId("setup").getAttribute("data-stage")).toBe("secrets"));
    expect(screen.getByTestId("secrets-panel")).toBeTruthy();
    const nextButton = () => screen.getByTestId("setup-next") as HTMLButtonElement;
    expect(nextButton().disabled).toBe(true);
    expect(screen.getByTestId("setup-blocked").textContent).toContain("Continue anyway");

    fireEvent.click(screen.getByTestId("ack-continue_anyway"));
    await waitFor(() => expect(nextButton().disabled).toBe(false));
    expect(fake.setupCalls).toContainEqual({ op: "ack", task: "1a2b3c4d", step: "secrets", kind: "continue_anyway", stage: "secrets" });
    fireEvent.click(nextButton());
    await waitFor(() => expect(screen.getByTestId("setup").getAttribute("data-stage")).toBe("network"));
    expect(screen.getByTestId("network")).toBeTruthy();
  });

  it("needs the policy acknowledged on Commands and shows the engine's refusal as it is", async () => {
    const steps = measured({ commands: "warn" });
    const fake = fakeBackend({
      tasks: [task],
      setupResume: viewAt("commands", steps),
      setupAnswer: (call, cur) => {
        if (call.op === "ack") return viewAt(cur.stage, steps, [...cur.acks, { step: "commands", kind: call.kind, summary: "", at: "" }]);
        if (call.op === "go") return "the Commands step cannot be left yet: it needs continue anyway";
        return cur;
      },
    });
    render(<App backend={fake.backend} />);
    await waitFor(() => expect(screen.getByTestId("policy")).toBeTruthy());
    fireEvent.click(screen.getByTestId("ack-policy_reviewed"));
    await waitFor(() => expect((screen.getByTestId("ack-policy_reviewed") as HTMLInputElement).checked).toBe(true));
    expect(fake.setupCalls.filter((c) => c.op === "ack").map((c) => c.op === "ack" && c.kind)).toEqual(["policy_reviewed"]);
    expect((screen.getByTestId("setup-next") as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(screen.getByTestId("setup-back"));
    await waitFor(() => expect(screen.getByTestId("setup-error").textContent).toContain("cannot be left yet"));
  });

  it("offers to wire the task's agent when Commands is not in place, and re-measures", async () => {
    let wired = false;
    const fake = fakeBackend({
      tasks: [task],
      setupResume: viewAt("commands", measured({ commands: "fail" })),
      setupAnswer: (call, cur) => (call.op === "view" ? viewAt(cur.stage, measured({ commands: wired ? "ok" : "fail" }), cur.acks) : cur),
    });
    const wire = fake.backend.wireAgent;
    fake.backend.wireAgent = (t) => {
      wired = true;
      return wire(t);
    };
    render(<App backend={fake.backend} />);
    await waitFor(() => expect(screen.getByTestId("setup-status").getAttribute("data-status")).toBe("fail"));
    fireEvent.click(screen.getByTestId("wire-agent"));
    await waitFor(() => expect(screen.getByTestId("setup-status").getAttribute("data-status")).toBe("ok"));
    expect(fake.wired).toEqual(["1a2b3c4d"]);
    expect(screen.queryByTestId("wire-agent")).toBeNull();
  });

  it("the last screen says what the engine measured and starts the agent through the plan", async () => {
    const steps = measured({ commands: "warn" });
    const acks = [
      { step: "commands" as const, kind: "policy_reviewed" as const, summary: "", at: "" },
      { step: "commands" as const, kind: "continue_anyway" as const, summary: "", at: "" },
      { step: "review" as const, kind: "review_required" as const, summary: "", at: "" },
    ];
    const fake = fakeBackend({ tasks: [task], setupResume: viewAt("ready", steps, acks) });
    render(<App backend={fake.backend} />);
    await waitFor(() => expect(screen.getByTestId("ready").getAttribute("data-ready")).toBe("true"));
    expect(screen.getByTestId("ready-verdict").textContent).toBe("Ready: engine verdict.");
    expect(screen.getAllByTestId("ready-open-step").map((e) => e.getAttribute("data-step"))).toEqual(["commands"]);
    await waitFor(() => expect(screen.getByTestId("launch-command").textContent).toContain("run --task 1a2b3c4d"));
    expect(screen.getByTestId("launch-paddock").textContent).toBe("paddock beside the app: /opt/paddock/paddock");
    expect(screen.getByTestId("launch-terminal").textContent).toContain("xterm");
    expect(screen.getByTestId("launch-setup")).toBeTruthy();

    fireEvent.change(screen.getByTestId("launch-command-input"), { target: { value: "claude -p 'do it'" } });
    await waitFor(() => expect((screen.getByTestId("start-agent") as HTMLButtonElement).disabled).toBe(false));
    fireEvent.click(screen.getByTestId("start-agent"));
    await waitFor(() => expect(screen.getByTestId("started").getAttribute("data-pid")).toBe("4242"));
    expect(fake.launches).toEqual([{ task: "1a2b3c4d", agent: "claude", command: "claude -p 'do it'" }]);
    fireEvent.click(screen.getByTestId("ready-approvals"));
    await waitFor(() => expect(screen.getByTestId("nav-approvals").className).toContain("active"));
  });

  it("without a terminal it shows the exact command to paste and copies it", async () => {
    const steps = measured({});
    const acks = [
      { step: "commands" as const, kind: "policy_reviewed" as const, summary: "", at: "" },
      { step: "review" as const, kind: "review_required" as const, summary: "", at: "" },
    ];
    const fake = fakeBackend({
      tasks: [task],
      setupResume: viewAt("ready", steps, acks),
      launchPlan: (t, agent, command) => launchPlan({ task: t, agent, agent_command: command ?? "codex goal", terminal: null, paddock_source: "path", paddock: "/usr/bin/paddock", command_line: "/usr/bin/paddock run --task 1a2b3c4d -- codex goal" }),
    });
    render(<App backend={fake.backend} />);
    await waitFor(() => expect(screen.getByTestId("launch-terminal").textContent).toContain("No terminal emulator was found"));
    expect(screen.getByTestId("launch-paddock").textContent).toBe("paddock on PATH: /usr/bin/paddock");
    expect((screen.getByTestId("start-agent") as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(screen.getByTestId("launch-copy"));
    await waitFor(() => expect(fake.copied).toEqual(["/usr/bin/paddock run --task 1a2b3c4d -- codex goal"]));
  });

  it("Set up returns to where the engine says the setup stands after visiting another view", async () => {
    const steps = measured({});
    const fake = fakeBackend({
      tasks: [task],
      setupResume: viewAt("workspace", steps),
      setupAnswer: (call, cur) => (call.op === "go" ? viewAt(call.stage, steps, cur.acks) : cur),
    });
    render(<App backend={fake.backend} />);
    await waitFor(() => expect(screen.getByTestId("setup").getAttribute("data-stage")).toBe("workspace"));
    fireEvent.click(screen.getByTestId("setup-next"));
    await waitFor(() => expect(screen.getByTestId("setup").getAttribute("data-stage")).toBe("branch"));
    fireEvent.click(screen.getByTestId("nav-review"));
    await waitFor(() => expect(screen.queryByTestId("setup")).toBeNull());
    fireEvent.click(screen.getByTestId("nav-setup"));
    await waitFor(() => expect(screen.getByTestId("setup").getAttribute("data-stage")).toBe("branch"));
    expect(fake.setupCalls.some((c) => c.op === "begin")).toBe(false);
  });

  it("New task in the task list begins a new setup", async () => {
    const fake = fakeBackend({ tasks: [task], steps: measured({}) });
    render(<App backend={fake.backend} />);
    fireEvent.click(screen.getByTestId("nav-tasks"));
    fireEvent.click(await screen.findByTestId("new-task"));
    await waitFor(() => expect(screen.getByTestId("setup").getAttribute("data-stage")).toBe("repository"));
    expect(fake.setupCalls).toEqual([{ op: "begin" }]);
  });
});

describe("setup helpers", () => {
  it("walk the stages in order and never go back to the repository form", () => {
    expect(nextStage("repository")).toBe("workspace");
    expect(nextStage("review")).toBe("ready");
    expect(nextStage("ready")).toBeNull();
    expect(previousStage("workspace")).toBeNull();
    expect(previousStage("ready")).toBe("review");
  });

  it("say why Next is refused in the engine's words", () => {
    expect(whyNotNext(null)).toBeNull();
    expect(whyNotNext({ step: "logs", can_leave: false, needs: [], blocked: "Logs is broken: row 2" })).toBe("Logs is broken: row 2");
    expect(whyNotNext({ step: "review", can_leave: false, needs: ["review_required"], blocked: null })).toContain("without my review");
  });
});
