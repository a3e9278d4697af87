//! `paddock`: the command line over Paddock's engine. Agents' hooks call it for
//! every action, so it starts fast and links no GTK or WebKit. Every failure is
//! one clear line on stderr and a non-zero exit; nothing here deletes state.

use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use paddock_engine::{audit, doctor, PaddockHome, Store};

mod agent_cmd;
mod approvals_cmd;
mod check_cmd;
mod hook_cmd;
mod network_cmd;
mod otel_cmd;
mod otel_serve_cmd;
mod policy_cmd;
mod review_cmd;
mod run_cmd;
mod secrets_cmd;
mod task_cmd;

#[derive(Parser)]
#[command(
    name = "paddock",
    about = "Paddock: a fence, a gate and a logbook around coding agents",
    long_about = "Paddock gives a coding agent a scoped workspace, a goal and a review path before it gets autonomy.\n\
                  State lives in $PADDOCK_HOME (default: the platform's data directory).",
    disable_version_flag = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Explain what Paddock's policy decides for a command, file, URL or MCP tool.
    Policy {
        #[command(subcommand)]
        command: policy_cmd::PolicyCommand,
    },
    /// Print Paddock's version and where its state lives.
    Version,
    /// The audit log.
    Log {
        #[command(subcommand)]
        command: LogCommand,
    },
    /// Tasks: a branch, a worktree outside your checkout, and a goal.
    Task {
        #[command(subcommand)]
        command: task_cmd::TaskCommand,
    },
    /// Answer one hook event from Claude Code or Codex (stdin → decision). Exits 0 or 2, never 1.
    Hook(hook_cmd::HookArgs),
    /// Requests waiting for a person: list, approve, deny.
    Approvals {
        #[command(subcommand)]
        command: approvals_cmd::ApprovalsCommand,
    },
    /// Remembered decisions: list, revoke.
    Rules {
        #[command(subcommand)]
        command: approvals_cmd::RulesCommand,
    },
    /// Configure an agent (Claude Code, Codex) so every tool call passes through Paddock.
    Agent {
        #[command(subcommand)]
        command: agent_cmd::AgentCommand,
    },
    /// Run a command confined to a task: writes only in its worktree, no secrets,
    /// network only through the task's proxy. Refuses when it cannot confine.
    Run(run_cmd::RunArgs),
    /// The task proxy's host rules: list them, check a host, show package registries.
    Network {
        #[command(subcommand)]
        command: network_cmd::NetworkCommand,
    },
    /// (internal) The first process inside the sandbox: the proxy bridge, then the command.
    #[command(name = "__sandbox-init", hide = true)]
    SandboxInit(run_cmd::SandboxInitArgs),
    /// Review a task: submit, diff, note, mark, comment, request changes, merge (never pushes).
    Review {
        #[command(subcommand)]
        command: review_cmd::ReviewCommand,
    },
    /// Secrets: scan, move into the OS keychain, list, restore.
    Secrets {
        #[command(subcommand)]
        command: secrets_cmd::SecretsCommand,
    },
    /// Run a command you approve in a task's worktree with named secrets as
    /// environment variables (never for the agent's own processes).
    Exec(secrets_cmd::ExecArgs),
    /// The eight steps of the fence for a task, each pass / warn / fail with its evidence;
    /// exits non-zero when any step fails (for CI and git hooks).
    Check(check_cmd::CheckArgs),
    /// OpenTelemetry: export the audit log to an OTLP collector, configure it, see its
    /// status; `serve` receives the agents' own telemetry into their tasks' timelines.
    Otel {
        #[command(subcommand)]
        command: otel_cmd::OtelCommand,
    },
    /// Check this machine: WebKit and tray libraries, D-Bus, keychain, notifications, sandboxing.
    Doctor {
        /// Print the checks as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum LogCommand {
    /// Print the timeline of events.
    Show {
        /// Only this task's events.
        #[arg(long)]
        task: Option<String>,
        /// One JSON object per line instead of the readable timeline.
        #[arg(long)]
        json: bool,
    },
    /// Walk the hash chain and name every edited, inserted or deleted row.
    Verify,
    /// Export one task's events: a readable timeline (md) or one JSON object per line (jsonl).
    Export(review_cmd::ExportArgs),
}

fn main() -> ExitCode {
    if std::env::args_os().nth(1).is_some_and(|a| a == "hook") {
        hook_cmd::install_panic_guard();
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                let _ = e.print();
                return if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                    ExitCode::from(2)
                } else {
                    ExitCode::SUCCESS
                };
            }
            // One line: clap's first line names the problem; the rest is usage.
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("invalid arguments").trim();
            eprintln!(
                "paddock: {} (see `paddock --help`)",
                first.trim_start_matches("error: ")
            );
            return ExitCode::from(2);
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("paddock: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn open_store() -> anyhow::Result<Store> {
    let home = PaddockHome::locate()?;
    Ok(Store::open_home(&home)?)
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Policy { command } => policy_cmd::run(command),
        Command::Version => {
            let home = PaddockHome::locate()?;
            println!("paddock {}", paddock_engine::VERSION);
            println!("state: {}", home.root().display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Log { command } => {
            let store = open_store()?;
            match command {
                LogCommand::Show { task, json } => {
                    let events =
                        audit::list(&store, task.as_deref()).context("reading the audit log")?;
                    if json {
                        for e in &events {
                            println!("{}", serde_json::to_string(e)?);
                        }
                    } else if events.is_empty() {
                        println!(
                            "(no events{})",
                            task.map(|t| format!(" for task {t}")).unwrap_or_default()
                        );
                    } else {
                        for e in &events {
                            println!("{}", timeline_line(e));
                        }
                    }
                    Ok(ExitCode::SUCCESS)
                }
                LogCommand::Export(args) => review_cmd::export(&store, args),
                LogCommand::Verify => {
                    let report = audit::verify(&store).context("verifying the audit log")?;
                    if report.is_intact() {
                        println!(
                            "ok: {} events, hash chain intact ({})",
                            report.events,
                            store.path().display()
                        );
                        Ok(ExitCode::SUCCESS)
                    } else {
                        println!(
                            "TAMPERED: {} events, {} problem(s) in {}",
                            report.events,
                            report.problems.len(),
                            store.path().display()
                        );
                        for p in &report.problems {
                            println!("  - {p}");
                        }
                        Ok(ExitCode::FAILURE)
                    }
                }
            }
        }
        Command::Task { command } => task_cmd::run(command),
        Command::Review { command } => review_cmd::run(command),
        Command::Hook(args) => Ok(hook_cmd::run(args)),
        Command::Approvals { command } => approvals_cmd::run(command),
        Command::Rules { command } => approvals_cmd::run_rules(command),
        Command::Agent { command } => agent_cmd::run(command),
        Command::Run(args) => run_cmd::run(args),
        Command::Network { command } => network_cmd::run(command),
        Command::SandboxInit(args) => run_cmd::sandbox_init(args),
        Command::Secrets { command } => secrets_cmd::run(command),
        Command::Exec(args) => secrets_cmd::exec(args),
        Command::Check(args) => check_cmd::run(args),
        Command::Otel { command } => otel_cmd::run(command),
        Command::Doctor { json } => {
            let checks = doctor::run_all();
            if json {
                println!("{}", serde_json::to_string_pretty(&checks)?);
            } else {
                for c in &checks {
                    let mark = match c.health {
                        doctor::Health::Ok => "OK     ",
                        doctor::Health::Missing => "MISSING",
                    };
                    println!("{mark} {:<28} {}", c.name, c.evidence);
                    if !c.fix.is_empty() {
                        println!("        {:<28} fix: {}", "", c.fix);
                    }
                }
            }
            let all_ok = checks.iter().all(|c| c.health == doctor::Health::Ok);
            Ok(if all_ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

/// `2026-12-04 15:56:06  task-1  task.created  user  reason  {payload}`
fn timeline_line(e: &audit::Event) -> String {
    let when = e.at.replacen('T', " ", 1);
    let when = when
        .split('.')
        .next()
        .unwrap_or(&when)
        .trim_end_matches('Z');
    // An agent's telemetry carries all its attributes (see `--json`); its
    // reason is the readable line.
    let payload = if e.payload == "{}" || e.kind.starts_with("agent.telemetry") {
        String::new()
    } else {
        format!("  {}", e.payload)
    };
    format!(
        "#{:<5} {}  {:<14} {:<22} {:<14} {}{}",
        e.id,
        when,
        e.task.as_deref().unwrap_or("-"),
        e.kind,
        e.actor,
        e.reason,
        payload
    )
}
