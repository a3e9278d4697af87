//! What the person chose for a task's network in the app (presets, host
//! rules) is what `paddock run` and `paddock network` enforce; the run's own
//! flags only add to it.

mod common;

use common::{stdout, World};
use paddock_engine::network_view::{self, HostRuleVerdict};
use paddock_engine::{PaddockHome, Store};

fn check(w: &World, task: &str, host: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["network", "check", "--task", task, "--json"];
    args.extend_from_slice(extra);
    args.push(host);
    let out = w.paddock(&args);
    assert!(out.status.success(), "{}", common::stderr(&out));
    serde_json::from_str(&stdout(&out)).expect("json decision")
}

#[test]
fn host_rules_chosen_in_the_app_reach_the_task_proxy() {
    let w = World::new();
    let repo = w.repo("shop");
    let (task, _wt) = w.task(&repo, "claude");
    assert_ne!(
        check(&w, &task, "docs.example.test", &[])["verdict"],
        "allow"
    );

    {
        let home = PaddockHome::at(w.paddock_home()).unwrap();
        let mut store = Store::open_home(&home).unwrap();
        network_view::add_rule(
            &mut store,
            &task,
            "docs.example.test",
            HostRuleVerdict::Allow,
        )
        .unwrap();
        network_view::add_rule(&mut store, &task, "*.leaky.test", HostRuleVerdict::Deny).unwrap();
    }
    assert_eq!(
        check(&w, &task, "docs.example.test", &[])["verdict"],
        "allow"
    );
    assert_eq!(check(&w, &task, "up.leaky.test", &[])["verdict"], "deny");
    // A flag adds to the stored choice; it cannot lift the stored deny.
    assert_eq!(
        check(
            &w,
            &task,
            "up.leaky.test",
            &["--allow-host", "up.leaky.test"]
        )["verdict"],
        "deny"
    );
}
