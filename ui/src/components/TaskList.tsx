import { useState } from "react";
import type { Backend, Task } from "../backend";
import { TASK_STATE_LABEL, canDiscard, shortCommit, taskStateTone } from "../tasks";

interface Props {
  backend: Backend;
  tasks: Task[] | null;
  error: string | null;
  onChanged: () => void;
  onNewTask: () => void;
}

/** Every task with its state, branch, worktree and goal, as the engine stored them. */
export function TaskList({ backend, tasks, error, onChanged, onNewTask }: Props) {
  return (
    <section className="tasks" data-testid="tasks">
      <div className="tasks-head">
        <h2>Tasks</h2>
        <button className="primary" onClick={onNewTask} data-testid="new-task">New task</button>
      </div>
      {error && (
        <p className="field-error" role="alert" data-testid="tasks-error">{error}</p>
      )}
      {tasks === null ? (
        <p className="muted">Reading the tasks…</p>
      ) : tasks.length === 0 ? (
        <p className="muted" data-testid="no-tasks">
          No tasks yet. A task gives the agent its own worktree, its own branch and one goal.
        </p>
      ) : (
        <table className="task-table">
          <thead>
            <tr>
              <th>State</th>
              <th>Task</th>
              <th>Branch</th>
              <th>Worktree</th>
              <th>Goal</th>
              <th aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {tasks.map((t) => (
              <TaskRow key={t.id} backend={backend} task={t} onChanged={onChanged} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function TaskRow({ backend, task, onChanged }: { backend: Backend; task: Task; onChanged: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const [refusal, setRefusal] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function discard(force: boolean) {
    setBusy(true);
    try {
      await backend.discardTask(task.id, force);
      setConfirming(false);
      setRefusal(null);
      onChanged();
    } catch (e) {
      setRefusal(String(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <tr data-testid="task-row" data-task-id={task.id} data-state={task.state}>
      <td>
        <span className={`badge ${taskStateTone(task.state)}`} data-testid="task-state" data-state={task.state}>
          {TASK_STATE_LABEL[task.state]}
        </span>
      </td>
      <td>
        <div className="task-id">{task.id}</div>
        <div className="muted small">{task.repo_name} · {task.agent}</div>
      </td>
      <td>
        <code data-testid="task-branch">{task.branch}</code>
        <div className="muted small">
          from {task.base} {shortCommit(task.base_commit)}
        </div>
      </td>
      <td>
        <code data-testid="task-worktree">{task.worktree}</code>
      </td>
      <td data-testid="task-goal">
        {task.goal}
        {task.goal_warnings.length > 0 && (
          <div className="fix">
            created despite: {task.goal_warnings.map((w) => w.code).join(", ")}
          </div>
        )}
      </td>
      <td className="row-actions">
        {canDiscard(task) && !confirming && (
          <button onClick={() => setConfirming(true)} data-testid="discard">Discard…</button>
        )}
        {confirming && (
          <div className="confirm">
            <div className="small">Remove the worktree and the branch?</div>
            <button disabled={busy} onClick={() => void discard(false)} data-testid="discard-confirm">
              Discard
            </button>
            {refusal && (
              <button disabled={busy} className="danger" onClick={() => void discard(true)} data-testid="discard-force">
                Discard and lose the work
              </button>
            )}
            <button
              disabled={busy}
              onClick={() => {
                setConfirming(false);
                setRefusal(null);
              }}
            >
              Cancel
            </button>
            {refusal && <p className="field-error" role="alert" data-testid="discard-error">{refusal}</p>}
          </div>
        )}
      </td>
    </tr>
  );
}
