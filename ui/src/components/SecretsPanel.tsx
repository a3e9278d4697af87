import { useCallback, useEffect, useState } from "react";
import type { Backend, Finding, HeldSecret, ScanProgress, ScanReport } from "../backend";

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;

/**
 * The Secrets step: scan the task's repository (with progress), the findings
 * with their masked previews, one action to move the chosen ones into the OS
 * keychain, and what Paddock protects now. Values never reach this screen.
 */
export function SecretsPanel({ backend, task = null }: { backend: Backend; task?: string | null }) {
  const [report, setReport] = useState<ScanReport | null>(null);
  const [progress, setProgress] = useState<ScanProgress | null>(null);
  const [scanning, setScanning] = useState(false);
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [held, setHeld] = useState<HeldSecret[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [moving, setMoving] = useState(false);

  const refreshHeld = useCallback(async () => {
    try {
      setHeld(await backend.secretsHeld());
    } catch (e) {
      setError(String(e));
    }
  }, [backend]);

  useEffect(() => {
    void refreshHeld();
  }, [refreshHeld]);

  async function scan() {
    setScanning(true);
    setError(null);
    setNote(null);
    setProgress({ files: 0, bytes: 0, findings: 0 });
    const stop = await backend.onSecretsScanProgress((p) => setProgress(p));
    try {
      const r = await backend.secretsScan(task);
      setReport(r);
      setPicked(new Set(r.findings.map((f) => f.id)));
    } catch (e) {
      setError(String(e));
    } finally {
      stop();
      setScanning(false);
    }
  }

  async function move() {
    if (!report) return;
    setMoving(true);
    setError(null);
    setNote(null);
    try {
      const ids = report.findings.filter((f) => picked.has(f.id)).map((f) => f.id);
      const all = ids.length === report.findings.length;
      const moved = await backend.secretsMove(task, all ? [] : ids, all);
      setNote(`Moved ${plural(moved.moved.length, "secret")} to the keychain; ${moved.files.join(", ")} now hold${moved.files.length === 1 ? "s" : ""} references.`);
      setReport({ ...report, findings: report.findings.filter((f) => !ids.includes(f.id)) });
      setPicked(new Set());
    } catch (e) {
      setError(String(e));
    } finally {
      setMoving(false);
      void refreshHeld();
    }
  }

  function toggle(f: Finding, on: boolean) {
    const next = new Set(picked);
    if (on) next.add(f.id);
    else next.delete(f.id);
    setPicked(next);
  }

  return (
    <section className="secrets" data-testid="secrets-panel">
      <h3>Secrets</h3>
      <div className="row">
        <button type="button" data-testid="secrets-scan" disabled={scanning || moving} onClick={() => void scan()}>
          {scanning ? "Scanning…" : report ? "Scan again" : "Scan for secrets"}
        </button>
        {scanning && progress && (
          <span data-testid="secrets-progress">
            <progress aria-label="Scanning" />{" "}
            {plural(progress.files, "file")}, {(progress.bytes / 1e6).toFixed(1)} MB, {plural(progress.findings, "finding")}
          </span>
        )}
      </div>
      {error && (
        <p className="field-error" role="alert" data-testid="secrets-error">
          {error}
        </p>
      )}
      {note && <p data-testid="secrets-note">{note}</p>}
      {report && !scanning && (
        <>
          <p className="muted" data-testid="secrets-summary">
            {plural(report.findings.length, "finding")} in {plural(report.files, "file")} under {report.root}
          </p>
          {report.findings.length > 0 && (
            <>
              <table data-testid="findings">
                <thead>
                  <tr>
                    <th>Move</th>
                    <th>Where</th>
                    <th>Kind</th>
                    <th>Preview</th>
                    <th>Name</th>
                  </tr>
                </thead>
                <tbody>
                  {report.findings.map((f) => (
                    <tr key={f.id} data-testid="finding" data-id={f.id} data-rule={f.rule} data-name={f.name}>
                      <td>
                        <input
                          type="checkbox"
                          aria-label={`Move ${f.name}`}
                          data-testid="finding-pick"
                          checked={picked.has(f.id)}
                          onChange={(e) => toggle(f, e.target.checked)}
                        />
                      </td>
                      <td>
                        <code>
                          {f.file}:{f.line}
                        </code>
                      </td>
                      <td title={f.title}>{f.rule}</td>
                      <td>
                        <code data-testid="finding-preview">{f.preview}</code>
                      </td>
                      <td>
                        <code>{f.name}</code>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <button
                type="button"
                data-testid="secrets-move"
                disabled={moving || picked.size === 0}
                onClick={() => void move()}
              >
                {moving ? "Moving…" : "Move selected to the keychain"}
              </button>
            </>
          )}
        </>
      )}
      <h4>Protected now</h4>
      {held === null ? (
        <p className="muted">Reading…</p>
      ) : held.length === 0 ? (
        <p className="muted" data-testid="no-held">
          No secrets held in the keychain yet.
        </p>
      ) : (
        <ul data-testid="held">
          {held.map((h) => (
            <li key={h.id} data-testid="held-secret" data-name={h.name}>
              <code>{h.reference}</code> — {h.file}:{h.line} ({h.rule})
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
