//! `paddock policy check`: explain what Paddock's policy decides for a command,
//! a file read or write, a fetch or an MCP call, and why. It explains, it does
//! not gate: a successful explanation exits 0 whatever the verdict. A policy
//! file that cannot be read or parsed is an error (exit 1), never a guess.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use paddock_engine::policy::{self, Action, Decision, Policy, TaskContext, Verdict};
use paddock_engine::PaddockHome;

#[derive(Subcommand)]
pub enum PolicyCommand {
    /// Explain the decision for a command (`-- <words…>`), or for --read,
    /// --write, --fetch or --mcp.
    Check(CheckArgs),
}

#[derive(Args)]
pub struct CheckArgs {
    /// The directory the command runs in (default: the current directory).
    #[arg(long)]
    cwd: Option<PathBuf>,
    /// The task's worktree (default: the --cwd directory).
    #[arg(long)]
    worktree: Option<PathBuf>,
    /// The repository whose paddock.toml applies (default: the worktree).
    #[arg(long)]
    repo: Option<PathBuf>,
    /// Print the decision as JSON.
    #[arg(long)]
    json: bool,
    /// Explain reading this file.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["write", "fetch", "mcp", "command"])]
    read: Option<PathBuf>,
    /// Explain writing this file.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["fetch", "mcp", "command"])]
    write: Option<PathBuf>,
    /// Explain fetching this URL.
    #[arg(long, value_name = "URL", conflicts_with_all = ["mcp", "command"])]
    fetch: Option<String>,
    /// Explain calling this MCP tool, as `server/tool`.
    #[arg(long, value_name = "SERVER/TOOL", conflicts_with = "command")]
    mcp: Option<String>,
    /// The command. One word is read as shell text (`-- 'ls | wc'`); several
    /// words are taken as they are.
    #[arg(last = true, value_name = "COMMAND")]
    command: Vec<String>,
}

pub fn run(command: PolicyCommand) -> anyhow::Result<ExitCode> {
    match command {
        PolicyCommand::Check(args) => check(args),
    }
}

/// Quote a word for the shell only when it needs it.
fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./=:@%+,-~".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

fn absolute(p: &Path, base: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

fn check(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let here = std::env::current_dir().context("reading the current directory")?;
    let cwd = absolute(args.cwd.as_deref().unwrap_or(&here), &here);
    let worktree = absolute(args.worktree.as_deref().unwrap_or(&cwd), &here);
    let repo = absolute(args.repo.as_deref().unwrap_or(&worktree), &here);
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .context("HOME is not set; Paddock needs it to find ~/.ssh and the other secret folders")?;
    let ctx = TaskContext {
        worktree,
        repo: Some(repo.clone()),
        home,
    };

    let action = if let Some(path) = args.read {
        Action::Read { path }
    } else if let Some(path) = args.write {
        Action::Write { path }
    } else if let Some(url) = args.fetch {
        Action::Fetch { url }
    } else if let Some(name) = args.mcp {
        let Some((server, tool)) = name.split_once('/') else {
            bail!("--mcp takes server/tool, got `{name}`");
        };
        Action::Mcp {
            server: server.to_string(),
            tool: tool.to_string(),
        }
    } else if !args.command.is_empty() {
        let command = if args.command.len() == 1 {
            args.command[0].clone()
        } else {
            args.command
                .iter()
                .map(|w| shell_quote(w))
                .collect::<Vec<_>>()
                .join(" ")
        };
        Action::Shell { command, cwd }
    } else {
        bail!("nothing to check: give `-- <command…>`, --read, --write, --fetch or --mcp");
    };

    let paddock_home = PaddockHome::locate()?;
    let policy = Policy::load(Some(&repo), &paddock_home)
        .context("loading the policy (Paddock denies everything until this is fixed)")?;
    let decision = policy::decide(&action, &ctx, &policy);

    if args.json {
        let out = serde_json::json!({ "action": action, "decision": decision });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print!("{}", explain(&action, &decision));
    }
    Ok(ExitCode::SUCCESS)
}

fn label(v: Verdict) -> &'static str {
    match v {
        Verdict::Allow => "ALLOW",
        Verdict::Ask => "ASK",
        Verdict::Deny => "DENY",
    }
}

/// The readable explanation: the verdict line, then one line per part.
fn explain(action: &Action, d: &Decision) -> String {
    let what = match action {
        Action::Shell { command, .. } => command.replace('\n', "⏎"),
        Action::Read { path } => format!("read {}", path.display()),
        Action::Write { path } => format!("write {}", path.display()),
        Action::Fetch { url } => format!("fetch {url}"),
        Action::Mcp { server, tool } => format!("mcp {server}/{tool}"),
    };
    let mut s = format!("{}  {what}\n", label(d.verdict));
    s.push_str(&format!("  rule:   {}\n  reason: {}\n", d.rule, d.reason));
    if !d.parts.is_empty() {
        s.push_str(&format!("  parts ({}):\n", d.parts.len()));
        for p in &d.parts {
            s.push_str(&format!(
                "    {:<5}  {:<32}  {}  ({})\n",
                label(p.verdict),
                p.rule,
                p.command.replace('\n', "⏎"),
                p.reason
            ));
        }
    }
    s
}
