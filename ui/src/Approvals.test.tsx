import { afterEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { App } from "./App";
import { ApprovalsScreen } from "./components/ApprovalsScreen";
import { PolicyEditor } from "./components/PolicyEditor";
import { fakeBackend, pendingRequest, step as s } from "./testSupport";

// The Approvals screen and the Commands step over a backend with fixed engine
// answers: rendering and what is sent. The real engine runs in tests/app_approvals.rs.
afterEach(cleanup);

describe("the Approvals screen", () => {
  it("shows each request under its task with the command split into its parts", async () => {
    const fake = fakeBackend({ pending: [pendingRequest(3, "bbbb2222", "npm install left-pad"), pendingRequest(2)] });
    render(<ApprovalsScreen backend={fake.backend} pending={fake.pending} error={null} onChanged={() => undefined} />);
    expect(screen.getByTestId("approvals-count").textContent).toBe("2 requests waiting");
    const groups = screen.getAllByTestId("approval-group");
    expect(groups.map((g) => g.getAttribute("data-task-id"))).toEqual(["bbbb2222", "1a2b3c4d"]);
    const second = within(groups[1]);
    expect(second.getByTestId("group-goal").textContent).toBe("Fix checkout tax calculation and add tests");
    expect(second.getByTestId("group-branch").textContent).toBe("paddock/fix-checkout-tax-1a2b3c4d");
    expect(within(groups[0]).getByTestId("group-branch").textContent).toBe("paddock/fix-checkout-tax-bbbb2222");
    expect(second.getByTestId("approval-action").textContent).toBe("npm install left-pad && make");
    const parts = second.getAllByTestId("approval-part");
    expect(parts.map((p) => [p.querySelector("[data-testid=part-command]")?.textContent, p.getAttribute("data-verdict")])).toEqual([
      ["npm install left-pad", "ask"],
      ["make", "allow"],
    ]);
    expect(second.getByTestId("approval-reason").textContent).toContain("install scripts");
    expect(second.getByTestId("approval-rule").textContent).toBe("default:package-install");
    expect(second.getByTestId("approval-waiting").textContent).toContain("claude waiting 12 s · denied in 1 min 48 s");
    await waitFor(() => expect(screen.getByTestId("no-rules")).toBeTruthy());
  });

  it("approves once by default, and remembers only the scope the person chose", async () => {
    const fake = fakeBackend({ pending: [pendingRequest(3, "bbbb2222"), pendingRequest(2)] });
    render(<ApprovalsScreen backend={fake.backend} pending={fake.pending} error={null} onChanged={() => undefined} />);
    const [first, second] = screen.getAllByTestId("approval");
    fireEvent.click(within(first).getByTestId("approve"));
    await waitFor(() => expect(screen.getByTestId("decision-note").textContent).toContain("Approved once for task bbbb2222"));
    expect(fake.decided).toEqual([{ id: 3, verdict: "allow", remember: null }]);

    fireEvent.change(within(second).getByTestId("remember-reach"), { target: { value: "task" } });
    fireEvent.change(within(second).getByTestId("remember-match"), { target: { value: "prefix" } });
    expect((within(second).getByTestId("remember-prefix") as HTMLInputElement).value).toBe("npm install");
    expect(within(second).getByTestId("scope-sentence").textContent).toContain('commands starting "npm install" in this task');
    fireEvent.click(within(second).getByTestId("approve"));
    await waitFor(() => expect(screen.getByTestId("decision-note").textContent).toContain("remembered"));
    expect(fake.decided[1]).toEqual({ id: 2, verdict: "allow", remember: { reach: "task", matching: { kind: "prefix", words: ["npm", "install"] } } });
    await waitFor(() => expect(screen.getAllByTestId("remembered-rule")).toHaveLength(1));
    expect(screen.getByTestId("rule-sentence").textContent).toBe('allow shell commands starting "npm install" in task 1a2b3c4d');
    fireEvent.click(screen.getByTestId("revoke-rule"));
    await waitFor(() => expect(screen.getByTestId("no-rules")).toBeTruthy());
    expect(fake.revoked).toEqual([1]);
  });

  it("moves with j/k and decides with a and d, but not while typing", async () => {
    const fake = fakeBackend({ pending: [pendingRequest(5, "bbbb"), pendingRequest(4, "aaaa"), pendingRequest(3, "bbbb")] });
    render(<ApprovalsScreen backend={fake.backend} pending={fake.pending} error={null} onChanged={() => undefined} />);
    const selected = () => screen.getAllByTestId("approval").find((a) => a.getAttribute("data-selected") === "true")?.getAttribute("data-approval-id");
    expect(selected()).toBe("5");
    fireEvent.keyDown(window, { key: "j" });
    expect(selected()).toBe("3");
    fireEvent.keyDown(window, { key: "ArrowDown" });
    expect(selected()).toBe("4");
    fireEvent.keyDown(window, { key: "k" });
    expect(selected()).toBe("3");
    fireEvent.keyDown(window, { key: "d" });
    await waitFor(() => expect(fake.decided).toEqual([{ id: 3, verdict: "deny", remember: null }]));
    fireEvent.change(screen.getAllByTestId("remember-reach")[0], { target: { value: "task" } });
    fireEvent.keyDown(screen.getAllByTestId("remember-reach")[0], { key: "a" });
    expect(fake.decided).toHaveLength(1);
  });

  it("shows the engine's refusal instead of pretending", async () => {
    const fake = fakeBackend({ pending: [pendingRequest(2)], decideError: "approval request 2 is no longer pending (it was expired)" });
    render(<ApprovalsScreen backend={fake.backend} pending={fake.pending} error={null} onChanged={() => undefined} />);
    fireEvent.click(screen.getByTestId("deny"));
    await waitFor(() => expect(screen.getByTestId("decision-error").textContent).toContain("it was expired"));
  });

  it("is reachable from the top bar, which counts what waits", async () => {
    const fake = fakeBackend({ steps: [s("commands", "warn")], pending: [pendingRequest(2)] });
    render(<App backend={fake.backend} />);
    await waitFor(() => expect(screen.getByTestId("nav-approvals").textContent).toBe("Approvals (1)"));
    fireEvent.click(screen.getByTestId("nav-approvals"));
    await waitFor(() => expect(screen.getByTestId("approval").getAttribute("data-approval-id")).toBe("2"));
  });
});

describe("the Commands step", () => {
  it("shows the defaults as decided and the rules in force", async () => {
    const fake = fakeBackend({ steps: [s("commands", "warn")] });
    render(<App backend={fake.backend} />);
    await waitFor(() => expect(screen.getAllByTestId("policy-default")).toHaveLength(3));
    expect(screen.getAllByTestId("policy-default").map((r) => r.getAttribute("data-verdict"))).toEqual(["allow", "ask", "deny"]);
    expect(screen.getByTestId("no-user-rules")).toBeTruthy();
  });

  it("adds and removes a user rule through the engine", async () => {
    const fake = fakeBackend();
    render(<PolicyEditor backend={fake.backend} />);
    await waitFor(() => expect(screen.getByTestId("no-user-rules")).toBeTruthy());
    const add = screen.getByTestId("add-rule") as HTMLButtonElement;
    expect(add.disabled).toBe(true);
    fireEvent.change(screen.getByTestId("rule-verdict"), { target: { value: "allow" } });
    fireEvent.change(screen.getByTestId("rule-pattern"), { target: { value: "npm install" } });
    fireEvent.change(screen.getByTestId("rule-reason"), { target: { value: "our registry mirror" } });
    fireEvent.click(add);
    await waitFor(() => expect(screen.getAllByTestId("user-rule")).toHaveLength(1));
    expect(fake.savedRules).toEqual([{ id: null, verdict: "allow", kind: "command", pattern: "npm install", access: null, reason: "our registry mirror" }]);
    fireEvent.click(screen.getByTestId("delete-rule"));
    await waitFor(() => expect(screen.getByTestId("no-user-rules")).toBeTruthy());
    expect(fake.deletedRules).toEqual(["user:policy.toml#1"]);
  });

  it("shows why a rule was refused", async () => {
    const fake = fakeBackend({ saveRuleError: "policy.toml:3: bad glob `src/[`" });
    render(<PolicyEditor backend={fake.backend} />);
    fireEvent.change(screen.getByTestId("rule-kind"), { target: { value: "path" } });
    fireEvent.change(screen.getByTestId("rule-pattern"), { target: { value: "src/[" } });
    fireEvent.click(screen.getByTestId("add-rule"));
    await waitFor(() => expect(screen.getByTestId("policy-error").textContent).toContain("bad glob"));
    expect(fake.savedRules[0].access).toBe("any");
  });
});
