//! The one SQLite database (WAL) and its versioned migrations. This is the
//! only module that opens the file; every other module borrows a [`Store`].
//!
//! A file that is not a Paddock database, is corrupt, or was written by a
//! newer Paddock is refused with a clear error. It is never recreated and
//! never deleted: it may hold the only record of what an agent did.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags};
use rusqlite_migration::{MigrationDefinitionError, Migrations, M};

/// How long a writer waits for another process's transaction before giving up.
/// Generous, because the CLI runs once per agent action and must not lose an event;
/// when it does give up the caller fails closed.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Schema history, oldest first. Append only: a released migration is never
/// edited, and a new one goes at the end (its file numbered by its position).
const MIGRATIONS: &[&str] = &[
    include_str!("store/001_audit_approvals.sql"),
    include_str!("store/002_tasks.sql"),
    include_str!("store/003_approvals_rules.sql"),
    include_str!("store/004_review.sql"),
    include_str!("store/005_secrets.sql"),
    include_str!("store/006_otel_export.sql"),
];

fn migrations() -> Migrations<'static> {
    Migrations::new(MIGRATIONS.iter().map(|sql| M::up(sql)).collect())
}

/// The newest schema version this build understands.
pub fn schema_version() -> usize {
    MIGRATIONS.len()
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path} is not a Paddock database (the file is corrupt or of another kind); it was left untouched — move it aside to start fresh")]
    NotADatabase { path: PathBuf },
    #[error("{path} was written by a newer Paddock (schema {found}, this build knows up to {known}); upgrade Paddock — the file was left untouched")]
    TooNew {
        path: PathBuf,
        found: i64,
        known: usize,
    },
    #[error("the database {path} is busy (another Paddock process holds a lock); try again")]
    Busy { path: PathBuf },
    #[error("cannot open the database {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("cannot migrate the database {path}: {detail}")]
    Migrate { path: PathBuf, detail: String },
    #[error("database error while {doing}: {source}")]
    Sql {
        doing: &'static str,
        #[source]
        source: rusqlite::Error,
    },
}

impl StoreError {
    /// Wrap a rusqlite error met while doing `doing`, recognising corruption and locks.
    pub fn sql(doing: &'static str, source: rusqlite::Error) -> Self {
        StoreError::Sql { doing, source }
    }
}

/// An open, migrated connection to Paddock's database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

fn classify(path: &Path, err: rusqlite::Error) -> StoreError {
    match err.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) | Some(ErrorCode::DatabaseCorrupt) => {
            StoreError::NotADatabase {
                path: path.to_owned(),
            }
        }
        Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => StoreError::Busy {
            path: path.to_owned(),
        },
        _ => StoreError::Open {
            path: path.to_owned(),
            source: err,
        },
    }
}

impl Store {
    /// Open (or create) the database at `path` and bring its schema up to date.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| classify(path, e))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| classify(path, e))?;
        // The first statement reads the header: a file that is not SQLite fails here.
        let mode: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(|e| classify(path, e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Migrate {
                path: path.to_owned(),
                detail: format!("could not switch to WAL (journal mode is {mode})"),
            });
        }
        conn.execute_batch("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")
            .map_err(|e| classify(path, e))?;

        let found: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| classify(path, e))?;
        if found > schema_version() as i64 {
            return Err(StoreError::TooNew {
                path: path.to_owned(),
                found,
                known: schema_version(),
            });
        }
        migrations().to_latest(&mut conn).map_err(|e| match e {
            rusqlite_migration::Error::MigrationDefinition(
                MigrationDefinitionError::DatabaseTooFarAhead,
            ) => StoreError::TooNew {
                path: path.to_owned(),
                found,
                known: schema_version(),
            },
            rusqlite_migration::Error::RusqliteError { err, .. } => classify(path, err),
            other => StoreError::Migrate {
                path: path.to_owned(),
                detail: other.to_string(),
            },
        })?;
        Ok(Self {
            conn,
            path: path.to_owned(),
        })
    }

    /// Open the database of a Paddock home.
    pub fn open_home(home: &crate::PaddockHome) -> Result<Self, StoreError> {
        Self::open(&home.database())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version recorded in the file.
    pub fn user_version(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| StoreError::sql("reading the schema version", e))
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        assert!(migrations().validate().is_ok());
    }

    #[test]
    fn a_new_database_is_created_in_wal_at_the_latest_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.db");
        let store = Store::open(&path).unwrap();
        assert_eq!(store.user_version().unwrap(), schema_version() as i64);
        let mode: String = store
            .conn()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        drop(store);
        // Reopening an up-to-date file is a no-op.
        let again = Store::open(&path).unwrap();
        assert_eq!(again.user_version().unwrap(), schema_version() as i64);
    }

    #[test]
    fn a_file_that_is_not_sqlite_is_refused_and_left_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.db");
        let junk = b"this is not a database, but it is somebody's file\n".repeat(200);
        std::fs::write(&path, &junk).unwrap();
        let err = Store::open(&path).unwrap_err();
        assert!(matches!(err, StoreError::NotADatabase { .. }), "{err}");
        assert!(err.to_string().contains("not a Paddock database"));
        assert_eq!(std::fs::read(&path).unwrap(), junk);
    }

    #[test]
    fn a_database_from_a_newer_paddock_is_refused_and_left_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.db");
        drop(Store::open(&path).unwrap());
        {
            let c = Connection::open(&path).unwrap();
            c.execute_batch("PRAGMA user_version = 99").unwrap();
        }
        let before = std::fs::read(&path).unwrap();
        let err = Store::open(&path).unwrap_err();
        assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{err}");
        assert!(err.to_string().contains("newer Paddock"));
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }
}
