//! `paddock check` measures the same eight steps as the app and fails a
//! script when the fence is not in place.

mod common;

use common::{pre_tool_use, stdout, World};

#[test]
fn check_fails_without_a_task_and_names_every_step() {
    let w = World::new();
    let o = w.paddock(&["check"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    for step in [
        "Workspace",
        "Branch",
        "Goal",
        "Secrets",
        "Network",
        "Commands",
        "Logs",
        "Review",
    ] {
        assert!(out.contains(step), "{step} missing: {out}");
    }
    assert!(out.contains("FAIL  Workspace"), "{out}");
}

#[test]
fn check_for_a_task_reports_its_real_state_as_json() {
    let w = World::new();
    let repo = w.repo("shop");
    let (task, wt) = w.task(&repo, "claude");
    let ok = w.hook(&["--task", &task], &pre_tool_use(&wt, "git status"));
    assert_eq!(ok.status.code(), Some(0));

    let o = w.paddock(&["check", "--task", &task, "--json"]);
    let steps: Vec<serde_json::Value> = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(steps.len(), 8);
    let by = |id: &str| steps.iter().find(|s| s["id"] == id).unwrap().clone();
    assert_eq!(by("workspace")["status"], "ok");
    assert!(by("workspace")["summary"].as_str().unwrap().contains(&task));
    assert_eq!(by("commands")["status"], "ok");
    assert_eq!(by("logs")["status"], "ok");

    let via_repo = w.paddock(&["check", "--repo", repo.to_str().unwrap(), "--json"]);
    let again: Vec<serde_json::Value> = serde_json::from_str(&stdout(&via_repo)).unwrap();
    assert_eq!(again, steps);

    let unknown = w.paddock(&["check", "--task", "nope"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        stdout(&unknown).contains("FAIL  Workspace"),
        "{}",
        stdout(&unknown)
    );
}
