//! The real agents installed under target/agents, and how a test runs
//! Claude Code offline against the scripted model server.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{agents_dir, World};

/// Claude Code's native binary (the npm package's platform build).
pub fn claude_bin() -> Option<PathBuf> {
    let base = agents_dir().join("node_modules");
    [
        base.join("@anthropic-ai/claude-code-linux-x64/claude"),
        base.join("@anthropic-ai/claude-code-linux-arm64/claude"),
    ]
    .into_iter()
    .find(|p| p.is_file())
}

/// The Codex CLI's launcher.
pub fn codex_bin() -> Option<PathBuf> {
    let p = agents_dir().join("node_modules/.bin/codex");
    p.exists().then_some(p)
}

/// `bin`, or `None` after saying the test is skipped because `what` (npm
/// package `package`) is not installed. Under `PADDOCK_REQUIRE_AGENTS` (the
/// test command installs the agents) a missing agent fails the test instead.
pub fn require_or_skip(bin: Option<PathBuf>, what: &str, package: &str) -> Option<PathBuf> {
    if bin.is_none() {
        assert!(
            std::env::var_os("PADDOCK_REQUIRE_AGENTS").is_none(),
            "the test command installs the real agents; {what} is missing"
        );
        eprintln!(
            "SKIPPED: {what} is not installed (npm install --prefix target/agents {package})"
        );
    }
    bin
}

/// Claude Code, or `None` (skipped) when it is not installed.
pub fn claude() -> Option<PathBuf> {
    require_or_skip(claude_bin(), "Claude Code", "@anthropic-ai/claude-code")
}

/// Codex, or `None` (skipped) when it is not installed.
pub fn codex() -> Option<PathBuf> {
    require_or_skip(codex_bin(), "Codex", "@openai/codex")
}

/// Points Claude Code at the scripted model server at `base_url` with a
/// dummy key and its own state in `config`, and turns off its own traffic
/// (Anthropic's telemetry, updates): the run never leaves loopback. The OTel
/// exporter is separate and unaffected.
pub fn claude_offline_env<'c>(
    cmd: &'c mut Command,
    config: &Path,
    base_url: &str,
) -> &'c mut Command {
    cmd.env("CLAUDE_CONFIG_DIR", config)
        .env("ANTHROPIC_BASE_URL", base_url)
        .env("ANTHROPIC_API_KEY", "dummy")
        .env("DISABLE_TELEMETRY", "1")
        .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
        .env("DISABLE_AUTOUPDATER", "1")
}

/// Claude Code run directly (no sandbox) in `dir` with `prompt`, JSON
/// output, against the scripted model server on `model_port`: a clean
/// environment of PATH, HOME (the world's), and the offline settings.
pub fn claude_direct(
    w: &World,
    claude: &Path,
    dir: &Path,
    config: &Path,
    model_port: u16,
    prompt: &str,
) -> Command {
    let mut cmd = Command::new(claude);
    cmd.args(["-p", prompt, "--output-format", "json"])
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", w.home());
    claude_offline_env(&mut cmd, config, &format!("http://127.0.0.1:{model_port}"));
    cmd
}

/// `paddock run --task T -- claude -p "Do the scripted steps." …`: Claude
/// Code in the sandbox, reaching the scripted model server on `model_port`
/// as `model.test` through the task proxy, plus each `(host, port)` of
/// `also` (allowed and mapped to 127.0.0.1). `config` is allowed writable
/// and only ANTHROPIC_API_KEY is kept from the environment.
pub fn claude_in_sandbox(
    w: &World,
    claude: &Path,
    task: &str,
    config: &Path,
    model_port: u16,
    also: &[(&str, u16)],
) -> Command {
    let config_arg = config.to_str().unwrap();
    let claude_arg = claude.to_str().unwrap();
    let mut args = vec!["run", "--task", task, "--allow-host", "model.test"];
    for (host, _) in also {
        args.extend(["--allow-host", host]);
    }
    args.extend([
        "--allow-write",
        config_arg,
        "--keep-env",
        "ANTHROPIC_API_KEY",
        "--",
        claude_arg,
        "-p",
        "Do the scripted steps.",
        "--output-format",
        "json",
    ]);
    let hosts: Vec<String> = std::iter::once(format!("model.test=127.0.0.1:{model_port}"))
        .chain(
            also.iter()
                .map(|(host, port)| format!("{host}=127.0.0.1:{port}")),
        )
        .collect();
    let mut cmd = w.cmd(&args);
    cmd.env("PADDOCK_PROXY_HOSTS", hosts.join(","));
    claude_offline_env(&mut cmd, config, &format!("http://model.test:{model_port}"));
    cmd
}

/// The person's own Codex config (~/.codex/config.toml in the world's HOME)
/// pointing at the scripted Responses server on `model_port`; `paddock agent
/// setup codex` carries it over into the task's CODEX_HOME.
pub fn write_codex_user_config(w: &World, model_port: u16) {
    let user_codex = w.home().join(".codex");
    std::fs::create_dir_all(&user_codex).unwrap();
    std::fs::write(
        user_codex.join("config.toml"),
        format!(
            "model = \"scripted-model\"\nmodel_provider = \"scripted\"\n\n[model_providers.scripted]\nname = \"scripted\"\nbase_url = \"http://127.0.0.1:{model_port}/v1\"\nwire_api = \"responses\"\nenv_key = \"SCRIPTED_API_KEY\"\n"
        ),
    )
    .unwrap();
}

/// `codex exec --json -s workspace-write "Do the scripted steps."` in `dir`
/// with the task's `codex_home` and a clean environment (PATH, the world's
/// HOME, a dummy key). TMPDIR is the world's own: Codex's sandbox helper
/// cannot start when CODEX_HOME lies inside TMPDIR.
pub fn codex_exec(w: &World, codex: &Path, dir: &Path, codex_home: &Path) -> Command {
    let tmp = w.root.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let mut cmd = Command::new(codex);
    cmd.args([
        "exec",
        "--json",
        "-s",
        "workspace-write",
        "Do the scripted steps.",
    ])
    .current_dir(dir)
    .env_clear()
    .env("PATH", std::env::var_os("PATH").unwrap_or_default())
    .env("HOME", w.home())
    .env("CODEX_HOME", codex_home)
    .env("TMPDIR", &tmp)
    .env("SCRIPTED_API_KEY", "dummy");
    cmd
}
