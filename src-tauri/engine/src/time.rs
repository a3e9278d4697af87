//! Timestamps as Paddock stores them: RFC 3339, UTC, millisecond precision.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Now, as stored in every table.
pub fn now_rfc3339() -> String {
    let now = OffsetDateTime::now_utc();
    // Milliseconds are enough to order a human's timeline; the hash chain orders rows.
    let now = now
        .replace_nanosecond(now.millisecond() as u32 * 1_000_000)
        .unwrap_or(now);
    now.format(&Rfc3339)
        .unwrap_or_else(|_| now.unix_timestamp().to_string())
}
