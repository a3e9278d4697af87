//! `review::diff` on a large change, against `git diff --stat` on the same
//! repository in the same run (the baseline a user would reach for).
//!
//! The change: 2,000 files and 100,000 changed lines — 1,600 files with 25
//! lines replaced each (+25 −25) and 400 new files of 50 lines. Target: ≤ 1.5×.
//!
//! `cargo bench -p paddock-engine --bench review_diff`

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use paddock_engine::audit::Actor;
use paddock_engine::review;
use paddock_engine::task::{self, Agent, NewTask, TaskState};
use paddock_engine::{PaddockHome, Store};

const MODIFIED: usize = 1_600;
const ADDED: usize = 400;
const LINES: usize = 100;
const REPLACED: usize = 25;
const NEW_LINES: usize = 50;
const RUNS: usize = 7;

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Bench")
        .env("GIT_AUTHOR_EMAIL", "bench@example.com")
        .env("GIT_COMMITTER_NAME", "Bench")
        .env("GIT_COMMITTER_EMAIL", "bench@example.com")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn file_text(i: usize, variant: &str, lines: usize) -> String {
    (0..lines)
        .map(|l| {
            format!(
                "fn f_{i}_{l}() -> u64 {{ {} }} // {variant} {l}\n",
                i * 31 + l
            )
        })
        .collect()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical temp dir");
    let repo = root.join("big");
    std::fs::create_dir_all(&repo).expect("repo dir");
    git(&repo, &["init", "-q", "-b", "main"]);
    for i in 0..MODIFIED {
        let p = repo.join(format!("src/m{:02}/file_{i}.rs", i % 40));
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, file_text(i, "base", LINES)).expect("write");
    }
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-qm", "base"]);

    let home = PaddockHome::at(root.join("home")).expect("home");
    let mut store = Store::open_home(&home).expect("store");
    let t = task::create(
        &mut store,
        &home,
        NewTask {
            repo: repo.clone(),
            goal: "Rework every generated function and add new modules".into(),
            base: None,
            agent: Agent::Other,
            copy: vec![],
            accept_goal_warnings: true,
        },
    )
    .expect("task");
    task::transition(
        &mut store,
        &t.id,
        TaskState::Running,
        Actor::Paddock,
        "bench",
    )
    .expect("running");
    let wt = Path::new(&t.worktree);
    for i in 0..MODIFIED {
        let p = wt.join(format!("src/m{:02}/file_{i}.rs", i % 40));
        let text = std::fs::read_to_string(&p).expect("read");
        // Replace every 4th line: 25 of 100 lines per file.
        let new: String = text
            .lines()
            .enumerate()
            .map(|(l, line)| {
                if l % (LINES / REPLACED) == 0 {
                    format!("{line} // changed\n")
                } else {
                    format!("{line}\n")
                }
            })
            .collect();
        std::fs::write(p, new).expect("write");
    }
    for i in 0..ADDED {
        let p = wt.join(format!("src/new{:02}/added_{i}.rs", i % 20));
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, file_text(MODIFIED + i, "new", NEW_LINES)).expect("write");
    }
    git(wt, &["add", "-A"]);
    git(wt, &["commit", "-qm", "agent work"]);

    let mb = git(&repo, &["merge-base", "main", &t.branch])
        .trim()
        .to_owned();
    // Warm both (page cache, object lookups), and check they agree.
    let d = review::diff(&store, &t.id).expect("diff");
    let stat = git(&repo, &["diff", "--stat", &mb, &t.branch]);
    let summary = stat.lines().last().unwrap_or_default().trim().to_owned();
    assert_eq!(d.totals.files as usize, MODIFIED + ADDED);
    assert_eq!(
        (d.totals.additions + d.totals.deletions) as usize,
        MODIFIED * REPLACED * 2 + ADDED * NEW_LINES
    );
    assert!(
        summary.contains(&format!("{} files changed", MODIFIED + ADDED)),
        "{summary}"
    );

    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    for _ in 0..RUNS {
        let s = Instant::now();
        let d = review::diff(&store, &t.id).expect("diff");
        ours.push(s.elapsed());
        std::hint::black_box(d);
        let s = Instant::now();
        let out = git(&repo, &["diff", "--stat", &mb, &t.branch]);
        theirs.push(s.elapsed());
        std::hint::black_box(out);
    }
    let (ours, theirs) = (median(ours), median(theirs));
    let ratio = ours.as_secs_f64() / theirs.as_secs_f64();
    println!(
        "review_diff: {} files, +{} −{} ({} changed lines), median of {RUNS}",
        d.totals.files,
        d.totals.additions,
        d.totals.deletions,
        d.totals.additions + d.totals.deletions
    );
    println!(
        "  review::diff (hunks, lines, renames/copies, marks)  {:>9.1} ms",
        ours.as_secs_f64() * 1e3
    );
    println!(
        "  git diff --stat (baseline, same repo, same run)     {:>9.1} ms",
        theirs.as_secs_f64() * 1e3
    );
    println!(
        "  ratio {:.2}× (target ≤ 1.5×) {}",
        ratio,
        if ratio <= 1.5 { "ok" } else { "OVER TARGET" }
    );
}
