//! Requests that wait for a person. The full request/decide flow arrives with
//! the Commands issue; the store already holds the table, and the tray reads
//! the real count of pending requests from here.

use crate::store::{Store, StoreError};

/// How many requests are waiting for a person right now.
pub fn pending_count(store: &Store) -> Result<i64, StoreError> {
    store
        .conn()
        .query_row(
            "SELECT COUNT(*) FROM approvals WHERE state = 'pending'",
            [],
            |r| r.get(0),
        )
        .map_err(|e| StoreError::sql("counting pending approvals", e))
}
