//! Moving secrets into the keychain and back.
//!
//! A move stores every picked value in the keychain and reads it back first;
//! only when all are confirmed is a file rewritten (a backup of it kept until
//! the rewrite and the index are committed, the rewrite itself an atomic
//! rename). A keychain failure therefore leaves every file byte-identical, and
//! the entries already stored by that move are removed again. The index keeps
//! names and places; restore puts the exact bytes back.

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use sha2::{Digest, Sha256};
use ts_rs::TS;

use super::keychain::{self, Keychain};
use super::scan::{self, Finding};
use super::SecretsError;
use crate::audit::{self, Actor, NewEvent};
use crate::store::{Store, StoreError};
use crate::PaddockHome;

/// One secret the store holds (or held): where it came from, never its value.
#[derive(Debug, Clone, Serialize, TS, PartialEq, Eq)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct HeldSecret {
    #[ts(type = "number")]
    pub id: i64,
    pub project: String,
    pub name: String,
    pub repo: String,
    pub file: String,
    pub line: u32,
    pub rule: String,
    /// What the file holds instead: `paddock://<project>/<NAME>`.
    pub reference: String,
    pub keychain_service: String,
    pub keychain_account: String,
    pub task: Option<String>,
    pub moved_at: String,
    pub restored_at: Option<String>,
}

/// What a move did.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct MoveReport {
    pub batch: String,
    pub moved: Vec<HeldSecret>,
    pub files: Vec<String>,
}

/// What a restore did.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct RestoreReport {
    pub restored: Vec<String>,
    pub files: Vec<String>,
    /// Files edited since the move: references were replaced, but the bytes
    /// around them are the new ones.
    pub changed_since_move: Vec<String>,
}

fn sql(doing: &'static str) -> impl FnOnce(rusqlite::Error) -> SecretsError {
    move |e| SecretsError::Store(StoreError::sql(doing, e))
}

fn io<'a>(doing: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> SecretsError + 'a {
    move |source| SecretsError::Io {
        doing,
        path: path.to_owned(),
        source,
    }
}

/// `paddock://<project>/<NAME>`
pub fn reference(project: &str, name: &str) -> String {
    format!("paddock://{project}/{name}")
}

const COLUMNS: &str = "id, project, name, repo, file, line, rule, reference, keychain_service, keychain_account, task, moved_at, restored_at";

fn read_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<HeldSecret> {
    Ok(HeldSecret {
        id: r.get(0)?,
        project: r.get(1)?,
        name: r.get(2)?,
        repo: r.get(3)?,
        file: r.get(4)?,
        line: r.get(5)?,
        rule: r.get(6)?,
        reference: r.get(7)?,
        keychain_service: r.get(8)?,
        keychain_account: r.get(9)?,
        task: r.get(10)?,
        moved_at: r.get(11)?,
        restored_at: r.get(12)?,
    })
}

/// Secrets in the index, oldest first; restored ones only with `include_restored`.
pub fn list(
    store: &Store,
    project: Option<&str>,
    include_restored: bool,
) -> Result<Vec<HeldSecret>, SecretsError> {
    let mut st = store
        .conn()
        .prepare(&format!(
            "SELECT {COLUMNS} FROM secrets
             WHERE (?1 IS NULL OR project = ?1) AND (?2 OR restored_at IS NULL)
             ORDER BY id"
        ))
        .map_err(sql("listing secrets"))?;
    let rows = st
        .query_map(params![project, include_restored], read_row)
        .map_err(sql("listing secrets"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(sql("listing secrets"));
    rows
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Write `bytes` to `path` atomically (temp file in the same folder, fsync,
/// rename), keeping the original's permissions.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), SecretsError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.paddock-{}", uuid::Uuid::new_v4().simple()));
    let perms = std::fs::metadata(path).map(|m| m.permissions()).ok();
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        if let Some(p) = &perms {
            f.set_permissions(p.clone())?;
        }
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io("rewriting", path))
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), SecretsError> {
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io("creating the backup folder", dir))?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io("writing a backup", path))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(io("writing a backup", path))
}

struct Pick {
    finding: Finding,
    name: String,
    value: String,
}

/// Move the picked findings (from a fresh [`scan::scan_tree`] of `repo_root`)
/// into the keychain and put references in their place.
pub fn move_findings(
    store: &mut Store,
    home: &PaddockHome,
    kc: &dyn Keychain,
    project: &str,
    repo_root: &Path,
    task: Option<&str>,
    picked: &[Finding],
) -> Result<MoveReport, SecretsError> {
    if picked.is_empty() {
        return Err(SecretsError::Refused("no findings were picked".into()));
    }
    let root = std::fs::canonicalize(repo_root).map_err(io("opening", repo_root))?;
    let service = keychain::service_for(project);

    // 1. Re-read every file and check each pick is still where the scan saw it.
    let mut by_file: BTreeMap<String, Vec<&Finding>> = BTreeMap::new();
    for f in picked {
        by_file.entry(f.file.clone()).or_default().push(f);
    }
    let mut taken: HashSet<String> = list(store, Some(project), false)?
        .into_iter()
        .map(|h| h.name)
        .collect();
    let mut files: Vec<(String, PathBuf, Vec<u8>, Vec<Pick>)> = Vec::new();
    for (rel, fs) in by_file {
        let path = root.join(&rel);
        let content = std::fs::read(&path).map_err(io("reading", &path))?;
        let now = scan::scan_bytes(&rel, &content, scan::is_dotenv(&path))?;
        let mut picks: Vec<Pick> = Vec::new();
        let mut sorted = fs.clone();
        sorted.sort_by_key(|f| f.start);
        for f in sorted {
            if !now
                .iter()
                .any(|n| n.id == f.id && n.start == f.start && n.end == f.end)
            {
                return Err(SecretsError::Refused(format!(
                    "{rel}:{} changed since it was scanned; scan again",
                    f.line
                )));
            }
            if picks.last().is_some_and(|p| f.start < p.finding.end) {
                continue; // overlaps the previous pick
            }
            let value = String::from_utf8(content[f.start..f.end].to_vec()).map_err(|_| {
                SecretsError::Refused(format!(
                    "{rel}:{} holds a value that is not UTF-8; move it by hand",
                    f.line
                ))
            })?;
            let base = if f.name.is_empty() {
                "SECRET".to_owned()
            } else {
                f.name.clone()
            };
            let mut name = base.clone();
            let mut n = 2;
            while taken.contains(&name) {
                name = format!("{base}_{n}");
                n += 1;
            }
            taken.insert(name.clone());
            picks.push(Pick {
                finding: f.clone(),
                name,
                value,
            });
        }
        files.push((rel, path, content, picks));
    }

    // 2. The keychain first, every value confirmed by reading it back.
    let mut stored: Vec<String> = Vec::new();
    let undo_keychain = |names: &[String]| {
        for n in names {
            let _ = kc.delete(&service, n);
        }
    };
    for (_, _, _, picks) in &files {
        for p in picks {
            if let Err(source) = keychain::store_confirmed(kc, &service, &p.name, &p.value) {
                undo_keychain(&stored);
                return Err(SecretsError::Keychain {
                    name: p.name.clone(),
                    source,
                });
            }
            stored.push(p.name.clone());
        }
    }
    crate::redact::add_known_secrets(
        files
            .iter()
            .flat_map(|(_, _, _, ps)| ps.iter().map(|p| p.value.clone())),
    );

    // 3. Files, one at a time: backup, index rows, atomic rewrite, commit.
    let batch = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
    let now = crate::time::now_rfc3339();
    let backup_dir = home.root().join("secrets").join("backups").join(&batch);
    let repo_text = root.to_string_lossy().into_owned();
    let mut report = MoveReport {
        batch: batch.clone(),
        moved: Vec::new(),
        files: Vec::new(),
    };
    let total = files.len();
    for (i, (rel, path, content, picks)) in files.iter().enumerate() {
        // The new bytes, and where each reference lands in them.
        let mut out = Vec::with_capacity(content.len());
        let mut offsets = Vec::with_capacity(picks.len());
        let mut pos = 0;
        for p in picks {
            out.extend_from_slice(&content[pos..p.finding.start]);
            offsets.push(out.len());
            out.extend_from_slice(reference(project, &p.name).as_bytes());
            pos = p.finding.end;
        }
        out.extend_from_slice(&content[pos..]);
        let after = sha256_hex(&out);
        let backup = backup_dir.join(format!("{i}.bak"));
        let fail = |e: SecretsError| {
            // This file and the ones after it keep their values: take their entries out.
            let left: Vec<String> = files[i..]
                .iter()
                .flat_map(|(_, _, _, ps)| ps.iter().map(|p| p.name.clone()))
                .collect();
            undo_keychain(&left);
            e
        };
        write_private(&backup, content).map_err(fail)?;
        let tx = store
            .conn_mut()
            .transaction()
            .map_err(sql("starting the secrets index update"))
            .map_err(fail)?;
        let mut rows = Vec::new();
        for (p, off) in picks.iter().zip(&offsets) {
            let r = reference(project, &p.name);
            tx.execute(
                "INSERT INTO secrets (batch, project, name, repo, file, line, rule, reference, ref_offset,
                     after_sha256, keychain_service, keychain_account, task, moved_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                params![
                    batch, project, p.name, repo_text, rel, p.finding.line, p.finding.rule, r,
                    *off as i64, after, service, p.name, task, now
                ],
            )
            .map_err(sql("recording a moved secret"))
            .map_err(fail)?;
            rows.push(HeldSecret {
                id: tx.last_insert_rowid(),
                project: project.to_owned(),
                name: p.name.clone(),
                repo: repo_text.clone(),
                file: rel.clone(),
                line: p.finding.line,
                rule: p.finding.rule.clone(),
                reference: r,
                keychain_service: service.clone(),
                keychain_account: p.name.clone(),
                task: task.map(str::to_owned),
                moved_at: now.clone(),
                restored_at: None,
            });
        }
        write_atomically(path, &out).map_err(fail)?;
        if let Err(e) = tx.commit() {
            // The index could not record it: put the original bytes back.
            let _ = write_atomically(path, content);
            return Err(fail(sql("recording the moved secrets")(e)));
        }
        let _ = std::fs::remove_file(&backup);
        report.files.push(rel.clone());
        report.moved.extend(rows);
        debug_assert!(i < total);
    }
    let _ = std::fs::remove_dir(&backup_dir);

    let names: Vec<&str> = report.moved.iter().map(|h| h.name.as_str()).collect();
    let mut ev = NewEvent::new(
        "secrets.moved",
        Actor::User,
        format!(
            "moved {} secret{} into the keychain: {}",
            names.len(),
            if names.len() == 1 { "" } else { "s" },
            names.join(", ")
        ),
    )
    .payload(serde_json::json!({
        "batch": batch,
        "project": project,
        "secrets": report.moved.iter().map(|h| serde_json::json!({
            "name": h.name, "file": h.file, "line": h.line, "rule": h.rule, "reference": h.reference,
        })).collect::<Vec<_>>(),
    }));
    if let Some(t) = task {
        ev = ev.task(t);
    }
    audit::record(store, ev)?;
    Ok(report)
}

struct RestoreRow {
    held: HeldSecret,
    batch: String,
    offset: usize,
    after: String,
}

/// Put every value moved out of files under `repo_root` back, exactly, and
/// remove them from the keychain. Newest moves are undone first.
pub fn restore(
    store: &mut Store,
    kc: &dyn Keychain,
    repo_root: &Path,
    task: Option<&str>,
) -> Result<RestoreReport, SecretsError> {
    let root = std::fs::canonicalize(repo_root).map_err(io("opening", repo_root))?;
    let repo_text = root.to_string_lossy().into_owned();
    let rows: Vec<RestoreRow> = {
        let mut st = store
            .conn()
            .prepare(&format!(
                "SELECT {COLUMNS}, batch, ref_offset, after_sha256 FROM secrets
                 WHERE repo = ?1 AND restored_at IS NULL ORDER BY id DESC"
            ))
            .map_err(sql("reading the secrets index"))?;
        let rows = st
            .query_map([&repo_text], |r| {
                Ok(RestoreRow {
                    held: read_row(r)?,
                    batch: r.get(13)?,
                    offset: r.get::<_, i64>(14)? as usize,
                    after: r.get(15)?,
                })
            })
            .map_err(sql("reading the secrets index"))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(sql("reading the secrets index"))?;
        rows
    };
    let mut report = RestoreReport {
        restored: Vec::new(),
        files: Vec::new(),
        changed_since_move: Vec::new(),
    };
    if rows.is_empty() {
        return Ok(report);
    }
    // Every value first: a keychain failure writes nothing.
    let mut values = Vec::with_capacity(rows.len());
    for r in &rows {
        let v = kc
            .get(&r.held.keychain_service, &r.held.keychain_account)
            .map_err(|source| SecretsError::Keychain {
                name: r.held.name.clone(),
                source,
            })?;
        values.push(v);
    }
    // Group by (batch, file), newest batch first (rows are newest first).
    let mut groups: Vec<((String, String), Vec<usize>)> = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let key = (r.batch.clone(), r.held.file.clone());
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(i),
            None => groups.push((key, vec![i])),
        }
    }
    let now = crate::time::now_rfc3339();
    for ((_, file), idx) in groups {
        let path = root.join(&file);
        let mut content = std::fs::read(&path).map_err(io("reading", &path))?;
        let exact = sha256_hex(&content) == rows[idx[0]].after;
        let mut order = idx.clone();
        order.sort_by_key(|&i| std::cmp::Reverse(rows[i].offset));
        let mut done = Vec::new();
        for i in order {
            let r = &rows[i];
            let reference = r.held.reference.as_bytes();
            let at =
                if exact && content.get(r.offset..r.offset + reference.len()) == Some(reference) {
                    Some(r.offset)
                } else {
                    memchr::memmem::find(&content, reference)
                };
            let Some(at) = at else { continue };
            content.splice(at..at + reference.len(), values[i].bytes());
            done.push(i);
        }
        if done.is_empty() {
            continue;
        }
        write_atomically(&path, &content)?;
        for &i in &done {
            store
                .conn()
                .execute(
                    "UPDATE secrets SET restored_at = ?1 WHERE id = ?2",
                    params![now, rows[i].held.id],
                )
                .map_err(sql("marking a secret restored"))?;
            let _ = kc.delete(
                &rows[i].held.keychain_service,
                &rows[i].held.keychain_account,
            );
            report.restored.push(rows[i].held.name.clone());
        }
        if !exact {
            report.changed_since_move.push(file.clone());
        }
        report.files.push(file);
    }
    let mut ev = NewEvent::new(
        "secrets.restored",
        Actor::User,
        format!(
            "put {} secret{} back into their files: {}",
            report.restored.len(),
            if report.restored.len() == 1 { "" } else { "s" },
            report.restored.join(", ")
        ),
    )
    .payload(serde_json::json!({
        "repo": repo_text,
        "names": report.restored,
        "files": report.files,
        "changed_since_move": report.changed_since_move,
    }));
    if let Some(t) = task {
        ev = ev.task(t);
    }
    audit::record(store, ev)?;
    Ok(report)
}

/// The environment for a process a person approved: `NAME=value` for each
/// named secret of `project`. Fails (and gives nothing) if any is missing.
pub fn exec_env(
    store: &Store,
    kc: &dyn Keychain,
    project: &str,
    names: &[String],
) -> Result<Vec<(String, String)>, SecretsError> {
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let held = store
            .conn()
            .query_row(
                &format!(
                    "SELECT {COLUMNS} FROM secrets WHERE project = ?1 AND name = ?2 AND restored_at IS NULL"
                ),
                params![project, name],
                read_row,
            )
            .optional()
            .map_err(sql("reading the secrets index"))?
            .ok_or_else(|| {
                SecretsError::Refused(format!(
                    "project {project} holds no secret {name} (see `paddock secrets list`)"
                ))
            })?;
        let value = kc
            .get(&held.keychain_service, &held.keychain_account)
            .map_err(|source| SecretsError::Keychain {
                name: name.clone(),
                source,
            })?;
        out.push((name.clone(), value));
    }
    Ok(out)
}

/// Every value the store holds (from the keychain). Entries the keychain
/// cannot give are skipped; the count of those is returned too.
pub fn held_values(store: &Store, kc: &dyn Keychain) -> Result<(Vec<String>, usize), SecretsError> {
    let mut values = Vec::new();
    let mut missing = 0;
    for h in list(store, None, false)? {
        match kc.get(&h.keychain_service, &h.keychain_account) {
            Ok(v) => values.push(v),
            Err(_) => missing += 1,
        }
    }
    Ok((values, missing))
}
