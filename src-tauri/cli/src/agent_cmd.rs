//! `paddock agent setup claude|codex --task T`: write the agent's own
//! configuration so every tool call passes through `paddock hook`, and print
//! the exact command that starts the agent on the task.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use paddock_engine::agents::{claude, codex};
use paddock_engine::{approvals, task, PaddockHome, Store};

#[derive(Clone, Copy, ValueEnum)]
pub enum AgentName {
    Claude,
    Codex,
}

#[derive(Subcommand)]
pub enum AgentCommand {
    /// Write the agent's hooks, permissions and sandbox settings for a task.
    Setup {
        #[arg(value_enum)]
        agent: AgentName,
        #[arg(long)]
        task: String,
        /// How long an action that needs a person waits before it is denied
        /// (default: $PADDOCK_APPROVAL_TIMEOUT_SECS, else 120).
        #[arg(long)]
        timeout_secs: Option<u64>,
        /// Print what was done as JSON.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(command: AgentCommand) -> anyhow::Result<ExitCode> {
    match command {
        AgentCommand::Setup {
            agent,
            task: id,
            timeout_secs,
            json,
        } => {
            let home = PaddockHome::locate()?;
            let store = Store::open_home(&home)?;
            let t = task::get(&store, &id)?;
            let paddock = std::env::current_exe()
                .and_then(std::fs::canonicalize)
                .context("locating the paddock binary")?;
            let timeout = timeout_secs.unwrap_or_else(|| approvals::configured_timeout().as_secs());
            let report = match agent {
                AgentName::Claude => claude::setup(&home, &t, &paddock, timeout)?,
                AgentName::Codex => {
                    let user_home = std::env::var_os("HOME")
                        .map(PathBuf::from)
                        .context("HOME is not set")?;
                    codex::setup(&home, &t, &paddock, timeout, &user_home)?
                }
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                for w in &report.written {
                    println!("wrote {}", w.display());
                }
                for b in &report.backups {
                    println!("backed up the previous file to {}", b.display());
                }
                for n in &report.notes {
                    println!("note: {n}");
                }
                println!("start the agent with:\n  {}", report.start_command);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
