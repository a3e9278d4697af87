//! `paddock check`: the eight steps of the fence, measured by the same engine
//! code the app's checklist uses, for scripts, CI and git hooks. The exit code
//! is non-zero when any step is broken or not set up.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use paddock_engine::checklist::{self, StepStatus};
use paddock_engine::{task, PaddockHome, Store};

#[derive(Args)]
pub struct CheckArgs {
    /// Measure this task (default: the newest active task, or --repo's).
    #[arg(long, conflicts_with = "repo")]
    task: Option<String>,
    /// Measure the newest active task of this repository.
    #[arg(long)]
    repo: Option<PathBuf>,
    /// Print the steps as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let home = PaddockHome::locate()?;
    let store = Store::open_home(&home)?;
    let task = match (&args.task, &args.repo) {
        (Some(t), _) => Some(t.clone()),
        (None, Some(repo)) => {
            let repo = std::fs::canonicalize(repo)
                .with_context(|| format!("cannot read the repository {}", repo.display()))?;
            let found = task::list(&store)?.into_iter().find(|t| {
                t.state.is_active() && std::fs::canonicalize(&t.repo).is_ok_and(|r| r == repo)
            });
            match found {
                Some(t) => Some(t.id),
                None => anyhow::bail!(
                    "no active task for {}; create one with `paddock task new --repo {}`",
                    repo.display(),
                    repo.display()
                ),
            }
        }
        (None, None) => None,
    };
    let steps = match &task {
        Some(t) => checklist::steps_for_task(&store, t),
        None => checklist::steps(&store),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&steps)?);
    } else {
        for s in &steps {
            let mark = match s.status {
                StepStatus::Ok => "PASS",
                StepStatus::Warn => "WARN",
                StepStatus::Fail => "FAIL",
                StepStatus::NotSetUp => "FAIL",
            };
            println!("{mark}  {:<10} {}", s.title, s.summary);
        }
    }
    let fenced = steps
        .iter()
        .all(|s| matches!(s.status, StepStatus::Ok | StepStatus::Warn));
    Ok(if fenced {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
