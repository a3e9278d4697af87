import { useEffect, useState } from "react";
import type { Agent, Backend, GoalWarning, RepoReport, Task } from "../backend";
import { AGENTS, createReadiness, defaultBase, shortCommit, warningCount, whereItWorks } from "../tasks";

/** How long typing must pause before the engine is asked (ms). */
const REPO_DEBOUNCE = 350;
const GOAL_DEBOUNCE = 250;

interface Props {
  backend: Backend;
  /** Called with the new task once the engine made it. */
  onCreated: (task: Task) => void;
  onShowTasks: () => void;
}

/** Workspace, Branch and Goal in one form: repository, base branch, goal, agent. */
export function NewTaskForm({ backend, onCreated, onShowTasks }: Props) {
  const [repo, setRepo] = useState("");
  const [report, setReport] = useState<RepoReport | null>(null);
  const [repoError, setRepoError] = useState<string | null>(null);
  const [inspecting, setInspecting] = useState(false);
  const [branches, setBranches] = useState<string[]>([]);
  const [base, setBase] = useState<string | null>(null);
  const [goal, setGoal] = useState("");
  const [checkedGoal, setCheckedGoal] = useState<string | null>(null);
  const [warnings, setWarnings] = useState<GoalWarning[]>([]);
  const [acceptWarnings, setAcceptWarnings] = useState(false);
  const [agent, setAgent] = useState<Agent>("claude");
  const [creating, setCreating] = useState(false);
  const [createError, setCreateError] = useState<string | null>(null);
  const [created, setCreated] = useState<Task | null>(null);

  // The repository: its branches, then the report for the chosen base.
  useEffect(() => {
    const path = repo.trim();
    setRepoError(null);
    if (path === "") {
      setReport(null);
      setBranches([]);
      setInspecting(false);
      return;
    }
    setInspecting(true);
    let live = true;
    const t = setTimeout(async () => {
      try {
        const names = await backend.repoBranches(path);
        const head = await backend.inspectRepo(path, null);
        if (!live) return;
        setBranches(names);
        setBase((cur) => defaultBase(names, head, cur));
        setReport(head);
      } catch (e) {
        if (!live) return;
        setReport(null);
        setBranches([]);
        setRepoError(String(e));
      } finally {
        if (live) setInspecting(false);
      }
    }, REPO_DEBOUNCE);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [backend, repo]);

  // A base other than the current branch: ask the engine about that one.
  useEffect(() => {
    const path = repo.trim();
    if (!report || !base || report.base === base || path === "") return;
    let live = true;
    setInspecting(true);
    backend.inspectRepo(path, base).then(
      (r) => {
        if (live) setReport(r);
      },
      (e) => {
        if (live) {
          setReport(null);
          setRepoError(String(e));
        }
      },
    ).finally(() => {
      if (live) setInspecting(false);
    });
    return () => {
      live = false;
    };
  }, [backend, repo, base, report]);

  // The goal: the engine's warnings, live.
  useEffect(() => {
    if (goal.trim() === "") {
      setWarnings([]);
      setCheckedGoal(goal);
      return;
    }
    let live = true;
    const t = setTimeout(() => {
      backend.checkGoal(goal).then(
        (w) => {
          if (!live) return;
          setWarnings(w);
          setCheckedGoal(goal);
        },
        () => undefined,
      );
    }, GOAL_DEBOUNCE);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [backend, goal]);

  // Ticking "create anyway" covers the warnings the person saw, not later ones.
  useEffect(() => setAcceptWarnings(false), [warnings.length]);

  const { ready, missing } = createReadiness({
    repo, report, inspecting, base, goal, checkedGoal, warnings, acceptWarnings, creating,
  });

  async function browse() {
    try {
      const picked = await backend.pickFolder("Choose the repository the agent will work on");
      if (picked) setRepo(picked);
    } catch (e) {
      setRepoError(String(e));
    }
  }

  async function create() {
    setCreating(true);
    setCreateError(null);
    try {
      const task = await backend.createTask({
        repo: repo.trim(),
        base,
        goal,
        agent,
        accept_goal_warnings: warnings.length > 0 && acceptWarnings,
      });
      setCreated(task);
      onCreated(task);
    } catch (e) {
      setCreateError(String(e));
    } finally {
      setCreating(false);
    }
  }

  function startOver() {
    setCreated(null);
    setGoal("");
    setCreateError(null);
  }

  if (created) {
    return (
      <section className="task-form created" data-testid="task-created">
        <h3>Task {created.id} is ready</h3>
        <p>
          The agent <span data-testid="created-where">{whereItWorks(created)}</span>.
        </p>
        <p className="muted">
          Your checkout at <code>{created.repo}</code> is left as it was; the branch starts at{" "}
          {created.base} {shortCommit(created.base_commit)}.
        </p>
        <div className="actions">
          <button onClick={onShowTasks} data-testid="show-tasks">See all tasks</button>
          <button onClick={startOver} data-testid="another-task">Create another task</button>
        </div>
      </section>
    );
  }

  return (
    <section className="task-form" data-testid="task-form" aria-label="Create a task">
      <h3>Create a task</h3>

      <label htmlFor="repo-path">Repository</label>
      <div className="row">
        <input
          id="repo-path"
          data-testid="repo-path"
          type="text"
          spellCheck={false}
          placeholder="/home/you/some/app"
          value={repo}
          onChange={(e) => setRepo(e.target.value)}
        />
        <button type="button" onClick={() => void browse()} data-testid="browse-repo">
          Browse…
        </button>
      </div>
      {repoError && (
        <p className="field-error" role="alert" data-testid="repo-error">{repoError}</p>
      )}
      {report && !repoError && (
        <p className="note" data-testid="repo-note">
          {report.root} · {report.checkout_note}
          {report.submodules > 0 && ` · ${report.submodules} submodule(s), initialised in the worktree`}
        </p>
      )}

      <label htmlFor="base-branch">Base branch</label>
      <select
        id="base-branch"
        data-testid="base-branch"
        value={base ?? ""}
        disabled={branches.length === 0}
        onChange={(e) => setBase(e.target.value)}
      >
        {branches.length === 0 && <option value="">(choose a repository first)</option>}
        {branches.map((b) => (
          <option key={b} value={b}>{b}</option>
        ))}
      </select>
      {report && base === report.base && (
        <p className="note" data-testid="base-note">
          The task gets its own branch from {report.base} at {shortCommit(report.base_commit)};{" "}
          {report.base} itself is never touched.
        </p>
      )}

      <label htmlFor="goal">Goal</label>
      <textarea
        id="goal"
        data-testid="goal"
        rows={2}
        placeholder="Fix checkout tax calculation and add tests"
        value={goal}
        onChange={(e) => setGoal(e.target.value)}
      />
      {checkedGoal === goal && goal.trim() !== "" && warnings.length === 0 && (
        <p className="note ok" data-testid="goal-ok">The goal reads as one narrow, testable aim.</p>
      )}
      {warnings.length > 0 && (
        <div className="goal-warnings" data-testid="goal-warnings">
          <p>{warningCount(warnings.length)}:</p>
          <ul>
            {warnings.map((w) => (
              <li key={w.code} data-testid="goal-warning" data-code={w.code}>
                <strong>{w.message}</strong>
                <div className="fix">{w.suggestion}</div>
              </li>
            ))}
          </ul>
          <label className="check">
            <input
              type="checkbox"
              data-testid="accept-warnings"
              checked={acceptWarnings}
              onChange={(e) => setAcceptWarnings(e.target.checked)}
            />
            Create anyway (the override is logged)
          </label>
        </div>
      )}

      <label htmlFor="agent">Agent</label>
      <select id="agent" data-testid="agent" value={agent} onChange={(e) => setAgent(e.target.value as Agent)}>
        {AGENTS.map((a) => (
          <option key={a.id} value={a.id}>{a.label}</option>
        ))}
      </select>

      <div className="actions">
        <button
          className="primary"
          data-testid="create-task"
          disabled={!ready}
          onClick={() => void create()}
        >
          Create task
        </button>
        {missing && <span className="muted" data-testid="create-missing">{missing}</span>}
      </div>
      {createError && (
        <p className="field-error" role="alert" data-testid="create-error">{createError}</p>
      )}
    </section>
  );
}
