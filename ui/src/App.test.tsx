import { describe, expect, it } from "vitest";
import { render, screen, waitFor, fireEvent } from "@testing-library/react";
import { App } from "./App";
import type { Backend, StepState } from "./backend";

// The app's view of a backend that answers with fixed engine states: this tests
// rendering only; the real engine is exercised by the end-to-end test.
function backendWith(steps: StepState[] | Error): Backend {
  return {
    steps: () => (steps instanceof Error ? Promise.reject(steps.message) : Promise.resolve(steps)),
    auditStatus: () => Promise.resolve({ events: 0, problems: [] }),
    doctor: () => Promise.resolve([]),
    appInfo: () => Promise.resolve({ version: "0.1.0", home: "/tmp/p" }),
  };
}

const s = (id: StepState["id"], status: StepState["status"], summary = ""): StepState => ({
  id, title: id[0].toUpperCase() + id.slice(1), why: `why ${id}`, status, summary,
});

describe("App", () => {
  it("renders every step with its state and opens the first broken one", async () => {
    render(<App backend={backendWith([s("workspace", "not_set_up"), s("logs", "fail", "row 2 was edited")])} />);
    await waitFor(() => expect(screen.getByTestId("step-logs")).toBeTruthy());
    expect(screen.getByTestId("step-workspace").getAttribute("data-status")).toBe("not_set_up");
    expect(screen.getByTestId("step-summary").textContent).toBe("row 2 was edited");
    fireEvent.click(screen.getByTestId("step-workspace"));
    expect(screen.getByTestId("step-detail").textContent).toContain("why workspace");
  });

  it("shows the engine's error instead of pretending", async () => {
    render(<App backend={backendWith(new Error("database is not a Paddock database"))} />);
    await waitFor(() => expect(screen.getByTestId("error").textContent).toContain("not a Paddock database"));
  });
});
