//! Review: the task branch's diff against its merge-base with the base branch,
//! per-file review marks, comments that become the agent's next instruction,
//! the review note, and the merge — which happens only after every file is
//! reviewed and the user approves, and never loses a change in the user's
//! checkout. Paddock never pushes and never deploys. Every step is an audit event.

use std::path::Path;

use git2::{IndexAddOption, Repository, Signature, StatusOptions};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use ts_rs::TS;

use crate::audit::{self, Actor, AuditError, NewEvent};
use crate::store::{Store, StoreError};
use crate::task::{self, Task, TaskError, TaskState};
use crate::workspace::{self, WorkspaceError};

mod diff;
mod merge;
mod note;
pub mod test_output;

pub use diff::{
    DiffTotals, FileContents, FileDiff, FileSide, FileStatus, Hunk, Line, LineKind, ReviewDiff,
};
pub use merge::{merge, MergeKind, MergeOptions, MergeOutcome};
pub use note::{
    note, ApprovalGranted, AttentionItem, AttentionKind, CommandRun, NetworkDestination, NoteFile,
    ReviewNote, TestStatus,
};

#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error(transparent)]
    Task(#[from] TaskError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    #[error("git error while {doing}: {source}")]
    Git {
        doing: &'static str,
        #[source]
        source: git2::Error,
    },
    #[error("the branch {branch:?} does not exist in the repository")]
    MissingBranch { branch: String },
    #[error("task {id} is {state}; {what} needs a task that is {needs}")]
    WrongState {
        id: String,
        state: TaskState,
        what: &'static str,
        needs: &'static str,
    },
    #[error("{path:?} is not one of the files task {task} changes")]
    NotInDiff { task: String, path: String },
    #[error("a comment needs some text")]
    EmptyComment,
    #[error(
        "there are no new review comments to send; add one with `paddock review comment` first"
    )]
    NoComments,
    #[error("only the user can {what}; {actor} cannot")]
    NotTheUser { what: &'static str, actor: String },
    #[error("{count} file{} not reviewed yet: {}; mark every file reviewed before merging", if *.count == 1 { " is" } else { "s are" }, .files.join(", "))]
    Unreviewed { count: usize, files: Vec<String> },
    #[error("{reason}; pass merge anyway (--merge-anyway) to merge without passing tests (it is logged)")]
    TestsNotPassing { reason: String },
    #[error("the task's worktree {worktree} has {count} uncommitted change(s) made after the review started; run `paddock review submit --task {task}` and review them first")]
    WorktreeDirty {
        task: String,
        worktree: String,
        count: u64,
    },
    #[error("task {task} changes nothing against {base}; discard it instead")]
    NothingToMerge { task: String, base: String },
    #[error("merging {branch} into {base} conflicts in {}; {base} and your checkout were left untouched. To resolve: `cd {worktree} && git merge {base}`, fix the conflicts and commit, then `paddock review submit --task {task}`, review the resolved files and merge again", .files.join(", "))]
    Conflict {
        task: String,
        base: String,
        branch: String,
        worktree: String,
        files: Vec<String>,
    },
    #[error("refusing to merge: {base} is checked out in {checkout} and the merge would overwrite local changes to {}; commit or stash them there first (nothing was changed)", .files.join(", "))]
    DirtyCheckout {
        base: String,
        checkout: String,
        files: Vec<String>,
    },
    #[error("{base} moved while merging (now {now}); nothing was merged — try again")]
    BaseMoved { base: String, now: String },
}

fn git(doing: &'static str) -> impl FnOnce(git2::Error) -> ReviewError {
    move |source| ReviewError::Git { doing, source }
}

fn sql(doing: &'static str) -> impl FnOnce(rusqlite::Error) -> ReviewError {
    move |e| ReviewError::Store(StoreError::sql(doing, e))
}

fn log(
    store: &mut Store,
    task: &str,
    kind: &str,
    actor: Actor,
    reason: impl Into<String>,
    payload: serde_json::Value,
) -> Result<(), ReviewError> {
    audit::record(
        store,
        NewEvent::new(kind, actor, reason)
            .task(task)
            .payload(payload),
    )?;
    Ok(())
}

fn open(task: &Task) -> Result<Repository, ReviewError> {
    Ok(workspace::open_repo(Path::new(&task.repo))?)
}

// ───────────────────────────── submit ─────────────────────────────

/// What [`submit`] did.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct ReviewSummary {
    pub task: Task,
    /// The commit Paddock made of the worktree's uncommitted changes, if there were any.
    pub committed: Option<String>,
    /// The files that commit holds.
    pub committed_files: Vec<String>,
    /// Files left out of that commit because their names suggest a secret (`.env`, `*.pem`, …).
    pub skipped_secret_files: Vec<String>,
    pub totals: DiffTotals,
}

/// Files `paddock agent setup` writes into a worktree to wire the agent's hooks
/// to Paddock. They point at this machine's Paddock and must never be merged
/// into the base branch, so submit leaves them out of the task's commit.
const AGENT_CONFIG_WRITTEN_BY_PADDOCK: &[&str] = &[".claude/settings.json"];

/// Hand a task over for review: commit whatever the agent left uncommitted in
/// its worktree (on the task branch, with a message naming the task; files
/// that look secret-bearing are left out and reported), then move the task to
/// awaiting_review. Called when the agent stops (the Stop hook) or the user asks.
/// On a task already awaiting review, only the commit happens (e.g. after the
/// user resolved a conflict in the worktree).
pub fn submit(
    store: &mut Store,
    task_id: &str,
    actor: Actor,
) -> Result<ReviewSummary, ReviewError> {
    let t = task::get(store, task_id)?;
    if !matches!(t.state, TaskState::Running | TaskState::AwaitingReview) {
        return Err(ReviewError::WrongState {
            id: t.id.clone(),
            state: t.state,
            what: "submitting for review",
            needs: "running (or already awaiting review)",
        });
    }
    let (committed, committed_files, skipped) = commit_leftovers(&t)?;
    if committed.is_some() || !skipped.is_empty() {
        log(
            store,
            &t.id,
            "review.committed",
            actor.clone(),
            match &committed {
                Some(c) => format!(
                    "committed {} uncommitted file(s) on {} as {}",
                    committed_files.len(),
                    t.branch,
                    &c[..c.len().min(12)]
                ),
                None => "nothing to commit but secret-looking files".to_owned(),
            },
            serde_json::json!({
                "commit": committed,
                "files": committed_files,
                "skipped_secret_files": skipped,
                "branch": t.branch,
            }),
        )?;
    }
    let d = diff(store, task_id)?;
    let task = if t.state == TaskState::Running {
        task::transition(
            store,
            task_id,
            TaskState::AwaitingReview,
            actor.clone(),
            &format!(
                "submitted for review: {} file(s), +{} −{}",
                d.totals.files, d.totals.additions, d.totals.deletions
            ),
        )?
    } else {
        task::get(store, task_id)?
    };
    log(
        store,
        task_id,
        "review.submitted",
        actor,
        format!("{} file(s) to review against {}", d.totals.files, task.base),
        serde_json::json!({
            "head": d.head,
            "merge_base": d.merge_base,
            "files": d.totals.files,
            "additions": d.totals.additions,
            "deletions": d.totals.deletions,
            "commit": committed,
        }),
    )?;
    Ok(ReviewSummary {
        task,
        committed,
        committed_files,
        skipped_secret_files: skipped,
        totals: d.totals,
    })
}

type Leftovers = (Option<String>, Vec<String>, Vec<String>);

fn commit_leftovers(t: &Task) -> Result<Leftovers, ReviewError> {
    let wt = Path::new(&t.worktree);
    if !wt.exists() {
        return Ok((None, Vec::new(), Vec::new()));
    }
    let repo = Repository::open(wt).map_err(git("opening the task's worktree"))?;
    match workspace::worktree_branch(wt) {
        Some(b) if b == t.branch => {}
        other => {
            return Err(ReviewError::MissingBranch {
                branch: format!(
                    "{} (the worktree is on {})",
                    t.branch,
                    other.unwrap_or_else(|| "a detached HEAD".into())
                ),
            })
        }
    }
    let mut opts = StatusOptions::new();
    opts.include_untracked(true).recurse_untracked_dirs(true);
    let statuses = repo
        .statuses(Some(&mut opts))
        .map_err(git("reading the worktree's status"))?;
    let mut skipped = Vec::new();
    let mut changed = Vec::new();
    for s in statuses.iter() {
        if s.status().is_ignored() {
            continue;
        }
        let Ok(p) = s.path() else { continue };
        if AGENT_CONFIG_WRITTEN_BY_PADDOCK.contains(&p) {
            // Paddock's own hook wiring for the agent: never part of the change.
            continue;
        }
        if s.status().is_wt_new() && workspace::is_secret_bearing(Path::new(p)) {
            skipped.push(p.to_owned());
        } else {
            changed.push(p.to_owned());
        }
    }
    if changed.is_empty() {
        return Ok((None, Vec::new(), skipped));
    }
    let mut index = repo.index().map_err(git("reading the worktree's index"))?;
    let skip = skipped.clone();
    let keep_out = |p: &Path| -> i32 {
        let p = p.to_string_lossy();
        let written_by_paddock = AGENT_CONFIG_WRITTEN_BY_PADDOCK.contains(&p.as_ref());
        i32::from(written_by_paddock || skip.iter().any(|s| *s == p))
    };
    let mut filter = |p: &Path, _: &[u8]| -> i32 { keep_out(p) };
    index
        .add_all(["*"], IndexAddOption::DEFAULT, Some(&mut filter))
        .map_err(git("staging the worktree's changes"))?;
    let mut filter = |p: &Path, _: &[u8]| -> i32 { keep_out(p) };
    index
        .update_all(["*"], Some(&mut filter))
        .map_err(git("staging deleted files"))?;
    index.write().map_err(git("writing the worktree's index"))?;
    let tree_id = index.write_tree().map_err(git("writing a tree"))?;
    let head = repo
        .head()
        .and_then(|h| h.peel_to_commit())
        .map_err(git("reading the task branch's commit"))?;
    if head.tree_id() == tree_id {
        return Ok((None, Vec::new(), skipped));
    }
    let tree = repo.find_tree(tree_id).map_err(git("reading a tree"))?;
    let sig = signature(&repo)?;
    let message = format!(
        "paddock: task {}: {}\n\nChanges the agent left uncommitted, committed by Paddock when the task was submitted for review.\n",
        t.id, t.goal
    );
    let oid = repo
        .commit(Some("HEAD"), &sig, &sig, &message, &tree, &[&head])
        .map_err(git("committing the worktree's changes"))?;
    changed.sort();
    Ok((Some(oid.to_string()), changed, skipped))
}

pub(crate) fn signature(repo: &Repository) -> Result<Signature<'static>, ReviewError> {
    match repo.signature() {
        Ok(s) => Ok(s.to_owned()),
        Err(_) => Signature::now("Paddock", "paddock@localhost").map_err(git("making a signature")),
    }
}

// ───────────────────────────── diff ─────────────────────────────

/// The task branch against its merge-base with the base branch, per file, with
/// each file's review mark at its current version.
pub fn diff(store: &Store, task_id: &str) -> Result<ReviewDiff, ReviewError> {
    let t = task::get(store, task_id)?;
    let repo = open(&t)?;
    let marks = marks_of(store, task_id)?;
    diff_with(&repo, &t, &marks)
}

pub(crate) fn diff_with(
    repo: &Repository,
    t: &Task,
    marks: &[(String, String)],
) -> Result<ReviewDiff, ReviewError> {
    let ends = diff::ends(repo, &t.base, &t.branch)?;
    let (d, copies_detected) = diff::tree_diff(repo, ends.merge_base, ends.head, None)?;
    let reviewed = |path: &str, key: &str| marks.iter().any(|(p, k)| p == path && k == key);
    let files = diff::files_of(&d, &reviewed)?;
    let totals = diff::totals_of(&files);
    Ok(ReviewDiff {
        task: t.id.clone(),
        base: t.base.clone(),
        branch: t.branch.clone(),
        merge_base: ends.merge_base.to_string(),
        head: ends.head.to_string(),
        files,
        totals,
        copies_detected,
    })
}

/// Both sides of one changed file (by its path on the task branch, or its old
/// path), for a side-by-side view.
pub fn file_contents(
    store: &Store,
    task_id: &str,
    path: &str,
) -> Result<FileContents, ReviewError> {
    let t = task::get(store, task_id)?;
    let repo = open(&t)?;
    let ends = diff::ends(&repo, &t.base, &t.branch)?;
    let (d, _) = diff::tree_diff(&repo, ends.merge_base, ends.head, None)?;
    for delta in d.deltas() {
        let old = delta.old_file();
        let new = delta.new_file();
        let op = old.path().map(|p| p.to_string_lossy().into_owned());
        let np = new.path().map(|p| p.to_string_lossy().into_owned());
        if np.as_deref() == Some(path) || op.as_deref() == Some(path) {
            return Ok(FileContents {
                old: diff::side(
                    &repo,
                    op.as_deref().unwrap_or(path),
                    &old.id().to_string(),
                    u32::from(old.mode()),
                )?,
                new: diff::side(
                    &repo,
                    np.as_deref().unwrap_or(path),
                    &new.id().to_string(),
                    u32::from(new.mode()),
                )?,
            });
        }
    }
    Err(ReviewError::NotInDiff {
        task: t.id,
        path: path.to_owned(),
    })
}

// ───────────────────────────── marks ─────────────────────────────

fn marks_of(store: &Store, task_id: &str) -> Result<Vec<(String, String)>, ReviewError> {
    let mut st = store
        .conn()
        .prepare("SELECT path, review_key FROM review_marks WHERE task = ?1")
        .map_err(sql("reading review marks"))?;
    let rows = st
        .query_map([task_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(sql("reading review marks"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(sql("reading review marks"));
    rows
}

/// Mark one file reviewed (at its current version) or not reviewed.
/// Returns the file as it now stands.
pub fn mark_reviewed(
    store: &mut Store,
    task_id: &str,
    path: &str,
    reviewed: bool,
    actor: Actor,
) -> Result<FileDiff, ReviewError> {
    let t = task::get(store, task_id)?;
    if t.state != TaskState::AwaitingReview {
        return Err(ReviewError::WrongState {
            id: t.id,
            state: t.state,
            what: "marking files reviewed",
            needs: "awaiting_review",
        });
    }
    let d = diff(store, task_id)?;
    let Some(mut file) = d.files.into_iter().find(|f| f.path == path) else {
        return Err(ReviewError::NotInDiff {
            task: t.id,
            path: path.to_owned(),
        });
    };
    let key = file.review_key();
    if reviewed {
        store
            .conn()
            .execute(
                "INSERT INTO review_marks (task, path, review_key, reviewed_at, reviewed_by)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (task, path) DO UPDATE SET review_key = ?3, reviewed_at = ?4, reviewed_by = ?5",
                params![task_id, path, key, crate::time::now_rfc3339(), actor.to_string()],
            )
            .map_err(sql("recording a review mark"))?;
    } else {
        store
            .conn()
            .execute(
                "DELETE FROM review_marks WHERE task = ?1 AND path = ?2",
                params![task_id, path],
            )
            .map_err(sql("removing a review mark"))?;
    }
    file.reviewed = reviewed;
    log(
        store,
        task_id,
        if reviewed {
            "review.file_reviewed"
        } else {
            "review.file_unreviewed"
        },
        actor,
        format!(
            "{} {} ({} +{} −{})",
            if reviewed { "reviewed" } else { "unmarked" },
            path,
            file.status.as_str(),
            file.additions,
            file.deletions
        ),
        serde_json::json!({"path": path, "key": key, "status": file.status}),
    )?;
    Ok(file)
}

// ───────────────────────────── comments ─────────────────────────────

/// A reviewer's comment on a file (or one of its lines).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct ReviewComment {
    #[ts(type = "number")]
    pub id: i64,
    pub task: String,
    pub path: String,
    /// A line of the file on the task branch; none for the whole file.
    pub line: Option<u32>,
    pub text: String,
    pub created_at: String,
    pub created_by: String,
    /// When it was sent to the agent with a change request.
    pub sent_at: Option<String>,
}

/// Add a comment. The path must be one of the files the task changes.
pub fn comment(
    store: &mut Store,
    task_id: &str,
    path: &str,
    line: Option<u32>,
    text: &str,
    actor: Actor,
) -> Result<ReviewComment, ReviewError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ReviewError::EmptyComment);
    }
    let t = task::get(store, task_id)?;
    let d = diff(store, task_id)?;
    if !d
        .files
        .iter()
        .any(|f| f.path == path || f.old_path.as_deref() == Some(path))
    {
        return Err(ReviewError::NotInDiff {
            task: t.id,
            path: path.to_owned(),
        });
    }
    let now = crate::time::now_rfc3339();
    store
        .conn()
        .execute(
            "INSERT INTO review_comments (task, path, line, body, created_at, created_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![task_id, path, line, text, now, actor.to_string()],
        )
        .map_err(sql("recording a review comment"))?;
    let id = store.conn().last_insert_rowid();
    log(
        store,
        task_id,
        "review.comment",
        actor.clone(),
        format!(
            "comment on {}{}",
            path,
            line.map(|l| format!(":{l}")).unwrap_or_default()
        ),
        serde_json::json!({"comment_id": id, "path": path, "line": line, "text": text}),
    )?;
    Ok(ReviewComment {
        id,
        task: task_id.to_owned(),
        path: path.to_owned(),
        line,
        text: text.to_owned(),
        created_at: now,
        created_by: actor.to_string(),
        sent_at: None,
    })
}

/// Every comment on a task, oldest first.
pub fn comments(store: &Store, task_id: &str) -> Result<Vec<ReviewComment>, ReviewError> {
    let mut st = store
        .conn()
        .prepare(
            "SELECT id, task, path, line, body, created_at, created_by, sent_at
             FROM review_comments WHERE task = ?1 ORDER BY id",
        )
        .map_err(sql("reading review comments"))?;
    let rows = st
        .query_map([task_id], |r| {
            Ok(ReviewComment {
                id: r.get(0)?,
                task: r.get(1)?,
                path: r.get(2)?,
                line: r.get(3)?,
                text: r.get(4)?,
                created_at: r.get(5)?,
                created_by: r.get(6)?,
                sent_at: r.get(7)?,
            })
        })
        .map_err(sql("reading review comments"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(sql("reading review comments"));
    rows
}

/// Compose the comments not yet sent into the agent's next instruction, mark
/// them sent, and move the task back to running. Returns the instruction.
pub fn request_changes(
    store: &mut Store,
    task_id: &str,
    actor: Actor,
) -> Result<String, ReviewError> {
    let t = task::get(store, task_id)?;
    if t.state != TaskState::AwaitingReview {
        return Err(ReviewError::WrongState {
            id: t.id,
            state: t.state,
            what: "requesting changes",
            needs: "awaiting_review",
        });
    }
    let pending: Vec<ReviewComment> = comments(store, task_id)?
        .into_iter()
        .filter(|c| c.sent_at.is_none())
        .collect();
    if pending.is_empty() {
        return Err(ReviewError::NoComments);
    }
    let instruction = compose_instruction(&t, &pending);
    let now = crate::time::now_rfc3339();
    for c in &pending {
        store
            .conn()
            .execute(
                "UPDATE review_comments SET sent_at = ?2 WHERE id = ?1 AND sent_at IS NULL",
                params![c.id, now],
            )
            .map_err(sql("marking review comments sent"))?;
    }
    log(
        store,
        task_id,
        "review.changes_requested",
        actor.clone(),
        format!("{} comment(s) sent to the agent", pending.len()),
        serde_json::json!({
            "instruction": instruction,
            "comment_ids": pending.iter().map(|c| c.id).collect::<Vec<_>>(),
        }),
    )?;
    task::transition(
        store,
        task_id,
        TaskState::Running,
        actor,
        "changes requested in review",
    )?;
    Ok(instruction)
}

fn compose_instruction(t: &Task, pending: &[ReviewComment]) -> String {
    let mut s = format!(
        "The reviewer asked for changes before this work can be merged.\nGoal (unchanged): {}\n\n",
        t.goal
    );
    let mut seen = Vec::new();
    for p in pending.iter().map(|c| c.path.as_str()) {
        if seen.contains(&p) {
            continue;
        }
        seen.push(p);
        s.push_str(&format!("In {p}:\n"));
        for c in pending.iter().filter(|c| c.path == p) {
            match c.line {
                Some(l) => s.push_str(&format!("- line {l}: {}\n", c.text)),
                None => s.push_str(&format!("- {}\n", c.text)),
            }
        }
        s.push('\n');
    }
    s.push_str("Make these changes in this worktree, stay within the goal, run the tests, then stop so the work can be reviewed again.\n");
    s
}

/// The stored review mark for a path, if any (for tests and the UI).
pub fn mark_of(store: &Store, task_id: &str, path: &str) -> Result<Option<String>, ReviewError> {
    store
        .conn()
        .query_row(
            "SELECT reviewed_by FROM review_marks WHERE task = ?1 AND path = ?2",
            params![task_id, path],
            |r| r.get(0),
        )
        .optional()
        .map_err(sql("reading a review mark"))
}
