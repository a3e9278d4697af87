//! An agent confined by `paddock run` gets its hooks answered: `paddock hook`
//! inside the sandbox (where the database is read-only) forwards each event
//! to the run process's hook socket, which decides, waits for people and logs
//! outside. The real binary, bubblewrap, real git and SQLite.

mod common;

use std::process::{Child, Command, Output, Stdio};

use common::{pre_tool_use, stderr, stdout, World};

struct Sandboxed {
    w: World,
    task: String,
    wt: std::path::PathBuf,
}

fn world() -> Sandboxed {
    let w = World::new();
    let repo = w.repo("shop");
    let (task, wt) = w.task(&repo, "claude");
    std::fs::write(
        wt.join(".env"),
        "STRIPE_KEY=sk_live_abcdefghijklmnop123456\n",
    )
    .unwrap();
    Sandboxed { w, task, wt }
}

fn paddock_exe() -> &'static str {
    env!("CARGO_BIN_EXE_paddock")
}

impl Sandboxed {
    /// `paddock run --task T -- bash -c script`.
    fn run(&self, script: &str) -> Command {
        let mut c = self
            .w
            .cmd(&["run", "--task", &self.task, "--", "bash", "-c", script]);
        c.stdout(Stdio::piped()).stderr(Stdio::piped());
        c
    }

    /// A script that feeds `event` to `paddock hook <args>` inside the sandbox
    /// and prints its stdout, then `HOOK-EXIT=<code>`, its stderr on stderr.
    fn hook_script(&self, event: &str, args: &str) -> String {
        let file = self.wt.join(".paddock-test-event.json");
        std::fs::write(&file, event).unwrap();
        format!(
            "{exe} hook {args} < {file}; rc=$?; echo; echo HOOK-EXIT=$rc",
            exe = paddock_exe(),
            file = file.display()
        )
    }

    fn events(&self) -> Vec<serde_json::Value> {
        self.w.events(&self.task)
    }
}

/// (hook exit code, its stdout) from the run's output.
fn hook_result(o: &Output) -> (i32, String) {
    let out = stdout(o);
    let (before, after) = out
        .rsplit_once("HOOK-EXIT=")
        .unwrap_or_else(|| panic!("no hook exit in {out}\n{}", stderr(o)));
    (after.trim().parse().unwrap(), before.trim().to_string())
}

fn decision(o: &Output) -> (String, String) {
    let (code, out) = hook_result(o);
    assert_eq!(code, 0, "stdout {out}\nstderr {}", stderr(o));
    let v: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{}", stderr(o)));
    let h = &v["hookSpecificOutput"];
    (
        h["permissionDecision"].as_str().unwrap().to_owned(),
        h["permissionDecisionReason"].as_str().unwrap().to_owned(),
    )
}

fn agent_actions(s: &Sandboxed) -> Vec<serde_json::Value> {
    s.events()
        .into_iter()
        .filter(|e| e["kind"] == "agent.action")
        .collect()
}

#[test]
fn a_hook_inside_the_sandbox_allows_an_allowed_command_and_logs_it() {
    let s = world();
    let args = format!("--task {} --agent claude --timeout-secs 30", s.task);
    let script = s.hook_script(&pre_tool_use(&s.wt, "cargo test --workspace"), &args);
    let o = s.run(&script).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let (d, reason) = decision(&o);
    assert_eq!(d, "allow", "{reason}");
    let acts = agent_actions(&s);
    assert_eq!(acts.len(), 1, "{acts:?}");
    assert_eq!(acts[0]["payload"]["verdict"], "allow");
    assert!(acts[0]["payload"]
        .to_string()
        .contains("cargo test --workspace"));
}

#[test]
fn reading_env_from_inside_the_sandbox_is_denied_with_the_reason() {
    let s = world();
    let args = format!("--task {} --agent claude", s.task);
    let script = s.hook_script(&pre_tool_use(&s.wt, "cat .env"), &args);
    let o = s.run(&script).output().unwrap();
    let (d, reason) = decision(&o);
    assert_eq!(d, "deny");
    assert!(reason.contains(".env"), "{reason}");
    let acts = agent_actions(&s);
    assert_eq!(acts[0]["payload"]["verdict"], "deny");
    assert!(s.w.pending().is_empty());
}

#[test]
fn an_ask_from_inside_the_sandbox_is_allowed_once_a_person_approves_it() {
    let s = world();
    let args = format!("--task {} --agent claude --timeout-secs 60", s.task);
    let script = s.hook_script(&pre_tool_use(&s.wt, "npm install left-pad"), &args);
    let child: Child = s.run(&script).spawn().unwrap();
    let id = s.w.wait_for_pending();
    let a = s.w.paddock(&["approvals", "approve", &id.to_string()]);
    assert!(a.status.success(), "{}", stderr(&a));
    let o = child.wait_with_output().unwrap();
    let (d, reason) = decision(&o);
    assert_eq!(d, "allow", "{reason}");
    let act = agent_actions(&s).pop().unwrap();
    assert_eq!(act["payload"]["verdict"], "allow");
    assert!(s.events().iter().any(|e| e["kind"] == "approval.requested"));
}

#[test]
fn a_hook_naming_another_task_is_refused() {
    let s = world();
    let script = s.hook_script(
        &pre_tool_use(&s.wt, "ls"),
        "--task someone-elses-task --agent claude",
    );
    let o = s.run(&script).output().unwrap();
    let (code, out) = hook_result(&o);
    assert_eq!(code, 2, "{out}");
    assert!(
        stderr(&o).contains("serves hooks for task"),
        "{}",
        stderr(&o)
    );
    assert!(agent_actions(&s).is_empty());
}

#[test]
fn with_the_hook_socket_unreachable_the_hook_blocks_with_exit_2() {
    let s = world();
    let args = format!("--task {} --agent claude", s.task);
    let script = format!(
        "export PADDOCK_HOOK_SOCKET=/nonexistent/hook.sock; {}",
        s.hook_script(&pre_tool_use(&s.wt, "ls"), &args)
    );
    let o = s.run(&script).output().unwrap();
    let (code, out) = hook_result(&o);
    assert_eq!(code, 2, "{out}");
    assert!(
        stderr(&o).contains("cannot reach Paddock's hook socket"),
        "{}",
        stderr(&o)
    );
    assert!(agent_actions(&s).is_empty());
}

#[test]
fn the_sandbox_has_the_hook_socket_but_cannot_write_the_database() {
    let s = world();
    let db = s.w.paddock_home().join("paddock.db");
    assert!(db.is_file());
    let script = format!(
        "test -S \"$PADDOCK_HOOK_SOCKET\" && echo SOCKET-OK; \
         sqlite3 {db} 'CREATE TABLE forged(x); INSERT INTO forged VALUES (1);' && echo WROTE; \
         echo x >> {db} && echo APPENDED; \
         {exe} approvals approve 1 && echo APPROVED; exit 0",
        db = db.display(),
        exe = paddock_exe()
    );
    let o = s.run(&script).output().unwrap();
    let out = stdout(&o);
    assert!(out.contains("SOCKET-OK"), "{out}\n{}", stderr(&o));
    for forged in ["WROTE", "APPENDED", "APPROVED"] {
        assert!(!out.contains(forged), "{forged}: {out}\n{}", stderr(&o));
    }
    let tables = Command::new("sqlite3")
        .arg(&db)
        .arg("SELECT name FROM sqlite_master WHERE name = 'forged'")
        .output()
        .unwrap();
    assert!(tables.status.success(), "{}", stderr(&tables));
    assert!(stdout(&tables).trim().is_empty(), "{}", stdout(&tables));
}
