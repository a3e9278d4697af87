//! Finding secrets: in a file's bytes ([`scan_bytes`]), in a project folder
//! ([`scan_tree`]: parallel walk honouring `.gitignore`, then every ignored
//! `.env*` file too) and in a branch's tracked files and recent history
//! ([`scan_git_base`]). A [`Finding`] names file, line, rule and a masked
//! preview; the value itself never leaves this module except to the keychain.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use serde::Serialize;
use sha2::{Digest, Sha256};
use ts_rs::TS;

use super::rules::{self, Files, NameFrom, Rule};
use super::SecretsError;

/// One secret found: where, by which rule, and a preview that hides the value.
#[derive(Debug, Clone, Serialize, TS, PartialEq, Eq)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct Finding {
    /// Stable for the same file, position and rule (pick findings by it).
    pub id: String,
    /// Relative to the scanned root, `/`-separated.
    pub file: String,
    /// 1-based.
    pub line: u32,
    /// 1-based byte column.
    pub column: u32,
    pub rule: String,
    pub title: String,
    /// The reference name a move would use (e.g. `GITHUB_TOKEN`).
    pub name: String,
    /// A fixed prefix at most, then dots and the length: never the value.
    pub preview: String,
    /// Byte range of the value in the file (not serialised: only the move reads it).
    #[serde(skip)]
    #[ts(skip)]
    pub(crate) start: usize,
    #[serde(skip)]
    #[ts(skip)]
    pub(crate) end: usize,
}

/// Progress of a long scan, for a CLI line or a UI bar.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct ScanProgress {
    #[ts(type = "number")]
    pub files: u64,
    #[ts(type = "number")]
    pub bytes: u64,
    #[ts(type = "number")]
    pub findings: u64,
}

/// What a folder scan found.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct ScanReport {
    pub root: String,
    #[ts(type = "number")]
    pub files: u64,
    #[ts(type = "number")]
    pub bytes: u64,
    #[ts(type = "number")]
    pub millis: u64,
    pub findings: Vec<Finding>,
}

/// How a scan walks.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Files larger than this are skipped (minified bundles, data).
    pub max_file_bytes: u64,
    /// Worker threads (0: one per core).
    pub threads: usize,
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self {
            max_file_bytes: 8 << 20,
            threads: 0,
        }
    }
}

/// `.env`, `.env.local`, `prod.env`, `.envrc`: files of `NAME=value` lines.
pub fn is_dotenv(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    name.starts_with(".env") || name.ends_with(".env")
}

/// Templates hold placeholders; the `.env`-only rule skips them (token rules still run).
fn is_dotenv_template(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    [".example", ".sample", ".template", ".dist", ".defaults"]
        .iter()
        .any(|s| lower.ends_with(s))
}

fn finding_id(file: &str, start: usize, rule: &str) -> String {
    let mut h = Sha256::new();
    h.update(file.as_bytes());
    h.update([0]);
    h.update(start.to_le_bytes());
    h.update(rule.as_bytes());
    hex::encode(&h.finalize()[..6])
}

/// `GITHUB_TOKEN`-style name from an identifier (`apiKey` → `APIKEY`).
pub fn reference_name(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_uppercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_matches('_').to_owned();
    if out.is_empty() || out.as_bytes()[0].is_ascii_digit() {
        String::new()
    } else {
        out
    }
}

/// The identifier that ends just before `end` on its line (skipping `"':= >` and spaces).
fn identifier_before(content: &[u8], line_start: usize, end: usize) -> String {
    let mut i = end;
    while i > line_start
        && matches!(
            content[i - 1],
            b' ' | b'\t' | b'"' | b'\'' | b'=' | b':' | b'>'
        )
    {
        i -= 1;
    }
    let stop = i;
    while i > line_start
        && (content[i - 1].is_ascii_alphanumeric() || matches!(content[i - 1], b'_' | b'-' | b'.'))
    {
        i -= 1;
    }
    reference_name(&String::from_utf8_lossy(&content[i..stop]))
}

fn mask(rule: &Rule, value: &[u8]) -> String {
    let len = value.len();
    if rule.block_end.is_some() {
        let first = value.split(|&b| b == b'\n').next().unwrap_or_default();
        let lines = value.iter().filter(|&&b| b == b'\n').count() + 1;
        return format!(
            "{} … ({lines} lines)",
            String::from_utf8_lossy(first).trim()
        );
    }
    let show = if len >= 16 { rule.show.min(len / 2) } else { 0 };
    format!(
        "{}{} ({len} chars)",
        String::from_utf8_lossy(&value[..show]),
        "•".repeat(8)
    )
}

/// The end of a multi-line block (a private key): the END line's closing dashes.
fn block_value_end(content: &[u8], from: usize, end_marker: &str) -> Option<usize> {
    let hay = &content[from..];
    let end_at = memchr::memmem::find(hay, b"-----END")?;
    let tail = &hay[end_at..];
    let line_end = memchr::memchr(b'\n', tail).unwrap_or(tail.len());
    let line = &tail[..line_end];
    memchr::memmem::find(line, end_marker.as_bytes())?;
    // Close at the last dash of the END line.
    let close = line.iter().rposition(|&b| b == b'-')? + 1;
    // A real key has a body: at least 64 base64 characters between the markers.
    let body = hay[..end_at]
        .iter()
        .filter(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        .count();
    if body < 64 {
        return None;
    }
    Some(from + end_at + close)
}

/// Scan one file's bytes. `file` is only used to name findings.
pub fn scan_bytes(file: &str, content: &[u8], dotenv: bool) -> Result<Vec<Finding>, SecretsError> {
    let book = rules::book()?;
    let dotenv_rule = dotenv && !is_dotenv_template(file);
    let matched: Vec<usize> = if dotenv {
        book.dotenv_set
            .matches(content)
            .into_iter()
            .filter(|&i| dotenv_rule || book.rules[i].files == Files::Any)
            .collect()
    } else {
        let m = book.any_set.matches(content);
        if !m.matched_any() {
            return Ok(Vec::new());
        }
        m.into_iter().map(|i| book.any_index[i]).collect()
    };
    let mut raw: Vec<(usize, usize, usize, String)> = Vec::new(); // start, end, rule, name
    for ri in matched {
        let rule = &book.rules[ri];
        for caps in rule.regex.captures_iter(content) {
            let Some(whole) = caps.get(0) else { continue };
            let Some(group) = caps.get(rule.secret_group) else {
                continue;
            };
            let (start, end) = match &rule.block_end {
                Some(marker) => match block_value_end(content, whole.end(), marker) {
                    Some(end) => (whole.start(), end),
                    None => continue,
                },
                None => (group.start(), group.end()),
            };
            let value = &content[start..end];
            if rule.block_end.is_none() && !rule.accepts(value) {
                continue;
            }
            let line_start = memchr::memrchr(b'\n', &content[..whole.start()])
                .map(|i| i + 1)
                .unwrap_or(0);
            let name = match rule.name_group.and_then(|g| caps.get(g)) {
                Some(n) => reference_name(&String::from_utf8_lossy(n.as_bytes())),
                None => match rule.name_from {
                    NameFrom::Assignment => identifier_before(content, line_start, whole.start()),
                    NameFrom::Key => identifier_before(content, line_start, group.start()),
                },
            };
            let name = if name.len() < 2 {
                rule.default_name.clone()
            } else {
                name
            };
            raw.push((start, end, ri, name));
        }
    }
    // A value two rules found is reported once: the more specific rule wins
    // (rules are ordered specific first; the generic ones come last).
    raw.sort_by_key(|&(s, e, r, _)| (s, std::cmp::Reverse(e), r));
    let mut kept: Vec<(usize, usize, usize, String)> = Vec::new();
    for f in raw {
        if let Some(prev) = kept.iter_mut().find(|k| f.0 < k.1 && k.0 < f.1) {
            if f.2 < prev.2 {
                *prev = f;
            }
            continue;
        }
        kept.push(f);
    }
    kept.sort_by_key(|k| k.0);
    // Line numbers in one forward pass.
    let mut line = 1u32;
    let mut pos = 0usize;
    let mut out = Vec::with_capacity(kept.len());
    for (start, end, ri, name) in kept {
        line += memchr::memchr_iter(b'\n', &content[pos..start]).count() as u32;
        pos = start;
        let line_start = memchr::memrchr(b'\n', &content[..start])
            .map(|i| i + 1)
            .unwrap_or(0);
        let rule = &book.rules[ri];
        out.push(Finding {
            id: finding_id(file, start, &rule.id),
            file: file.to_owned(),
            line,
            column: (start - line_start + 1) as u32,
            rule: rule.id.clone(),
            title: rule.title.clone(),
            name,
            preview: mask(rule, &content[start..end]),
            start,
            end,
        });
    }
    Ok(out)
}

fn looks_binary(content: &[u8]) -> bool {
    memchr::memchr(0, &content[..content.len().min(8192)]).is_some()
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

struct Shared<'a> {
    root: &'a Path,
    opts: &'a ScanOptions,
    files: AtomicU64,
    bytes: AtomicU64,
    found: AtomicU64,
    last_report: AtomicU64,
    started: Instant,
    findings: Mutex<Vec<Finding>>,
    dotenv_seen: Mutex<HashSet<PathBuf>>,
    error: Mutex<Option<SecretsError>>,
    progress: &'a (dyn Fn(&ScanProgress) + Sync),
}

impl Shared<'_> {
    fn scan_file(&self, path: &Path, size: u64) {
        if size > self.opts.max_file_bytes {
            return;
        }
        let dotenv = is_dotenv(path);
        if dotenv {
            if let Ok(mut seen) = self.dotenv_seen.lock() {
                seen.insert(path.to_owned());
            }
        }
        let Ok(content) = std::fs::read(path) else {
            return;
        };
        if looks_binary(&content) {
            return;
        }
        self.files.fetch_add(1, Ordering::Relaxed);
        self.bytes
            .fetch_add(content.len() as u64, Ordering::Relaxed);
        match scan_bytes(&relative(self.root, path), &content, dotenv) {
            Ok(found) if !found.is_empty() => {
                self.found.fetch_add(found.len() as u64, Ordering::Relaxed);
                if let Ok(mut all) = self.findings.lock() {
                    all.extend(found);
                }
            }
            Ok(_) => {}
            Err(e) => {
                if let Ok(mut slot) = self.error.lock() {
                    slot.get_or_insert(e);
                }
            }
        }
        self.maybe_report();
    }

    /// At most ten progress reports a second, from whichever worker is due.
    fn maybe_report(&self) {
        let now = self.started.elapsed().as_millis() as u64;
        let last = self.last_report.load(Ordering::Relaxed);
        if now >= last + 100
            && self
                .last_report
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            (self.progress)(&self.snapshot());
        }
    }

    fn snapshot(&self) -> ScanProgress {
        ScanProgress {
            files: self.files.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
            findings: self.found.load(Ordering::Relaxed),
        }
    }
}

/// Scan a folder: every file git would not ignore, plus every `.env*` file even
/// when ignored. `progress` is called from worker threads, a few times a second.
pub fn scan_tree(
    root: &Path,
    opts: &ScanOptions,
    progress: &(dyn Fn(&ScanProgress) + Sync),
) -> Result<ScanReport, SecretsError> {
    let root = std::fs::canonicalize(root).map_err(|source| SecretsError::Io {
        doing: "opening the folder to scan",
        path: root.to_owned(),
        source,
    })?;
    rules::book()?;
    let shared = Shared {
        root: &root,
        opts,
        files: AtomicU64::new(0),
        bytes: AtomicU64::new(0),
        found: AtomicU64::new(0),
        last_report: AtomicU64::new(0),
        started: Instant::now(),
        findings: Mutex::new(Vec::new()),
        dotenv_seen: Mutex::new(HashSet::new()),
        error: Mutex::new(None),
        progress,
    };
    let threads = if opts.threads == 0 {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
    } else {
        opts.threads
    };
    ignore::WalkBuilder::new(&root)
        .hidden(false)
        .parents(false)
        .require_git(false)
        .follow_links(false)
        .threads(threads)
        .filter_entry(|e| e.file_name() != ".git")
        .build_parallel()
        .run(|| {
            Box::new(|entry| {
                if let Ok(entry) = entry {
                    if entry.file_type().is_some_and(|t| t.is_file()) {
                        let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
                        shared.scan_file(entry.path(), size);
                    }
                }
                ignore::WalkState::Continue
            })
        });
    // Ignored `.env*` files are where secrets live: walk everything for them.
    let seen = shared
        .dotenv_seen
        .lock()
        .map(|s| s.clone())
        .unwrap_or_default();
    for entry in walkdir::WalkDir::new(&root)
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| e.file_name() != ".git")
        .flatten()
    {
        if entry.file_type().is_file() && is_dotenv(entry.path()) && !seen.contains(entry.path()) {
            let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
            shared.scan_file(entry.path(), size);
        }
    }
    if let Some(e) = shared.error.lock().ok().and_then(|mut e| e.take()) {
        return Err(e);
    }
    progress(&shared.snapshot());
    let mut findings = shared.findings.into_inner().unwrap_or_default();
    findings.sort_by(|a, b| (&a.file, a.start).cmp(&(&b.file, b.start)));
    Ok(ScanReport {
        root: root.to_string_lossy().into_owned(),
        files: shared.files.load(Ordering::Relaxed),
        bytes: shared.bytes.load(Ordering::Relaxed),
        millis: shared.started.elapsed().as_millis() as u64,
        findings,
    })
}

/// A secret in a branch's tracked files or its recent history.
#[derive(Debug, Clone, Serialize, serde::Deserialize, TS, PartialEq, Eq)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct BranchWarning {
    /// `tracked` (in the branch's files now) or `history` (in an older commit only).
    pub kind: String,
    pub file: String,
    pub line: u32,
    pub rule: String,
    pub title: String,
    pub preview: String,
    /// The commit that added it (history warnings only).
    pub commit: Option<String>,
}

impl std::fmt::Display for BranchWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.commit {
            Some(c) => write!(
                f,
                "history: {} in {}:{} (commit {}) {}",
                self.title, self.file, self.line, c, self.preview
            ),
            None => write!(
                f,
                "tracked: {} in {}:{} {}",
                self.title, self.file, self.line, self.preview
            ),
        }
    }
}

/// Scan `base`'s tracked files and the blobs its last `history` commits added.
/// Bounded: blobs over the size limit and binaries are skipped.
pub fn scan_git_base(
    repo_root: &Path,
    base: &str,
    history: usize,
) -> Result<Vec<BranchWarning>, SecretsError> {
    let git = |doing: &'static str| {
        move |e: git2::Error| SecretsError::Git {
            doing,
            detail: e.message().to_owned(),
        }
    };
    let repo = git2::Repository::open(repo_root).map_err(git("opening the repository"))?;
    let commit = repo
        .revparse_single(base)
        .and_then(|o| o.peel_to_commit())
        .map_err(git("finding the base branch"))?;
    let limit = ScanOptions::default().max_file_bytes as usize;
    let mut out = Vec::new();
    let mut tip_blobs = HashSet::new();
    let tree = commit.tree().map_err(git("reading the base tree"))?;
    let mut blobs = Vec::new();
    tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
        if entry.kind() == Some(git2::ObjectType::Blob) {
            blobs.push((format!("{dir}{}", entry.name().unwrap_or("")), entry.id()));
        }
        git2::TreeWalkResult::Ok
    })
    .map_err(git("walking the base tree"))?;
    for (path, id) in blobs {
        tip_blobs.insert(id);
        let Ok(blob) = repo.find_blob(id) else {
            continue;
        };
        let content = blob.content();
        if content.len() > limit || looks_binary(content) {
            continue;
        }
        for f in scan_bytes(&path, content, is_dotenv(Path::new(&path)))? {
            out.push(BranchWarning {
                kind: "tracked".into(),
                file: f.file,
                line: f.line,
                rule: f.rule,
                title: f.title,
                preview: f.preview,
                commit: None,
            });
        }
    }
    // History: blobs added by recent commits that the tip no longer has.
    let mut walk = repo.revwalk().map_err(git("walking the history"))?;
    walk.push(commit.id()).map_err(git("walking the history"))?;
    let mut seen = HashSet::new();
    let mut budget: usize = 64 << 20;
    for oid in walk.take(history).flatten() {
        let Ok(c) = repo.find_commit(oid) else {
            continue;
        };
        let Ok(new_tree) = c.tree() else { continue };
        let old_tree = c.parent(0).ok().and_then(|p| p.tree().ok());
        let Ok(diff) = repo.diff_tree_to_tree(old_tree.as_ref(), Some(&new_tree), None) else {
            continue;
        };
        for delta in diff.deltas() {
            let nf = delta.new_file();
            let id = nf.id();
            if id.is_zero() || tip_blobs.contains(&id) || !seen.insert(id) {
                continue;
            }
            let Ok(blob) = repo.find_blob(id) else {
                continue;
            };
            let content = blob.content();
            if content.len() > limit || looks_binary(content) || content.len() > budget {
                continue;
            }
            budget -= content.len();
            let path = nf
                .path()
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default();
            for f in scan_bytes(&path, content, is_dotenv(Path::new(&path)))? {
                out.push(BranchWarning {
                    kind: "history".into(),
                    file: f.file,
                    line: f.line,
                    rule: f.rule,
                    title: f.title,
                    preview: f.preview,
                    commit: Some(oid.to_string()[..10].to_owned()),
                });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(text: &str, dotenv: bool) -> Vec<Finding> {
        scan_bytes(
            if dotenv { ".env" } else { "x.txt" },
            text.as_bytes(),
            dotenv,
        )
        .unwrap()
    }

    #[test]
    fn every_rule_finds_each_of_its_true_positives() {
        for rule in &rules::book().unwrap().rules {
            let dotenv = rule.files == Files::Dotenv;
            for example in &rule.true_positives {
                let found = scan(example, dotenv);
                assert!(
                    found.iter().any(|f| f.rule == rule.id),
                    "rule {} missed its example {example:?}; found {found:?}",
                    rule.id
                );
            }
        }
    }

    #[test]
    fn no_rule_fires_on_its_false_positives() {
        for rule in &rules::book().unwrap().rules {
            let dotenv = rule.files == Files::Dotenv;
            for example in &rule.false_positives {
                let found = scan(example, dotenv);
                assert!(
                    found.is_empty(),
                    "rule {}'s false positive {example:?} was flagged: {found:?}",
                    rule.id
                );
            }
        }
    }

    #[test]
    fn a_finding_never_shows_the_value() {
        for rule in &rules::book().unwrap().rules {
            for example in &rule.true_positives {
                for f in scan(example, rule.files == Files::Dotenv) {
                    let value = &example.as_bytes()[f.start..f.end];
                    let json = serde_json::to_string(&f).unwrap();
                    assert!(!json.contains(&*String::from_utf8_lossy(value)), "{json}");
                    // No more than the rule's fixed prefix (or a key's BEGIN line) is shown.
                    if rule.block_end.is_some() {
                        assert!(f.preview.starts_with("-----BEGIN"), "{}", f.preview);
                        assert!(!f.preview.contains('\n'), "{}", f.preview);
                    } else {
                        let shown = f.preview.split('•').next().unwrap_or("");
                        assert!(shown.len() <= rule.show, "{}", f.preview);
                    }
                }
            }
        }
    }

    #[test]
    fn findings_carry_line_column_and_the_assigned_name() {
        let text =
            "# config\nPORT=1\nexport GITHUB_TOKEN=ghp_aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5\n";
        let f = scan(text, false);
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].line, f[0].column), (3, 21));
        assert_eq!(f[0].name, "GITHUB_TOKEN");
        assert!(f[0].preview.starts_with("ghp_•"), "{}", f[0].preview);
    }

    #[test]
    fn a_value_two_rules_match_is_reported_once_by_the_specific_rule() {
        let text = "api_key = \"sk_live_aB3dE5gH7jK9mN1pQ3sT5vW7\"";
        let f = scan(text, false);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].rule, "stripe-key");
    }
}
