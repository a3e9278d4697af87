//! Evidence for the log: the kernel enforces the fence silently, so the
//! confined command's error output is read (and passed through unchanged)
//! for lines that name a covered path or a write refused outside the
//! writable set. Each such line becomes a `sandbox.read_blocked` or
//! `sandbox.write_blocked` event. This is a view of what was refused, not the
//! fence itself: a program that swallows its errors is still confined.

use std::path::{Path, PathBuf};

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Blocked {
    /// A read of a path the sandbox covers (a secret).
    Read,
    /// A write outside the writable paths.
    Write,
}

/// What a line of error output says was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlockedAccess {
    pub kind: Blocked,
    pub path: PathBuf,
    /// The line, with secret-looking values redacted.
    pub line: String,
}

/// Absolute paths mentioned in a line (`cat: /x/y: No such…`, `touch: cannot touch '/x'`).
fn paths_in(line: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut prev: Option<char> = None;
    let mut skip_to = 0;
    for (i, c) in line.char_indices() {
        if i < skip_to {
            prev = Some(c);
            continue;
        }
        if c == '/' && prev.is_none_or(|p| " '\"`(:=\u{2018}\u{201c}".contains(p)) {
            let rest = &line[i..];
            let end = rest
                .find(|c: char| c.is_whitespace() || "'\"`),:\u{2019}\u{201d}".contains(c))
                .unwrap_or(rest.len());
            if end > 1 {
                out.push(PathBuf::from(&rest[..end]));
            }
            skip_to = i + end;
        }
        prev = Some(c);
    }
    out
}

fn under(path: &Path, roots: &[PathBuf]) -> bool {
    roots.iter().any(|r| path.starts_with(r))
}

/// Classify one line of the confined command's error output.
pub fn classify(line: &str, hidden: &[PathBuf], writable: &[PathBuf]) -> Option<BlockedAccess> {
    let refused_write = [
        "Read-only file system",
        "Permission denied",
        "Operation not permitted",
    ]
    .iter()
    .any(|m| line.contains(m));
    for p in paths_in(line) {
        if under(&p, hidden) {
            return Some(BlockedAccess {
                kind: Blocked::Read,
                path: p,
                line: crate::redact::redact(line),
            });
        }
        if refused_write && !under(&p, writable) {
            return Some(BlockedAccess {
                kind: Blocked::Write,
                path: p,
                line: crate::redact::redact(line),
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_secret_read_and_a_refused_write_are_recognised() {
        let hidden = vec![PathBuf::from("/h/.ssh")];
        let writable = vec![PathBuf::from("/w")];
        let r = classify(
            "cat: /h/.ssh/id_ed25519: No such file or directory",
            &hidden,
            &writable,
        )
        .unwrap();
        assert_eq!(r.kind, Blocked::Read);
        assert_eq!(r.path, PathBuf::from("/h/.ssh/id_ed25519"));
        let w = classify(
            "touch: cannot touch '/tmp/x-outside': Read-only file system",
            &hidden,
            &writable,
        )
        .unwrap();
        assert_eq!(w.kind, Blocked::Write);
        assert_eq!(w.path, PathBuf::from("/tmp/x-outside"));
        assert!(classify(
            "touch: cannot touch '/w/a': Permission denied",
            &hidden,
            &writable
        )
        .is_none());
        assert!(classify("all good", &hidden, &writable).is_none());
    }
}
