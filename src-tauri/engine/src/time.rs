//! Timestamps as Paddock stores them: RFC 3339, UTC, millisecond precision.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::OffsetDateTime;

/// Now, as stored in every table.
pub fn now_rfc3339() -> String {
    format(OffsetDateTime::now_utc())
}

/// A fixed-width form (always three fraction digits), so that stored times sort
/// as strings: `Rfc3339` trims trailing zeros, and "…30.1Z" sorts after "…30.12Z".
fn format(t: OffsetDateTime) -> String {
    let fixed =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    t.format(&fixed)
        .or_else(|_| t.format(&Rfc3339))
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn times_sort_as_strings_whatever_their_milliseconds() {
        let a = format(datetime!(2026-12-04 18:29:30.100 UTC));
        let b = format(datetime!(2026-12-04 18:29:30.120 UTC));
        let c = format(datetime!(2026-12-04 18:29:31 UTC));
        assert_eq!(a, "2026-12-04T18:29:30.100Z");
        assert_eq!(c, "2026-12-04T18:29:31.000Z");
        assert!(a < b && b < c, "{a} {b} {c}");
    }
}
