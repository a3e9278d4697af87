//! From the agent's last word to the review: the real Claude Code (npm
//! `@anthropic-ai/claude-code`, installed under target/agents), fenced by
//! `paddock agent setup claude`, driven by a scripted model server. The model
//! reads a file, runs the tests (they fail: Claude Code reports that as a
//! PostToolUseFailure), edits the file (Claude Code's Edit tool), runs the
//! tests again (`npm test`, real `node --test` tests, offline; now they pass)
//! and ends its turn with a summary.
//! Then, through the real `paddock` CLI: the Stop hook moved the task to
//! awaiting_review, the review note lists the test command with its exit code,
//! the recognised test result, the edited file and the summary, and the diff
//! shows the edit. Skipped, with a message, when Claude Code is not installed.

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Instant;

use common::agents;
use common::model_server::{Api, ModelServer, Step};
use common::{stderr, stdout, World};

const SUMMARY: &str =
    "sum() now coerces its arguments to numbers; npm test passes (2 tests). Ready for review.";

/// A tiny Node project whose tests run offline: `npm test` runs `node --test`
/// with a reporter that prints mocha's summary lines ("2 passing").
fn node_repo(w: &World) -> PathBuf {
    let repo = w.root.join("adder");
    std::fs::create_dir_all(repo.join("test")).unwrap();
    w.git(&repo, &["init", "-q", "-b", "main"]);
    std::fs::write(
        repo.join("package.json"),
        r#"{
  "name": "adder",
  "version": "1.0.0",
  "private": true,
  "scripts": { "test": "node --test --test-reporter=./reporter.mjs test/" }
}
"#,
    )
    .unwrap();
    std::fs::write(
        repo.join("sum.js"),
        "function sum(a, b) {\n  return a + b;\n}\n\nmodule.exports = { sum };\n",
    )
    .unwrap();
    std::fs::write(
        repo.join("test/sum.test.js"),
        "const test = require('node:test');\n\
         const assert = require('node:assert');\n\
         const { sum } = require('../sum.js');\n\n\
         test('adds', () => assert.strictEqual(sum(2, 3), 5));\n\
         test('adds numeric strings', () => assert.strictEqual(sum(2, '3'), 5));\n",
    )
    .unwrap();
    std::fs::write(
        repo.join("reporter.mjs"),
        "// Prints the run's summary as mocha does (\"N passing\", \"N failing\").\n\
         export default async function* summary(source) {\n\
         \x20 let passing = 0;\n\
         \x20 let failing = 0;\n\
         \x20 for await (const event of source) {\n\
         \x20   if (event.type === 'test:pass') passing++;\n\
         \x20   if (event.type === 'test:fail') {\n\
         \x20     failing++;\n\
         \x20     yield `not ok ${event.data.name}: ${event.data.details?.error?.message ?? ''}\\n`;\n\
         \x20   }\n\
         \x20 }\n\
         \x20 yield `  ${passing} passing (1ms)\\n`;\n\
         \x20 if (failing) yield `  ${failing} failing\\n`;\n\
         }\n",
    )
    .unwrap();
    w.git(&repo, &["add", "."]);
    w.git(&repo, &["commit", "-q", "-m", "adder"]);
    repo
}

fn task_state(w: &World, t: &str) -> String {
    let o = w.paddock(&["task", "show", t, "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v["task"]["state"].as_str().unwrap().to_owned()
}

fn file(wt: &Path, name: &str) -> String {
    wt.join(name).to_string_lossy().into_owned()
}

#[test]
fn claude_code_edits_runs_the_tests_and_stops_into_a_review() {
    let Some(claude) = agents::claude() else {
        return;
    };
    let w = World::new();
    let repo = node_repo(&w);
    let (t, wt) = w.task(&repo, "claude");
    assert_eq!(task_state(&w, &t), "ready");
    let o = w.paddock(&[
        "agent",
        "setup",
        "claude",
        "--task",
        &t,
        "--timeout-secs",
        "3",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));

    let steps = vec![
        // Claude Code edits only files it has read.
        Step::tool(
            "Read",
            serde_json::json!({"file_path": file(&wt, "sum.js")}),
        ),
        // Before the fix the tests fail: Claude Code reports that run as a
        // PostToolUseFailure, and the note must still show it.
        Step::bash("npm test"),
        Step::tool(
            "Edit",
            serde_json::json!({
                "file_path": file(&wt, "sum.js"),
                "old_string": "  return a + b;",
                "new_string": "  return Number(a) + Number(b);",
            }),
        ),
        // Fails (exit 2): Claude Code reports it as a failure, never as exit 0.
        Step::bash("ls missing.txt"),
        Step::bash("npm test"),
    ];
    let server = ModelServer::start_steps(Api::Anthropic, steps, SUMMARY);
    let config = w.root.join("claude-config");
    std::fs::create_dir_all(&config).unwrap();
    let started = Instant::now();
    let out = agents::claude_direct(
        &w,
        &claude,
        &wt,
        &config,
        server.port,
        "Make sum() accept numeric strings.",
    )
    .stdin(Stdio::null())
    .output()
    .unwrap();
    let took = started.elapsed();
    let text = format!("stdout: {}\nstderr: {}", stdout(&out), stderr(&out));
    assert!(out.status.success(), "claude failed after {took:?}: {text}");
    assert!(stdout(&out).contains(SUMMARY), "{text}");
    let seen = server.all_text();
    assert!(seen.contains("2 passing"), "the model saw the test run");

    // The Stop hook handed the work over.
    assert_eq!(task_state(&w, &t), "awaiting_review");
    let events = w.events(&t);
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    for k in [
        "task.running",
        "task.summary",
        "review.committed",
        "task.awaiting_review",
        "review.submitted",
    ] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    assert_eq!(
        w.git(&wt, &["status", "--porcelain", "--", "sum.js"]),
        "",
        "the edit was committed on the task branch"
    );

    // The review note, through the real CLI.
    let o = w.paddock(&["review", "note", "--task", &t, "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let note: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let o = w.paddock(&["review", "note", "--task", &t]);
    assert!(o.status.success(), "{}", stderr(&o));
    let md = stdout(&o);
    let all = format!("{note:#}\n{md}");

    assert_eq!(note["summary"], SUMMARY, "{all}");
    assert!(md.contains(SUMMARY), "{md}");

    let npm: Vec<&serde_json::Value> = note["commands"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["command"] == "npm test")
        .collect();
    assert_eq!(npm.len(), 2, "both npm test runs among the commands: {all}");
    assert_eq!(npm[0]["exit_code"], 1, "the failing run, first: {all}");
    assert_eq!(npm[1]["exit_code"], 0, "{all}");
    assert!(md.contains("- `npm test` → exit 1"), "{md}");
    assert!(md.contains("- `npm test` → exit 0"), "{md}");

    let ls = note["commands"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["command"] == "ls missing.txt")
        .unwrap_or_else(|| panic!("the failed ls among the commands: {all}"));
    assert_eq!(
        ls["exit_code"], 2,
        "a failed command keeps its exit code: {all}"
    );

    let tests: Vec<&serde_json::Value> = note["tests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["command"] == "npm test")
        .collect();
    assert_eq!(tests.len(), 2, "both runs recognised as test runs: {all}");
    let failed = tests
        .iter()
        .find(|t| t["outcome"] == "failed")
        .unwrap_or_else(|| panic!("the failing run is in the note: {all}"));
    assert_eq!(failed["counts"]["passed"], 1, "{all}");
    assert_eq!(failed["counts"]["failed"], 1, "{all}");
    let test = tests
        .iter()
        .find(|t| t["outcome"] == "passed")
        .unwrap_or_else(|| panic!("the passing run is in the note: {all}"));
    assert_eq!(test["counts"]["passed"], 2, "{all}");
    assert_eq!(test["counts"]["failed"], 0, "{all}");
    assert_eq!(test["outcome"], "passed", "{all}");
    assert_eq!(note["test_status"], "passing", "{all}");
    assert!(
        md.contains("- `npm test` — passed: 2 passed, 0 failed, 0 skipped; exit 0"),
        "{md}"
    );

    let files: Vec<&str> = note["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(files.contains(&"sum.js"), "{files:?}");
    assert!(md.contains("| modified | sum.js |"), "{md}");

    // The diff shows the edit.
    let o = w.paddock(&["review", "diff", "--task", &t, "--patch"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let diff = stdout(&o);
    assert!(diff.contains("sum.js"), "{diff}");
    assert!(diff.contains("return Number(a) + Number(b);"), "{diff}");
    assert!(diff.contains("return a + b;"), "{diff}");
    // Paddock's own hook wiring stays out of the change that would be merged.
    assert!(!diff.contains(".claude/settings.json"), "{diff}");
    assert!(w.paddock(&["log", "verify"]).status.success());
}
