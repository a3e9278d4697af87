//! `paddock secrets scan|move|list|restore` and `paddock exec`: find secrets,
//! move them into the OS keychain (references left in their place), put them
//! back, and hand named ones to a command the person runs themselves. Values
//! are never printed: findings show a masked preview, everything else names.

use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Subcommand;
use paddock_engine::audit::{self, Actor, NewEvent};
use paddock_engine::secrets::{self, OsKeychain, ScanOptions, ScanProgress, ScanReport};
use paddock_engine::task::{self, Task};
use paddock_engine::{redact, PaddockHome, Store};

#[derive(Subcommand)]
pub enum SecretsCommand {
    /// Find secrets: .env files, private keys, known token formats, high-entropy values.
    Scan {
        /// The folder to scan (default: the current directory).
        #[arg(long, conflicts_with = "task")]
        repo: Option<PathBuf>,
        /// Scan this task's repository (the checkout it was made from).
        #[arg(long)]
        task: Option<String>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Move findings into the OS keychain; each is replaced by paddock://<project>/<NAME>.
    Move {
        /// The task whose repository holds the secrets.
        #[arg(long)]
        task: String,
        /// Move every finding.
        #[arg(long, conflicts_with = "finding", required_unless_present = "finding")]
        all: bool,
        /// Move this finding (its ID from `paddock secrets scan`; repeatable).
        #[arg(long = "finding", value_name = "ID")]
        finding: Vec<String>,
    },
    /// The secrets Paddock holds in the keychain (names and places, never values).
    List {
        /// Include secrets already restored.
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Put moved secrets back into their files, byte for byte.
    Restore {
        /// Restore the secrets moved out of this task's repository.
        #[arg(long, conflicts_with = "repo")]
        task: Option<String>,
        /// Restore the secrets moved out of this folder (default: the current directory).
        #[arg(long)]
        repo: Option<PathBuf>,
    },
}

#[derive(clap::Args)]
pub struct ExecArgs {
    /// The task whose worktree the command runs in.
    #[arg(long)]
    task: String,
    /// Give the command this secret as an environment variable of the same name (repeatable).
    #[arg(long = "secret", value_name = "NAME")]
    secret: Vec<String>,
    /// The command and its arguments, after `--`.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    command: Vec<OsString>,
}

fn open() -> anyhow::Result<(PaddockHome, Store)> {
    let home = PaddockHome::locate()?;
    let store = Store::open_home(&home)?;
    Ok((home, store))
}

fn get_task(store: &Store, id: &str) -> anyhow::Result<Task> {
    Ok(task::get(store, id)?)
}

/// Scan with a progress line on stderr when it is a terminal.
fn scan_with_progress(root: &Path) -> anyhow::Result<ScanReport> {
    let tty = std::io::stderr().is_terminal();
    let progress = move |p: &ScanProgress| {
        if tty {
            eprint!(
                "\rscanning: {} files, {:.1} MB, {} finding{}   ",
                p.files,
                p.bytes as f64 / 1e6,
                p.findings,
                if p.findings == 1 { "" } else { "s" }
            );
        }
    };
    let report = secrets::scan_tree(root, &ScanOptions::default(), &progress)
        .with_context(|| format!("scanning {}", root.display()))?;
    if tty {
        eprintln!();
    }
    Ok(report)
}

pub fn run(command: SecretsCommand) -> anyhow::Result<ExitCode> {
    match command {
        SecretsCommand::Scan { repo, task, json } => {
            let root = match (task, repo) {
                (Some(t), _) => {
                    let (_, store) = open()?;
                    PathBuf::from(get_task(&store, &t)?.repo)
                }
                (None, Some(r)) => r,
                (None, None) => std::env::current_dir()?,
            };
            let report = scan_with_progress(&root)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print_report(&report);
            }
            Ok(ExitCode::SUCCESS)
        }
        SecretsCommand::Move { task, all, finding } => {
            let (home, mut store) = open()?;
            let t = get_task(&store, &task)?;
            let root = PathBuf::from(&t.repo);
            let report = scan_with_progress(&root)?;
            let picked: Vec<_> = if all {
                report.findings.clone()
            } else {
                let mut picked = Vec::new();
                for id in &finding {
                    match report.findings.iter().find(|f| &f.id == id) {
                        Some(f) => picked.push(f.clone()),
                        None => bail!(
                            "no finding {id} in {} now (run `paddock secrets scan --task {task}`)",
                            root.display()
                        ),
                    }
                }
                picked
            };
            if picked.is_empty() {
                println!("nothing to move: no findings in {}", root.display());
                return Ok(ExitCode::SUCCESS);
            }
            let moved = secrets::move_findings(
                &mut store,
                &home,
                &OsKeychain,
                &t.repo_name,
                &root,
                Some(&t.id),
                &picked,
            )?;
            for h in &moved.moved {
                println!(
                    "moved  {}:{}  {}  → {}",
                    h.file, h.line, h.rule, h.reference
                );
            }
            println!(
                "{} secret{} now in the keychain (service {}); undo with `paddock secrets restore --task {}`",
                moved.moved.len(),
                if moved.moved.len() == 1 { "" } else { "s" },
                secrets::keychain::service_for(&t.repo_name),
                t.id
            );
            Ok(ExitCode::SUCCESS)
        }
        SecretsCommand::List { all, json } => {
            let (_, store) = open()?;
            let held = secrets::list(&store, None, all)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&held)?);
            } else if held.is_empty() {
                println!("(no secrets held)");
            } else {
                for h in &held {
                    println!(
                        "{:<28} {}:{}  {}  {}{}",
                        h.reference,
                        h.file,
                        h.line,
                        h.rule,
                        h.moved_at,
                        h.restored_at
                            .as_deref()
                            .map(|r| format!("  (restored {r})"))
                            .unwrap_or_default()
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        SecretsCommand::Restore { task, repo } => {
            let (_, mut store) = open()?;
            let (root, task_id) = match (task, repo) {
                (Some(t), _) => {
                    let t = get_task(&store, &t)?;
                    (PathBuf::from(&t.repo), Some(t.id))
                }
                (None, Some(r)) => (r, None),
                (None, None) => (std::env::current_dir()?, None),
            };
            let r = secrets::restore(&mut store, &OsKeychain, &root, task_id.as_deref())?;
            if r.restored.is_empty() {
                println!("nothing to restore under {}", root.display());
            } else {
                println!(
                    "restored {} secret{} into {}: {}",
                    r.restored.len(),
                    if r.restored.len() == 1 { "" } else { "s" },
                    r.files.join(", "),
                    r.restored.join(", ")
                );
                for f in &r.changed_since_move {
                    println!("note: {f} was edited since the move; its references were replaced, the rest is as you left it");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn print_report(report: &ScanReport) {
    for f in &report.findings {
        println!(
            "{}  {}:{}:{}  {:<24} {:<22} {}",
            f.id, f.file, f.line, f.column, f.rule, f.name, f.preview
        );
    }
    println!(
        "{} finding{} in {} files ({:.1} MB, {} ms) under {}",
        report.findings.len(),
        if report.findings.len() == 1 { "" } else { "s" },
        report.files,
        report.bytes as f64 / 1e6,
        report.millis,
        report.root
    );
    if !report.findings.is_empty() {
        println!(
            "move them into the keychain: paddock secrets move --task T (--all | --finding ID...)"
        );
    }
}

/// Variables an agent's own process tree carries: `paddock exec` run from
/// there is the agent asking for secrets, and is refused.
const AGENT_MARKERS: &[&str] = &[
    "PADDOCK_SANDBOX",
    "CLAUDECODE",
    "CLAUDE_CODE_ENTRYPOINT",
    "CODEX_SANDBOX",
    "CODEX_SANDBOX_NETWORK_DISABLED",
];

pub fn exec(args: ExecArgs) -> anyhow::Result<ExitCode> {
    if let Some(marker) = AGENT_MARKERS.iter().find(|m| std::env::var_os(m).is_some()) {
        bail!("refused: this looks like an agent's process ({marker} is set); secrets go only to commands you run yourself");
    }
    let (_, mut store) = open()?;
    let t = get_task(&store, &args.task)?;
    let env = secrets::exec_env(&store, &OsKeychain, &t.repo_name, &args.secret)?;
    let shown = redact::redact(
        &args
            .command
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" "),
    );
    audit::record(
        &mut store,
        NewEvent::new(
            "secrets.exec",
            Actor::User,
            format!("ran {shown} with {}", args.secret.join(", ")),
        )
        .task(&t.id)
        .payload(serde_json::json!({"command": shown, "secrets": args.secret})),
    )?;
    drop(store);
    let (program, rest) = args
        .command
        .split_first()
        .context("give the command after --")?;
    let status = std::process::Command::new(program)
        .args(rest)
        .current_dir(&t.worktree)
        .envs(env)
        .status()
        .with_context(|| format!("starting {}", program.to_string_lossy()))?;
    use std::os::unix::process::ExitStatusExt;
    let code = status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
    Ok(ExitCode::from(code.clamp(0, 255) as u8))
}
