//! The merge: the one place Paddock moves a base branch, and only when the
//! user asks, every file is reviewed, and the tests pass (or the user said
//! "merge anyway", which is logged).
//!
//! Fast-forward when possible, else a merge commit (or a squash commit when
//! asked). The new commit is built in memory first; a conflict leaves the base
//! branch, the user's index and working tree exactly as they were. When the
//! base branch is checked out, its working tree is updated with a safe
//! checkout after checking every file the merge touches is clean there —
//! otherwise the merge is refused with the files named. The ref moves with a
//! compare-and-swap, so a base that moved meanwhile is never overwritten.
//! Paddock never pushes and never deploys.

use std::path::Path;

use git2::{build::CheckoutBuilder, Oid, Repository, RepositoryState, StatusOptions, Tree};
use serde::Serialize;
use ts_rs::TS;

use super::note::{self, TestStatus};
use super::{diff_with, git, log, marks_of, open, signature, ReviewError};
use crate::audit::Actor;
use crate::store::Store;
use crate::task::{self, Task, TaskState};
use crate::workspace;
use crate::PaddockHome;

/// What the user chose when approving the merge.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct MergeOptions {
    /// One new commit on the base instead of the branch's history.
    pub squash: bool,
    /// Merge although tests are failing or were never run (logged).
    pub merge_anyway: bool,
    /// Delete the task branch after the merge (the worktree is always removed).
    pub delete_branch: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub enum MergeKind {
    FastForward,
    MergeCommit,
    Squash,
    /// The base already contained every commit of the branch (e.g. the user merged it by hand).
    AlreadyMerged,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct MergeOutcome {
    pub task: Task,
    pub kind: MergeKind,
    pub base: String,
    /// The base's commit before and after.
    pub previous: String,
    pub commit: String,
    /// Checkouts of the base branch whose working tree was updated.
    pub checkouts_updated: Vec<String>,
    pub merged_anyway: bool,
    pub worktree_removed: bool,
    pub branch_deleted: bool,
    /// Set if the merge stood but cleaning up the worktree or branch failed.
    pub cleanup_error: Option<String>,
}

/// Merge a reviewed task into its base branch. `actor` must be the user: the
/// call is the user's approval, and it is logged as such.
pub fn merge(
    store: &mut Store,
    home: &PaddockHome,
    task_id: &str,
    opts: MergeOptions,
    actor: Actor,
) -> Result<MergeOutcome, ReviewError> {
    match merge_inner(store, home, task_id, opts, actor.clone()) {
        Ok(o) => Ok(o),
        Err(e) => {
            let refused = matches!(
                e,
                ReviewError::Unreviewed { .. }
                    | ReviewError::TestsNotPassing { .. }
                    | ReviewError::Conflict { .. }
                    | ReviewError::DirtyCheckout { .. }
                    | ReviewError::WorktreeDirty { .. }
                    | ReviewError::NothingToMerge { .. }
                    | ReviewError::BaseMoved { .. }
                    | ReviewError::NotTheUser { .. }
                    | ReviewError::WrongState { .. }
            );
            if refused && crate::task::get(store, task_id).is_ok() {
                // Best effort: the refusal itself is the answer even if logging fails.
                let _ = log(
                    store,
                    task_id,
                    "review.merge_refused",
                    actor,
                    e.to_string(),
                    serde_json::json!({"options": opts}),
                );
            }
            Err(e)
        }
    }
}

fn merge_inner(
    store: &mut Store,
    home: &PaddockHome,
    task_id: &str,
    opts: MergeOptions,
    actor: Actor,
) -> Result<MergeOutcome, ReviewError> {
    let t = task::get(store, task_id)?;
    if actor != Actor::User {
        return Err(ReviewError::NotTheUser {
            what: "approve a merge",
            actor: actor.to_string(),
        });
    }
    if t.state != TaskState::AwaitingReview {
        return Err(ReviewError::WrongState {
            id: t.id,
            state: t.state,
            what: "merging",
            needs: "awaiting_review",
        });
    }
    let repo = open(&t)?;

    // 1. Nothing left behind in the worktree that the review did not see.
    let leftovers = workspace::uncommitted_in(Path::new(&t.worktree))?;
    if leftovers > 0 {
        return Err(ReviewError::WorktreeDirty {
            task: t.id,
            worktree: t.worktree,
            count: leftovers,
        });
    }

    // 2. Every file reviewed, at the version that will be merged.
    let marks = marks_of(store, task_id)?;
    let d = diff_with(&repo, &t, &marks)?;
    let unreviewed: Vec<String> = d.unreviewed().into_iter().map(str::to_owned).collect();
    if !unreviewed.is_empty() {
        return Err(ReviewError::Unreviewed {
            count: unreviewed.len(),
            files: unreviewed,
        });
    }
    let head = Oid::from_str(&d.head).map_err(git("reading the reviewed commit"))?;
    let merge_base = Oid::from_str(&d.merge_base).map_err(git("reading the merge-base"))?;

    // 3. Tests: passing, or an explicit "merge anyway".
    let (tests, status) = note::tests_of(store, task_id)?;
    let tests_problem = match status {
        TestStatus::Passing => None,
        TestStatus::Missing => Some("no tests were run on this task".to_owned()),
        TestStatus::Failing => Some(format!(
            "tests are failing: {}",
            tests
                .iter()
                .rev()
                .find(|t| t.outcome != super::test_output::TestOutcome::Passed)
                .map(|t| format!("`{}`", t.command))
                .unwrap_or_default()
        )),
    };
    if let Some(reason) = &tests_problem {
        if !opts.merge_anyway {
            return Err(ReviewError::TestsNotPassing {
                reason: reason.clone(),
            });
        }
    }

    // 4. Build the new base commit in memory.
    let base_ref = format!("refs/heads/{}", t.base);
    let base_tip = repo
        .refname_to_id(&base_ref)
        .map_err(|_| ReviewError::MissingBranch {
            branch: t.base.clone(),
        })?;
    let already = repo
        .graph_descendant_of(base_tip, head)
        .map_err(git("comparing the branch with its base"))?
        || base_tip == head;
    if d.files.is_empty() && !already {
        return Err(ReviewError::NothingToMerge {
            task: t.id,
            base: t.base,
        });
    }
    let (kind, new_tip) = if already {
        (MergeKind::AlreadyMerged, base_tip)
    } else if !opts.squash && repo.merge_base(base_tip, head).ok() == Some(base_tip) {
        (MergeKind::FastForward, head)
    } else {
        let kind = if opts.squash {
            MergeKind::Squash
        } else {
            MergeKind::MergeCommit
        };
        (
            kind,
            build_commit(&repo, &t, kind, base_tip, head, merge_base)?,
        )
    };

    // The user's approval, and a merge-anyway if any, are logged before anything moves.
    if let Some(reason) = &tests_problem {
        log(
            store,
            task_id,
            "review.merge_anyway",
            actor.clone(),
            format!("merge anyway: {reason}"),
            serde_json::json!({"reason": reason, "test_runs": tests.len()}),
        )?;
    }
    log(
        store,
        task_id,
        "review.merge_approved",
        actor.clone(),
        format!(
            "user approved merging {} ({} file(s)) into {}",
            t.branch, d.totals.files, t.base
        ),
        serde_json::json!({"options": opts, "head": d.head, "base": base_tip.to_string(), "kind": kind}),
    )?;

    // 5. Move the base: update any checkout of it safely, then the ref (compare-and-swap).
    let mut checkouts_updated = Vec::new();
    if new_tip != base_tip {
        let old_tree = tree_of(&repo, base_tip)?;
        let new_tree = tree_of(&repo, new_tip)?;
        let checkouts = checkouts_of(&repo, &base_ref)?;
        for co in &checkouts {
            let blocking = blocking_changes(co, &old_tree, &new_tree)?;
            if !blocking.is_empty() {
                return Err(ReviewError::DirtyCheckout {
                    base: t.base.clone(),
                    checkout: workdir_text(co),
                    files: blocking,
                });
            }
        }
        let mut done: Vec<&Repository> = Vec::new();
        for co in &checkouts {
            let new_in_co = co
                .find_tree(new_tree.id())
                .map_err(git("reading the merged tree"))?;
            let mut cb = CheckoutBuilder::new();
            cb.safe();
            if let Err(e) = co.checkout_tree(new_in_co.as_object(), Some(&mut cb)) {
                undo_checkouts(&done, &old_tree, &new_tree);
                return Err(if e.code() == git2::ErrorCode::Conflict {
                    ReviewError::DirtyCheckout {
                        base: t.base.clone(),
                        checkout: workdir_text(co),
                        files: vec![e.message().to_owned()],
                    }
                } else {
                    git("updating your checkout of the base branch")(e)
                });
            }
            done.push(co);
            checkouts_updated.push(workdir_text(co));
        }
        let msg = format!("paddock: merge task {} ({:?})", t.id, kind);
        if let Err(e) = repo.reference_matching(&base_ref, new_tip, true, base_tip, &msg) {
            undo_checkouts(&done, &old_tree, &new_tree);
            let now = repo
                .refname_to_id(&base_ref)
                .map(|o| o.to_string())
                .unwrap_or_else(|_| "gone".into());
            return Err(if now != base_tip.to_string() {
                ReviewError::BaseMoved { base: t.base, now }
            } else {
                git("moving the base branch")(e)
            });
        }
    }
    log(
        store,
        task_id,
        "review.merged",
        actor.clone(),
        format!(
            "{} {} into {} ({})",
            match kind {
                MergeKind::FastForward => "fast-forwarded",
                MergeKind::MergeCommit => "merged",
                MergeKind::Squash => "squash-merged",
                MergeKind::AlreadyMerged => "found already merged",
            },
            t.branch,
            t.base,
            short(&new_tip.to_string())
        ),
        serde_json::json!({
            "kind": kind,
            "previous": base_tip.to_string(),
            "commit": new_tip.to_string(),
            "checkouts_updated": checkouts_updated,
            "merged_anyway": tests_problem.is_some(),
        }),
    )?;
    let task = task::transition(
        store,
        task_id,
        TaskState::Merged,
        actor.clone(),
        &format!("merged into {}", t.base),
    )?;

    // 6. Clean up: the worktree always, the branch if asked.
    let mut cleanup_error = None;
    let mut worktree_removed = false;
    let mut branch_deleted = false;
    match workspace::remove_worktree(
        &repo,
        &format!("paddock-{}", t.id),
        Path::new(&t.worktree),
        &home.worktrees(),
    ) {
        Ok(()) => {
            worktree_removed = true;
            log(
                store,
                task_id,
                "review.worktree_removed",
                Actor::Paddock,
                format!("removed the worktree {}", t.worktree),
                serde_json::json!({"worktree": t.worktree}),
            )?;
        }
        Err(e) => cleanup_error = Some(e.to_string()),
    }
    if opts.delete_branch && worktree_removed {
        match workspace::delete_branch(&repo, &t.branch) {
            Ok(()) => {
                branch_deleted = true;
                log(
                    store,
                    task_id,
                    "review.branch_deleted",
                    actor,
                    format!("deleted the branch {}", t.branch),
                    serde_json::json!({"branch": t.branch, "tip": d.head}),
                )?;
            }
            Err(e) => cleanup_error = Some(e.to_string()),
        }
    }
    Ok(MergeOutcome {
        task,
        kind,
        base: t.base,
        previous: base_tip.to_string(),
        commit: new_tip.to_string(),
        checkouts_updated,
        merged_anyway: tests_problem.is_some(),
        worktree_removed,
        branch_deleted,
        cleanup_error,
    })
}

fn short(oid: &str) -> &str {
    &oid[..oid.len().min(12)]
}

fn tree_of(repo: &Repository, commit: Oid) -> Result<Tree<'_>, ReviewError> {
    repo.find_commit(commit)
        .and_then(|c| c.tree())
        .map_err(git("reading a commit's tree"))
}

/// A merge or squash commit, made without touching any ref, index or working tree.
fn build_commit(
    repo: &Repository,
    t: &Task,
    kind: MergeKind,
    base_tip: Oid,
    head: Oid,
    merge_base: Oid,
) -> Result<Oid, ReviewError> {
    let base_c = repo
        .find_commit(base_tip)
        .map_err(git("reading the base commit"))?;
    let head_c = repo
        .find_commit(head)
        .map_err(git("reading the task commit"))?;
    let mut index = if kind == MergeKind::Squash {
        let ancestor = tree_of(repo, merge_base)?;
        repo.merge_trees(
            &ancestor,
            &tree_of(repo, base_tip)?,
            &tree_of(repo, head)?,
            None,
        )
        .map_err(git("merging the trees"))?
    } else {
        repo.merge_commits(&base_c, &head_c, None)
            .map_err(git("merging the commits"))?
    };
    if index.has_conflicts() {
        let mut files: Vec<String> = index
            .conflicts()
            .map_err(git("reading the conflicts"))?
            .filter_map(Result::ok)
            .filter_map(|c| c.our.or(c.their).or(c.ancestor))
            .map(|e| String::from_utf8_lossy(&e.path).into_owned())
            .collect();
        files.sort();
        files.dedup();
        return Err(ReviewError::Conflict {
            task: t.id.clone(),
            base: t.base.clone(),
            branch: t.branch.clone(),
            worktree: t.worktree.clone(),
            files,
        });
    }
    let tree_id = index
        .write_tree_to(repo)
        .map_err(git("writing the merged tree"))?;
    let tree = repo
        .find_tree(tree_id)
        .map_err(git("reading the merged tree"))?;
    let sig = signature(repo)?;
    let (message, parents): (String, Vec<&git2::Commit<'_>>) = if kind == MergeKind::Squash {
        (
            format!(
                "{}\n\nSquashed from {} (Paddock task {}), reviewed and approved in Paddock.\n",
                t.goal, t.branch, t.id
            ),
            vec![&base_c],
        )
    } else {
        (
            format!(
                "Merge task {}: {}\n\nBranch {} reviewed and approved in Paddock.\n",
                t.id, t.goal, t.branch
            ),
            vec![&base_c, &head_c],
        )
    };
    repo.commit(None, &sig, &sig, &message, &tree, &parents)
        .map_err(git("writing the merge commit"))
}

/// Every checkout (the main one and linked worktrees) whose HEAD is the base branch.
fn checkouts_of(repo: &Repository, base_ref: &str) -> Result<Vec<Repository>, ReviewError> {
    let mut out = Vec::new();
    // HEAD names the base branch (even if that branch were unborn in this checkout).
    let on_base = |r: &Repository| {
        r.find_reference("HEAD")
            .ok()
            .and_then(|h| h.symbolic_target().ok().flatten().map(|s| s == base_ref))
            .unwrap_or(false)
    };
    if !repo.is_bare() && on_base(repo) {
        let path = repo.path().to_owned();
        out.push(Repository::open(&path).map_err(git("opening your checkout"))?);
    }
    let names = repo.worktrees().map_err(git("listing worktrees"))?;
    for name in names.iter().flatten().flatten() {
        let Ok(wt) = repo.find_worktree(name) else {
            continue;
        };
        if wt.validate().is_err() {
            continue;
        }
        if let Ok(r) = Repository::open_from_worktree(&wt) {
            if on_base(&r) {
                out.push(r);
            }
        }
    }
    Ok(out)
}

fn workdir_text(r: &Repository) -> String {
    r.workdir()
        .map(|p| p.to_string_lossy().trim_end_matches('/').to_owned())
        .unwrap_or_else(|| r.path().to_string_lossy().into_owned())
}

/// Files the merge would write in this checkout that hold local work there:
/// modified, staged, untracked or ignored at a path the merge changes. An
/// operation in progress (a merge, a rebase) blocks everything.
fn blocking_changes(
    co: &Repository,
    old_tree: &Tree<'_>,
    new_tree: &Tree<'_>,
) -> Result<Vec<String>, ReviewError> {
    if co.state() != RepositoryState::Clean {
        return Err(ReviewError::DirtyCheckout {
            base: String::new(),
            checkout: workdir_text(co),
            files: vec![format!("(a {:?} is in progress there)", co.state()).to_lowercase()],
        });
    }
    let old_tree = co.find_tree(old_tree.id()).map_err(git("reading a tree"))?;
    let new_tree = co.find_tree(new_tree.id()).map_err(git("reading a tree"))?;
    let d = co
        .diff_tree_to_tree(Some(&old_tree), Some(&new_tree), None)
        .map_err(git("listing the files the merge changes"))?;
    let mut touched: Vec<(String, bool)> = Vec::new();
    for delta in d.deltas() {
        for (f, is_new_side) in [(delta.old_file(), false), (delta.new_file(), true)] {
            if let Some(p) = f.path() {
                let p = p.to_string_lossy().into_owned();
                let added = is_new_side && delta.status() == git2::Delta::Added;
                if !touched.iter().any(|(q, _)| *q == p) {
                    touched.push((p, added));
                }
            }
        }
    }
    if touched.is_empty() {
        return Ok(Vec::new());
    }
    let mut opts = StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(true)
        .disable_pathspec_match(true);
    for (p, _) in &touched {
        opts.pathspec(p);
    }
    let statuses = co
        .statuses(Some(&mut opts))
        .map_err(git("reading your checkout's status"))?;
    let mut blocking: Vec<String> = statuses
        .iter()
        .filter(|s| s.status() != git2::Status::CURRENT)
        .filter_map(|s| s.path().ok().map(str::to_owned))
        .collect();
    // Something on disk where the merge adds a file (a folder, an unreadable entry).
    if let Some(wd) = co.workdir() {
        for (p, added) in &touched {
            if *added && std::fs::symlink_metadata(wd.join(p)).is_ok() && !blocking.contains(p) {
                blocking.push(p.clone());
            }
        }
    }
    blocking.sort();
    blocking.dedup();
    Ok(blocking)
}

/// Put updated checkouts back to the old tree after a failed ref update. Only
/// the paths the merge touched (checked clean a moment before) are restored.
fn undo_checkouts(done: &[&Repository], old_tree: &Tree<'_>, new_tree: &Tree<'_>) {
    for co in done {
        let (Ok(old), Ok(new)) = (co.find_tree(old_tree.id()), co.find_tree(new_tree.id())) else {
            continue;
        };
        let Ok(d) = co.diff_tree_to_tree(Some(&old), Some(&new), None) else {
            continue;
        };
        let mut cb = CheckoutBuilder::new();
        cb.force()
            .remove_untracked(false)
            .disable_pathspec_match(true);
        for delta in d.deltas() {
            for f in [delta.old_file(), delta.new_file()] {
                if let Some(p) = f.path() {
                    cb.path(p);
                }
            }
        }
        let _ = co.checkout_tree(old.as_object(), Some(&mut cb));
    }
}
