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
