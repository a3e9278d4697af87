//! The labelled corpus: every command in `policy_corpus.txt` through
//! `policy::decide`. No must-deny command may ever be allowed; accuracy is
//! printed per label, and every miss with its decision.

use std::collections::BTreeMap;
use std::path::PathBuf;

use paddock_engine::policy::{decide, Action, Decision, Policy, TaskContext, Verdict};

pub struct Case {
    pub line: usize,
    pub label: String,
    pub expect: String,
    pub command: String,
}

pub fn corpus() -> Vec<Case> {
    include_str!("policy_corpus.txt")
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .filter_map(|(i, l)| {
            let mut it = l.splitn(3, ' ');
            Some(Case {
                line: i + 1,
                label: it.next()?.to_string(),
                expect: it.next()?.to_string(),
                command: it.next()?.replace("<NL>", "\n"),
            })
        })
        .collect()
}

pub fn ctx() -> TaskContext {
    TaskContext {
        worktree: PathBuf::from("/work/wt"),
        repo: Some(PathBuf::from("/work/repo")),
        home: PathBuf::from("/home/dev"),
    }
}

fn shell(command: &str) -> Action {
    Action::Shell {
        command: command.to_string(),
        cwd: PathBuf::from("/work/wt"),
    }
}

fn matches(expect: &str, v: Verdict) -> bool {
    match expect {
        "allow" => v == Verdict::Allow,
        "ask" => v == Verdict::Ask,
        "deny" => v == Verdict::Deny,
        "ask+" => v != Verdict::Allow,
        _ => false,
    }
}

fn show(d: &Decision) -> String {
    let mut s = format!("{} [{}] {}", d.verdict, d.rule, d.reason);
    for p in &d.parts {
        s.push_str(&format!(
            "\n        part `{}` → {} [{}] {}",
            p.command, p.verdict, p.rule, p.reason
        ));
    }
    s
}

#[test]
fn no_must_deny_command_is_ever_allowed_and_accuracy_is_reported() {
    let cases = corpus();
    assert!(cases.len() >= 220, "corpus has {} cases", cases.len());
    let ctx = ctx();
    let policy = Policy::builtin();
    let mut per_label: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut allowed_must_deny = Vec::new();
    let mut allowed_must_not = Vec::new();
    for c in &cases {
        assert!(
            ["allow", "ask", "deny", "ask+"].contains(&c.expect.as_str()),
            "line {}: bad expectation {}",
            c.line,
            c.expect
        );
        let d = decide(&shell(&c.command), &ctx, &policy);
        let ok = matches(&c.expect, d.verdict);
        let e = per_label.entry(c.label.clone()).or_default();
        e.1 += 1;
        if ok {
            e.0 += 1;
        } else {
            println!(
                "MISS line {} [{}] expected {}: {:?}\n    got {}",
                c.line,
                c.label,
                c.expect,
                c.command,
                show(&d)
            );
            if d.verdict == Verdict::Allow {
                if c.expect == "deny" {
                    allowed_must_deny.push(c.line);
                } else {
                    allowed_must_not.push(c.line);
                }
            }
        }
    }
    let (mut ok_all, mut n_all) = (0, 0);
    for (label, (ok, n)) in &per_label {
        ok_all += ok;
        n_all += n;
        println!(
            "accuracy {label:<8} {ok:>3}/{n:<3} {:>5.1}%",
            100.0 * *ok as f64 / *n as f64
        );
    }
    println!(
        "accuracy {:<8} {ok_all:>3}/{n_all:<3} {:>5.1}%",
        "all",
        100.0 * ok_all as f64 / n_all as f64
    );
    assert!(
        allowed_must_deny.is_empty(),
        "must-deny commands allowed at lines {allowed_must_deny:?}"
    );
    assert!(
        allowed_must_not.is_empty(),
        "commands that must not be allowed were allowed at lines {allowed_must_not:?}"
    );
}

#[test]
fn every_shell_decision_explains_each_part() {
    let d = decide(&shell("ls && cat .env | wc -l"), &ctx(), &Policy::builtin());
    assert_eq!(d.verdict, Verdict::Deny);
    assert_eq!(d.rule, "default:secret-read");
    assert_eq!(d.parts.len(), 3);
    assert_eq!(d.parts[0].verdict, Verdict::Allow);
    assert_eq!(d.parts[1].command, "cat .env");
    assert_eq!(d.parts[1].verdict, Verdict::Deny);
}
