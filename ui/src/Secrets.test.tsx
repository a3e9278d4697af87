import { afterEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { App } from "./App";
import { SecretsPanel } from "./components/SecretsPanel";
import { fakeBackend, finding, heldFrom, step as s } from "./testSupport";

// The Secrets step over a backend with fixed engine answers. The real engine
// and keychain run in tests/app_secrets.rs.
afterEach(cleanup);

const stripe = finding("f1", ".env", 1, "stripe-live-key", "STRIPE_SECRET_KEY", "sk_live_…(32 chars)");
const openai = finding("f2", ".env", 2, "openai-key", "OPENAI_API_KEY", "sk-proj-…(60 chars)");

describe("the Secrets step", () => {
  it("scans with progress and lists the findings with their masked previews, all picked", async () => {
    const fake = fakeBackend({
      findings: [stripe, openai],
      scanProgress: [{ files: 7, bytes: 2_000_000, findings: 1 }],
    });
    render(<SecretsPanel backend={fake.backend} />);
    await screen.findByTestId("no-held");
    fireEvent.click(screen.getByTestId("secrets-scan"));
    await waitFor(() => expect(screen.getAllByTestId("finding")).toHaveLength(2));
    const rows = screen.getAllByTestId("finding");
    expect(rows.map((r) => r.getAttribute("data-name"))).toEqual(["STRIPE_SECRET_KEY", "OPENAI_API_KEY"]);
    expect(within(rows[0]).getByText(".env:1")).toBeTruthy();
    expect(within(rows[0]).getByTestId("finding-preview").textContent).toBe("sk_live_…(32 chars)");
    expect(screen.getAllByTestId("finding-pick").every((c) => (c as HTMLInputElement).checked)).toBe(true);
    expect(screen.getByTestId("secrets-summary").textContent).toBe("2 findings in 12 files under /home/me/shop");
  });

  it("shows the progress while the scan runs", async () => {
    const fake = fakeBackend({ findings: [stripe] });
    let finish: () => void = () => undefined;
    const scan = fake.backend.secretsScan;
    let report: ((p: { files: number; bytes: number; findings: number }) => void) | null = null;
    const listen = fake.backend.onSecretsScanProgress;
    fake.backend.onSecretsScanProgress = (h) => { report = h; return listen(h); };
    fake.backend.secretsScan = (t) => new Promise((res) => { finish = () => res(scan(t)); });
    render(<SecretsPanel backend={fake.backend} />);
    fireEvent.click(screen.getByTestId("secrets-scan"));
    await waitFor(() => expect(report).not.toBeNull());
    report!({ files: 40, bytes: 1_500_000, findings: 1 });
    await waitFor(() => expect(screen.getByTestId("secrets-progress").textContent).toContain("40 files, 1.5 MB, 1 finding"));
    finish();
    await screen.findAllByTestId("finding");
    expect(screen.queryByTestId("secrets-progress")).toBeNull();
  });

  it("moves every finding in one action and shows them as protected, with their references", async () => {
    const fake = fakeBackend({ findings: [stripe, openai] });
    render(<SecretsPanel backend={fake.backend} />);
    fireEvent.click(screen.getByTestId("secrets-scan"));
    await screen.findAllByTestId("finding");
    fireEvent.click(screen.getByTestId("secrets-move"));
    await waitFor(() => expect(screen.getAllByTestId("held-secret")).toHaveLength(2));
    expect(fake.moves).toEqual([{ task: null, ids: [], all: true }]);
    expect(screen.getByTestId("secrets-note").textContent).toBe("Moved 2 secrets to the keychain; .env now holds references.");
    expect(screen.getByTestId("held").textContent).toContain("paddock://shop/STRIPE_SECRET_KEY");
    expect(screen.getByTestId("held").textContent).toContain("paddock://shop/OPENAI_API_KEY");
    expect(screen.queryAllByTestId("finding")).toHaveLength(0);
  });

  it("moves only the picked findings", async () => {
    const fake = fakeBackend({ findings: [stripe, openai] });
    render(<SecretsPanel backend={fake.backend} />);
    fireEvent.click(screen.getByTestId("secrets-scan"));
    await screen.findAllByTestId("finding");
    fireEvent.click(screen.getAllByTestId("finding-pick")[1]);
    fireEvent.click(screen.getByTestId("secrets-move"));
    await waitFor(() => expect(screen.getAllByTestId("held-secret")).toHaveLength(1));
    expect(fake.moves).toEqual([{ task: null, ids: ["f1"], all: false }]);
    expect(screen.getAllByTestId("finding").map((r) => r.getAttribute("data-id"))).toEqual(["f2"]);
  });

  it("shows the engine's errors verbatim", async () => {
    const fake = fakeBackend({ findings: [stripe], moveError: "keychain: no secret service is running" });
    render(<SecretsPanel backend={fake.backend} />);
    fireEvent.click(screen.getByTestId("secrets-scan"));
    await screen.findAllByTestId("finding");
    fireEvent.click(screen.getByTestId("secrets-move"));
    await waitFor(() => expect(screen.getByTestId("secrets-error").textContent).toBe("keychain: no secret service is running"));
    const failing = fakeBackend({ findings: "no active task; create one first" });
    cleanup();
    render(<SecretsPanel backend={failing.backend} />);
    fireEvent.click(screen.getByTestId("secrets-scan"));
    await waitFor(() => expect(screen.getByTestId("secrets-error").textContent).toBe("no active task; create one first"));
  });

  it("lists what is already held when opened", async () => {
    const fake = fakeBackend({ held: [heldFrom(stripe, 1)] });
    render(<SecretsPanel backend={fake.backend} />);
    const item = await screen.findByTestId("held-secret");
    expect(item.textContent).toBe("paddock://shop/STRIPE_SECRET_KEY — .env:1 (stripe-live-key)");
  });

  it("is shown when the Secrets step is selected in the wizard", async () => {
    const fake = fakeBackend({ steps: [s("workspace", "ok"), s("secrets", "not_set_up", "Not set up")] });
    render(<App backend={fake.backend} />);
    fireEvent.click((await screen.findAllByText("Secrets"))[0]);
    await screen.findByTestId("secrets-panel");
  });
});
