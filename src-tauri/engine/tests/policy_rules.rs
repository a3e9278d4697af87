//! Precedence between built-in defaults, the user's policy.toml and the
//! repository's paddock.toml, and the loader's errors.

use std::path::PathBuf;

use paddock_engine::policy::{decide, Action, Policy, PolicyError, TaskContext, Verdict};
use paddock_engine::PaddockHome;

fn ctx() -> TaskContext {
    TaskContext {
        worktree: PathBuf::from("/work/wt"),
        repo: Some(PathBuf::from("/work/repo")),
        home: PathBuf::from("/home/dev"),
    }
}

fn sh(c: &str) -> Action {
    Action::Shell {
        command: c.into(),
        cwd: PathBuf::from("."),
    }
}

fn policy(user: Option<&str>, repo: Option<&str>) -> Policy {
    Policy::from_texts(user, repo).expect("test policy parses")
}

#[test]
fn a_repository_rule_cannot_unlock_a_builtin_deny() {
    let p = policy(
        None,
        Some("[[rule]]\nverdict = \"allow\"\ncommand = \"cat .env\"\n[[rule]]\nverdict = \"allow\"\npath = \"/etc/**\"\naction = \"write\"\n"),
    );
    let d = decide(&sh("cat .env"), &ctx(), &p);
    assert_eq!(d.verdict, Verdict::Deny);
    assert_eq!(d.rule, "default:secret-read");
    let d = decide(
        &Action::Write {
            path: "/etc/hosts".into(),
        },
        &ctx(),
        &p,
    );
    assert_eq!(d.verdict, Verdict::Deny);
    assert_eq!(d.rule, "default:write-outside-worktree");
    let d = decide(&sh("npm publish"), &ctx(), &p);
    assert_eq!(d.verdict, Verdict::Deny);
}

#[test]
fn a_user_rule_can_relax_a_builtin_deny() {
    let p = policy(
        Some("[[rule]]\nid = \"tmp-ok\"\nverdict = \"allow\"\npath = \"/tmp/**\"\naction = \"write\"\nreason = \"scratch space\"\n"),
        None,
    );
    let d = decide(
        &Action::Write {
            path: "/tmp/x".into(),
        },
        &ctx(),
        &p,
    );
    assert_eq!(d.verdict, Verdict::Allow);
    assert_eq!(d.rule, "user:tmp-ok");
    assert_eq!(d.reason, "scratch space");
    let d = decide(&sh("echo hi > /tmp/out"), &ctx(), &p);
    assert_eq!(d.verdict, Verdict::Allow, "{d:?}");
}

#[test]
fn a_repository_rule_can_relax_an_ask() {
    let p = policy(
        None,
        Some("[[rule]]\nid = \"allow-prisma-generate\"\nverdict = \"allow\"\ncommand = \"npx prisma generate\"\nreason = \"codegen only\"\n"),
    );
    assert_eq!(
        decide(&sh("npx prisma generate"), &ctx(), &Policy::builtin()).verdict,
        Verdict::Ask
    );
    let d = decide(&sh("npx prisma generate --schema x"), &ctx(), &p);
    assert_eq!(d.verdict, Verdict::Allow);
    assert_eq!(d.rule, "repo:allow-prisma-generate");
    // The prefix is matched on parsed words: another command is untouched.
    assert_eq!(
        decide(&sh("npx prisma migrate dev"), &ctx(), &p).verdict,
        Verdict::Ask
    );
    // And only the matching part is relaxed.
    assert_eq!(
        decide(&sh("npx prisma generate && curl x"), &ctx(), &p).verdict,
        Verdict::Ask
    );
}

#[test]
fn among_matching_rules_deny_beats_ask_beats_allow() {
    let p = policy(
        Some("[[rule]]\nverdict = \"allow\"\ncommand = \"cargo\"\n"),
        Some("[[rule]]\nverdict = \"ask\"\ncommand = \"cargo test\"\n[[rule]]\nverdict = \"deny\"\ncommand = \"cargo test --release\"\n"),
    );
    assert_eq!(
        decide(&sh("cargo build"), &ctx(), &p).verdict,
        Verdict::Allow
    );
    let d = decide(&sh("cargo test"), &ctx(), &p);
    assert_eq!(
        (d.verdict, d.rule.as_str()),
        (Verdict::Ask, "repo:paddock.toml#1")
    );
    let d = decide(&sh("cargo test --release"), &ctx(), &p);
    assert_eq!(
        (d.verdict, d.rule.as_str()),
        (Verdict::Deny, "repo:paddock.toml#2")
    );
}

#[test]
fn a_repository_rule_can_make_things_stricter() {
    let p = policy(
        None,
        Some("[[rule]]\nverdict = \"deny\"\ncommand = \"git status\"\n"),
    );
    assert_eq!(decide(&sh("git status"), &ctx(), &p).verdict, Verdict::Deny);
}

#[test]
fn fetch_asks_unless_a_domain_rule_allows_it() {
    let p = policy(
        Some(
            "[fetch_domains]\nallow = [\"docs.rs\", \"*.stripe.com\"]\ndeny = [\"pastebin.com\"]\n",
        ),
        None,
    );
    let f = |u: &str| decide(&Action::Fetch { url: u.into() }, &ctx(), &p).verdict;
    assert_eq!(f("https://docs.rs/toml"), Verdict::Allow);
    assert_eq!(f("https://api.stripe.com/v1"), Verdict::Allow);
    assert_eq!(f("https://pastebin.com/raw/x"), Verdict::Deny);
    assert_eq!(f("https://unknown.example/"), Verdict::Ask);
    assert_eq!(f("file:///home/dev/.ssh/id_rsa"), Verdict::Deny);
}

#[test]
fn mcp_asks_unless_a_server_tool_glob_matches() {
    let p = policy(
        None,
        Some("[[rule]]\nverdict = \"allow\"\nmcp = \"github/get_*\"\n"),
    );
    let m = |s: &str, t: &str| {
        decide(
            &Action::Mcp {
                server: s.into(),
                tool: t.into(),
            },
            &ctx(),
            &p,
        )
        .verdict
    };
    assert_eq!(m("github", "get_issue"), Verdict::Allow);
    assert_eq!(m("github", "delete_repo"), Verdict::Ask);
}

#[test]
fn reads_of_secrets_deny_and_other_reads_allow() {
    let r = |p: &str| decide(&Action::Read { path: p.into() }, &ctx(), &Policy::builtin()).verdict;
    assert_eq!(r(".env"), Verdict::Deny);
    assert_eq!(r("~/.ssh/id_ed25519"), Verdict::Deny);
    assert_eq!(r("src/../.env.local"), Verdict::Deny);
    assert_eq!(r(".env.example"), Verdict::Allow);
    assert_eq!(r("src/main.rs"), Verdict::Allow);
}

fn malformed(text: &str) -> (usize, String) {
    match Policy::from_texts(None, Some(text)) {
        Err(PolicyError::Malformed {
            line,
            message,
            path,
        }) => {
            assert!(path.ends_with("paddock.toml"));
            (line, message)
        }
        other => panic!("expected a malformed-file error, got {other:?}"),
    }
}

#[test]
fn a_malformed_policy_file_names_the_line() {
    let (line, msg) = malformed("[[rule]]\nverdict = \"allow\"\ncommand = \"ls\"\n\n[[rule]]\nverdict = \"maybe\"\ncommand = \"x\"\n");
    assert_eq!(line, 6, "{msg}");
    let (line, msg) = malformed("[[rule]]\nverdict = \"allow\"\n");
    assert_eq!(line, 1);
    assert!(msg.contains("exactly one"), "{msg}");
    let (line, _) =
        malformed("# c\n[[rule]]\nverdict = \"allow\"\ncommand = \"ls\"\npath = \"x\"\n");
    assert_eq!(line, 2);
    let (line, msg) =
        malformed("[[rule]]\nverdict = \"allow\"\ncommand = \"ls\"\ncolour = \"red\"\n");
    assert_eq!(line, 4, "{msg}");
    let (_, msg) = malformed("[[rule]]\nverdict = \"allow\"\npath = \"a[\"\n");
    assert!(msg.contains("bad glob"), "{msg}");
    let (line, _) = malformed("[[rule]\nverdict = \"allow\"\n");
    assert_eq!(line, 1);
}

#[test]
fn load_reads_both_files_and_reports_which_one_is_broken() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let home = PaddockHome::at(tmp.path().join("home")).expect("home");
    let repo = tmp.path().join("repo");
    std::fs::create_dir_all(&repo).expect("repo dir");
    // Neither file: builtin only.
    let p = Policy::load(Some(&repo), &home).expect("loads");
    assert!(p.user.is_empty() && p.repo.is_empty());
    std::fs::write(
        home.root().join("policy.toml"),
        "[[rule]]\nverdict = \"deny\"\ncommand = \"ls\"\n",
    )
    .expect("write user policy");
    std::fs::write(
        repo.join("paddock.toml"),
        "[[rule]]\nverdict = \"allow\"\n\ncommand = \n",
    )
    .expect("write repo policy");
    let err = Policy::load(Some(&repo), &home).expect_err("malformed repo file");
    let text = err.to_string();
    assert!(text.contains("paddock.toml:4"), "{text}");
    std::fs::write(
        repo.join("paddock.toml"),
        "[[rule]]\nverdict = \"allow\"\ncommand = \"make\"\n",
    )
    .expect("rewrite repo policy");
    let p = Policy::load(Some(&repo), &home).expect("loads");
    assert_eq!((p.user.len(), p.repo.len()), (1, 1));
}
