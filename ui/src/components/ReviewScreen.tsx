import { useCallback, useEffect, useState } from "react";
import type {
  Backend, FileContents, MergeOutcome, MergeRefusal, QueueEntry, ReviewComment, ReviewDiff, ReviewNote,
} from "../backend";
import { fileLabel, mergeWaitsFor, offerMergeAnyway, queueBadges, refusalOf, reviewProgress, testBadge } from "../review";
import { FileList } from "./FileList";
import { CodeMirrorDiff, preloadDiffView, type DiffViewComponent } from "./diffView";

interface ScreenProps {
  backend: Backend;
  queue: QueueEntry[] | null;
  error: string | null;
  onChanged: () => void;
  onShowLogs: (task: string) => void;
  /** The diff component (tests pass a plain one; the app uses CodeMirror). */
  DiffView?: DiffViewComponent;
}

/** The review queue, or one task's review page. */
export function ReviewScreen({ backend, queue, error, onChanged, onShowLogs, DiffView = CodeMirrorDiff }: ScreenProps) {
  const [open, setOpen] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  if (open) {
    return (
      <ReviewPage
        backend={backend}
        task={open}
        DiffView={DiffView}
        onBack={() => {
          setOpen(null);
          onChanged();
        }}
        onDone={(what) => {
          setDone(what);
          setOpen(null);
          onChanged();
        }}
        onShowLogs={onShowLogs}
      />
    );
  }
  return (
    <section className="review-queue" data-testid="review-queue">
      <h2>Review</h2>
      <p className="muted">Tasks whose agent has stopped, newest first. Nothing merges into a base branch until you approve it here.</p>
      {done && <p className="note ok" data-testid="review-done">{done}</p>}
      {error && <p className="field-error" role="alert" data-testid="review-error">{error}</p>}
      {queue === null ? (
        <p className="muted">Reading the review queue…</p>
      ) : queue.length === 0 ? (
        <p className="muted" data-testid="review-empty">No task is awaiting review.</p>
      ) : (
        <ul className="queue">
          {queue.map((e) => (
            <li key={e.task.id} className="queue-entry" data-testid="queue-entry" data-task-id={e.task.id}>
              <button className="queue-open" onClick={() => setOpen(e.task.id)} data-testid="queue-open">
                <span className="task-id">{e.task.id}</span>
                <span className="goal" data-testid="queue-goal">{e.task.goal}</span>
              </button>
              <div className="queue-meta">
                <code>{e.task.branch}</code> → <code>{e.task.base}</code> · {e.task.repo_name} · {e.files} file{e.files === 1 ? "" : "s"}{" "}
                <span className="add">+{e.additions}</span> <span className="del">−{e.deletions}</span>
              </div>
              <div className="queue-badges">
                {queueBadges(e).map((b) => (
                  <span key={b.id} className={`badge ${b.tone}`} data-testid={`badge-${b.id}`}>{b.label}</span>
                ))}
              </div>
              {e.error && <p className="field-error">{e.error}</p>}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

interface PageProps {
  backend: Backend;
  task: string;
  DiffView: DiffViewComponent;
  onBack: () => void;
  onDone: (what: string) => void;
  onShowLogs: (task: string) => void;
}

export function ReviewPage({ backend, task, DiffView, onBack, onDone, onShowLogs }: PageProps) {
  const [diff, setDiff] = useState<ReviewDiff | null>(null);
  const [note, setNote] = useState<ReviewNote | null>(null);
  const [comments, setComments] = useState<ReviewComment[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [contents, setContents] = useState<{ path: string; contents: FileContents } | null>(null);
  const [fileError, setFileError] = useState<string | null>(null);
  const [busy, setBusy] = useState<ReadonlySet<string>>(new Set());
  const [line, setLine] = useState<number | null>(null);

  const reload = useCallback(async () => {
    try {
      const [d, n, c] = await Promise.all([backend.reviewDiff(task), backend.reviewNote(task), backend.reviewComments(task)]);
      setDiff(d);
      setNote(n);
      setComments(c);
      setError(null);
    } catch (e) {
      setError(String(e));
    }
  }, [backend, task]);

  useEffect(() => {
    preloadDiffView();
    void reload();
  }, [reload]);

  const openFile = useCallback(
    async (path: string) => {
      setSelected(path);
      setLine(null);
      setFileError(null);
      try {
        const c = await backend.reviewFile(task, path);
        // For the end-to-end first-paint measurement: when both sides arrived.
        performance.mark("paddock:file-loaded");
        setContents({ path, contents: c });
      } catch (e) {
        setContents(null);
        setFileError(String(e));
      }
    },
    [backend, task],
  );

  const mark = useCallback(
    async (path: string, reviewed: boolean) => {
      setBusy((b) => new Set(b).add(path));
      try {
        const f = await backend.reviewMark(task, path, reviewed);
        setDiff((d) => (d ? { ...d, files: d.files.map((x) => (x.path === path ? f : x)) } : d));
        setError(null);
        // The note's "not yet reviewed" line follows the marks.
        backend.reviewNote(task).then(setNote, () => undefined);
      } catch (e) {
        setError(String(e));
      } finally {
        setBusy((b) => {
          const n = new Set(b);
          n.delete(path);
          return n;
        });
      }
    },
    [backend, task],
  );

  const progress = diff ? reviewProgress(diff) : null;
  const file = diff?.files.find((f) => f.path === selected) ?? null;

  return (
    <section className="review-page" data-testid="review-page" data-task-id={task}>
      <div className="review-head">
        <button onClick={onBack} data-testid="review-back">← Queue</button>
        <h2>
          Review <span className="task-id">{task}</span>
        </h2>
        {progress && (
          <span className={`badge ${progress.all ? "ok" : "warn"}`} data-testid="review-progress">
            {progress.reviewed}/{progress.total} reviewed
          </span>
        )}
        {note && <span className={`badge ${testBadge(note.test_status).tone}`} data-testid="review-tests">{testBadge(note.test_status).label}</span>}
        <button onClick={() => onShowLogs(task)} data-testid="review-logs">Logs</button>
      </div>
      {error && <p className="field-error" role="alert" data-testid="review-page-error">{error}</p>}
      {note && <NotePanel note={note} />}
      <div className="review-body">
        <aside className="review-files">
          {diff ? (
            <FileList files={diff.files} selected={selected} busy={busy} onSelect={(p) => void openFile(p)} onMark={(p, r) => void mark(p, r)} />
          ) : (
            <p className="muted">Reading the diff…</p>
          )}
        </aside>
        <div className="review-diff">
          {file ? (
            <>
              <div className="diff-head">
                <strong data-testid="diff-path">{fileLabel(file)}</strong>
                <span className="muted">{file.status.replace("_", " ")}</span>
                {file.crlf && <span className="badge warn">CRLF</span>}
                {file.non_utf8 && <span className="badge warn">not UTF-8</span>}
                <label className="check">
                  <input
                    type="checkbox"
                    checked={file.reviewed}
                    disabled={busy.has(file.path)}
                    onChange={(e) => void mark(file.path, e.currentTarget.checked)}
                    data-testid="diff-reviewed"
                  />{" "}
                  Reviewed
                </label>
              </div>
              {fileError && <p className="field-error">{fileError}</p>}
              {contents && contents.path === file.path && (
                file.binary || contents.contents.old?.binary || contents.contents.new?.binary ? (
                  <p className="muted" data-testid="diff-binary">Binary file ({contents.contents.old?.size ?? 0} → {contents.contents.new?.size ?? 0} bytes): no text to show.</p>
                ) : (
                  <DiffView path={file.path} contents={contents.contents} onLine={setLine} />
                )
              )}
              <CommentBox
                backend={backend}
                task={task}
                path={file.path}
                line={line}
                onClearLine={() => setLine(null)}
                onAdded={(c) => setComments((cs) => [...cs, c])}
              />
            </>
          ) : (
            <p className="muted" data-testid="diff-none">Choose a file to see its side-by-side diff.</p>
          )}
        </div>
      </div>
      <Comments comments={comments} />
      <ReviewActions
        backend={backend}
        task={task}
        diff={diff}
        note={note}
        unsent={comments.filter((c) => c.sent_at === null).length}
        onDone={onDone}
        onRefresh={() => void reload()}
      />
    </section>
  );
}

function NotePanel({ note }: { note: ReviewNote }) {
  return (
    <details className="note-panel" open data-testid="review-note">
      <summary>
        <strong>Goal:</strong> <span data-testid="note-goal">{note.goal}</span> · <code>{note.branch}</code> → <code>{note.base}</code>
      </summary>
      {note.summary && <p className="agent-summary" data-testid="note-summary">{note.summary}</p>}
      {note.attention.length > 0 && (
        <ul className="attention" data-testid="note-attention">
          {note.attention.map((a, i) => (
            <li key={i} className={`attention-${a.kind}`}>{a.text}</li>
          ))}
        </ul>
      )}
      <div className="note-columns">
        <div>
          <h4>Tests</h4>
          {note.tests.length === 0 ? (
            <p className="muted">No test command was run.</p>
          ) : (
            <ul data-testid="note-tests">
              {note.tests.map((t) => (
                <li key={t.event}>
                  <code>{t.command}</code> — {t.outcome}
                  {t.counts && ` (${t.counts.passed} passed, ${t.counts.failed} failed, ${t.counts.skipped} skipped)`}
                </li>
              ))}
            </ul>
          )}
        </div>
        <div>
          <h4>Approvals</h4>
          {note.approvals.length === 0 ? <p className="muted">None granted.</p> : (
            <ul>{note.approvals.map((a, i) => <li key={i}><code>{a.action}</code> — {a.scope}, by {a.by}</li>)}</ul>
          )}
        </div>
        <div>
          <h4>Network</h4>
          {note.network.length === 0 ? <p className="muted">No destinations.</p> : (
            <ul>{note.network.map((n) => <li key={`${n.destination}-${n.reached}`}>{n.destination} — {n.reached ? "reached" : "blocked"} ×{n.count}</li>)}</ul>
          )}
        </div>
        <div>
          <h4>Commands</h4>
          <p className="muted">{note.commands.length} run.</p>
        </div>
      </div>
    </details>
  );
}

function CommentBox({ backend, task, path, line, onClearLine, onAdded }: {
  backend: Backend; task: string; path: string; line: number | null; onClearLine: () => void; onAdded: (c: ReviewComment) => void;
}) {
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  async function add() {
    try {
      onAdded(await backend.reviewComment(task, path, line, text));
      setText("");
      setError(null);
    } catch (e) {
      setError(String(e));
    }
  }
  return (
    <div className="comment-box" data-testid="comment-box">
      <div className="comment-target" data-testid="comment-target">
        {line === null ? `Comment on ${path}` : `Comment on ${path}, line ${line}`}
        {line !== null && <button className="small" onClick={onClearLine}>whole file</button>}
        <span className="muted small"> (click a line on the right to comment on it)</span>
      </div>
      <div className="row">
        <textarea rows={2} value={text} onChange={(e) => setText(e.currentTarget.value)} data-testid="comment-text" placeholder="What should the agent change?" />
        <button onClick={() => void add()} disabled={text.trim() === ""} data-testid="comment-add">Add comment</button>
      </div>
      {error && <p className="field-error">{error}</p>}
    </div>
  );
}

function Comments({ comments }: { comments: ReviewComment[] }) {
  if (comments.length === 0) return null;
  return (
    <section className="comments" data-testid="comments">
      <h4>Comments</h4>
      <ul>
        {comments.map((c) => (
          <li key={c.id} data-testid="comment" data-sent={c.sent_at ? "true" : "false"}>
            <code>{c.path}{c.line !== null ? `:${c.line}` : ""}</code> {c.text}{" "}
            <span className="muted small">{c.sent_at ? "sent to the agent" : "not sent yet"}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

function ReviewActions({ backend, task, diff, note, unsent, onDone, onRefresh }: {
  backend: Backend; task: string; diff: ReviewDiff | null; note: ReviewNote | null; unsent: number;
  onDone: (what: string) => void; onRefresh: () => void;
}) {
  const [squash, setSquash] = useState(false);
  const [deleteBranch, setDeleteBranch] = useState(true);
  const [anyway, setAnyway] = useState(false);
  const [refusal, setRefusal] = useState<MergeRefusal | null>(null);
  const [busy, setBusy] = useState(false);
  const [instruction, setInstruction] = useState<string | null>(null);
  const [confirmDiscard, setConfirmDiscard] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const waits = mergeWaitsFor(diff);
  const offerAnyway = offerMergeAnyway(note?.test_status ?? null, refusal);

  async function merge() {
    setBusy(true);
    try {
      const o: MergeOutcome = await backend.reviewMerge(task, { squash, merge_anyway: offerAnyway && anyway, delete_branch: deleteBranch });
      setRefusal(null);
      onDone(
        `Merged task ${task} into ${o.base} (${o.kind.replace("_", " ")}): ${o.previous.slice(0, 8)} → ${o.commit.slice(0, 8)}` +
          `${o.merged_anyway ? ", merged anyway (logged)" : ""}${o.worktree_removed ? "; worktree removed" : ""}${o.branch_deleted ? "; branch deleted" : ""}.` +
          `${o.cleanup_error ? ` Cleanup: ${o.cleanup_error}` : ""}`,
      );
    } catch (e) {
      setRefusal(refusalOf(e));
      onRefresh();
    } finally {
      setBusy(false);
    }
  }

  async function requestChanges() {
    setBusy(true);
    try {
      setInstruction(await backend.reviewRequestChanges(task));
      setError(null);
    } catch (e) {
      setError(String(e));
    } finally {
      setBusy(false);
    }
  }

  async function discard() {
    setBusy(true);
    try {
      await backend.discardTask(task, true);
      onDone(`Discarded task ${task}: its worktree and branch are gone; ${diff?.base ?? "the base branch"} was not touched.`);
    } catch (e) {
      setError(String(e));
    } finally {
      setBusy(false);
    }
  }

  if (instruction !== null) {
    return (
      <section className="review-actions" data-testid="changes-requested">
        <p className="note ok">Changes requested: the task is running again. The agent's next instruction:</p>
        <pre className="instruction" data-testid="instruction">{instruction}</pre>
        <button onClick={() => onDone(`Changes requested on task ${task}.`)}>Back to the queue</button>
      </section>
    );
  }

  return (
    <section className="review-actions" data-testid="review-actions">
      <div className="merge-options">
        <label className="check">
          <input type="checkbox" checked={squash} onChange={(e) => setSquash(e.currentTarget.checked)} data-testid="merge-squash" /> Squash into one commit
        </label>
        <label className="check">
          <input type="checkbox" checked={deleteBranch} onChange={(e) => setDeleteBranch(e.currentTarget.checked)} data-testid="merge-delete-branch" /> Delete the task branch
        </label>
        {offerAnyway && (
          <label className="check anyway">
            <input type="checkbox" checked={anyway} onChange={(e) => setAnyway(e.currentTarget.checked)} data-testid="merge-anyway" />{" "}
            Merge anyway: {note?.test_status === "failing" ? "tests are failing" : "no tests were run"} (this is logged)
          </label>
        )}
      </div>
      <div className="actions">
        <button className="primary" onClick={() => void merge()} disabled={busy || waits !== null} data-testid="merge">
          Approve &amp; merge
        </button>
        <button onClick={() => void requestChanges()} disabled={busy || unsent === 0} data-testid="request-changes"
          title={unsent === 0 ? "Add a comment first: it becomes the agent's next instruction" : undefined}>
          Request changes{unsent > 0 ? ` (${unsent} comment${unsent === 1 ? "" : "s"})` : ""}
        </button>
        {confirmDiscard ? (
          <span className="confirm-inline">
            Throw away the agent's work on this task?{" "}
            <button className="danger" onClick={() => void discard()} disabled={busy} data-testid="discard-confirm">Discard</button>{" "}
            <button onClick={() => setConfirmDiscard(false)}>Keep</button>
          </span>
        ) : (
          <button className="danger" onClick={() => setConfirmDiscard(true)} disabled={busy} data-testid="discard">Discard</button>
        )}
      </div>
      {waits && <p className="note" data-testid="merge-waits">{waits}</p>}
      {refusal && (
        <div className="field-error" role="alert" data-testid="merge-refused" data-reason={refusal.reason}>
          The merge was refused: {refusal.message}
          {refusal.merge_anyway && !anyway && <div>Tick "Merge anyway" to merge without passing tests.</div>}
        </div>
      )}
      {error && <p className="field-error" role="alert">{error}</p>}
    </section>
  );
}
