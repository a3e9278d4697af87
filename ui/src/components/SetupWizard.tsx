import { useCallback, useEffect, useRef, useState } from "react";
import type { AckKind, Backend, ChainReport, LaunchAgent, LaunchOutcome, LaunchPlan, SetupStage, SetupView, Task } from "../backend";
import { STATUS_LABEL } from "../wizard";
import {
  ACK_LABEL, LAUNCH_AGENTS, STAGES, STAGE_TITLE, defaultLaunchAgent, gateOf, nextStage, openSteps, paddockWhere,
  previousStage, stageIndex, stepOf, whyNotNext,
} from "../setup";
import { NewTaskForm } from "./NewTaskForm";
import { SecretsPanel } from "./SecretsPanel";
import { NetworkPanel } from "./NetworkPanel";
import { PolicyEditor } from "./PolicyEditor";

/** How often the engine re-measures the open step (a move of secrets, an agent's first action). */
export const SETUP_EVERY_MS = 2000;

/** How long typing a command must pause before the engine builds the plan (ms). */
const PLAN_DEBOUNCE = 300;

interface Props {
  backend: Backend;
  /** Where the engine says the setup stands (resumed or begun). */
  initial: SetupView;
  /** A task was created (the app refreshes its lists). */
  onCreated: (task: Task) => void;
  onShowApprovals: () => void;
  onShowReview: () => void;
  onShowLogs: (task: string) => void;
}

/**
 * "Set up a task": the repository, then the eight steps in order, each with
 * why it matters, what Paddock measured for this task, and the fix in place;
 * then the last screen, which says whether the project is ready and starts
 * the agent inside its fence. The engine records where the person is and
 * decides whether a step may be left.
 */
export function SetupWizard({ backend, initial, onCreated, onShowApprovals, onShowReview, onShowLogs }: Props) {
  const [view, setView] = useState<SetupView>(initial);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const task = view.task;
  const stage = view.stage;
  // A re-measurement answers for the stage it was asked about; once the person
  // has moved on (or a move is under way) its answer is stale and dropped.
  const moves = useRef(0);

  const taskId = task?.id ?? null;
  const remeasure = useCallback(async () => {
    if (!taskId) return;
    const asked = moves.current;
    try {
      const v = await backend.setupView(taskId, stage);
      if (moves.current === asked) setView(v);
    } catch (e) {
      if (moves.current === asked) setError(String(e));
    }
  }, [backend, taskId, stage]);

  useEffect(() => {
    if (!taskId) return;
    const t = setInterval(() => void remeasure(), SETUP_EVERY_MS);
    return () => clearInterval(t);
  }, [taskId, remeasure]);

  async function act(work: () => Promise<SetupView>) {
    moves.current += 1;
    setBusy(true);
    setError(null);
    try {
      setView(await work());
    } catch (e) {
      setError(String(e));
    } finally {
      moves.current += 1;
      setBusy(false);
    }
  }

  const go = (to: SetupStage) => task && void act(() => backend.setupGo(task.id, to));
  const ack = (kind: AckKind) => task && void act(() => backend.setupAck(task.id, stage, kind, stage));

  async function created(t: Task) {
    onCreated(t);
    await act(() => backend.setupGo(t.id, "workspace"));
  }

  const step = stepOf(view, stage);
  const gate = gateOf(view, stage);
  const next = nextStage(stage);
  const prev = previousStage(stage);
  const blockedWhy = whyNotNext(gate);
  const acked = (kind: AckKind) => view.acks.some((a) => a.step === stage && a.kind === kind);

  return (
    <main className="wizard setup" data-testid="setup" data-stage={stage} data-task={task?.id ?? ""}>
      <nav className="steps" aria-label="Setup">
        <h3 className="setup-title">Set up a task</h3>
        <ol>
          {STAGES.map((s, i) => {
            const measured = stepOf(view, s);
            const reachable = task !== null && i <= stageIndex(stage) && s !== "repository";
            return (
              <li key={s}>
                <button
                  className={`step ${measured?.status ?? ""} ${s === stage ? "selected" : ""}`}
                  data-testid={`setup-stage-${s}`}
                  data-status={measured?.status ?? ""}
                  disabled={!reachable || busy}
                  onClick={() => go(s)}
                >
                  <span className="num">{i + 1}</span>
                  <span className="title">{STAGE_TITLE[s]}</span>
                  {measured && <span className={`badge ${measured.status}`}>{STATUS_LABEL[measured.status]}</span>}
                </button>
              </li>
            );
          })}
        </ol>
      </nav>
      <section className="detail">
        {error && (
          <p className="field-error" role="alert" data-testid="setup-error">
            {error}
          </p>
        )}
        {stage === "repository" || !task ? (
          <>
            <h2>Pick the repository</h2>
            <p className="why">
              The agent gets its own worktree on a new branch of this repository, with one narrow goal; your checkout and
              its branch stay as they are.
            </p>
            <NewTaskForm backend={backend} onCreated={(t) => void created(t)} onShowTasks={() => undefined} />
          </>
        ) : stage === "ready" ? (
          <ReadyScreen
            backend={backend}
            view={view}
            task={task}
            onBack={() => go("review")}
            onShowApprovals={onShowApprovals}
            onShowReview={onShowReview}
          />
        ) : (
          <>
            <article className="step-detail" data-testid="setup-step">
              <h2>
                {STAGE_TITLE[stage]}{" "}
                {step && (
                  <span className={`badge ${step.status}`} data-testid="setup-status" data-status={step.status}>
                    {STATUS_LABEL[step.status]}
                  </span>
                )}
              </h2>
              {step && <p className="why" data-testid="setup-why">{step.why}</p>}
              <p className="summary" data-testid="setup-summary">
                {step ? step.summary : "Measuring…"}
              </p>
              {step?.fix && (
                <p className="fix" data-testid="setup-step-fix">
                  Fix: <code>{step.fix}</code>
                </p>
              )}
            </article>
            {stage === "commands" && task.agent !== "other" && step && step.status !== "ok" && (
              <WireAgent backend={backend} task={task} onWired={() => void remeasure()} />
            )}
            <StageFix backend={backend} stage={stage} task={task} onShowLogs={onShowLogs} />
            {gate?.needs.includes("policy_reviewed") || acked("policy_reviewed") ? (
              <AckBox kind="policy_reviewed" done={acked("policy_reviewed")} busy={busy} onAck={ack} />
            ) : null}
            {gate?.needs.includes("review_required") || acked("review_required") ? (
              <AckBox kind="review_required" done={acked("review_required")} busy={busy} onAck={ack} />
            ) : null}
            {step?.status === "warn" && (
              <AckBox kind="continue_anyway" done={acked("continue_anyway")} busy={busy} onAck={ack} />
            )}
            <div className="actions setup-actions">
              <button data-testid="setup-back" disabled={!prev || busy} onClick={() => prev && go(prev)}>
                Back
              </button>
              <button
                className="primary"
                data-testid="setup-next"
                disabled={!next || busy || !gate?.can_leave}
                onClick={() => next && go(next)}
              >
                Next: {next ? STAGE_TITLE[next] : ""}
              </button>
              {blockedWhy && (
                <span className="muted" data-testid="setup-blocked">
                  {blockedWhy}
                </span>
              )}
            </div>
          </>
        )}
      </section>
    </main>
  );
}

/** The Commands step's fix in place: `paddock agent setup` for the task's agent, run by the engine. */
function WireAgent({ backend, task, onWired }: { backend: Backend; task: Task; onWired: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [written, setWritten] = useState<string[] | null>(null);
  const name = task.agent === "claude" ? "Claude Code" : "Codex";
  async function wire() {
    setBusy(true);
    setError(null);
    try {
      setWritten(await backend.wireAgent(task.id));
      onWired();
    } catch (e) {
      setError(String(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <div className="setup-fix">
      <button className="primary" data-testid="wire-agent" disabled={busy} onClick={() => void wire()}>
        {busy ? "Wiring…" : `Wire ${name} to Paddock now`}
      </button>{" "}
      <span className="muted">every tool call of the agent then passes through Paddock's policy.</span>
      {written && <p className="note ok" data-testid="wired">Wrote {written.join(", ")}.</p>}
      {error && <p className="field-error" role="alert">{error}</p>}
    </div>
  );
}

function AckBox({ kind, done, busy, onAck }: { kind: AckKind; done: boolean; busy: boolean; onAck: (k: AckKind) => void }) {
  return (
    <label className={`ack ${done ? "done" : ""}`}>
      <input
        type="checkbox"
        data-testid={`ack-${kind}`}
        checked={done}
        disabled={done || busy}
        onChange={(e) => e.target.checked && onAck(kind)}
      />
      {ACK_LABEL[kind]}
      {done && <span className="muted"> — recorded in the audit log</span>}
    </label>
  );
}

/** The fix in place for each step: the panels the app already has, bound to this task. */
function StageFix({ backend, stage, task, onShowLogs }: { backend: Backend; stage: SetupStage; task: Task; onShowLogs: (t: string) => void }) {
  switch (stage) {
    case "workspace":
      return (
        <p className="setup-fix" data-testid="setup-fix">
          Paddock made the worktree <code>{task.worktree}</code>; your checkout <code>{task.repo}</code> is untouched.
        </p>
      );
    case "branch":
      return (
        <p className="setup-fix" data-testid="setup-fix">
          The agent commits on <code>{task.branch}</code>; <code>{task.base}</code> moves only when you merge after review.
        </p>
      );
    case "goal":
      return (
        <p className="setup-fix" data-testid="setup-fix">
          The goal is the agent's first instruction and the review note's headline: “{task.goal}”.
        </p>
      );
    case "secrets":
      return <SecretsPanel backend={backend} task={task.id} />;
    case "network":
      return <NetworkPanel backend={backend} task={task.id} />;
    case "commands":
      return <PolicyEditor backend={backend} />;
    case "logs":
      return <LogsFix backend={backend} task={task} onShowLogs={onShowLogs} />;
    case "review":
      return (
        <p className="setup-fix" data-testid="setup-fix">
          When the agent ends its turn, Paddock commits its work on <code>{task.branch}</code> and puts the task in the
          Review queue. Merging into <code>{task.base}</code> is refused until every changed file is marked reviewed;
          Paddock never pushes or deploys.
        </p>
      );
    default:
      return null;
  }
}

function LogsFix({ backend, task, onShowLogs }: { backend: Backend; task: Task; onShowLogs: (t: string) => void }) {
  const [chain, setChain] = useState<ChainReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    backend.auditStatus().then(setChain, (e) => setError(String(e)));
  }, [backend]);
  return (
    <section className="setup-fix" data-testid="setup-fix">
      <p>
        The audit log is always on: there is nothing to turn on. Every decision, approval and change is appended with
        the hash of the row before it, and edits or deletions are refused.
      </p>
      {error && <p className="field-error">{error}</p>}
      {chain && (
        <p data-testid="logs-chain" data-intact={chain.problems.length === 0 ? "true" : "false"}>
          {chain.events} events; {chain.problems.length === 0 ? "hash chain verified" : `${chain.problems.length} problem(s) in the chain`}.
        </p>
      )}
      <button onClick={() => onShowLogs(task.id)} data-testid="setup-open-logs">
        Open this task's log
      </button>
    </section>
  );
}

function ReadyScreen({
  backend, view, task, onBack, onShowApprovals, onShowReview,
}: {
  backend: Backend; view: SetupView; task: Task; onBack: () => void; onShowApprovals: () => void; onShowReview: () => void;
}) {
  const [agent, setAgent] = useState<LaunchAgent>(defaultLaunchAgent(task));
  const [command, setCommand] = useState<string | null>(null);
  const [plan, setPlan] = useState<LaunchPlan | null>(null);
  const [planError, setPlanError] = useState<string | null>(null);
  const [started, setStarted] = useState<LaunchOutcome | null>(null);
  const [startError, setStartError] = useState<string | null>(null);
  const [starting, setStarting] = useState(false);
  const [copied, setCopied] = useState(false);

  useEffect(() => {
    let live = true;
    const t = setTimeout(() => {
      backend.launchPlan(task.id, agent, command).then(
        (p) => {
          if (!live) return;
          setPlan(p);
          setPlanError(null);
          setCommand((c) => c ?? p.agent_command);
        },
        (e) => live && setPlanError(String(e)),
      );
    }, command === null ? 0 : PLAN_DEBOUNCE);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [backend, task.id, agent, command]);

  async function start() {
    setStarting(true);
    setStartError(null);
    try {
      setStarted(await backend.launchAgent(task.id, agent, command));
    } catch (e) {
      setStartError(String(e));
    } finally {
      setStarting(false);
    }
  }

  async function copy() {
    if (!plan) return;
    try {
      await backend.copyText(plan.command_line);
      setCopied(true);
    } catch (e) {
      setPlanError(`cannot copy: ${String(e)}`);
    }
  }

  const open = openSteps(view);
  return (
    <section className="ready" data-testid="ready" data-ready={view.ready ? "true" : "false"}>
      <h2>{view.ready ? "Ready" : "Not ready yet"}</h2>
      <p className="why" data-testid="ready-verdict">{view.verdict}</p>
      {open.length > 0 && (
        <ul className="open-steps" data-testid="ready-open">
          {open.map((s) => (
            <li key={s.id} data-testid="ready-open-step" data-step={s.id} data-status={s.status}>
              <span className={`badge ${s.status}`}>{STATUS_LABEL[s.status]}</span> <strong>{s.title}</strong>: {s.summary}
            </li>
          ))}
        </ul>
      )}
      <h3>Start the agent</h3>
      <div className="launch">
        <div className="row" role="radiogroup" aria-label="Agent">
          {LAUNCH_AGENTS.map((a) => (
            <label key={a.id} className="check">
              <input
                type="radio"
                name="launch-agent"
                data-testid={`launch-agent-${a.id}`}
                checked={agent === a.id}
                onChange={() => {
                  setAgent(a.id);
                  setCommand(null);
                  setStarted(null);
                }}
              />
              {a.label}
            </label>
          ))}
        </div>
        <label htmlFor="launch-command">The agent's command (it runs inside the fence, in the task's worktree)</label>
        <input
          id="launch-command"
          type="text"
          spellCheck={false}
          data-testid="launch-command-input"
          value={command ?? ""}
          placeholder={agent === "command" ? "npm test" : ""}
          onChange={(e) => setCommand(e.target.value)}
        />
        {planError && <p className="field-error" data-testid="launch-plan-error">{planError}</p>}
        {plan && (
          <>
            <p className="note" data-testid="launch-paddock" data-source={plan.paddock_source ?? "none"}>
              {paddockWhere(plan)}
            </p>
            {plan.setup_needed && (
              <p className="note" data-testid="launch-setup">
                First, Paddock wires the agent's hooks for this task (<code>paddock agent setup {plan.agent} --task {plan.task}</code>).
              </p>
            )}
            {plan.notes.map((n) => (
              <p className="note" key={n}>{n}</p>
            ))}
            <p className="note" data-testid="launch-terminal" data-terminal={plan.terminal?.name ?? ""}>
              {plan.terminal
                ? `Opens in ${plan.terminal.name} (found through ${plan.terminal.source}).`
                : "No terminal emulator was found: paste this command into a terminal (or set $PADDOCK_TERMINAL)."}
            </p>
            <div className="row">
              <code className="command-line" data-testid="launch-command">{plan.command_line}</code>
              <button type="button" onClick={() => void copy()} data-testid="launch-copy">
                {copied ? "Copied" : "Copy"}
              </button>
            </div>
          </>
        )}
        <div className="actions">
          <button onClick={onBack} data-testid="setup-back">Back</button>
          <button
            className="primary"
            data-testid="start-agent"
            disabled={!view.ready || !plan || !plan.terminal || !plan.paddock || starting}
            onClick={() => void start()}
          >
            {starting ? "Starting…" : "Start the agent"}
          </button>
        </div>
        {startError && <p className="field-error" role="alert" data-testid="start-error">{startError}</p>}
        {started && (
          <div className="started" data-testid="started" data-pid={started.pid}>
            <p>
              Started in {started.plan.terminal?.name} (process {started.pid})
              {started.wired.length > 0 ? `, after wiring ${started.wired.join(", ")}` : ""}. What needs you appears in
              Approvals and the tray; the finished work waits in Review.
            </p>
            <div className="actions">
              <button onClick={onShowApprovals} data-testid="ready-approvals">Approvals</button>
              <button onClick={onShowReview} data-testid="ready-review">Review</button>
            </div>
          </div>
        )}
      </div>
    </section>
  );
}
