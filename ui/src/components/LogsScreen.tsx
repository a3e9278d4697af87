import { useEffect, useState } from "react";
import type { Backend, Task, TimelineEntry, TimelineKind } from "../backend";
import { TIMELINE_KINDS } from "../backend";
import { KIND_LABELS, kindsParam, toggleKind } from "../review";

interface Props {
  backend: Backend;
  tasks: Task[] | null;
  /** The task to show first (e.g. from a review page). */
  task: string | null;
  onTask: (task: string) => void;
}

/** A task's timeline from the audit log, filtered by kind. */
export function LogsScreen({ backend, tasks, task, onTask }: Props) {
  const [kinds, setKinds] = useState<Set<TimelineKind>>(new Set(TIMELINE_KINDS));
  const [entries, setEntries] = useState<TimelineEntry[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const current = task ?? tasks?.[0]?.id ?? null;

  useEffect(() => {
    if (!current) return;
    let live = true;
    setEntries(null);
    backend.taskTimeline(current, kindsParam(kinds)).then(
      (e) => {
        if (live) {
          setEntries(e);
          setError(null);
        }
      },
      (e) => live && setError(String(e)),
    );
    return () => {
      live = false;
    };
  }, [backend, current, kinds]);

  return (
    <section className="logs" data-testid="logs">
      <h2>Logs</h2>
      <p className="muted">What happened in a task, from Paddock's append-only audit log, oldest first.</p>
      <div className="logs-controls">
        <label>
          Task{" "}
          <select value={current ?? ""} onChange={(e) => onTask(e.currentTarget.value)} data-testid="logs-task">
            {(tasks ?? []).map((t) => (
              <option key={t.id} value={t.id}>{t.id} — {t.goal}</option>
            ))}
          </select>
        </label>
        <div className="kinds" role="group" aria-label="Kinds">
          {TIMELINE_KINDS.map((k) => (
            <label key={k} className={`kind-chip${kinds.has(k) ? " on" : ""}`}>
              <input type="checkbox" checked={kinds.has(k)} onChange={() => setKinds((s) => toggleKind(s, k))} data-testid={`kind-${k}`} />
              {KIND_LABELS[k]}
            </label>
          ))}
        </div>
      </div>
      {error && <p className="field-error" role="alert" data-testid="logs-error">{error}</p>}
      {!current ? (
        <p className="muted">No tasks yet.</p>
      ) : entries === null ? (
        <p className="muted">Reading the log…</p>
      ) : entries.length === 0 ? (
        <p className="muted" data-testid="logs-empty">No events of these kinds.</p>
      ) : (
        <ol className="timeline" data-testid="timeline">
          {entries.map((e) => (
            <li key={e.id} className="timeline-entry" data-testid="timeline-entry" data-kind={e.kind} data-kinds={e.kinds.join(" ")}>
              <time>{e.at.replace("T", " ").replace(/\.\d+/, "")}</time>
              <span className="event-kind">{e.kind}</span>
              {e.verdict && <span className={`badge ${e.verdict === "allow" ? "ok" : e.verdict === "deny" ? "fail" : "warn"}`}>{e.verdict}</span>}
              <span className="actor muted">{e.actor}</span>
              <div className="event-reason">{e.reason}</div>
              {e.subject && <code className="event-subject">{e.subject}</code>}
              <details>
                <summary className="small muted">payload</summary>
                <pre>{e.payload}</pre>
              </details>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
