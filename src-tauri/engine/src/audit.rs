//! The append-only audit log. Every decision Paddock makes, and every step of
//! a task, is one row here. Rows are chained: each carries the SHA-256 of the
//! row before it, so an edited, inserted or deleted row is found and named by
//! [`verify`]. [`record`] is the one writer of events.

use rusqlite::{params, OptionalExtension, TransactionBehavior};
use serde::Serialize;
use sha2::{Digest, Sha256};
use ts_rs::TS;

use crate::store::{Store, StoreError};

/// The `prev_hash` of the first row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

pub type EventId = i64;

/// Who caused an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// The person using Paddock.
    User,
    /// A coding agent, by name (`claude`, `codex`, ...).
    Agent(String),
    /// Paddock itself (a rule, a timeout).
    Paddock,
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Actor::User => f.write_str("user"),
            Actor::Agent(name) => write!(f, "agent:{name}"),
            Actor::Paddock => f.write_str("paddock"),
        }
    }
}

/// An event to append.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub task: Option<String>,
    pub kind: String,
    pub payload: serde_json::Value,
    pub reason: String,
    pub actor: Actor,
}

impl NewEvent {
    pub fn new(kind: impl Into<String>, actor: Actor, reason: impl Into<String>) -> Self {
        Self {
            task: None,
            kind: kind.into(),
            payload: serde_json::Value::Object(Default::default()),
            reason: reason.into(),
            actor,
        }
    }

    pub fn task(mut self, task: impl Into<String>) -> Self {
        self.task = Some(task.into());
        self
    }

    pub fn payload(mut self, payload: serde_json::Value) -> Self {
        self.payload = payload;
        self
    }
}

/// A stored event, as read back.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct Event {
    #[ts(type = "number")]
    pub id: EventId,
    pub task: Option<String>,
    pub kind: String,
    /// JSON text, exactly as hashed.
    pub payload: String,
    pub reason: String,
    pub actor: String,
    pub at: String,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot encode the event payload: {0}")]
    Payload(#[from] serde_json::Error),
}

fn sql(doing: &'static str) -> impl FnOnce(rusqlite::Error) -> AuditError {
    move |e| AuditError::Store(StoreError::sql(doing, e))
}

/// The hash of one row: SHA-256 over a JSON array of its fields and the previous hash.
/// A JSON array keeps field boundaries unambiguous ("ab"+"c" ≠ "a"+"bc").
/// `e.hash` itself is not part of the input.
fn row_hash(e: &Event) -> String {
    let canonical = serde_json::json!([
        e.id,
        e.task.as_deref(),
        e.kind,
        e.payload,
        e.reason,
        e.actor,
        e.at,
        e.prev_hash
    ]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

/// Append one event; returns its id. Safe to call from many processes at once:
/// the read of the chain's head and the insert happen in one IMMEDIATE transaction.
pub fn record(store: &mut Store, event: NewEvent) -> Result<EventId, AuditError> {
    let event = crate::secrets::held::redact_event(store, event);
    let payload = serde_json::to_string(&event.payload)?;
    let actor = event.actor.to_string();
    let at = crate::time::now_rfc3339();
    let tx = store
        .conn_mut()
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sql("starting an audit transaction"))?;
    let (last_id, last_hash, count): (i64, String, i64) = tx
        .query_row(
            "SELECT last_id, last_hash, count FROM audit_head WHERE one = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .map_err(sql("reading the audit chain's head"))?;
    let mut row = Event {
        id: last_id + 1,
        task: event.task,
        kind: event.kind,
        payload,
        reason: event.reason,
        actor,
        at,
        prev_hash: last_hash,
        hash: String::new(),
    };
    row.hash = row_hash(&row);
    tx.execute(
        "INSERT INTO events (id, task, kind, payload, reason, actor, at, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            row.id,
            row.task,
            row.kind,
            row.payload,
            row.reason,
            row.actor,
            row.at,
            row.prev_hash,
            row.hash
        ],
    )
    .map_err(sql("appending an audit event"))?;
    tx.execute(
        "UPDATE audit_head SET last_id = ?1, last_hash = ?2, count = ?3 WHERE one = 1",
        params![row.id, row.hash, count + 1],
    )
    .map_err(sql("moving the audit chain's head"))?;
    tx.commit().map_err(sql("committing an audit event"))?;
    Ok(row.id)
}

fn read_event(r: &rusqlite::Row<'_>) -> rusqlite::Result<Event> {
    Ok(Event {
        id: r.get(0)?,
        task: r.get(1)?,
        kind: r.get(2)?,
        payload: r.get(3)?,
        reason: r.get(4)?,
        actor: r.get(5)?,
        at: r.get(6)?,
        prev_hash: r.get(7)?,
        hash: r.get(8)?,
    })
}

const COLUMNS: &str = "id, task, kind, payload, reason, actor, at, prev_hash, hash";

/// Events in order, optionally of one task only.
pub fn list(store: &Store, task: Option<&str>) -> Result<Vec<Event>, AuditError> {
    let conn = store.conn();
    let rows = match task {
        Some(t) => {
            let mut st = conn
                .prepare(&format!(
                    "SELECT {COLUMNS} FROM events WHERE task = ?1 ORDER BY id"
                ))
                .map_err(sql("reading the audit log"))?;
            let rows = st
                .query_map([t], read_event)
                .map_err(sql("reading the audit log"))?
                .collect::<Result<Vec<_>, _>>();
            rows
        }
        None => {
            let mut st = conn
                .prepare(&format!("SELECT {COLUMNS} FROM events ORDER BY id"))
                .map_err(sql("reading the audit log"))?;
            let rows = st
                .query_map([], read_event)
                .map_err(sql("reading the audit log"))?
                .collect::<Result<Vec<_>, _>>();
            rows
        }
    };
    rows.map_err(sql("reading the audit log"))
}

/// Up to `limit` events with an id above `after`, in id order, optionally of
/// one task only: a page for readers that keep their own cursor (the OTLP export).
pub fn list_after(
    store: &Store,
    after: EventId,
    task: Option<&str>,
    limit: usize,
) -> Result<Vec<Event>, AuditError> {
    let mut st = store
        .conn()
        .prepare(&format!(
            "SELECT {COLUMNS} FROM events
             WHERE id > ?1 AND (?2 IS NULL OR task = ?2) ORDER BY id LIMIT ?3"
        ))
        .map_err(sql("reading the audit log"))?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = st
        .query_map(params![after, task, limit], read_event)
        .map_err(sql("reading the audit log"))?
        .collect::<Result<Vec<_>, _>>();
    rows.map_err(sql("reading the audit log"))
}

/// How many events have an id above `after` (optionally of one task only).
pub fn count_after(store: &Store, after: EventId, task: Option<&str>) -> Result<i64, AuditError> {
    store
        .conn()
        .query_row(
            "SELECT COUNT(*) FROM events WHERE id > ?1 AND (?2 IS NULL OR task = ?2)",
            params![after, task],
            |r| r.get(0),
        )
        .map_err(sql("counting audit events"))
}

/// Number of events in the log.
pub fn count(store: &Store) -> Result<i64, AuditError> {
    store
        .conn()
        .query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))
        .map_err(sql("counting audit events"))
}

/// One thing wrong with the chain, naming the row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub enum ChainProblem {
    /// The row's content no longer matches its own hash.
    Edited {
        #[ts(type = "number")]
        row: EventId,
    },
    /// The row does not point at the row before it.
    BrokenLink {
        #[ts(type = "number")]
        row: EventId,
        #[ts(type = "number")]
        previous: EventId,
    },
    /// Rows with these ids were removed.
    Missing {
        #[ts(type = "number")]
        from: EventId,
        #[ts(type = "number")]
        to: EventId,
    },
    /// The log ends before the last row Paddock wrote.
    TailRemoved {
        #[ts(type = "number")]
        last_present: EventId,
        #[ts(type = "number")]
        last_written: EventId,
    },
    /// A row exists that Paddock did not write through its chain head.
    Unexpected {
        #[ts(type = "number")]
        row: EventId,
    },
}

impl std::fmt::Display for ChainProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChainProblem::Edited { row } => {
                write!(f, "row {row} was edited: its content no longer matches its hash")
            }
            ChainProblem::BrokenLink { row, previous } => write!(
                f,
                "row {row} does not link to row {previous}: row {previous} was rewritten, or a row between them was inserted or deleted"
            ),
            ChainProblem::Missing { from, to } if from == to => {
                write!(f, "row {from} was deleted")
            }
            ChainProblem::Missing { from, to } => write!(f, "rows {from}–{to} were deleted"),
            ChainProblem::TailRemoved {
                last_present,
                last_written,
            } => write!(
                f,
                "rows after {last_present} were deleted (Paddock wrote up to row {last_written})"
            ),
            ChainProblem::Unexpected { row } => {
                write!(f, "row {row} was inserted outside Paddock")
            }
        }
    }
}

/// The result of walking the whole chain.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct ChainReport {
    #[ts(type = "number")]
    pub events: i64,
    pub problems: Vec<ChainProblem>,
}

impl ChainReport {
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Walk every row in order and check each link and hash, and the head.
pub fn verify(store: &Store) -> Result<ChainReport, AuditError> {
    let conn = store.conn();
    // One read transaction, so that concurrent writers don't make the walk and the head disagree.
    conn.execute_batch("BEGIN DEFERRED")
        .map_err(sql("starting the audit walk"))?;
    let report = walk(store);
    // Ending a read-only transaction cannot lose anything; a failure here changes no verdict.
    let _ = conn.execute_batch("COMMIT");
    report
}

fn walk(store: &Store) -> Result<ChainReport, AuditError> {
    let conn = store.conn();
    let head: Option<(i64, String)> = conn
        .query_row(
            "SELECT last_id, last_hash FROM audit_head WHERE one = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(sql("reading the audit chain's head"))?;
    let mut st = conn
        .prepare(&format!("SELECT {COLUMNS} FROM events ORDER BY id"))
        .map_err(sql("reading the audit log"))?;
    let mut rows = st.query([]).map_err(sql("reading the audit log"))?;

    let mut problems = Vec::new();
    let mut events = 0i64;
    let mut prev_id = 0i64;
    let mut prev_hash = GENESIS.to_string();
    while let Some(row) = rows.next().map_err(sql("reading the audit log"))? {
        let e = read_event(row).map_err(sql("reading an audit row"))?;
        events += 1;
        if e.id > prev_id + 1 {
            problems.push(ChainProblem::Missing {
                from: prev_id + 1,
                to: e.id - 1,
            });
        }
        if e.prev_hash != prev_hash {
            problems.push(ChainProblem::BrokenLink {
                row: e.id,
                previous: prev_id,
            });
        }
        let expect = row_hash(&e);
        if expect != e.hash {
            problems.push(ChainProblem::Edited { row: e.id });
        }
        prev_id = e.id;
        prev_hash = e.hash;
    }
    match head {
        Some((last_id, last_hash)) => {
            if prev_id < last_id {
                problems.push(ChainProblem::TailRemoved {
                    last_present: prev_id,
                    last_written: last_id,
                });
            } else if prev_id > last_id {
                problems.push(ChainProblem::Unexpected { row: last_id + 1 });
            } else if prev_hash != last_hash
                && !problems
                    .iter()
                    .any(|p| matches!(p, ChainProblem::Edited { row } if *row == prev_id))
            {
                problems.push(ChainProblem::Edited { row: prev_id });
            }
        }
        None => problems.push(ChainProblem::Unexpected { row: 0 }),
    }
    Ok(ChainReport { events, problems })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("p.db")).unwrap();
        (dir, s)
    }

    fn fill(s: &mut Store, n: usize) {
        for i in 0..n {
            record(
                s,
                NewEvent::new("test.event", Actor::Paddock, format!("event {i}"))
                    .task("t1")
                    .payload(serde_json::json!({"i": i})),
            )
            .unwrap();
        }
    }

    /// Tamper the way a person with the sqlite3 CLI would: drop the guard, then edit.
    fn tamper(s: &Store, sql: &str) {
        s.conn()
            .execute_batch(&format!(
                "DROP TRIGGER IF EXISTS events_no_update; DROP TRIGGER IF EXISTS events_no_delete; {sql}"
            ))
            .unwrap();
    }

    #[test]
    fn an_untouched_chain_verifies() {
        let (_d, mut s) = store();
        fill(&mut s, 20);
        let r = verify(&s).unwrap();
        assert_eq!(r.events, 20);
        assert!(r.is_intact(), "{:?}", r.problems);
    }

    #[test]
    fn the_log_refuses_updates_and_deletes() {
        let (_d, mut s) = store();
        fill(&mut s, 3);
        let e = s
            .conn()
            .execute("UPDATE events SET reason = 'x' WHERE id = 2", [])
            .unwrap_err();
        assert!(e.to_string().contains("append-only"));
        let e = s.conn().execute("DELETE FROM events", []).unwrap_err();
        assert!(e.to_string().contains("append-only"));
    }

    #[test]
    fn an_edited_row_is_named() {
        let (_d, mut s) = store();
        fill(&mut s, 10);
        tamper(
            &s,
            "UPDATE events SET reason = 'nothing happened' WHERE id = 4",
        );
        let r = verify(&s).unwrap();
        assert_eq!(r.problems, vec![ChainProblem::Edited { row: 4 }]);
    }

    #[test]
    fn an_edited_row_with_a_recomputed_hash_breaks_the_next_link() {
        let (_d, mut s) = store();
        fill(&mut s, 10);
        tamper(
            &s,
            "UPDATE events SET reason = 'x', hash = 'beef' WHERE id = 4",
        );
        let r = verify(&s).unwrap();
        assert!(r.problems.contains(&ChainProblem::BrokenLink {
            row: 5,
            previous: 4
        }));
    }

    #[test]
    fn a_deleted_row_is_named() {
        let (_d, mut s) = store();
        fill(&mut s, 10);
        tamper(&s, "DELETE FROM events WHERE id = 6");
        let r = verify(&s).unwrap();
        assert!(
            r.problems
                .contains(&ChainProblem::Missing { from: 6, to: 6 }),
            "{:?}",
            r.problems
        );
        assert!(r.problems.contains(&ChainProblem::BrokenLink {
            row: 7,
            previous: 5
        }));
    }

    #[test]
    fn a_removed_tail_is_found() {
        let (_d, mut s) = store();
        fill(&mut s, 10);
        tamper(&s, "DELETE FROM events WHERE id >= 9");
        let r = verify(&s).unwrap();
        assert_eq!(
            r.problems,
            vec![ChainProblem::TailRemoved {
                last_present: 8,
                last_written: 10
            }]
        );
    }

    #[test]
    fn an_inserted_row_is_named() {
        let (_d, mut s) = store();
        fill(&mut s, 5);
        tamper(
            &s,
            "INSERT INTO events (id, task, kind, payload, reason, actor, at, prev_hash, hash)
             SELECT 6, task, kind, payload, 'forged', actor, at, hash, hash FROM events WHERE id = 5",
        );
        let r = verify(&s).unwrap();
        assert!(
            r.problems.contains(&ChainProblem::Edited { row: 6 }),
            "{:?}",
            r.problems
        );
        assert!(r.problems.contains(&ChainProblem::Unexpected { row: 6 }));
    }

    #[test]
    fn events_are_listed_per_task_in_order() {
        let (_d, mut s) = store();
        fill(&mut s, 3);
        record(
            &mut s,
            NewEvent::new("other", Actor::User, "other task").task("t2"),
        )
        .unwrap();
        let t1 = list(&s, Some("t1")).unwrap();
        assert_eq!(t1.len(), 3);
        assert!(t1.windows(2).all(|w| w[0].id < w[1].id));
        assert_eq!(list(&s, None).unwrap().len(), 4);
        assert_eq!(list(&s, Some("t2")).unwrap()[0].actor, "user");
    }
}
