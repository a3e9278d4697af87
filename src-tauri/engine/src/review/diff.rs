//! The diff of a task branch against its merge-base with the base branch, per
//! file, with hunks and line stats — computed with git2, never by shelling out.
//!
//! Text is shown as it is: a `\r` before a line's `\n` is kept (CRLF files stay
//! CRLF), and bytes that are not UTF-8 are shown lossily with the file flagged.

use std::path::Path;

use git2::{Delta, Diff, DiffFindOptions, DiffOptions, Oid, Patch, Repository};
use serde::Serialize;
use ts_rs::TS;

use super::ReviewError;

/// What happened to a file on the task branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub enum FileStatus {
    Added,
    Modified,
    Deleted,
    Renamed,
    Copied,
    /// Only the file mode changed (e.g. it became executable); the content is the same.
    ModeChange,
    /// A file became a symlink or the other way round.
    TypeChange,
}

impl FileStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FileStatus::Added => "added",
            FileStatus::Modified => "modified",
            FileStatus::Deleted => "deleted",
            FileStatus::Renamed => "renamed",
            FileStatus::Copied => "copied",
            FileStatus::ModeChange => "mode change",
            FileStatus::TypeChange => "type change",
        }
    }

    /// The one-letter code `git diff --name-status` uses.
    pub fn letter(self) -> char {
        match self {
            FileStatus::Added => 'A',
            FileStatus::Modified | FileStatus::ModeChange => 'M',
            FileStatus::Deleted => 'D',
            FileStatus::Renamed => 'R',
            FileStatus::Copied => 'C',
            FileStatus::TypeChange => 'T',
        }
    }
}

/// One line of a hunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub enum LineKind {
    Context,
    Add,
    Del,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct Line {
    pub kind: LineKind,
    pub old_no: Option<u32>,
    pub new_no: Option<u32>,
    /// The line without its final `\n`; a `\r` before it is kept.
    pub text: String,
    /// The line has no newline at the end of the file.
    pub no_newline: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct Hunk {
    /// `@@ -a,b +c,d @@ context`
    pub header: String,
    pub old_start: u32,
    pub old_lines: u32,
    pub new_start: u32,
    pub new_lines: u32,
    pub lines: Vec<Line>,
}

/// One changed file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct FileDiff {
    /// The path on the task branch (the old path for a deleted file).
    pub path: String,
    /// The path at the merge-base, when it differs (renamed, copied).
    pub old_path: Option<String>,
    pub status: FileStatus,
    /// Binary content: no hunks, no line stats.
    pub binary: bool,
    /// Some bytes were not UTF-8 and are shown lossily (U+FFFD).
    pub non_utf8: bool,
    /// Lines end in CRLF on either side.
    pub crlf: bool,
    /// Git file modes (0o100644, 0o100755, 0o120000, …); 0 when absent on that side.
    pub old_mode: u32,
    pub new_mode: u32,
    /// Blob ids (full hex; 40 zeros when absent on that side).
    pub old_blob: String,
    pub new_blob: String,
    pub additions: u32,
    pub deletions: u32,
    pub hunks: Vec<Hunk>,
    /// A person marked this exact version of the file reviewed.
    pub reviewed: bool,
}

impl FileDiff {
    /// What a review mark is bound to: both blobs and the new mode. If the
    /// agent changes the file after it was reviewed, the key changes and the
    /// mark no longer applies.
    pub fn review_key(&self) -> String {
        format!("{}..{}:{:o}", self.old_blob, self.new_blob, self.new_mode)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct DiffTotals {
    pub files: u32,
    pub additions: u32,
    pub deletions: u32,
    pub binary: u32,
    pub reviewed: u32,
}

/// The whole change a task proposes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct ReviewDiff {
    pub task: String,
    pub base: String,
    pub branch: String,
    /// The merge-base commit the diff starts from.
    pub merge_base: String,
    /// The task branch's commit the diff ends at.
    pub head: String,
    pub files: Vec<FileDiff>,
    pub totals: DiffTotals,
    /// Copies were looked for (false on very large changes, where copied
    /// files show as added).
    pub copies_detected: bool,
}

impl ReviewDiff {
    /// Paths not yet marked reviewed (at their current version).
    pub fn unreviewed(&self) -> Vec<&str> {
        self.files
            .iter()
            .filter(|f| !f.reviewed)
            .map(|f| f.path.as_str())
            .collect()
    }
}

fn git(doing: &'static str) -> impl FnOnce(git2::Error) -> ReviewError {
    move |source| ReviewError::Git { doing, source }
}

/// The two ends of a task's change.
pub(crate) struct Ends {
    pub merge_base: Oid,
    pub head: Oid,
}

/// Resolve the base tip, the branch tip and their merge-base.
pub(crate) fn ends(repo: &Repository, base: &str, branch: &str) -> Result<Ends, ReviewError> {
    let tip_of = |name: &str| -> Result<Oid, ReviewError> {
        let b = repo
            .find_branch(name, git2::BranchType::Local)
            .map_err(|_| ReviewError::MissingBranch {
                branch: name.to_owned(),
            })?;
        Ok(b.get()
            .peel_to_commit()
            .map_err(git("reading a branch's commit"))?
            .id())
    };
    let base_tip = tip_of(base)?;
    let head = tip_of(branch)?;
    let merge_base = repo.merge_base(base_tip, head).map_err(git(
        "finding the merge-base of the task branch and its base",
    ))?;
    Ok(Ends { merge_base, head })
}

/// Added × modified file pairs above which copies are not looked for.
pub const COPY_PAIR_BUDGET: usize = 40_000;

/// The tree diff between two commits, with renames (and, unless the change is
/// very large, copies) found. Returns whether copies were looked for.
pub(crate) fn tree_diff<'r>(
    repo: &'r Repository,
    from: Oid,
    to: Oid,
    pathspec: Option<&str>,
) -> Result<(Diff<'r>, bool), ReviewError> {
    let old = repo
        .find_commit(from)
        .and_then(|c| c.tree())
        .map_err(git("reading the merge-base tree"))?;
    let new = repo
        .find_commit(to)
        .and_then(|c| c.tree())
        .map_err(git("reading the task branch's tree"))?;
    let mut opts = DiffOptions::new();
    opts.include_typechange(true).context_lines(3);
    if let Some(p) = pathspec {
        opts.pathspec(p).disable_pathspec_match(true);
    }
    let mut diff = repo
        .diff_tree_to_tree(Some(&old), Some(&new), Some(&mut opts))
        .map_err(git("comparing the task branch with its merge-base"))?;
    let mut copies = false;
    if pathspec.is_none() {
        let (mut added, mut modified) = (0usize, 0usize);
        for d in diff.deltas() {
            match d.status() {
                Delta::Added => added += 1,
                Delta::Modified => modified += 1,
                _ => {}
            }
        }
        // Copy detection compares every added file with every modified one;
        // on a very large change that costs more than the whole diff, so it
        // is skipped there (as git skips renames beyond diff.renameLimit).
        copies = added.saturating_mul(modified) <= COPY_PAIR_BUDGET;
        let mut find = DiffFindOptions::new();
        find.renames(true).copies(copies).rename_limit(1000);
        diff.find_similar(Some(&mut find))
            .map_err(git("finding renamed and copied files"))?;
    }
    Ok((diff, copies))
}

fn path_text(p: Option<&Path>) -> String {
    p.map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Build every file's diff. `reviewed(key_of_file)` says whether a mark applies.
pub(crate) fn files_of(
    diff: &Diff<'_>,
    reviewed: &dyn Fn(&str, &str) -> bool,
) -> Result<Vec<FileDiff>, ReviewError> {
    let mut files = Vec::with_capacity(diff.deltas().len());
    for idx in 0..diff.deltas().len() {
        let patch = Patch::from_diff(diff, idx).map_err(git("computing a file's hunks"))?;
        let Some(delta) = diff.get_delta(idx) else {
            continue;
        };
        let old = delta.old_file();
        let new = delta.new_file();
        let old_path = path_text(old.path());
        let new_path = path_text(new.path());
        let old_mode = u32::from(old.mode());
        let new_mode = u32::from(new.mode());
        let status = match delta.status() {
            Delta::Added | Delta::Untracked => FileStatus::Added,
            Delta::Deleted => FileStatus::Deleted,
            Delta::Renamed => FileStatus::Renamed,
            Delta::Copied => FileStatus::Copied,
            Delta::Typechange => FileStatus::TypeChange,
            _ if old.id() == new.id() && old_mode != new_mode => FileStatus::ModeChange,
            _ => FileStatus::Modified,
        };
        let binary = delta.flags().is_binary() || old.is_binary() || new.is_binary();
        let mut f = FileDiff {
            path: if status == FileStatus::Deleted {
                old_path.clone()
            } else {
                new_path.clone()
            },
            old_path: matches!(status, FileStatus::Renamed | FileStatus::Copied)
                .then(|| old_path.clone()),
            status,
            binary,
            non_utf8: false,
            crlf: false,
            old_mode,
            new_mode,
            old_blob: old.id().to_string(),
            new_blob: new.id().to_string(),
            additions: 0,
            deletions: 0,
            hunks: Vec::new(),
            reviewed: false,
        };
        if let (false, Some(patch)) = (binary, patch) {
            for h in 0..patch.num_hunks() {
                let (hunk, n) = patch.hunk(h).map_err(git("reading a hunk"))?;
                let header = String::from_utf8_lossy(hunk.header());
                let mut out = Hunk {
                    header: header.trim_end_matches(['\n', '\r']).to_owned(),
                    old_start: hunk.old_start(),
                    old_lines: hunk.old_lines(),
                    new_start: hunk.new_start(),
                    new_lines: hunk.new_lines(),
                    lines: Vec::with_capacity(n),
                };
                for l in 0..n {
                    let line = patch
                        .line_in_hunk(h, l)
                        .map_err(git("reading a diff line"))?;
                    let kind = match line.origin() {
                        ' ' => LineKind::Context,
                        '+' => LineKind::Add,
                        '-' => LineKind::Del,
                        // '=', '>', '<': "\ No newline at end of file" markers.
                        _ => {
                            if let Some(last) = out.lines.last_mut() {
                                last.no_newline = true;
                            }
                            continue;
                        }
                    };
                    match kind {
                        LineKind::Add => f.additions += 1,
                        LineKind::Del => f.deletions += 1,
                        LineKind::Context => {}
                    }
                    let raw = line.content();
                    let raw = raw.strip_suffix(b"\n").unwrap_or(raw);
                    if raw.ends_with(b"\r") {
                        f.crlf = true;
                    }
                    let text = match std::str::from_utf8(raw) {
                        Ok(s) => s.to_owned(),
                        Err(_) => {
                            f.non_utf8 = true;
                            String::from_utf8_lossy(raw).into_owned()
                        }
                    };
                    out.lines.push(Line {
                        kind,
                        old_no: line.old_lineno(),
                        new_no: line.new_lineno(),
                        text,
                        no_newline: false,
                    });
                }
                f.hunks.push(out);
            }
        }
        f.reviewed = reviewed(&f.path, &f.review_key());
        files.push(f);
    }
    Ok(files)
}

/// Sum a diff's files.
pub(crate) fn totals_of(files: &[FileDiff]) -> DiffTotals {
    let mut t = DiffTotals::default();
    for f in files {
        t.files += 1;
        t.additions += f.additions;
        t.deletions += f.deletions;
        t.binary += u32::from(f.binary);
        t.reviewed += u32::from(f.reviewed);
    }
    t
}

/// The content of one side of a file, for a side-by-side view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct FileSide {
    pub path: String,
    pub blob: String,
    pub mode: u32,
    /// The text (lossy if `non_utf8`); empty for binary content.
    pub text: String,
    pub binary: bool,
    pub non_utf8: bool,
    #[ts(type = "number")]
    pub size: u64,
}

/// Both sides of a changed file. A side is absent when the file is added or deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct FileContents {
    pub old: Option<FileSide>,
    pub new: Option<FileSide>,
}

pub(crate) fn side(
    repo: &Repository,
    path: &str,
    blob: &str,
    mode: u32,
) -> Result<Option<FileSide>, ReviewError> {
    let oid = Oid::from_str(blob).map_err(git("reading a blob id"))?;
    if oid.is_zero() || mode == 0 {
        return Ok(None);
    }
    if mode == 0o160000 {
        // A submodule: the "content" is a commit id.
        return Ok(Some(FileSide {
            path: path.to_owned(),
            blob: blob.to_owned(),
            mode,
            text: format!("Subproject commit {blob}\n"),
            binary: false,
            non_utf8: false,
            size: 0,
        }));
    }
    let b = repo
        .find_blob(oid)
        .map_err(git("reading a file's content"))?;
    let bytes = b.content();
    let binary = b.is_binary();
    let (text, non_utf8) = if binary {
        (String::new(), false)
    } else {
        match std::str::from_utf8(bytes) {
            Ok(s) => (s.to_owned(), false),
            Err(_) => (String::from_utf8_lossy(bytes).into_owned(), true),
        }
    };
    Ok(Some(FileSide {
        path: path.to_owned(),
        blob: blob.to_owned(),
        mode,
        text,
        binary,
        non_utf8,
        size: bytes.len() as u64,
    }))
}
