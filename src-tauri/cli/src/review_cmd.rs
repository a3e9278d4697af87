//! `paddock review …` and `paddock log export`: hand a task over for review,
//! read its diff and note, mark files, comment, send changes back to the
//! agent, and merge. Every decision is the engine's; this file parses
//! arguments, asks for confirmation and prints. Paddock never pushes.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, Subcommand, ValueEnum};
use paddock_engine::audit::{self, Actor};
use paddock_engine::review::{self, FileDiff, FileStatus, LineKind, MergeKind, MergeOptions};
use paddock_engine::{task, PaddockHome, Store};

#[derive(Subcommand)]
pub enum ReviewCommand {
    /// Hand a running task over for review: commit what the agent left
    /// uncommitted (on the task branch) and move it to awaiting_review.
    Submit {
        #[arg(long)]
        task: String,
        #[arg(long)]
        json: bool,
    },
    /// The task branch against its merge-base with the base: a --stat summary,
    /// or the unified hunks with --patch.
    Diff {
        #[arg(long)]
        task: String,
        /// Print the hunks too.
        #[arg(long)]
        patch: bool,
        #[arg(long)]
        json: bool,
    },
    /// The review note: goal, summary, files, commands, tests, approvals, network, attention.
    Note {
        #[arg(long)]
        task: String,
        /// The note as JSON instead of markdown.
        #[arg(long)]
        json: bool,
    },
    /// Mark files reviewed (at their current version) or, with --unmark, not reviewed.
    Mark {
        #[arg(long)]
        task: String,
        /// Paths as `review diff` shows them.
        #[arg(required_unless_present = "all")]
        paths: Vec<String>,
        /// Every changed file.
        #[arg(long, conflicts_with = "paths")]
        all: bool,
        #[arg(long)]
        unmark: bool,
    },
    /// Comment on a changed file (or one of its lines); sent with request-changes.
    Comment {
        #[arg(long)]
        task: String,
        #[arg(long)]
        file: String,
        /// A line of the file on the task branch.
        #[arg(long)]
        line: Option<u32>,
        text: String,
    },
    /// Send the comments to the agent as its next instruction; the task runs again.
    RequestChanges {
        #[arg(long)]
        task: String,
    },
    /// Merge a reviewed task into its base (fast-forward when possible). Never pushes.
    Merge {
        #[arg(long)]
        task: String,
        /// One squash commit on the base instead of the branch's history.
        #[arg(long)]
        squash: bool,
        /// Merge although tests are failing or were never run (logged).
        #[arg(long)]
        merge_anyway: bool,
        /// Delete the task branch after the merge.
        #[arg(long)]
        delete_branch: bool,
        /// Do not ask for confirmation.
        #[arg(long, short = 'y')]
        yes: bool,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    /// A readable timeline.
    Md,
    /// The task's events, one JSON object per line.
    Jsonl,
}

#[derive(Args)]
pub struct ExportArgs {
    #[arg(long)]
    task: String,
    #[arg(long, value_enum, default_value_t = ExportFormat::Md)]
    format: ExportFormat,
}

pub fn run(command: ReviewCommand) -> anyhow::Result<ExitCode> {
    let home = PaddockHome::locate()?;
    let mut store = Store::open_home(&home)?;
    match command {
        ReviewCommand::Submit { task, json } => {
            let s = review::submit(&mut store, &task, Actor::User)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&s)?);
            } else {
                if let Some(c) = &s.committed {
                    println!(
                        "committed {} file(s) left uncommitted as {}",
                        s.committed_files.len(),
                        &c[..c.len().min(12)]
                    );
                }
                for f in &s.skipped_secret_files {
                    println!("left uncommitted (looks like a secret): {f}");
                }
                println!(
                    "task {} is awaiting review: {} file(s), +{} -{}",
                    s.task.id, s.totals.files, s.totals.additions, s.totals.deletions
                );
            }
        }
        ReviewCommand::Diff { task, patch, json } => {
            let d = review::diff(&store, &task)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&d)?);
            } else {
                print_stat(&d.files);
                println!(
                    " {} file{} changed, {} insertion{}(+), {} deletion{}(-); {} of {} reviewed",
                    d.totals.files,
                    plural(d.totals.files),
                    d.totals.additions,
                    plural(d.totals.additions),
                    d.totals.deletions,
                    plural(d.totals.deletions),
                    d.totals.reviewed,
                    d.totals.files
                );
                if patch {
                    for f in &d.files {
                        print_patch(f);
                    }
                }
            }
        }
        ReviewCommand::Note { task, json } => {
            let n = review::note(&store, &task)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&n)?);
            } else {
                print!("{}", n.to_markdown());
            }
        }
        ReviewCommand::Mark {
            task,
            paths,
            all,
            unmark,
        } => {
            let paths = if all {
                review::diff(&store, &task)?
                    .files
                    .into_iter()
                    .map(|f| f.path)
                    .collect()
            } else {
                paths
            };
            for p in &paths {
                let f = review::mark_reviewed(&mut store, &task, p, !unmark, Actor::User)
                    .with_context(|| format!("marking {p}"))?;
                println!(
                    "{} {}",
                    if f.reviewed {
                        "reviewed  "
                    } else {
                        "unreviewed"
                    },
                    f.path
                );
            }
            let d = review::diff(&store, &task)?;
            println!(
                "{} of {} file(s) reviewed",
                d.totals.reviewed, d.totals.files
            );
        }
        ReviewCommand::Comment {
            task,
            file,
            line,
            text,
        } => {
            let c = review::comment(&mut store, &task, &file, line, &text, Actor::User)?;
            println!(
                "comment {} on {}{}",
                c.id,
                c.path,
                c.line.map(|l| format!(":{l}")).unwrap_or_default()
            );
        }
        ReviewCommand::RequestChanges { task } => {
            let text = review::request_changes(&mut store, &task, Actor::User)?;
            println!("task {task} is running again; the agent's next instruction:\n");
            print!("{text}");
        }
        ReviewCommand::Merge {
            task,
            squash,
            merge_anyway,
            delete_branch,
            yes,
            json,
        } => {
            let t = task::get(&store, &task)?;
            if !yes {
                confirm(&format!(
                    "Merge {} into {} in {}{}? [y/N] ",
                    t.branch,
                    t.base,
                    t.repo,
                    if squash { " as one squash commit" } else { "" }
                ))?;
            }
            let o = review::merge(
                &mut store,
                &home,
                &task,
                MergeOptions {
                    squash,
                    merge_anyway,
                    delete_branch,
                },
                Actor::User,
            )?;
            if json {
                println!("{}", serde_json::to_string_pretty(&o)?);
            } else {
                let how = match o.kind {
                    MergeKind::FastForward => "fast-forwarded",
                    MergeKind::MergeCommit => "merged with a merge commit",
                    MergeKind::Squash => "squash-merged",
                    MergeKind::AlreadyMerged => "already contained the branch; marked merged",
                };
                println!(
                    "{} {how}: {} → {}",
                    o.base,
                    &o.previous[..o.previous.len().min(12)],
                    &o.commit[..o.commit.len().min(12)]
                );
                for c in &o.checkouts_updated {
                    println!("updated your checkout {c}");
                }
                if o.merged_anyway {
                    println!("merged anyway without passing tests (logged)");
                }
                if o.worktree_removed {
                    println!("removed the worktree {}", o.task.worktree);
                }
                if o.branch_deleted {
                    println!("deleted the branch {}", o.task.branch);
                }
                if let Some(e) = &o.cleanup_error {
                    println!("note: the merge stands, but cleaning up failed: {e}");
                }
                println!("nothing was pushed");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn plural(n: u32) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn confirm(question: &str) -> anyhow::Result<()> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        bail!("refusing to merge without confirmation: pass --yes to approve the merge");
    }
    print!("{question}");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer)?;
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        bail!("merge cancelled; nothing was changed")
    }
}

fn display_name(f: &FileDiff) -> String {
    match &f.old_path {
        Some(o) => format!("{o} => {}", f.path),
        None => f.path.clone(),
    }
}

/// `git diff --stat`, with the status letter and the review mark.
fn print_stat(files: &[FileDiff]) {
    let width = files
        .iter()
        .map(|f| display_name(f).chars().count())
        .max()
        .unwrap_or(0);
    let most = files
        .iter()
        .map(|f| f.additions + f.deletions)
        .max()
        .unwrap_or(0)
        .max(1);
    for f in files {
        let name = display_name(f);
        let graph = if f.binary {
            "Bin".to_owned()
        } else {
            let n = f.additions + f.deletions;
            let scale = |x: u32| -> usize {
                if most <= 40 {
                    x as usize
                } else {
                    ((x as u64 * 40).div_ceil(most as u64)) as usize
                }
            };
            format!(
                "{:>5} {}{}",
                n,
                "+".repeat(scale(f.additions)),
                "-".repeat(scale(f.deletions))
            )
        };
        let mode = if f.status == FileStatus::ModeChange {
            format!(" (mode {:o} → {:o})", f.old_mode, f.new_mode)
        } else {
            String::new()
        };
        println!(
            " {} {:<width$} | {}{}{}",
            f.status.letter(),
            name,
            graph,
            mode,
            if f.reviewed { "  [reviewed]" } else { "" }
        );
    }
}

fn print_patch(f: &FileDiff) {
    let old = f.old_path.as_deref().unwrap_or(&f.path);
    println!("diff --git a/{old} b/{}", f.path);
    match f.status {
        FileStatus::Added => println!("new file mode {:o}", f.new_mode),
        FileStatus::Deleted => println!("deleted file mode {:o}", f.old_mode),
        _ if f.old_mode != f.new_mode => {
            println!("old mode {:o}\nnew mode {:o}", f.old_mode, f.new_mode)
        }
        _ => {}
    }
    match f.status {
        FileStatus::Renamed => println!("rename from {old}\nrename to {}", f.path),
        FileStatus::Copied => println!("copy from {old}\ncopy to {}", f.path),
        _ => {}
    }
    let a = if f.status == FileStatus::Added {
        "/dev/null".to_owned()
    } else {
        format!("a/{old}")
    };
    let b = if f.status == FileStatus::Deleted {
        "/dev/null".to_owned()
    } else {
        format!("b/{}", f.path)
    };
    if f.binary {
        println!("Binary files {a} and {b} differ");
        return;
    }
    if f.hunks.is_empty() {
        return;
    }
    println!("--- {a}\n+++ {b}");
    for h in &f.hunks {
        println!("{}", h.header);
        for l in &h.lines {
            let sign = match l.kind {
                LineKind::Context => ' ',
                LineKind::Add => '+',
                LineKind::Del => '-',
            };
            println!("{sign}{}", l.text);
            if l.no_newline {
                println!("\\ No newline at end of file");
            }
        }
    }
}

/// `paddock log export --task T --format md|jsonl`.
pub fn export(store: &Store, args: ExportArgs) -> anyhow::Result<ExitCode> {
    let t = task::get(store, &args.task)?;
    let events = audit::list(store, Some(&t.id)).context("reading the audit log")?;
    match args.format {
        ExportFormat::Jsonl => {
            let mut out = std::io::stdout().lock();
            for e in &events {
                writeln!(out, "{}", serde_json::to_string(e)?)?;
            }
        }
        ExportFormat::Md => {
            let chain = audit::verify(store).context("verifying the audit log")?;
            println!("# Task {} — audit log\n", t.id);
            println!("- Goal: {}", t.goal);
            println!("- Repository: {}", t.repo);
            println!("- Branch: `{}` → base `{}`", t.branch, t.base);
            println!("- State: {}", t.state);
            println!(
                "- Hash chain: {}\n",
                if chain.is_intact() {
                    format!("intact ({} events in the log)", chain.events)
                } else {
                    format!(
                        "TAMPERED — {}",
                        chain
                            .problems
                            .iter()
                            .map(|p| p.to_string())
                            .collect::<Vec<_>>()
                            .join("; ")
                    )
                }
            );
            println!("## Timeline ({} events)\n", events.len());
            let mut day = String::new();
            for e in &events {
                let (d, time) = e.at.split_once('T').unwrap_or((&e.at, ""));
                if d != day {
                    println!("### {d}\n");
                    day = d.to_owned();
                }
                let time = time.split('.').next().unwrap_or(time).trim_end_matches('Z');
                println!(
                    "- **{time}** `{}` · {} — {}{}",
                    e.kind,
                    e.actor,
                    one_line(&e.reason),
                    detail(e)
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn one_line(s: &str) -> String {
    let s = s.replace('\n', " ");
    if s.chars().count() > 200 {
        format!("{}…", s.chars().take(200).collect::<String>())
    } else {
        s
    }
}

/// The one payload detail worth a reader's eye: a command and its exit code, a path.
fn detail(e: &audit::Event) -> String {
    let p: serde_json::Value = serde_json::from_str(&e.payload).unwrap_or_default();
    let get = |paths: &[&str]| {
        paths.iter().find_map(|path| {
            let mut cur = &p;
            for k in path.split('.') {
                cur = cur.get(k)?;
            }
            cur.as_str().map(str::to_owned).or_else(|| {
                (!cur.is_null() && !cur.is_object() && !cur.is_array()).then(|| cur.to_string())
            })
        })
    };
    let mut parts = Vec::new();
    if let Some(c) = get(&[
        "input.command",
        "tool_input.command",
        "action.Shell.command",
    ]) {
        parts.push(format!("`{}`", one_line(&c).replace('`', "'")));
    }
    if let Some(x) = get(&["exit_code", "tool_response.exit_code"]) {
        parts.push(format!("exit {x}"));
    }
    if let Some(x) = get(&["path"]) {
        parts.push(format!("`{x}`"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}
