//! The Commands step is measured, not assumed: it says whether the policy
//! loads and whether the agent's actions actually reach Paddock.

mod common;

use common::{pre_tool_use, World};
use paddock_engine::checklist::{self, StepId, StepStatus};
use paddock_engine::{PaddockHome, Store};

fn commands_step(w: &World) -> checklist::StepState {
    let home = PaddockHome::at(w.paddock_home()).unwrap();
    let store = Store::open_home(&home).unwrap();
    checklist::steps(&store)
        .into_iter()
        .find(|s| s.id == StepId::Commands)
        .unwrap()
}

#[test]
fn the_commands_step_counts_the_decisions_the_hook_made() {
    let w = World::new();
    let repo = w.repo("shop");
    let (task, wt) = w.task(&repo, "claude");

    // Not wired yet: the agent's commands would run unchecked.
    let before = commands_step(&w);
    assert_eq!(before.status, StepStatus::Fail, "{}", before.summary);
    assert!(before.summary.contains("not wired"), "{}", before.summary);
    assert_eq!(
        before.fix.as_deref(),
        Some(format!("paddock agent setup claude --task {task}").as_str())
    );

    let ok = w.hook(&["--task", &task], &pre_tool_use(&wt, "git status"));
    assert_eq!(ok.status.code(), Some(0));
    let no = w.hook(&["--task", &task], &pre_tool_use(&wt, "cat .env"));
    assert_eq!(no.status.code(), Some(0));

    let after = commands_step(&w);
    assert_eq!(after.status, StepStatus::Ok, "{}", after.summary);
    assert_eq!(after.fix, None);
    assert!(
        after
            .summary
            .contains("1 actions allowed, 0 asked, 1 denied"),
        "{}",
        after.summary
    );
}

#[test]
fn a_policy_file_that_does_not_parse_fails_the_commands_step() {
    let w = World::new();
    let repo = w.repo("shop");
    let _ = w.task(&repo, "claude");
    std::fs::write(
        w.paddock_home().join("policy.toml"),
        "[[rule]]\nverdict = 'sometimes'\n",
    )
    .unwrap();
    let s = commands_step(&w);
    assert_eq!(s.status, StepStatus::Fail, "{}", s.summary);
    assert!(
        s.summary.contains("every action is denied"),
        "{}",
        s.summary
    );
}
