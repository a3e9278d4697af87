import { useCallback, useEffect, useState } from "react";
import type { Backend, HostRuleVerdict, NetworkConnection, NetworkSettings } from "../backend";

/** How often the connections are read while the Network step is shown. */
export const CONNECTIONS_EVERY_MS = 1000;

const VERDICT_TEXT: Record<NetworkConnection["verdict"], string> = {
  allowed: "Allowed",
  blocked: "Blocked",
  waiting: "Waiting for you",
};

/** The Network step: the task's presets and host rules (editable) and its live connections. */
export function NetworkPanel({ backend, task = null }: { backend: Backend; task?: string | null }) {
  const [settings, setSettings] = useState<NetworkSettings | null>(null);
  const [connections, setConnections] = useState<NetworkConnection[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [connError, setConnError] = useState<string | null>(null);
  const [host, setHost] = useState("");
  const [verdict, setVerdict] = useState<HostRuleVerdict>("deny");
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<string | null>(null);

  const refreshSettings = useCallback(async () => {
    try {
      setSettings(await backend.networkSettings(task));
      setError(null);
    } catch (e) {
      setError(String(e));
    }
  }, [backend, task]);

  const refreshConnections = useCallback(async () => {
    try {
      setConnections(await backend.taskConnections(task));
      setConnError(null);
    } catch (e) {
      setConnError(String(e));
    }
  }, [backend, task]);

  useEffect(() => {
    void refreshSettings();
  }, [refreshSettings]);

  useEffect(() => {
    void refreshConnections();
    const t = setInterval(() => void refreshConnections(), CONNECTIONS_EVERY_MS);
    return () => clearInterval(t);
  }, [refreshConnections]);

  async function change(what: () => Promise<NetworkSettings>, done: string) {
    setBusy(true);
    setNote(null);
    try {
      setSettings(await what());
      setError(null);
      setNote(done);
      return true;
    } catch (e) {
      setError(String(e));
      return false;
    } finally {
      setBusy(false);
    }
  }

  async function decide(c: NetworkConnection, v: "allow" | "deny") {
    if (c.approval === null) return;
    setBusy(true);
    setNote(null);
    try {
      await backend.decideApproval(c.approval, v, null);
      setNote(`${v === "allow" ? "Approved" : "Denied"} ${c.host} once.`);
      setConnError(null);
    } catch (e) {
      setConnError(String(e));
    } finally {
      setBusy(false);
      void refreshConnections();
    }
  }

  const task_ = settings?.task ?? task;

  return (
    <section className="policy network" data-testid="network">
      <h3>Network{task_ ? ` for task ${task_}` : ""}</h3>
      <p className="muted">
        Every connection goes through the task's proxy: the deny list first, then the allow list; anything else waits for
        you.
      </p>
      {error && (
        <p className="field-error" role="alert" data-testid="network-error">
          {error}
        </p>
      )}
      {note && (
        <p className="muted" data-testid="network-note">
          {note}
        </p>
      )}
      {settings && (
        <>
          <h4>Presets</h4>
          <ul className="rules presets" data-testid="presets">
            {settings.presets.map((p) => (
              <li key={p.name} data-testid="preset" data-preset={p.name} data-on={p.on ? "true" : "false"}>
                <label>
                  <input
                    type="checkbox"
                    checked={p.on}
                    disabled={p.locked || busy}
                    data-testid={`preset-${p.name}`}
                    onChange={(e) => {
                      const on = e.target.checked;
                      void change(() => backend.setNetworkPreset(settings.task, p.name, on), `${p.title} turned ${on ? "on" : "off"}.`);
                    }}
                  />{" "}
                  <strong>{p.title}</strong>
                  {p.locked && <span className="muted"> (always on)</span>}
                </label>
                <div className="muted" data-testid="preset-explanation">
                  {p.explanation}
                </div>
              </li>
            ))}
          </ul>
          <h4>Your host rules</h4>
          {settings.rules.length === 0 ? (
            <p className="muted" data-testid="no-network-rules">
              No host rules of your own for this task.
            </p>
          ) : (
            <ul className="rules" data-testid="network-rules">
              {settings.rules.map((r) => (
                <li key={r.id} data-testid="network-rule" data-host={r.host} data-verdict={r.verdict}>
                  <span className={`badge ${r.verdict === "deny" ? "fail" : "ok"}`}>{r.verdict}</span> <code>{r.host}</code>{" "}
                  <button
                    disabled={busy}
                    data-testid="remove-network-rule"
                    onClick={() => void change(() => backend.removeNetworkRule(settings.task, r.id), `Removed ${r.verdict} ${r.host}.`)}
                  >
                    Remove
                  </button>
                </li>
              ))}
            </ul>
          )}
          <form
            className="add-rule"
            onSubmit={(e) => {
              e.preventDefault();
              const h = host.trim();
              if (!h) return;
              void change(() => backend.addNetworkRule(settings.task, h, verdict), `Added: ${verdict} ${h}.`).then((ok) => {
                if (ok) setHost("");
              });
            }}
          >
            <select value={verdict} onChange={(e) => setVerdict(e.target.value as HostRuleVerdict)} data-testid="network-rule-verdict">
              <option value="deny">Deny</option>
              <option value="allow">Allow</option>
            </select>{" "}
            <input
              value={host}
              placeholder="example.com or *.example.com"
              onChange={(e) => setHost(e.target.value)}
              data-testid="network-rule-host"
            />{" "}
            <button type="submit" disabled={busy || host.trim() === ""} data-testid="add-network-rule">
              Add rule
            </button>
          </form>
        </>
      )}
      <h4>Connections</h4>
      {connError && (
        <p className="field-error" role="alert" data-testid="connections-error">
          {connError}
        </p>
      )}
      {connections === null ? (
        <p className="muted">Reading the task's connections…</p>
      ) : connections.length === 0 ? (
        <p className="muted" data-testid="no-connections">
          No connections yet.
        </p>
      ) : (
        <ul className="rules connections" data-testid="connections">
          {connections.map((c) => (
            <li key={c.key} data-testid="connection" data-host={c.host} data-verdict={c.verdict}>
              <span className={`badge ${c.verdict === "allowed" ? "ok" : c.verdict === "blocked" ? "fail" : "warn"}`}>
                {VERDICT_TEXT[c.verdict]}
              </span>{" "}
              <code data-testid="connection-host">
                {c.host}:{c.port}
              </code>{" "}
              <span className="muted" data-testid="connection-rule">
                {c.rule}
              </span>{" "}
              <span className="muted">{c.at}</span>
              {c.verdict === "waiting" && (
                <>
                  {c.secs_left !== null && <span className="muted"> · denied in {c.secs_left} s</span>}{" "}
                  <button disabled={busy} data-testid="connection-approve" onClick={() => void decide(c, "allow")}>
                    Approve
                  </button>{" "}
                  <button disabled={busy} data-testid="connection-deny" onClick={() => void decide(c, "deny")}>
                    Deny
                  </button>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
