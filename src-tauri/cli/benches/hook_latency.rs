//! How long an agent waits for Paddock on every tool call: `paddock hook` for
//! an allowed command, from process start to the answer on stdout (the audit
//! row written), against the spawn time of a trivial Rust binary measured in
//! the same run, interleaved. Target: median ≤ 3× the baseline.
//!
//! `cargo bench -p paddock-cli --bench hook_latency` (PADDOCK_BENCH_RUNS to change 1000).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn run(cmd: &mut Command) -> std::process::Output {
    cmd.output().expect("command runs")
}

fn git(dir: &Path, args: &[&str]) {
    let o = run(Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Bench")
        .env("GIT_AUTHOR_EMAIL", "bench@example.com")
        .env("GIT_COMMITTER_NAME", "Bench")
        .env("GIT_COMMITTER_EMAIL", "bench@example.com"));
    assert!(o.status.success(), "git {args:?}");
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let runs: usize = std::env::var("PADDOCK_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let paddock = PathBuf::from(env!("CARGO_BIN_EXE_paddock"));
    let home = root.join("paddock-home");
    let user_home = root.join("home");
    std::fs::create_dir_all(&user_home).unwrap();

    // The baseline: a trivial Rust binary, built here with the same rustc.
    let src = root.join("trivial.rs");
    std::fs::write(&src, "fn main() { println!(\"{{}}\"); }\n").unwrap();
    let trivial = root.join("trivial");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let o = run(Command::new(rustc)
        .args(["-O", "-o"])
        .arg(&trivial)
        .arg(&src));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // A real task in a real repository.
    let repo = root.join("shop");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("tax.rs"), "fn rate() -> u32 { 7 }\n").unwrap();
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "first"]);
    let paddock_cmd = |args: &[&str]| {
        let mut c = Command::new(&paddock);
        c.args(args)
            .env("PADDOCK_HOME", &home)
            .env("HOME", &user_home);
        c
    };
    let o = run(&mut paddock_cmd(&[
        "task",
        "new",
        "--repo",
        repo.to_str().unwrap(),
        "--goal",
        "Fix checkout tax calculation and add tests",
        "--json",
    ]));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let task: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let id = task["id"].as_str().unwrap().to_owned();
    let wt = task["worktree"].as_str().unwrap().to_owned();
    let input = serde_json::json!({
        "session_id": "bench", "cwd": wt, "hook_event_name": "PreToolUse",
        "tool_name": "Bash", "tool_input": {"command": "cargo test --workspace"},
        "tool_use_id": "toolu_bench", "permission_mode": "default",
    })
    .to_string();
    let events_before = count_events(&paddock_cmd, &id);

    let mut base = Vec::with_capacity(runs);
    let mut hook = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let o = run(Command::new(&trivial).stdin(Stdio::null()));
        base.push(t.elapsed());
        assert!(o.status.success());

        let t = Instant::now();
        let mut child = paddock_cmd(&["hook", "--task", &id, "--agent", "claude"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let o = child.wait_with_output().unwrap();
        hook.push(t.elapsed());
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(String::from_utf8_lossy(&o.stdout).contains("\"permissionDecision\":\"allow\""));
    }
    let written = count_events(&paddock_cmd, &id) - events_before;
    assert_eq!(written, runs, "one audit row per hook call");

    base.sort();
    hook.sort();
    let (bm, b99) = (percentile(&base, 0.5), percentile(&base, 0.99));
    let (hm, h99) = (percentile(&hook, 0.5), percentile(&hook, 0.99));
    println!("paddock hook latency, {runs} runs each (allowed command, audit row written)");
    println!(
        "  trivial rust binary : median {:7.3} ms   p99 {:7.3} ms",
        ms(bm),
        ms(b99)
    );
    println!(
        "  paddock hook        : median {:7.3} ms   p99 {:7.3} ms",
        ms(hm),
        ms(h99)
    );
    println!(
        "  ratio               : median {:.2}x   p99 {:.2}x   (target: median <= 3x)",
        ms(hm) / ms(bm),
        ms(h99) / ms(b99)
    );
}

fn count_events(paddock_cmd: &dyn Fn(&[&str]) -> Command, task: &str) -> usize {
    let o = run(&mut paddock_cmd(&["log", "show", "--task", task, "--json"]));
    assert!(o.status.success());
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter(|l| l.contains("\"kind\":\"agent.action\""))
        .count()
}
