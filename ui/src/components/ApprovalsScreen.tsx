import { useCallback, useEffect, useRef, useState } from "react";
import type { Backend, PendingApproval, RememberedRule } from "../backend";
import {
  MATCH_LABEL,
  ONCE,
  REACH_LABEL,
  VERDICT_LABEL,
  actionKindLabel,
  choiceProblem,
  decisionNote,
  displayOrder,
  duration,
  groupByTask,
  keepSelection,
  keyCommand,
  moveSelection,
  pendingHeadline,
  rememberScope,
  ruleSentence,
  scopeSentence,
  suggestedPrefix,
  verdictTone,
  type MatchKind,
  type Reach,
  type RememberChoice,
} from "../approvals";

interface Props {
  backend: Backend;
  /** Newest first, as the engine listed them (null: not read yet). */
  pending: PendingApproval[] | null;
  error: string | null;
  /** Ask the app to read the pending list again. */
  onChanged: () => void;
}

/** Every request waiting for a person, grouped by task, with its full context. */
export function ApprovalsScreen({ backend, pending, error, onChanged }: Props) {
  const [selected, setSelected] = useState<number | null>(null);
  const [choices, setChoices] = useState<Record<number, RememberChoice>>({});
  const [busy, setBusy] = useState<number | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [rules, setRules] = useState<RememberedRule[] | null>(null);
  const [rulesError, setRulesError] = useState<string | null>(null);

  const list = pending ?? [];
  const order = displayOrder(list);
  const current = keepSelection(order, selected);

  const refreshRules = useCallback(async () => {
    try {
      setRules(await backend.listRules());
      setRulesError(null);
    } catch (e) {
      setRulesError(String(e));
    }
  }, [backend]);

  useEffect(() => {
    void refreshRules();
  }, [refreshRules]);

  const choiceOf = (p: PendingApproval): RememberChoice => choices[p.approval.id] ?? ONCE;

  const decide = useCallback(
    async (p: PendingApproval, verdict: "allow" | "deny") => {
      const choice = choices[p.approval.id] ?? ONCE;
      const problem = verdict === "allow" ? choiceProblem(choice, p) : null;
      if (problem) {
        setFailure(problem);
        return;
      }
      setBusy(p.approval.id);
      setFailure(null);
      try {
        const rule = await backend.decideApproval(p.approval.id, verdict, verdict === "allow" ? rememberScope(choice) : null);
        setNote(decisionNote(verdict, p, rule));
        if (rule) void refreshRules();
      } catch (e) {
        setFailure(`Approval ${p.approval.id}: ${String(e)}`);
      } finally {
        setBusy(null);
        onChanged();
      }
    },
    [backend, choices, onChanged, refreshRules],
  );

  // Keyboard: j/k or arrows move, a approves, d denies (not while typing in a field).
  const latest = useRef({ order, current, list, decide });
  latest.current = { order, current, list, decide };
  useEffect(() => {
    function onKey(ev: KeyboardEvent) {
      if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
      const t = ev.target as HTMLElement | null;
      if (t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA")) return;
      const cmd = keyCommand(ev.key);
      if (!cmd) return;
      const { order, current, list, decide } = latest.current;
      ev.preventDefault();
      if (cmd === "next" || cmd === "prev") {
        setSelected(moveSelection(order, current, cmd === "next" ? 1 : -1));
        return;
      }
      const p = list.find((x) => x.approval.id === current);
      if (p) void decide(p, cmd === "approve" ? "allow" : "deny");
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  function setChoice(p: PendingApproval, change: Partial<RememberChoice>) {
    setChoices((all) => {
      const before = all[p.approval.id] ?? ONCE;
      const next = { ...before, ...change };
      if (next.match === "prefix" && next.prefix === "") next.prefix = suggestedPrefix(p);
      return { ...all, [p.approval.id]: next };
    });
  }

  async function revoke(r: RememberedRule) {
    try {
      await backend.revokeRule(r.id);
      setNote(`Revoked rule ${r.id}: ${ruleSentence(r)}. What it covered asks again.`);
      void refreshRules();
    } catch (e) {
      setRulesError(String(e));
    }
  }

  return (
    <section className="approvals" data-testid="approvals">
      <div className="tasks-head">
        <h2>Approvals</h2>
        <span className="muted" data-testid="approvals-count">
          {pending === null ? "Reading the requests…" : pendingHeadline(list.length)}
        </span>
      </div>
      <p className="note" data-testid="shortcuts">
        Keys: <kbd>j</kbd>/<kbd>k</kbd> or <kbd>↓</kbd>/<kbd>↑</kbd> move · <kbd>a</kbd> approve · <kbd>d</kbd> deny.
        An agent waits while you decide; nobody answering denies it.
      </p>
      {error && (
        <p className="field-error" role="alert" data-testid="approvals-error">
          Paddock cannot read the requests: {error}
        </p>
      )}
      {failure && (
        <p className="field-error" role="alert" data-testid="decision-error">
          {failure}
        </p>
      )}
      {note && (
        <p className="note ok" data-testid="decision-note">
          {note}
        </p>
      )}
      {groupByTask(list).map((g) => (
        <section className="approval-group" key={g.task ?? "none"} data-testid="approval-group" data-task-id={g.task ?? ""}>
          <h3>
            {g.task ? (
              <>
                Task <span className="task-id" data-testid="group-task">{g.task}</span>
              </>
            ) : (
              <span data-testid="group-task">No task</span>
            )}
            {g.goal && (
              <span className="goal" data-testid="group-goal">
                {g.goal}
              </span>
            )}
          </h3>
          {g.branch && (
            <p className="note">
              on <span data-testid="group-branch">{g.branch}</span>
            </p>
          )}
          {g.items.map((p) => (
            <ApprovalCard
              key={p.approval.id}
              p={p}
              selected={p.approval.id === current}
              busy={busy === p.approval.id}
              choice={choiceOf(p)}
              onSelect={() => setSelected(p.approval.id)}
              onChoice={(c) => setChoice(p, c)}
              onDecide={(v) => void decide(p, v)}
            />
          ))}
        </section>
      ))}
      <section className="remembered">
        <h3>Remembered decisions</h3>
        {rulesError && (
          <p className="field-error" role="alert" data-testid="rules-error">
            {rulesError}
          </p>
        )}
        {rules === null ? (
          <p className="muted">Reading the remembered decisions…</p>
        ) : rules.length === 0 ? (
          <p className="muted" data-testid="no-rules">
            None. Approving "just this once" remembers nothing.
          </p>
        ) : (
          <ul>
            {rules.map((r) => (
              <li key={r.id} data-testid="remembered-rule" data-rule-id={r.id}>
                <span className={`badge ${verdictTone(r.verdict)}`}>{VERDICT_LABEL[r.verdict]}</span>{" "}
                <span data-testid="rule-sentence">{ruleSentence(r)}</span>{" "}
                <span className="note">by {r.created_by}{r.from_approval !== null ? ` from approval ${r.from_approval}` : ""}</span>{" "}
                <button onClick={() => void revoke(r)} data-testid="revoke-rule">
                  Revoke
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>
    </section>
  );
}

interface CardProps {
  p: PendingApproval;
  selected: boolean;
  busy: boolean;
  choice: RememberChoice;
  onSelect: () => void;
  onChoice: (c: Partial<RememberChoice>) => void;
  onDecide: (v: "allow" | "deny") => void;
}

function ApprovalCard({ p, selected, busy, choice, onSelect, onChoice, onDecide }: CardProps) {
  const a = p.approval;
  const ref = useRef<HTMLElement>(null);
  useEffect(() => {
    if (selected) ref.current?.scrollIntoView?.({ block: "nearest" });
  }, [selected]);
  return (
    <article
      ref={ref}
      className={`approval${selected ? " selected" : ""}`}
      data-testid="approval"
      data-approval-id={a.id}
      data-selected={selected ? "true" : "false"}
      onClick={onSelect}
    >
      <div className="approval-head">
        <span className="badge warn">Asks</span>
        <span className="kind">{actionKindLabel(a.action)}</span>
        <code data-testid="approval-action">{p.action_text}</code>
      </div>
      <p className="approval-why">
        <strong>Why it asks:</strong> <span data-testid="approval-reason">{a.reason}</span>{" "}
        <span className="note">
          (rule <code data-testid="approval-rule">{a.rule}</code>)
        </span>
      </p>
      {a.parts.length > 0 && (
        <table className="parts">
          <thead>
            <tr>
              <th>Part</th>
              <th>Verdict</th>
              <th>Rule</th>
              <th>Reason</th>
            </tr>
          </thead>
          <tbody>
            {a.parts.map((part, i) => (
              <tr key={i} data-testid="approval-part" data-verdict={part.verdict}>
                <td>
                  <code data-testid="part-command">{part.command}</code>
                </td>
                <td>
                  <span className={`badge ${verdictTone(part.verdict)}`}>{VERDICT_LABEL[part.verdict]}</span>
                </td>
                <td>
                  <code>{part.rule}</code>
                </td>
                <td>{part.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="note" data-testid="approval-waiting">
        {a.agent ? `${a.agent} ` : ""}waiting {duration(p.waiting_secs)}
        {p.secs_left !== null ? ` · denied in ${duration(p.secs_left)} if nobody answers` : ""} · request {a.id}
        {a.project ? ` · ${p.task_repo_name ?? a.project}` : ""}
      </p>
      <div className="approval-actions" onClick={(e) => e.stopPropagation()}>
        <label>
          Remember{" "}
          <select
            value={choice.reach}
            onChange={(e) => onChoice({ reach: e.target.value as Reach })}
            data-testid="remember-reach"
          >
            {(Object.keys(REACH_LABEL) as Reach[]).map((r) => (
              <option key={r} value={r}>
                {REACH_LABEL[r]}
              </option>
            ))}
          </select>
        </label>
        {choice.reach !== "once" && (
          <select
            value={choice.match}
            onChange={(e) => onChoice({ match: e.target.value as MatchKind })}
            data-testid="remember-match"
          >
            {(Object.keys(MATCH_LABEL) as MatchKind[]).map((m) => (
              <option key={m} value={m} disabled={m === "prefix" && a.action.kind !== "shell"}>
                {MATCH_LABEL[m]}
              </option>
            ))}
          </select>
        )}
        {choice.reach !== "once" && choice.match === "prefix" && (
          <input
            type="text"
            value={choice.prefix}
            onChange={(e) => onChoice({ prefix: e.target.value })}
            aria-label="Command prefix"
            data-testid="remember-prefix"
          />
        )}
        <button className="primary" disabled={busy} onClick={() => onDecide("allow")} data-testid="approve">
          Approve
        </button>
        <button className="danger" disabled={busy} onClick={() => onDecide("deny")} data-testid="deny">
          Deny
        </button>
      </div>
      <p className="note" data-testid="scope-sentence">
        {scopeSentence(choice)}
      </p>
    </article>
  );
}
