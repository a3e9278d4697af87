//! `paddock network rules|check|registries`: what the task's proxy would
//! decide, and which package registries this machine's configuration names.

use std::process::ExitCode;

use clap::Subcommand;
use paddock_engine::network::registries::{self, Sources};
use paddock_engine::network::{self as net};
use paddock_engine::task;
use paddock_engine::{PaddockHome, Store};

use crate::run_cmd::{task_rules, NetworkChoiceArgs};

#[derive(Subcommand)]
pub enum NetworkCommand {
    /// The deny and allow lists a task's proxy uses (deny first, then allow, then ask).
    Rules {
        #[arg(long)]
        task: String,
        #[command(flatten)]
        choice: NetworkChoiceArgs,
        #[arg(long)]
        json: bool,
    },
    /// What the task's proxy decides for a host, and the rule that decides it.
    Check {
        #[arg(long)]
        task: String,
        host: String,
        #[command(flatten)]
        choice: NetworkChoiceArgs,
        #[arg(long)]
        json: bool,
    },
    /// Package registries found in the package managers' own configuration.
    Registries {
        #[arg(long)]
        json: bool,
    },
}

pub fn run(command: NetworkCommand) -> anyhow::Result<ExitCode> {
    match command {
        NetworkCommand::Rules { task, choice, json } => {
            let home = PaddockHome::locate()?;
            let store = Store::open_home(&home)?;
            let t = task::get(&store, &task)?;
            let rules = task_rules(&home, &store, &t, &choice)?;
            let rows = rules.describe();
            if json {
                let v: Vec<_> = rows
                    .iter()
                    .map(|(v, p, r)| serde_json::json!({"list": v, "pattern": p, "rule": r}))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                for (v, p, r) in rows {
                    println!("{v:<6} {p:<32} {r}");
                }
                println!("ask    (anything else)                   network:unknown-host");
            }
            Ok(ExitCode::SUCCESS)
        }
        NetworkCommand::Check {
            task,
            host,
            choice,
            json,
        } => {
            let home = PaddockHome::locate()?;
            let store = Store::open_home(&home)?;
            let t = task::get(&store, &task)?;
            let rules = task_rules(&home, &store, &t, &choice)?;
            let d = net::decide(&host, &rules);
            if json {
                println!("{}", serde_json::to_string_pretty(&d)?);
            } else {
                println!("{}  {}  ({})", d.verdict, d.reason, d.rule);
            }
            Ok(ExitCode::SUCCESS)
        }
        NetworkCommand::Registries { json } => {
            let project = std::env::current_dir().ok();
            let found = registries::discover(&Sources::from_machine(project));
            if json {
                println!("{}", serde_json::to_string_pretty(&found)?);
            } else if found.is_empty() {
                println!("(no package manager is installed or configured)");
            } else {
                for r in found {
                    println!("{:<6} {:<32} {}", r.manager, r.host, r.source);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
