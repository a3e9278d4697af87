import { useCallback, useEffect, useState } from "react";
import type { Backend, PolicyRuleView, PolicySummary, UserRuleInput, Verdict } from "../backend";
import { VERDICT_LABEL, verdictTone } from "../approvals";

const KINDS: { id: string; label: string; placeholder: string }[] = [
  { id: "command", label: "Command starting with", placeholder: "npm install" },
  { id: "path", label: "File path (glob)", placeholder: "migrations/**" },
  { id: "domain", label: "Domain (glob)", placeholder: "*.npmjs.org" },
  { id: "mcp", label: "MCP tool (server/tool glob)", placeholder: "github/*" },
];

const EMPTY: UserRuleInput = { id: null, verdict: "ask", kind: "command", pattern: "", access: null, reason: null };

/** The Commands step: the policy in force, and the person's own rules, editable. */
export function PolicyEditor({ backend }: { backend: Backend }) {
  const [summary, setSummary] = useState<PolicySummary | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [draft, setDraft] = useState<UserRuleInput>(EMPTY);
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<string | null>(null);

  const refresh = useCallback(async () => {
    try {
      setSummary(await backend.policySummary());
      setError(null);
    } catch (e) {
      setError(String(e));
    }
  }, [backend]);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  async function add() {
    setBusy(true);
    setNote(null);
    try {
      const rule: UserRuleInput = {
        ...draft,
        id: draft.id?.trim() ? draft.id.trim() : null,
        reason: draft.reason?.trim() ? draft.reason.trim() : null,
        access: draft.kind === "path" ? (draft.access ?? "any") : null,
      };
      setSummary(await backend.saveUserRule(rule));
      setError(null);
      setNote(`Added: ${rule.verdict} ${rule.kind} "${rule.pattern.trim()}".`);
      setDraft(EMPTY);
    } catch (e) {
      setError(String(e));
    } finally {
      setBusy(false);
    }
  }

  async function remove(r: PolicyRuleView) {
    setBusy(true);
    setNote(null);
    try {
      setSummary(await backend.deleteUserRule(r.id));
      setError(null);
      setNote(`Removed ${r.id}.`);
    } catch (e) {
      setError(String(e));
    } finally {
      setBusy(false);
    }
  }

  const kind = KINDS.find((k) => k.id === draft.kind) ?? KINDS[0];

  return (
    <section className="policy" data-testid="policy">
      <h3>The policy in force</h3>
      {error && (
        <p className="field-error" role="alert" data-testid="policy-error">
          {error}
        </p>
      )}
      {summary?.error && (
        <p className="field-error" role="alert" data-testid="policy-load-error">
          {summary.error}
        </p>
      )}
      {summary === null ? (
        <p className="muted">Reading the policy…</p>
      ) : (
        <>
          <h4>Built-in defaults</h4>
          <table className="task-table">
            <thead>
              <tr>
                <th>What</th>
                <th>Example</th>
                <th>Decision</th>
                <th>Why</th>
              </tr>
            </thead>
            <tbody>
              {summary.defaults.map((d) => (
                <tr key={d.category} data-testid="policy-default" data-verdict={d.verdict}>
                  <td>{d.category}</td>
                  <td>
                    <code>{d.example}</code>
                  </td>
                  <td>
                    <span className={`badge ${verdictTone(d.verdict)}`}>{VERDICT_LABEL[d.verdict]}</span>
                  </td>
                  <td>
                    {d.reason} <span className="note">({d.rule})</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <h4>Your rules</h4>
          <p className="note">
            In <code>{summary.user_file}</code>. Your rules come first and may relax a built-in deny; the previous file is kept
            as <code>policy.toml.bak</code>.
          </p>
          <RuleTable rules={summary.user_rules} testId="user-rule" onRemove={busy ? undefined : remove} />
          <h4>The repository's rules</h4>
          <p className="note">
            {summary.repo_file ? (
              <>
                In <code>{summary.repo_file}</code>, reviewed like code; they can never relax a built-in deny.
              </>
            ) : (
              "No active task, so no repository's paddock.toml is in force."
            )}
          </p>
          <RuleTable rules={summary.repo_rules} testId="repo-rule" />
        </>
      )}
      <div className="task-form rule-form" data-testid="rule-form">
        <h4>Add a rule</h4>
        <div className="row">
          <select
            value={draft.verdict}
            onChange={(e) => setDraft({ ...draft, verdict: e.target.value as Verdict })}
            aria-label="Decision"
            data-testid="rule-verdict"
          >
            <option value="allow">Allow</option>
            <option value="ask">Ask</option>
            <option value="deny">Deny</option>
          </select>
          <select
            value={draft.kind}
            onChange={(e) => setDraft({ ...draft, kind: e.target.value })}
            aria-label="Matches"
            data-testid="rule-kind"
          >
            {KINDS.map((k) => (
              <option key={k.id} value={k.id}>
                {k.label}
              </option>
            ))}
          </select>
          <input
            type="text"
            value={draft.pattern}
            placeholder={kind.placeholder}
            onChange={(e) => setDraft({ ...draft, pattern: e.target.value })}
            aria-label="Pattern"
            data-testid="rule-pattern"
          />
          {draft.kind === "path" && (
            <select
              value={draft.access ?? "any"}
              onChange={(e) => setDraft({ ...draft, access: e.target.value })}
              aria-label="Access"
              data-testid="rule-access"
            >
              <option value="any">read or write</option>
              <option value="read">read</option>
              <option value="write">write</option>
            </select>
          )}
        </div>
        <div className="row">
          <input
            type="text"
            value={draft.reason ?? ""}
            placeholder="Why (shown to you and the agent)"
            onChange={(e) => setDraft({ ...draft, reason: e.target.value })}
            aria-label="Reason"
            data-testid="rule-reason"
          />
          <input
            type="text"
            value={draft.id ?? ""}
            placeholder="name (optional)"
            onChange={(e) => setDraft({ ...draft, id: e.target.value })}
            aria-label="Rule name"
            data-testid="rule-id"
          />
          <button className="primary" disabled={busy || draft.pattern.trim() === ""} onClick={() => void add()} data-testid="add-rule">
            Add rule
          </button>
        </div>
        {note && (
          <p className="note ok" data-testid="rule-note">
            {note}
          </p>
        )}
      </div>
    </section>
  );
}

function RuleTable({
  rules,
  testId,
  onRemove,
}: {
  rules: PolicyRuleView[];
  testId: string;
  onRemove?: (r: PolicyRuleView) => void;
}) {
  if (rules.length === 0) return <p className="muted" data-testid={`no-${testId}s`}>None.</p>;
  return (
    <ul className="rules">
      {rules.map((r) => (
        <li key={r.id} data-testid={testId} data-rule-id={r.id}>
          <span className={`badge ${verdictTone(r.verdict)}`}>{VERDICT_LABEL[r.verdict]}</span> {r.kind}{" "}
          <code>{r.pattern}</code>
          {r.access && r.access !== "any" ? ` (${r.access})` : ""} — {r.reason} <span className="note">{r.id}</span>{" "}
          {onRemove && r.deletable && (
            <button onClick={() => onRemove(r)} data-testid="delete-rule">
              Remove
            </button>
          )}
        </li>
      ))}
    </ul>
  );
}
