//! `paddock approvals list|approve|deny` and `paddock rules list|revoke`: a
//! person answers the requests agents are waiting on, from any terminal, and
//! manages the decisions they chose to remember.

use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Subcommand, ValueEnum};
use paddock_engine::approvals::{self, Approval, RememberMatch, RememberReach, RememberScope};
use paddock_engine::policy::Verdict;
use paddock_engine::{PaddockHome, Store};

#[derive(Clone, Copy, ValueEnum)]
pub enum RememberArg {
    /// Only this request (nothing is remembered).
    Once,
    /// Every identical request in this task.
    Task,
    /// Every identical request in any task of this repository.
    Project,
}

#[derive(Subcommand)]
pub enum ApprovalsCommand {
    /// Requests waiting for a person, oldest first.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Allow a waiting request.
    Approve(DecideArgs),
    /// Deny a waiting request.
    Deny(DecideArgs),
}

#[derive(clap::Args)]
pub struct DecideArgs {
    /// The request's id (from `paddock approvals list`).
    id: i64,
    /// Remember this decision: once (default), for this task, or for this project.
    #[arg(long, value_enum, default_value_t = RememberArg::Once)]
    remember: RememberArg,
    /// With --remember task|project: match commands starting with these words
    /// (e.g. --prefix "npm install") instead of this exact command.
    #[arg(long, value_name = "WORDS")]
    prefix: Option<String>,
}

#[derive(Subcommand)]
pub enum RulesCommand {
    /// Remembered decisions in force (with --all, revoked ones too).
    List {
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// End a remembered decision: what it covered asks again.
    Revoke { id: i64 },
}

fn open_store() -> anyhow::Result<Store> {
    let home = PaddockHome::locate()?;
    Ok(Store::open_home(&home)?)
}

fn describe(a: &Approval) -> String {
    let what = match &a.action {
        paddock_engine::policy::Action::Shell { command, .. } => format!("run `{command}`"),
        paddock_engine::policy::Action::Read { path } => format!("read {}", path.display()),
        paddock_engine::policy::Action::Write { path } => format!("write {}", path.display()),
        paddock_engine::policy::Action::Fetch { url } => format!("fetch {url}"),
        paddock_engine::policy::Action::Mcp { server, tool } => format!("call {server}/{tool}"),
    };
    format!(
        "#{:<4} task {:<9} {:<7} {what}\n      why: {} ({})\n      waits until {}",
        a.id,
        a.task.as_deref().unwrap_or("-"),
        a.agent.as_deref().unwrap_or("-"),
        a.reason,
        a.rule,
        a.deadline.as_deref().unwrap_or("-"),
    )
}

pub fn run(command: ApprovalsCommand) -> anyhow::Result<ExitCode> {
    let mut store = open_store()?;
    match command {
        ApprovalsCommand::List { json } => {
            let pending = approvals::list_pending(&store).context("listing approvals")?;
            if json {
                println!("{}", serde_json::to_string_pretty(&pending)?);
            } else if pending.is_empty() {
                println!("(nothing is waiting for a decision)");
            } else {
                for a in &pending {
                    println!("{}", describe(a));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        ApprovalsCommand::Approve(args) => decide(&mut store, args, Verdict::Allow),
        ApprovalsCommand::Deny(args) => decide(&mut store, args, Verdict::Deny),
    }
}

fn decide(store: &mut Store, args: DecideArgs, verdict: Verdict) -> anyhow::Result<ExitCode> {
    let reach = match args.remember {
        RememberArg::Once => {
            if args.prefix.is_some() {
                bail!("--prefix needs --remember task or --remember project");
            }
            None
        }
        RememberArg::Task => Some(RememberReach::Task),
        RememberArg::Project => Some(RememberReach::Project),
    };
    let remember = reach.map(|reach| RememberScope {
        reach,
        matching: match &args.prefix {
            Some(p) => RememberMatch::Prefix {
                words: p.split_whitespace().map(str::to_string).collect(),
            },
            None => RememberMatch::Exact,
        },
    });
    let rule = approvals::decide(store, args.id, verdict, "user", remember)?;
    let word = if verdict == Verdict::Allow {
        "approved"
    } else {
        "denied"
    };
    println!("{word} request {}", args.id);
    if let Some(r) = rule {
        println!(
            "remembered as rule {}: {} (revoke with `paddock rules revoke {}`)",
            r.id,
            r.describe(),
            r.id
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_rules(command: RulesCommand) -> anyhow::Result<ExitCode> {
    let mut store = open_store()?;
    match command {
        RulesCommand::List { all, json } => {
            let rules = approvals::list_rules(&store, all).context("listing rules")?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rules)?);
            } else if rules.is_empty() {
                println!("(no remembered decisions)");
            } else {
                for r in &rules {
                    let revoked = r
                        .revoked_at
                        .as_deref()
                        .map(|t| format!("  [revoked {t}]"))
                        .unwrap_or_default();
                    println!(
                        "#{:<4} {}  (from approval {}, {} at {}){revoked}",
                        r.id,
                        r.describe(),
                        r.from_approval
                            .map(|a| a.to_string())
                            .unwrap_or_else(|| "-".into()),
                        r.created_by,
                        r.created_at
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        RulesCommand::Revoke { id } => {
            let r = approvals::revoke_rule(&mut store, id, "user")?;
            println!("revoked rule {id}: {}", r.describe());
            Ok(ExitCode::SUCCESS)
        }
    }
}
