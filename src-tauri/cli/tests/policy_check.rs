//! `paddock policy check` against the real binary: it explains (exit 0
//! whatever the verdict) and refuses to guess when paddock.toml is broken.

use std::process::Command;

fn paddock(dir: &std::path::Path, home: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_paddock"))
        .args(args)
        .current_dir(dir)
        .env("PADDOCK_HOME", home)
        .env("HOME", home)
        .output()
        .expect("run paddock");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn policy_check_explains_every_part_and_exits_zero_even_on_deny() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (code, out, err) = paddock(
        tmp.path(),
        tmp.path(),
        &["policy", "check", "--", "ls && cat .env"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("DENY"), "{out}");
    assert!(out.contains("default:secret-read"), "{out}");
    assert!(out.contains("ALLOW  default:read-only"), "{out}");
}

#[test]
fn policy_check_prints_json_for_file_actions() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (code, out, err) = paddock(
        tmp.path(),
        tmp.path(),
        &["policy", "check", "--json", "--write", "/etc/hosts"],
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["decision"]["verdict"], "deny");
    assert_eq!(v["decision"]["rule"], "default:write-outside-worktree");
}

#[test]
fn policy_check_uses_the_repository_rules_and_fails_on_a_broken_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        tmp.path().join("paddock.toml"),
        "[[rule]]\nid = \"gen\"\nverdict = \"allow\"\ncommand = \"npx prisma generate\"\n",
    )
    .expect("write paddock.toml");
    let (code, out, _) = paddock(
        tmp.path(),
        tmp.path(),
        &["policy", "check", "--", "npx", "prisma", "generate"],
    );
    assert_eq!(code, 0);
    assert!(
        out.starts_with("ALLOW") && out.contains("repo:gen"),
        "{out}"
    );
    std::fs::write(
        tmp.path().join("paddock.toml"),
        "[[rule]]\nverdict = \"often\"\ncommand = \"x\"\n",
    )
    .expect("write broken paddock.toml");
    let (code, _, err) = paddock(tmp.path(), tmp.path(), &["policy", "check", "--", "ls"]);
    assert_eq!(code, 1);
    assert!(err.contains("paddock.toml:2"), "{err}");
}
