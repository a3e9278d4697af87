//! Where Paddock keeps its state: `$PADDOCK_HOME`, or the platform's data dir.

use std::path::{Path, PathBuf};

/// The environment variable that overrides the state folder (tests always set it).
pub const HOME_ENV: &str = "PADDOCK_HOME";

#[derive(Debug, thiserror::Error)]
pub enum HomeError {
    #[error("no PADDOCK_HOME set and this platform has no data directory; set PADDOCK_HOME")]
    NoDataDir,
    #[error("cannot use {path} as PADDOCK_HOME: {source}")]
    Unusable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Paddock's state folder. Creating it is the only thing `locate` writes.
#[derive(Debug, Clone)]
pub struct PaddockHome {
    root: PathBuf,
}

impl PaddockHome {
    /// `$PADDOCK_HOME` if set and non-empty, else `<data dir>/paddock`; created if missing.
    pub fn locate() -> Result<Self, HomeError> {
        let root = match std::env::var_os(HOME_ENV) {
            Some(v) if !v.is_empty() => PathBuf::from(v),
            _ => dirs::data_dir()
                .ok_or(HomeError::NoDataDir)?
                .join("paddock"),
        };
        Self::at(root)
    }

    /// Use `root` as the state folder, creating it if needed.
    pub fn at(root: impl Into<PathBuf>) -> Result<Self, HomeError> {
        let root = root.into();
        std::fs::create_dir_all(&root).map_err(|source| HomeError::Unusable {
            path: root.clone(),
            source,
        })?;
        if !root.is_dir() {
            return Err(HomeError::Unusable {
                path: root,
                source: std::io::Error::other("not a directory"),
            });
        }
        Ok(Self { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The one SQLite database.
    pub fn database(&self) -> PathBuf {
        self.root.join("paddock.db")
    }

    /// Where task worktrees live: `<home>/worktrees/<repo>/<task>`.
    pub fn worktrees(&self) -> PathBuf {
        self.root.join("worktrees")
    }
}
