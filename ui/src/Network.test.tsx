import { afterEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { App } from "./App";
import { NetworkPanel } from "./components/NetworkPanel";
import { connection, fakeBackend, networkSettings, step as s } from "./testSupport";

// The Network step over a backend with fixed engine answers: what it shows and
// what it sends. The real engine and proxy run in tests/app_network.rs.
afterEach(cleanup);

describe("the Network step", () => {
  it("shows the presets with their state and one-line explanations; the deny list cannot be turned off", async () => {
    const fake = fakeBackend();
    render(<NetworkPanel backend={fake.backend} />);
    await waitFor(() => expect(screen.getAllByTestId("preset")).toHaveLength(5));
    const presets = screen.getAllByTestId("preset");
    expect(presets.map((p) => [p.getAttribute("data-preset"), p.getAttribute("data-on")])).toEqual([
      ["default-deny", "true"], ["localhost", "true"], ["model-api", "true"], ["packages", "false"], ["docs", "false"],
    ]);
    expect(within(presets[3]).getByTestId("preset-explanation").textContent).toContain("Off unless this task changes packages");
    expect((screen.getByTestId("preset-default-deny") as HTMLInputElement).disabled).toBe(true);
    expect(screen.getByText("Network for task 1a2b3c4d")).toBeTruthy();
  });

  it("turns a preset on and sends exactly that change", async () => {
    const fake = fakeBackend();
    render(<NetworkPanel backend={fake.backend} />);
    fireEvent.click(await screen.findByTestId("preset-packages"));
    await waitFor(() => expect(screen.getByTestId("network-note").textContent).toBe("Package registries turned on."));
    expect(fake.networkChanges).toEqual([{ task: "1a2b3c4d", change: "preset packages on" }]);
    expect(screen.getAllByTestId("preset")[3].getAttribute("data-on")).toBe("true");
  });

  it("adds a deny rule, lists it, and removes it", async () => {
    const fake = fakeBackend();
    render(<NetworkPanel backend={fake.backend} />);
    await screen.findByTestId("no-network-rules");
    fireEvent.change(screen.getByTestId("network-rule-host"), { target: { value: "blocked.test" } });
    fireEvent.click(screen.getByTestId("add-network-rule"));
    await waitFor(() => expect(screen.getAllByTestId("network-rule")).toHaveLength(1));
    const rule = screen.getByTestId("network-rule");
    expect([rule.getAttribute("data-host"), rule.getAttribute("data-verdict")]).toEqual(["blocked.test", "deny"]);
    expect((screen.getByTestId("network-rule-host") as HTMLInputElement).value).toBe("");
    fireEvent.click(within(rule).getByTestId("remove-network-rule"));
    await screen.findByTestId("no-network-rules");
    expect(fake.networkChanges.map((c) => c.change)).toEqual(["add deny blocked.test", "remove 100"]);
  });

  it("shows the engine's refusal of a host that is not a host and keeps what was typed", async () => {
    const fake = fakeBackend();
    render(<NetworkPanel backend={fake.backend} />);
    await screen.findByTestId("no-network-rules");
    fireEvent.change(screen.getByTestId("network-rule-host"), { target: { value: "http://x.test/" } });
    fireEvent.click(screen.getByTestId("add-network-rule"));
    await waitFor(() => expect(screen.getByTestId("network-error").textContent).toContain("is not a host name"));
    expect((screen.getByTestId("network-rule-host") as HTMLInputElement).value).toBe("http://x.test/");
  });

  it("lists allowed, blocked and waiting connections, with approve and deny only on the waiting one", async () => {
    const fake = fakeBackend({
      connections: [
        connection("approval:7", "unknown.test", "waiting", { approval: 7 }),
        connection("event:5", "blocked.test", "blocked"),
        connection("event:4", "allowed.test", "allowed"),
      ],
    });
    render(<NetworkPanel backend={fake.backend} />);
    await waitFor(() => expect(screen.getAllByTestId("connection")).toHaveLength(3));
    const rows = screen.getAllByTestId("connection");
    expect(rows.map((r) => [r.getAttribute("data-host"), r.getAttribute("data-verdict")])).toEqual([
      ["unknown.test", "waiting"], ["blocked.test", "blocked"], ["allowed.test", "allowed"],
    ]);
    expect(screen.getAllByTestId("connection-approve")).toHaveLength(1);
    expect(within(rows[1]).getByTestId("connection-rule").textContent).toBe("user:deny-host");
    fireEvent.click(within(rows[0]).getByTestId("connection-approve"));
    await waitFor(() => expect(screen.getByTestId("network-note").textContent).toBe("Approved unknown.test once."));
    expect(fake.decided).toEqual([{ id: 7, verdict: "allow", remember: null }]);
    await waitFor(() => expect(screen.getAllByTestId("connection")[0].getAttribute("data-verdict")).toBe("allowed"));
    expect(screen.queryByTestId("connection-approve")).toBeNull();
  });

  it("denies a waiting connection once", async () => {
    const fake = fakeBackend({ connections: [connection("approval:9", "unknown.test", "waiting", { approval: 9 })] });
    render(<NetworkPanel backend={fake.backend} />);
    fireEvent.click(await screen.findByTestId("connection-deny"));
    await waitFor(() => expect(fake.decided).toEqual([{ id: 9, verdict: "deny", remember: null }]));
    await waitFor(() => expect(screen.getByTestId("connection").getAttribute("data-verdict")).toBe("blocked"));
  });

  it("says plainly when there is no task yet", async () => {
    const fake = fakeBackend({ network: null });
    render(<NetworkPanel backend={fake.backend} />);
    await waitFor(() => expect(screen.getByTestId("network-error").textContent).toContain("no active task"));
    expect(screen.queryByTestId("presets")).toBeNull();
  });

  it("is shown when the Network step is selected", async () => {
    const fake = fakeBackend({
      steps: [s("workspace", "ok"), s("network", "ok", "Task 1a2b3c4d: your rules 0 allow, 1 deny; presets on: default-deny, localhost, model-api; 1 connection blocked.")],
      network: networkSettings("1a2b3c4d", { rules: [{ id: 3, host: "blocked.test", verdict: "deny", added_at: "2025-01-01T00:00:00Z" }] }),
    });
    render(<App backend={fake.backend} />);
    fireEvent.click(await screen.findByText("Network"));
    await waitFor(() => expect(screen.getByTestId("network-rule").getAttribute("data-host")).toBe("blocked.test"));
    expect(screen.getByTestId("step-summary").textContent).toContain("1 connection blocked");
  });
});
