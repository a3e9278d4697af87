//! The agents Paddock fences: adapters only, no policy inside.
//!
//! - [`tool_call`] turns a hook's `tool_name` + `tool_input` (Claude Code and
//!   Codex send the same shape) into a policy [`Action`].
//! - [`claude::setup`] and [`codex::setup`] write each agent's own
//!   configuration so that every tool call passes through `paddock hook`.

pub mod claude;
pub mod codex;

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::policy::Action;

/// What a tool call is, for the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolCall {
    /// A call the policy decides.
    Action(Action),
    /// A tool that only changes the agent's own state (a todo list, plan mode).
    Internal,
    /// A tool Paddock does not know: a person must decide.
    Unknown { tool: String },
}

fn str_field<'a>(input: &'a Value, key: &str) -> Option<&'a str> {
    input
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn path_of(input: &Value, keys: &[&str], cwd: &Path) -> Option<PathBuf> {
    keys.iter().find_map(|k| str_field(input, k)).map(|p| {
        let p = PathBuf::from(p);
        if p.is_absolute() {
            p
        } else {
            cwd.join(p)
        }
    })
}

/// Quote one word for a POSIX shell (for commands sent as an argv array).
fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./=:@%+,-".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// The command line of a shell tool call: a string, or an argv array.
fn command_of(input: &Value) -> Option<String> {
    for key in ["command", "cmd"] {
        match input.get(key) {
            Some(Value::String(s)) => return Some(s.clone()),
            Some(Value::Array(a)) => {
                let words: Option<Vec<String>> =
                    a.iter().map(|w| w.as_str().map(shell_quote)).collect();
                let words = words?;
                // `["bash", "-lc", "<script>"]` is the script itself.
                if words.len() == 3
                    && matches!(a[0].as_str(), Some("bash" | "sh" | "zsh"))
                    && matches!(a[1].as_str(), Some("-c" | "-lc"))
                {
                    return a[2].as_str().map(str::to_string);
                }
                return Some(words.join(" "));
            }
            _ => {}
        }
    }
    None
}

/// Map a hook's tool call to a policy action. `cwd` is where the agent runs
/// (relative paths are relative to it). Unknown tools and malformed inputs are
/// [`ToolCall::Unknown`], which a person must decide.
pub fn tool_call(tool_name: &str, tool_input: &Value, cwd: &Path) -> ToolCall {
    let unknown = || ToolCall::Unknown {
        tool: tool_name.to_string(),
    };
    match tool_name {
        // Claude Code's Bash; Codex reports its shell as "Bash" too.
        "Bash" | "shell" | "exec_command" | "local_shell" => match command_of(tool_input) {
            Some(command) => {
                let cwd = str_field(tool_input, "workdir")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| cwd.to_path_buf());
                ToolCall::Action(Action::Shell { command, cwd })
            }
            None => unknown(),
        },
        "Read" => match path_of(tool_input, &["file_path", "path"], cwd) {
            Some(path) => ToolCall::Action(Action::Read { path }),
            None => unknown(),
        },
        // Searches read a folder (their own, or the cwd when none is given).
        "Grep" | "Glob" | "LS" => ToolCall::Action(Action::Read {
            path: path_of(tool_input, &["path"], cwd).unwrap_or_else(|| cwd.to_path_buf()),
        }),
        "Write" | "Edit" | "MultiEdit" => match path_of(tool_input, &["file_path"], cwd) {
            Some(path) => ToolCall::Action(Action::Write { path }),
            None => unknown(),
        },
        "NotebookEdit" => match path_of(tool_input, &["notebook_path", "file_path"], cwd) {
            Some(path) => ToolCall::Action(Action::Write { path }),
            None => unknown(),
        },
        "WebFetch" => match str_field(tool_input, "url") {
            Some(url) => ToolCall::Action(Action::Fetch {
                url: url.to_string(),
            }),
            None => unknown(),
        },
        // A search has no URL: it is a fetch from the search provider.
        "WebSearch" => ToolCall::Action(Action::Fetch {
            url: format!("websearch:{}", str_field(tool_input, "query").unwrap_or("")),
        }),
        // The agent's own bookkeeping: no effect outside it. (A subagent's
        // tool calls pass through the hooks themselves.)
        "TodoWrite" | "ExitPlanMode" | "EnterPlanMode" | "BashOutput" | "TaskOutput"
        | "KillShell" | "KillBash" | "Task" | "Agent" => ToolCall::Internal,
        name => match name.strip_prefix("mcp__") {
            Some(rest) => match rest.split_once("__") {
                Some((server, tool)) if !server.is_empty() && !tool.is_empty() => {
                    ToolCall::Action(Action::Mcp {
                        server: server.to_string(),
                        tool: tool.to_string(),
                    })
                }
                _ => unknown(),
            },
            None => unknown(),
        },
    }
}

/// Which agent a hook event came from, as written into its configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentKind {
    Claude,
    Codex,
}

impl AgentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AgentKind::Claude => "claude",
            AgentKind::Codex => "codex",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "claude" => Some(AgentKind::Claude),
            "codex" => Some(AgentKind::Codex),
            _ => None,
        }
    }
}

/// The hook events Paddock registers with both agents, in their own spelling.
pub const HOOK_EVENTS: [&str; 5] = [
    "PreToolUse",
    "PermissionRequest",
    "PostToolUse",
    "UserPromptSubmit",
    "Stop",
];

/// Claude Code reports a tool call that failed (a Bash command with a non-zero
/// exit, a failing test run) as `PostToolUseFailure`, never as `PostToolUse`:
/// without it the log would keep only the successes. Codex has no such event.
pub const CLAUDE_ONLY_HOOK_EVENTS: [&str; 1] = ["PostToolUseFailure"];

/// Every event `paddock hook` answers.
pub fn is_hook_event(event: &str) -> bool {
    HOOK_EVENTS.contains(&event) || CLAUDE_ONLY_HOOK_EVENTS.contains(&event)
}

/// Quote a path for a hook command line (agents run it through `sh -c`).
pub fn quote_for_shell(text: &str) -> String {
    shell_quote(text)
}

/// The `paddock hook` command line an agent runs for every event.
/// The Paddock home is named explicitly, so the hook finds the task's
/// database whatever environment the agent was started in.
pub fn hook_command(
    paddock: &Path,
    home: &Path,
    task: &str,
    agent: AgentKind,
    timeout_secs: u64,
) -> String {
    format!(
        "{} hook --home {} --task {} --agent {} --timeout-secs {}",
        shell_quote(&paddock.to_string_lossy()),
        shell_quote(&home.to_string_lossy()),
        shell_quote(task),
        agent.as_str(),
        timeout_secs
    )
}

/// How long an agent lets the hook run: the approval timeout plus margin, so
/// the agent never kills a hook that is waiting for a person (a killed hook is
/// a non-blocking error, which would let the action through).
pub fn hook_timeout_secs(approval_timeout_secs: u64) -> u64 {
    approval_timeout_secs + 60
}

/// Errors while writing an agent's configuration.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("cannot {doing} {path}: {source}")]
    Io {
        doing: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not valid {format} ({detail}); it was left untouched — fix or move it, then run setup again")]
    Malformed {
        path: PathBuf,
        format: &'static str,
        detail: String,
    },
    #[error("task {task} has no worktree at {path}")]
    NoWorktree { task: String, path: PathBuf },
    #[error(transparent)]
    Telemetry(#[from] crate::otel_receiver::OtelError),
}

/// The note both setups add about where the agent's telemetry goes.
pub(crate) fn telemetry_note(endpoint: &str) -> String {
    format!(
        "the agent's OpenTelemetry goes to {endpoint} (received by the app, `paddock run` or `paddock otel serve`) and joins the task's timeline"
    )
}

pub(crate) fn io_err(
    doing: &'static str,
    path: &Path,
) -> impl FnOnce(std::io::Error) -> SetupError {
    let path = path.to_path_buf();
    move |source| SetupError::Io {
        doing,
        path,
        source,
    }
}

/// Copy `file` (if it exists) to `<backups>/<name>.<timestamp>`; returns the copy's path.
pub(crate) fn backup(file: &Path, backups: &Path) -> Result<Option<PathBuf>, SetupError> {
    if !file.exists() {
        return Ok(None);
    }
    std::fs::create_dir_all(backups).map_err(io_err("create", backups))?;
    let stamp = crate::time::now_rfc3339().replace([':', '.'], "-");
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "config".into());
    let mut target = backups.join(format!("{name}.{stamp}"));
    let mut n = 1;
    while target.exists() {
        target = backups.join(format!("{name}.{stamp}.{n}"));
        n += 1;
    }
    std::fs::copy(file, &target).map_err(io_err("back up", file))?;
    Ok(Some(target))
}

/// Write `text` to `path` atomically (a temp file in the same folder, then rename).
pub(crate) fn write_atomic(path: &Path, text: &str) -> Result<(), SetupError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io_err("create", dir))?;
    let tmp = dir.join(format!(
        ".{}.paddock-tmp",
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    ));
    std::fs::write(&tmp, text).map_err(io_err("write", &tmp))?;
    std::fs::rename(&tmp, path).map_err(io_err("replace", path))
}

/// What setup did, for the person who ran it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SetupReport {
    pub agent: String,
    pub task: String,
    /// The files written.
    pub written: Vec<PathBuf>,
    /// Copies of what was there before.
    pub backups: Vec<PathBuf>,
    /// The exact command to start the agent on the task.
    pub start_command: String,
    /// Things the person should know (a sandbox that cannot start, …).
    pub notes: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn claude_and_codex_tools_map_to_actions() {
        let cwd = Path::new("/w");
        assert_eq!(
            tool_call("Bash", &json!({"command": "ls -la"}), cwd),
            ToolCall::Action(Action::Shell {
                command: "ls -la".into(),
                cwd: "/w".into()
            })
        );
        assert_eq!(
            tool_call("Read", &json!({"file_path": "src/a.rs"}), cwd),
            ToolCall::Action(Action::Read {
                path: "/w/src/a.rs".into()
            })
        );
        assert_eq!(
            tool_call("Grep", &json!({"pattern": "x"}), cwd),
            ToolCall::Action(Action::Read { path: "/w".into() })
        );
        assert_eq!(
            tool_call("MultiEdit", &json!({"file_path": "/etc/passwd"}), cwd),
            ToolCall::Action(Action::Write {
                path: "/etc/passwd".into()
            })
        );
        assert_eq!(
            tool_call("WebFetch", &json!({"url": "https://x.dev/a"}), cwd),
            ToolCall::Action(Action::Fetch {
                url: "https://x.dev/a".into()
            })
        );
        assert_eq!(
            tool_call("mcp__github__create_issue", &json!({}), cwd),
            ToolCall::Action(Action::Mcp {
                server: "github".into(),
                tool: "create_issue".into()
            })
        );
        assert_eq!(
            tool_call(
                "Bash",
                &json!({"command": ["bash", "-lc", "echo hi && ls"]}),
                cwd
            ),
            ToolCall::Action(Action::Shell {
                command: "echo hi && ls".into(),
                cwd: "/w".into()
            })
        );
        assert!(matches!(
            tool_call("SomethingNew", &json!({}), cwd),
            ToolCall::Unknown { .. }
        ));
        assert!(matches!(
            tool_call("Bash", &json!({"nope": 1}), cwd),
            ToolCall::Unknown { .. }
        ));
        assert_eq!(tool_call("TodoWrite", &json!({}), cwd), ToolCall::Internal);
    }
}
