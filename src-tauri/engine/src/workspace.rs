//! The agent's workspace: a dedicated branch and a linked worktree in a scoped
//! folder under `$PADDOCK_HOME/worktrees`, made with git2 (no shelling out).
//!
//! Nothing here moves the base branch or touches the user's checkout: the
//! branch is created from the base's commit, the worktree lives outside the
//! user's repository, and removal only ever deletes paths under Paddock's own
//! worktrees folder.

use std::fs;
use std::path::{Component, Path, PathBuf};

use git2::{BranchType, ErrorCode, Repository, StatusOptions, WorktreeAddOptions};
use serde::Serialize;
use ts_rs::TS;

/// File-name patterns that usually hold a secret. `*` matches any run of
/// characters; matching is case-insensitive and applies to every component
/// of a path (a folder called `secrets.d` counts too).
pub const SECRET_BEARING_PATTERNS: &[&str] = &[
    ".env*",
    "*.pem",
    "*.key",
    "id_rsa*",
    "id_ed25519*",
    "credentials*",
    "*.p12",
    "*.pfx",
    ".npmrc",
    ".pypirc",
    ".netrc",
    "secrets.*",
];

fn glob_match(pattern: &str, name: &str) -> bool {
    match (pattern.strip_prefix('*'), pattern.strip_suffix('*')) {
        (Some(suffix), _) => name.ends_with(suffix),
        (None, Some(prefix)) => name.starts_with(prefix),
        (None, None) => name == pattern,
    }
}

/// The secret-bearing pattern `path` matches, if any.
pub fn secret_pattern(path: &Path) -> Option<&'static str> {
    path.components().find_map(|c| match c {
        Component::Normal(name) => {
            let name = name.to_string_lossy().to_lowercase();
            SECRET_BEARING_PATTERNS
                .iter()
                .copied()
                .find(|p| glob_match(p, &name))
        }
        _ => None,
    })
}

/// Whether `path` looks like a file that holds a secret (see [`SECRET_BEARING_PATTERNS`]).
pub fn is_secret_bearing(path: &Path) -> bool {
    secret_pattern(path).is_some()
}

#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error("{path} is not inside a git repository")]
    NotARepo { path: PathBuf },
    #[error("{path} is a bare repository; Paddock needs a repository with a checkout")]
    Bare { path: PathBuf },
    #[error(
        "the repository {path} has no commits yet; commit something first so the task has a base"
    )]
    NoCommits { path: PathBuf },
    #[error("the repository's HEAD is detached (not on a branch); pass --base BRANCH to name the base branch")]
    DetachedHead,
    #[error("the base branch {base:?} does not exist (local branches: {available})")]
    MissingBase { base: String, available: String },
    #[error("the task branch {branch:?} would be the base branch itself; the agent never works on the base branch")]
    BaseIsTaskBranch { branch: String },
    #[error("the worktree folder {target} is inside {inside} ({what}); set PADDOCK_HOME to a folder outside the repository")]
    TargetInside {
        target: PathBuf,
        inside: PathBuf,
        what: &'static str,
    },
    #[error("the branch {branch:?} already exists")]
    BranchTaken { branch: String },
    #[error("the worktree folder {path} already exists")]
    WorktreeTaken { path: PathBuf },
    #[error("cannot copy {path}: it matches the secret-bearing pattern {pattern:?}; put the secret in the keychain instead of the worktree")]
    SecretBearing {
        path: PathBuf,
        pattern: &'static str,
    },
    #[error("cannot copy {path}: {reason}")]
    Copy { path: PathBuf, reason: String },
    #[error("submodule {name:?} could not be initialised in the worktree: {reason}")]
    Submodule { name: String, reason: String },
    #[error("refusing to remove {path}: it is not inside Paddock's worktrees folder {root}")]
    NotOurs { path: PathBuf, root: PathBuf },
    #[error("git error while {doing}: {source}")]
    Git {
        doing: &'static str,
        #[source]
        source: git2::Error,
    },
    #[error("cannot {doing} {path}: {source}")]
    Io {
        doing: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn git(doing: &'static str) -> impl FnOnce(git2::Error) -> WorkspaceError {
    move |source| WorkspaceError::Git { doing, source }
}

fn io(doing: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> WorkspaceError {
    let path = path.to_owned();
    move |source| WorkspaceError::Io {
        doing,
        path,
        source,
    }
}

/// What Paddock found in the user's repository before making a task.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct RepoReport {
    /// The repository's top folder (canonical).
    pub root: String,
    /// Its folder name, used to group worktrees.
    pub name: String,
    /// The base branch the task will start from.
    pub base: String,
    /// The base branch's commit (full hex).
    pub base_commit: String,
    /// Files changed, staged or untracked in the user's checkout.
    #[ts(type = "number")]
    pub uncommitted: u64,
    /// One line about the user's checkout, e.g. "3 uncommitted changes in your checkout (left untouched)".
    pub checkout_note: String,
    /// Number of submodules at the base commit (they are initialised in the worktree).
    #[ts(type = "number")]
    pub submodules: u64,
}

/// Open the repository at (or above) `path`, refusing bare and empty ones.
pub fn open_repo(path: &Path) -> Result<Repository, WorkspaceError> {
    let repo = Repository::discover(path).map_err(|_| WorkspaceError::NotARepo {
        path: path.to_owned(),
    })?;
    if repo.is_bare() || repo.workdir().is_none() {
        return Err(WorkspaceError::Bare {
            path: path.to_owned(),
        });
    }
    Ok(repo)
}

fn workdir(repo: &Repository) -> Result<PathBuf, WorkspaceError> {
    let wd = repo.workdir().ok_or_else(|| WorkspaceError::Bare {
        path: repo.path().to_owned(),
    })?;
    fs::canonicalize(wd).map_err(io("resolve", wd))
}

/// Local branch names, sorted (for a branch picker).
pub fn branches(repo_path: &Path) -> Result<Vec<String>, WorkspaceError> {
    let repo = open_repo(repo_path)?;
    local_branches(&repo)
}

fn local_branches(repo: &Repository) -> Result<Vec<String>, WorkspaceError> {
    let mut names = Vec::new();
    for b in repo
        .branches(Some(BranchType::Local))
        .map_err(git("listing branches"))?
    {
        let (b, _) = b.map_err(git("listing branches"))?;
        if let Some(name) = b.name().map_err(git("reading a branch name"))? {
            names.push(name.to_owned());
        }
    }
    names.sort();
    Ok(names)
}

/// The branch HEAD points at, refusing a detached HEAD or a repository with no commits.
fn head_branch(repo: &Repository, root: &Path) -> Result<String, WorkspaceError> {
    match repo.head() {
        Ok(head) if head.is_branch() => head
            .shorthand()
            .map(str::to_owned)
            .map_err(|_| WorkspaceError::DetachedHead),
        Ok(_) => Err(WorkspaceError::DetachedHead),
        Err(e) if e.code() == ErrorCode::UnbornBranch || e.code() == ErrorCode::NotFound => {
            Err(WorkspaceError::NoCommits {
                path: root.to_owned(),
            })
        }
        Err(e) => Err(git("reading HEAD")(e)),
    }
}

/// Validate the repository and the base branch (default: HEAD's branch) and
/// describe the user's checkout. Reads only.
pub fn inspect(repo_path: &Path, base: Option<&str>) -> Result<RepoReport, WorkspaceError> {
    let repo = open_repo(repo_path)?;
    inspect_open(&repo, base)
}

fn inspect_open(repo: &Repository, base: Option<&str>) -> Result<RepoReport, WorkspaceError> {
    let root = workdir(repo)?;
    let all = local_branches(repo)?;
    if all.is_empty() {
        return Err(WorkspaceError::NoCommits { path: root });
    }
    let base = match base {
        Some(b) => b.to_owned(),
        None => head_branch(repo, &root)?,
    };
    let branch =
        repo.find_branch(&base, BranchType::Local)
            .map_err(|_| WorkspaceError::MissingBase {
                base: base.clone(),
                available: all.join(", "),
            })?;
    let commit = branch
        .get()
        .peel_to_commit()
        .map_err(git("reading the base branch's commit"))?;

    let mut opts = StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false);
    let uncommitted = repo
        .statuses(Some(&mut opts))
        .map_err(git("reading the checkout's status"))?
        .iter()
        .filter(|s| !s.status().is_ignored())
        .count() as u64;
    let checkout_note = match uncommitted {
        0 => "your checkout is clean (left untouched)".to_owned(),
        1 => "1 uncommitted change in your checkout (left untouched)".to_owned(),
        n => format!("{n} uncommitted changes in your checkout (left untouched)"),
    };
    let submodules = commit
        .tree()
        .ok()
        .and_then(|t| t.get_path(Path::new(".gitmodules")).ok())
        .map(|_| repo.submodules().map(|s| s.len() as u64).unwrap_or(0))
        .unwrap_or(0);
    let name = repo_name(&root);
    Ok(RepoReport {
        root: root.to_string_lossy().into_owned(),
        name,
        base,
        base_commit: commit.id().to_string(),
        uncommitted,
        checkout_note,
        submodules,
    })
}

/// A folder-safe name for the repository (its folder name).
fn repo_name(root: &Path) -> String {
    let raw = root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let clean: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let clean = clean.trim_matches(|c| c == '.' || c == '-').to_owned();
    if clean.is_empty() {
        "repo".into()
    } else {
        clean
    }
}

/// A file the agent needs that git does not track, validated and ready to copy.
#[derive(Debug, Clone)]
pub struct CopyPlan {
    /// Relative to the repository root (and to the worktree).
    pub relative: PathBuf,
    /// Absolute source in the user's checkout.
    pub source: PathBuf,
}

/// Check every `--copy` path: relative, inside the repository, a regular file
/// or folder (no symlinks), not tracked by git, and not secret-bearing.
pub fn plan_copies(repo_path: &Path, paths: &[PathBuf]) -> Result<Vec<CopyPlan>, WorkspaceError> {
    if paths.is_empty() {
        return Ok(Vec::new());
    }
    let repo = open_repo(repo_path)?;
    let root = workdir(&repo)?;
    let index = repo.index().map_err(git("reading the index"))?;
    let mut plans = Vec::new();
    for rel in paths {
        let refuse = |reason: &str| WorkspaceError::Copy {
            path: rel.clone(),
            reason: reason.to_owned(),
        };
        if rel.as_os_str().is_empty()
            || rel
                .components()
                .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
        {
            return Err(refuse(
                "give a path relative to the repository, without '..'",
            ));
        }
        if let Some(pattern) = secret_pattern(rel) {
            return Err(WorkspaceError::SecretBearing {
                path: rel.clone(),
                pattern,
            });
        }
        if rel.components().any(|c| c.as_os_str() == ".git") {
            return Err(refuse("git's own folder is never copied"));
        }
        let source = root.join(rel);
        let meta =
            fs::symlink_metadata(&source).map_err(|_| refuse("no such file in the repository"))?;
        if meta.file_type().is_symlink() {
            return Err(refuse("it is a symbolic link; copy the file it points to"));
        }
        if meta.is_file() {
            let key = rel.to_string_lossy().replace('\\', "/");
            let key = key.trim_start_matches("./");
            if index.get_path(Path::new(key), 0).is_some() {
                return Err(refuse(
                    "git tracks it, so the worktree already has it from the base commit",
                ));
            }
        } else if meta.is_dir() {
            check_folder(&source, rel)?;
        } else {
            return Err(refuse("not a regular file or folder"));
        }
        plans.push(CopyPlan {
            relative: rel.clone(),
            source,
        });
    }
    Ok(plans)
}

fn check_folder(dir: &Path, rel: &Path) -> Result<(), WorkspaceError> {
    for entry in fs::read_dir(dir).map_err(io("read", dir))? {
        let entry = entry.map_err(io("read", dir))?;
        let rel = rel.join(entry.file_name());
        if let Some(pattern) = secret_pattern(&rel) {
            return Err(WorkspaceError::SecretBearing { path: rel, pattern });
        }
        let ft = entry.file_type().map_err(io("read", &entry.path()))?;
        if ft.is_symlink() {
            return Err(WorkspaceError::Copy {
                path: rel,
                reason: "it is a symbolic link; copy the file it points to".into(),
            });
        }
        if ft.is_dir() {
            check_folder(&entry.path(), &rel)?;
        }
    }
    Ok(())
}

fn copy_into(plan: &CopyPlan, worktree: &Path) -> Result<(), WorkspaceError> {
    let dest = worktree.join(&plan.relative);
    copy_path(&plan.source, &dest, &plan.relative)
}

fn copy_path(source: &Path, dest: &Path, rel: &Path) -> Result<(), WorkspaceError> {
    if fs::symlink_metadata(dest).is_ok() && !source.is_dir() {
        return Err(WorkspaceError::Copy {
            path: rel.to_owned(),
            reason: format!(
                "{} already exists in the worktree; it is never overwritten",
                dest.display()
            ),
        });
    }
    if source.is_dir() {
        fs::create_dir_all(dest).map_err(io("create", dest))?;
        for entry in fs::read_dir(source).map_err(io("read", source))? {
            let entry = entry.map_err(io("read", source))?;
            copy_path(
                &entry.path(),
                &dest.join(entry.file_name()),
                &rel.join(entry.file_name()),
            )?;
        }
        Ok(())
    } else {
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent).map_err(io("create", parent))?;
        }
        fs::copy(source, dest).map_err(io("copy into the worktree", rel))?;
        Ok(())
    }
}

/// What to make: `branch` from `base`, checked out at `path`.
#[derive(Debug, Clone)]
pub struct WorkspaceSpec<'a> {
    pub base: &'a str,
    pub branch: &'a str,
    /// The worktree's folder; must not exist yet.
    pub path: &'a Path,
    /// The worktree's name in git's admin folder (`.git/worktrees/<name>`).
    pub worktree_name: &'a str,
    pub copies: &'a [CopyPlan],
}

/// What was made, so it can be removed again.
#[derive(Debug, Clone)]
pub struct Made {
    pub base_commit: String,
    pub branch: Option<String>,
    pub worktree: Option<(String, PathBuf)>,
}

/// Refuse a worktree folder inside the user's repository, its git folder, or any of its worktrees.
pub fn check_target(repo: &Repository, target: &Path) -> Result<(), WorkspaceError> {
    let root = workdir(repo)?;
    let inside = |outer: &Path, what: &'static str| -> Result<(), WorkspaceError> {
        let outer = fs::canonicalize(outer).unwrap_or_else(|_| outer.to_owned());
        if target.starts_with(&outer) {
            return Err(WorkspaceError::TargetInside {
                target: target.to_owned(),
                inside: outer,
                what,
            });
        }
        Ok(())
    };
    inside(&root, "your repository's checkout")?;
    inside(repo.path(), "the repository's git folder")?;
    inside(repo.commondir(), "the repository's git folder")?;
    let names = repo.worktrees().map_err(git("listing worktrees"))?;
    for name in names.iter().flatten().flatten() {
        if let Ok(wt) = repo.find_worktree(name) {
            inside(wt.path(), "another worktree")?;
        }
    }
    Ok(())
}

/// Create `spec.branch` at the base's commit and a linked worktree on it.
/// On failure, whatever this call created is removed before returning.
pub fn create(repo_path: &Path, spec: &WorkspaceSpec<'_>) -> Result<Made, WorkspaceError> {
    let repo = open_repo(repo_path)?;
    let mut made = Made {
        base_commit: String::new(),
        branch: None,
        worktree: None,
    };
    match create_steps(&repo, spec, &mut made) {
        Ok(()) => Ok(made),
        Err(e) => {
            // Best effort: the original error is what the user needs to see.
            let _ = remove(&repo, &made, spec.path.parent().unwrap_or(spec.path));
            Err(e)
        }
    }
}

fn create_steps(
    repo: &Repository,
    spec: &WorkspaceSpec<'_>,
    made: &mut Made,
) -> Result<(), WorkspaceError> {
    if spec.branch == spec.base {
        return Err(WorkspaceError::BaseIsTaskBranch {
            branch: spec.branch.to_owned(),
        });
    }
    let report = inspect_open(repo, Some(spec.base))?;
    made.base_commit = report.base_commit.clone();
    check_target(repo, spec.path)?;
    if fs::symlink_metadata(spec.path).is_ok() {
        return Err(WorkspaceError::WorktreeTaken {
            path: spec.path.to_owned(),
        });
    }
    let oid = git2::Oid::from_str(&report.base_commit).map_err(git("reading the base commit"))?;
    let commit = repo
        .find_commit(oid)
        .map_err(git("reading the base commit"))?;
    let branch = match repo.branch(spec.branch, &commit, false) {
        Ok(b) => b,
        Err(e) if e.code() == ErrorCode::Exists || e.code() == ErrorCode::Locked => {
            return Err(WorkspaceError::BranchTaken {
                branch: spec.branch.to_owned(),
            })
        }
        Err(e) => return Err(git("creating the task branch")(e)),
    };
    made.branch = Some(spec.branch.to_owned());

    let mut opts = WorktreeAddOptions::new();
    opts.reference(Some(branch.get()));
    match repo.worktree(spec.worktree_name, spec.path, Some(&opts)) {
        Ok(_) => {}
        Err(e) if e.code() == ErrorCode::Exists || fs::symlink_metadata(spec.path).is_ok() => {
            return Err(WorkspaceError::WorktreeTaken {
                path: spec.path.to_owned(),
            })
        }
        Err(e) => return Err(git("creating the worktree")(e)),
    }
    made.worktree = Some((spec.worktree_name.to_owned(), spec.path.to_owned()));

    init_submodules(spec.path)?;
    for plan in spec.copies {
        copy_into(plan, spec.path)?;
    }
    Ok(())
}

/// Initialise and check out every submodule in the worktree (recursively).
fn init_submodules(worktree: &Path) -> Result<(), WorkspaceError> {
    let wt = Repository::open(worktree).map_err(git("opening the new worktree"))?;
    let subs = wt.submodules().map_err(git("listing submodules"))?;
    for mut sm in subs {
        let name = sm.name().unwrap_or("?").to_owned();
        sm.update(true, None)
            .map_err(|e| WorkspaceError::Submodule {
                name: name.clone(),
                reason: e.message().to_owned(),
            })?;
        if let Some(path) = sm.path().to_str().map(|p| worktree.join(p)) {
            if path.join(".git").exists() {
                init_submodules(&path)?;
            }
        }
    }
    Ok(())
}

/// Remove the worktree and the branch recorded in `made` (whichever exist).
/// The worktree folder is deleted only if it is inside `scope`.
pub fn remove(repo: &Repository, made: &Made, scope: &Path) -> Result<(), WorkspaceError> {
    if let Some((name, path)) = &made.worktree {
        remove_worktree(repo, name, path, scope)?;
    }
    if let Some(branch) = &made.branch {
        delete_branch(repo, branch)?;
    }
    Ok(())
}

/// Delete a worktree folder (only inside `scope`) and prune git's record of it.
pub fn remove_worktree(
    repo: &Repository,
    name: &str,
    path: &Path,
    scope: &Path,
) -> Result<(), WorkspaceError> {
    if fs::symlink_metadata(path).is_ok() {
        let real = fs::canonicalize(path).map_err(io("resolve", path))?;
        let scope_real = fs::canonicalize(scope).unwrap_or_else(|_| scope.to_owned());
        if !real.starts_with(&scope_real) || real == scope_real {
            return Err(WorkspaceError::NotOurs {
                path: real,
                root: scope_real,
            });
        }
        fs::remove_dir_all(&real).map_err(io("remove", &real))?;
    }
    if let Ok(wt) = repo.find_worktree(name) {
        let mut opts = git2::WorktreePruneOptions::new();
        opts.valid(true).working_tree(false);
        wt.prune(Some(&mut opts))
            .map_err(git("pruning the worktree"))?;
    }
    Ok(())
}

/// Delete a local branch if it exists.
pub fn delete_branch(repo: &Repository, branch: &str) -> Result<(), WorkspaceError> {
    match repo.find_branch(branch, BranchType::Local) {
        Ok(mut b) => b.delete().map_err(git("deleting the task branch")),
        Err(e) if e.code() == ErrorCode::NotFound => Ok(()),
        Err(e) => Err(git("finding the task branch")(e)),
    }
}

/// Commits on `branch` not reachable from `base` (nor from `base_commit`):
/// the agent's work that nobody has reviewed yet. A missing branch has none.
pub fn unreviewed_commits(
    repo: &Repository,
    branch: &str,
    base: &str,
    base_commit: &str,
) -> Result<u64, WorkspaceError> {
    let tip = match repo.find_branch(branch, BranchType::Local) {
        Ok(b) => b
            .get()
            .peel_to_commit()
            .map_err(git("reading the task branch"))?,
        Err(e) if e.code() == ErrorCode::NotFound => return Ok(0),
        Err(e) => return Err(git("finding the task branch")(e)),
    };
    let mut walk = repo.revwalk().map_err(git("walking history"))?;
    walk.push(tip.id()).map_err(git("walking history"))?;
    if let Ok(b) = repo.find_branch(base, BranchType::Local) {
        if let Ok(c) = b.get().peel_to_commit() {
            walk.hide(c.id()).map_err(git("walking history"))?;
        }
    }
    if let Ok(oid) = git2::Oid::from_str(base_commit) {
        if repo.find_commit(oid).is_ok() {
            walk.hide(oid).map_err(git("walking history"))?;
        }
    }
    Ok(walk.count() as u64)
}

/// Changed or untracked files in a worktree (0 if it no longer exists).
pub fn uncommitted_in(worktree: &Path) -> Result<u64, WorkspaceError> {
    if !worktree.exists() {
        return Ok(0);
    }
    let repo = Repository::open(worktree).map_err(git("opening the worktree"))?;
    let mut opts = StatusOptions::new();
    opts.include_untracked(true).recurse_untracked_dirs(true);
    let statuses = repo
        .statuses(Some(&mut opts))
        .map_err(git("reading the worktree's status"))?;
    let n = statuses.iter().filter(|s| !s.status().is_ignored()).count() as u64;
    Ok(n)
}

/// The branch a worktree's HEAD is on, if any.
pub fn worktree_branch(worktree: &Path) -> Option<String> {
    let repo = Repository::open(worktree).ok()?;
    let head = repo.head().ok()?;
    if head.is_branch() {
        head.shorthand().ok().map(str::to_owned)
    } else {
        None
    }
}

/// A short, branch-safe slug from a goal: at most five words, 40 characters.
pub fn slug(goal: &str) -> String {
    let words: Vec<String> = goal
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(5)
        .map(|w| w.to_ascii_lowercase())
        .collect();
    let mut s = words.join("-");
    s.truncate(40);
    let s = s.trim_matches('-').to_owned();
    if s.is_empty() {
        "task".into()
    } else {
        s
    }
}

/// Where a task's worktree goes: `<worktrees>/<repo-name>/<task-id>`.
pub fn worktree_path(worktrees: &Path, repo_name: &str, task_id: &str) -> PathBuf {
    worktrees.join(repo_name).join(task_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_bearing_names_are_recognised() {
        for p in [
            ".env",
            ".env.local",
            "config/.ENV.production",
            "certs/server.pem",
            "tls.key",
            "home/.ssh/id_rsa",
            "id_rsa.pub",
            "id_ed25519",
            "credentials.json",
            "aws/credentials",
            "store.p12",
            "cert.pfx",
            ".npmrc",
            ".pypirc",
            ".netrc",
            "secrets.yaml",
            "secrets.d/app.conf",
        ] {
            assert!(
                is_secret_bearing(Path::new(p)),
                "{p} should be secret-bearing"
            );
        }
        for p in [
            "README.md",
            "src/env.rs",
            "fixtures/data.json",
            "keyboard.txt",
            "my.env.example.txt",
            "secret_santa.md",
        ] {
            assert!(
                !is_secret_bearing(Path::new(p)),
                "{p} is not secret-bearing"
            );
        }
    }

    #[test]
    fn slugs_are_short_and_branch_safe() {
        assert_eq!(
            slug("Fix checkout tax calculation and add tests"),
            "fix-checkout-tax-calculation-and"
        );
        assert_eq!(slug("!!!"), "task");
        assert!(
            git2::Branch::name_is_valid(&format!("paddock/{}-1a2b3c4d", slug("Ça va? «oui»")))
                .unwrap()
        );
    }
}
