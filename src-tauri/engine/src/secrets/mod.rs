//! Secrets: find them ([`scan`]), move them into the OS keychain and leave a
//! `paddock://<project>/<NAME>` reference in their place ([`vault`]), give them
//! only to processes a person approves ([`vault::exec_env`]), and redact every
//! value the store holds everywhere else ([`held`], through [`crate::redact`]).
//!
//! No value ever reaches a log, an event, an error message or the UI: a
//! [`scan::Finding`] carries a masked preview, the index keeps names only, and
//! errors name the secret, never its value.

use std::path::PathBuf;

pub mod held;
pub mod keychain;
pub mod rules;
pub mod scan;
pub mod vault;

pub use keychain::{Keychain, KeychainError, OsKeychain};
pub use scan::{
    scan_bytes, scan_git_base, scan_tree, BranchWarning, Finding, ScanOptions, ScanProgress,
    ScanReport,
};
pub use vault::{exec_env, list, move_findings, restore, HeldSecret, MoveReport, RestoreReport};

#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error("the secret rules are broken (a build problem): {0}")]
    Rules(String),
    #[error("{doing} {path}: {source}")]
    Io {
        doing: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("git: {doing}: {detail}")]
    Git { doing: &'static str, detail: String },
    #[error("the keychain refused {name}: {source}; nothing was changed")]
    Keychain {
        name: String,
        #[source]
        source: KeychainError,
    },
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Audit(#[from] crate::audit::AuditError),
}

/// The base branch's secrets, as warnings for a new task (tracked files now,
/// then the last [`HISTORY_COMMITS`] commits). A scan that cannot run is a
/// warning too: it never blocks the task, and it is never silent.
pub fn task_warnings(repo_root: &std::path::Path, base: &str) -> Vec<BranchWarning> {
    match scan_git_base(repo_root, base, HISTORY_COMMITS) {
        Ok(w) => w,
        Err(e) => vec![BranchWarning {
            kind: "scan_failed".into(),
            file: String::new(),
            line: 0,
            rule: String::new(),
            title: format!("the secret scan could not run: {e}"),
            preview: String::new(),
            commit: None,
        }],
    }
}

/// How far back a new task's history scan looks.
pub const HISTORY_COMMITS: usize = 200;

/// Keep secret-bearing tracked files (`.env`, keys, …) out of a new worktree:
/// each is marked skip-worktree in the worktree's own index and removed from
/// its folder, so the agent never sees it and `git status` stays clean (the
/// branch still has the file; nothing is deleted from history). Returns the
/// paths withheld.
pub fn fence_worktree(worktree: &std::path::Path) -> Result<Vec<String>, SecretsError> {
    let git = |doing: &'static str| {
        move |e: git2::Error| SecretsError::Git {
            doing,
            detail: e.message().to_owned(),
        }
    };
    let repo = git2::Repository::open(worktree).map_err(git("opening the worktree"))?;
    let mut index = repo.index().map_err(git("reading the worktree's index"))?;
    let mut withheld = Vec::new();
    let entries: Vec<git2::IndexEntry> = index.iter().collect();
    for mut entry in entries {
        let rel = String::from_utf8_lossy(&entry.path).into_owned();
        if !crate::workspace::is_secret_bearing(std::path::Path::new(&rel)) {
            continue;
        }
        const EXTENDED: u16 = 0x4000;
        const SKIP_WORKTREE: u16 = 0x4000;
        entry.flags |= EXTENDED;
        entry.flags_extended |= SKIP_WORKTREE;
        index
            .add(&entry)
            .map_err(git("marking a file skip-worktree"))?;
        withheld.push(rel);
    }
    if withheld.is_empty() {
        return Ok(withheld);
    }
    index.write().map_err(git("writing the worktree's index"))?;
    for rel in &withheld {
        let path = worktree.join(rel);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(SecretsError::Io {
                    doing: "withholding a secret-bearing file from",
                    path,
                    source,
                })
            }
        }
    }
    Ok(withheld)
}
