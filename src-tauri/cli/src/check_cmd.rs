//! `paddock check`: the eight steps of the fence, measured by the same engine
//! code the app's checklist uses, for scripts, CI and git hooks. Each step is
//! printed with its status, its evidence and, when it is not in place, the
//! fix to run. The exit code is non-zero when any step fails or is not set up.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use paddock_engine::checklist::{self, StepStatus};
use paddock_engine::{PaddockHome, Store};

#[derive(Args)]
pub struct CheckArgs {
    /// Measure this task (default: the newest active task, or --repo's).
    #[arg(long, conflicts_with = "repo")]
    task: Option<String>,
    /// Measure the newest active task of this repository (a folder inside it
    /// will do); with none, the task steps fail and say how to create one.
    #[arg(long)]
    repo: Option<PathBuf>,
    /// Print the steps as JSON (id, title, why, status, summary, fix).
    #[arg(long)]
    json: bool,
}

pub fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let home = PaddockHome::locate()?;
    let store = Store::open_home(&home)?;
    let steps = match (&args.task, &args.repo) {
        (Some(t), _) => checklist::steps_for_task(&store, t),
        (None, Some(repo)) => checklist::steps_for_repo(&store, repo),
        (None, None) => checklist::steps(&store),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&steps)?);
    } else {
        for s in &steps {
            let mark = match s.status {
                StepStatus::Ok => "PASS",
                StepStatus::Warn => "WARN",
                StepStatus::Fail | StepStatus::NotSetUp => "FAIL",
            };
            println!("{mark}  {:<10} {}", s.title, s.summary);
            if let Some(fix) = &s.fix {
                println!("      {:<10} fix: {fix}", "");
            }
        }
    }
    let fenced = steps
        .iter()
        .all(|s| matches!(s.status, StepStatus::Ok | StepStatus::Warn));
    if !args.json && !fenced {
        let failing = steps
            .iter()
            .filter(|s| matches!(s.status, StepStatus::Fail | StepStatus::NotSetUp))
            .count();
        eprintln!(
            "paddock: {failing} of {} steps fail; run the fix: lines above, then `paddock check` again",
            steps.len()
        );
    }
    Ok(if fenced {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
