//! `paddock run --task T -- <agent command>`: run a command confined to its
//! task (bubblewrap), with the task's proxy as its only way out. The proxy is
//! served from this process, so the CLI works headless; so are the agent's
//! hooks (`paddock hook` inside forwards to a unix socket of this process,
//! see [`paddock_engine::hook_socket`]). When the sandbox
//! cannot be set up, nothing runs (fail closed); `--unconfined` runs anyway,
//! and that is logged.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};

use anyhow::{bail, Context};
use paddock_engine::audit::{self, Actor, NewEvent};
use paddock_engine::hook_socket::{HookServer, HookServerConfig};
use paddock_engine::network::presets;
use paddock_engine::network::registries::{self, Sources};
use paddock_engine::network::{
    HostMap, NetworkRules, ProxyHandle, ProxyListen, ProxySettings, TaskIdentity,
};
use paddock_engine::otel_receiver::{self, OtelListen, OtelReceiver, OtelSettings};
use paddock_engine::policy::Policy;
use paddock_engine::sandbox::{self, SandboxSpec};
use paddock_engine::task::{self, Task};
use paddock_engine::{approvals, network_view, redact, PaddockHome, Store};

/// Which network presets a run turns on (shared with `paddock network`).
#[derive(clap::Args, Clone, Debug)]
pub struct NetworkChoiceArgs {
    /// The task changes packages: allow the registries your package managers
    /// are configured to use (npm, pip, cargo, go, maven, gem).
    #[arg(long)]
    pub packages: bool,
    /// Allow the documentation sites preset.
    #[arg(long)]
    pub docs: bool,
    /// Do not allow localhost through the proxy.
    #[arg(long)]
    pub no_localhost: bool,
    /// Allow a host for this run (`example.com` or `*.example.com`; repeatable).
    #[arg(long = "allow-host", value_name = "HOST")]
    pub allow_host: Vec<String>,
    /// Deny a host for this run (repeatable).
    #[arg(long = "deny-host", value_name = "HOST")]
    pub deny_host: Vec<String>,
}

#[derive(clap::Args)]
pub struct RunArgs {
    /// The task whose worktree the command works in.
    #[arg(long)]
    task: String,
    /// Run without the sandbox (the proxy variables are still set). Logged.
    #[arg(long)]
    unconfined: bool,
    #[command(flatten)]
    network: NetworkChoiceArgs,
    /// Also let the command write here (repeatable; logged).
    #[arg(long = "allow-write", value_name = "PATH")]
    allow_write: Vec<PathBuf>,
    /// Keep this environment variable even though it looks like a token
    /// (e.g. the agent's own API key; repeatable; logged by name).
    #[arg(long = "keep-env", value_name = "NAME")]
    keep_env: Vec<String>,
    /// The command and its arguments, after `--`.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    command: Vec<OsString>,
}

/// The network rules for `task`: what the person chose for it in the app
/// (presets and host rules, stored in the audit log), with this run's flags on
/// top. Flags only add: `--no-localhost` is the one that narrows.
pub fn task_rules(
    home: &PaddockHome,
    store: &Store,
    task: &Task,
    flags: &NetworkChoiceArgs,
) -> anyhow::Result<NetworkRules> {
    let repo = PathBuf::from(&task.repo);
    let policy = Policy::load(Some(&repo), home)
        .context("reading the policy files (nothing runs until they parse)")?;
    let stored =
        network_view::settings(store, &task.id).context("reading the task's network settings")?;
    let mut preset = network_view::choice(&stored, task.agent.as_str());
    preset.localhost = preset.localhost && !flags.no_localhost;
    preset.packages |= flags.packages;
    preset.docs |= flags.docs;
    preset.extra_allow.extend(flags.allow_host.iter().cloned());
    preset.extra_deny.extend(flags.deny_host.iter().cloned());
    let found = if preset.packages {
        registries::discover(&Sources::from_machine(Some(repo)))
    } else {
        Vec::new()
    };
    let env = |k: &str| std::env::var(k).ok();
    Ok(presets::build(&preset, &policy, &found, &env))
}

fn record(store: &mut Store, task: &str, kind: &str, reason: String, payload: serde_json::Value) {
    let ev = NewEvent::new(kind, Actor::Paddock, reason)
        .payload(payload)
        .task(task);
    if let Err(e) = audit::record(store, ev) {
        eprintln!("paddock: warning: could not log {kind}: {e}");
    }
}

fn command_text(cmd: &[OsString]) -> String {
    redact::redact(
        &cmd.iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" "),
    )
}

fn exit_code(status: std::process::ExitStatus) -> (ExitCode, i32) {
    use std::os::unix::process::ExitStatusExt;
    let code = status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
    (ExitCode::from(code.clamp(0, 255) as u8), code)
}

pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let home = PaddockHome::locate()?;
    let mut store = Store::open_home(&home)?;
    let task = task::get(&store, &args.task)?;
    let worktree = PathBuf::from(&task.worktree);
    let rules = task_rules(&home, &store, &task, &args.network)?;
    let hosts = HostMap::from_env().map_err(anyhow::Error::msg)?;

    let run_dir = home
        .root()
        .join("run")
        .join(format!("{}-{}", task.id, std::process::id()));
    std::fs::create_dir_all(&run_dir).with_context(|| format!("creating {}", run_dir.display()))?;
    let socket = run_dir.join("proxy.sock");
    let proxy = ProxyHandle::start(
        ProxySettings {
            database: home.database(),
            approval_timeout: approvals::configured_timeout(),
            hosts,
            block_host_loopback: !args.unconfined,
        },
        TaskIdentity {
            task: Some(task.id.clone()),
            project: Some(task.repo.clone()),
            agent: Some(task.agent.as_str().to_string()),
        },
        rules,
        &[
            ProxyListen::Unix(socket.clone()),
            ProxyListen::Tcp(([127, 0, 0, 1], 0).into()),
        ],
    )
    .context("starting the task's proxy")?;
    // Telemetry: whoever holds the port serves every task (they share the
    // store); if another Paddock holds it, that one takes this run's too.
    let otel_port = otel_receiver::configured_port()?;
    let host_receiver = OtelReceiver::start(
        OtelSettings {
            database: home.database(),
            only_task: None,
        },
        &[OtelListen::Tcp(([127, 0, 0, 1], otel_port).into())],
    )
    .ok();
    let result = run_with_proxy(
        &args, &home, &mut store, &task, &worktree, &run_dir, &socket, &proxy, otel_port,
    );
    if let Some(r) = host_receiver {
        r.stop();
    }
    proxy.stop();
    cleanup(&run_dir);
    result
}

fn cleanup(run_dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(
        run_dir.join("hidden-dir"),
        std::fs::Permissions::from_mode(0o755),
    );
    let _ = std::fs::remove_dir_all(run_dir);
}

#[allow(clippy::too_many_arguments)]
fn run_with_proxy(
    args: &RunArgs,
    home: &PaddockHome,
    store: &mut Store,
    task: &Task,
    worktree: &Path,
    run_dir: &Path,
    socket: &Path,
    proxy: &ProxyHandle,
    otel_port: u16,
) -> anyhow::Result<ExitCode> {
    let cmd_text = command_text(&args.command);
    if args.unconfined {
        let Some(addr) = proxy.tcp_addr() else {
            bail!("the proxy has no TCP listener");
        };
        record(
            store,
            &task.id,
            "sandbox.unconfined",
            format!("ran WITHOUT the sandbox because --unconfined was given: {cmd_text}"),
            serde_json::json!({"command": cmd_text, "proxy": addr.to_string()}),
        );
        eprintln!("paddock: warning: running unconfined (logged); only proxy-aware tools go through the proxy");
        let url = format!("http://{addr}");
        let mut c = std::process::Command::new(&args.command[0]);
        c.args(&args.command[1..]).current_dir(worktree);
        for k in [
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
            "http_proxy",
            "https_proxy",
            "all_proxy",
        ] {
            c.env(k, &url);
        }
        c.env("PADDOCK_TASK", &task.id);
        let status = c
            .status()
            .with_context(|| format!("running {}", args.command[0].to_string_lossy()))?;
        let (code, raw) = exit_code(status);
        record(
            store,
            &task.id,
            "sandbox.exited",
            format!("the unconfined command exited with {raw}"),
            serde_json::json!({"exit_code": raw, "confined": false}),
        );
        return Ok(code);
    }

    // The agent's hooks are answered here, outside the sandbox: inside, the
    // database is read-only (and must stay so, or the agent could write its
    // own approvals).
    let hook_server = HookServer::start(
        &run_dir.join("hook.sock"),
        HookServerConfig {
            task: task.id.clone(),
            home: home.root().to_path_buf(),
        },
    )
    .context("starting the hook socket")?;
    // The sandboxed agent's telemetry: its own receiver on a unix socket,
    // bridged to 127.0.0.1:<otel port> inside, taking this task's paths only.
    let telemetry = OtelReceiver::start(
        OtelSettings {
            database: home.database(),
            only_task: Some(task.id.clone()),
        },
        &[OtelListen::Unix(run_dir.join("otel.sock"))],
    )
    .context("starting the telemetry receiver")?;
    let bwrap = match sandbox::check_available() {
        Ok(b) => b,
        Err(e) => {
            record(
                store,
                &task.id,
                "sandbox.refused",
                format!("refused to run `{cmd_text}`: {e}"),
                serde_json::json!({"command": cmd_text, "error": e.to_string()}),
            );
            bail!("cannot confine the command: {e}. Nothing was run; pass --unconfined to run it anyway (logged)");
        }
    };
    let spec = SandboxSpec {
        worktree: worktree.to_path_buf(),
        repo: PathBuf::from(&task.repo),
        home: std::env::var_os("HOME")
            .map(PathBuf::from)
            .context("HOME is not set; the sandbox needs it to hide the secrets in it")?,
        extra_writable: args.allow_write.clone(),
        run_dir: run_dir.to_path_buf(),
        proxy_socket: socket.to_path_buf(),
        hook_socket: Some(hook_server.path().to_path_buf()),
        telemetry: telemetry
            .unix_path()
            .map(|socket| sandbox::TelemetryBridge {
                socket: socket.to_path_buf(),
                port: otel_port,
            }),
        paddock_exe: std::env::current_exe().context("locating the paddock binary")?,
        env: std::env::vars().collect(),
        keep_env: args.keep_env.clone(),
        // The secrets store is not built yet; its values will be passed here.
        secret_values: Vec::new(),
        task: task.id.clone(),
        command: args.command.clone(),
    };
    let plan = match sandbox::plan(&spec, bwrap) {
        Ok(p) => p,
        Err(e) => {
            record(
                store,
                &task.id,
                "sandbox.refused",
                format!("refused to run `{cmd_text}`: {e}"),
                serde_json::json!({"command": cmd_text, "error": e.to_string()}),
            );
            bail!("cannot confine the command: {e}. Nothing was run");
        }
    };
    let mut summary = plan.summary();
    summary["command"] = cmd_text.clone().into();
    summary["kept_env"] = serde_json::json!(args.keep_env);
    record(
        store,
        &task.id,
        "sandbox.started",
        format!(
            "confined `{cmd_text}`: writes only to the worktree and a private tmp, {} secret path(s) hidden, network only through the task proxy",
            plan.hidden.len()
        ),
        summary,
    );
    let mut child = plan
        .command()
        .stdin(Stdio::inherit())
        .stdout(Stdio::inherit())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting bubblewrap")?;
    let stderr = child.stderr.take();
    let hidden = plan.hidden.clone();
    let writable = plan.writable.clone();
    let db = home.database();
    let task_id = task.id.clone();
    let watcher = std::thread::spawn(move || {
        let Some(stderr) = stderr else { return };
        let mut out = std::io::stderr();
        let mut log_store = Store::open(&db).ok();
        for line in BufReader::new(stderr).split(b'\n') {
            let Ok(line) = line else { break };
            let _ = out.write_all(&line);
            let _ = out.write_all(b"\n");
            let text = String::from_utf8_lossy(&line);
            if let (Some(b), Some(st)) = (
                sandbox::watch::classify(&text, &hidden, &writable),
                log_store.as_mut(),
            ) {
                let kind = match b.kind {
                    sandbox::watch::Blocked::Read => "sandbox.read_blocked",
                    sandbox::watch::Blocked::Write => "sandbox.write_blocked",
                };
                let reason = match b.kind {
                    sandbox::watch::Blocked::Read => format!(
                        "the sandbox hid {} from the command (a secret path)",
                        b.path.display()
                    ),
                    sandbox::watch::Blocked::Write => format!(
                        "the sandbox refused a write to {} (outside the worktree and private tmp)",
                        b.path.display()
                    ),
                };
                record(
                    st,
                    &task_id,
                    kind,
                    reason,
                    serde_json::to_value(&b).unwrap_or_default(),
                );
            }
        }
    });
    let status = child.wait().context("waiting for the confined command")?;
    let _ = watcher.join();
    hook_server.stop();
    telemetry.stop();
    let (code, raw) = exit_code(status);
    record(
        store,
        &task.id,
        "sandbox.exited",
        format!("the confined command exited with {raw}"),
        serde_json::json!({"exit_code": raw, "confined": true}),
    );
    Ok(code)
}

/// `paddock __sandbox-init`: inside the sandbox, start the bridge to the
/// proxy, then run the command and return its exit code.
#[derive(clap::Args)]
pub struct SandboxInitArgs {
    #[arg(long)]
    socket: PathBuf,
    #[arg(long)]
    port: u16,
    /// The run's telemetry receiver (a unix socket outside the sandbox).
    #[arg(long, requires = "otel_port")]
    otel_socket: Option<PathBuf>,
    /// The port the agents' OTLP exporters send to inside the sandbox.
    #[arg(long, requires = "otel_socket")]
    otel_port: Option<u16>,
    #[arg(last = true, required = true)]
    command: Vec<OsString>,
}

pub fn sandbox_init(args: SandboxInitArgs) -> anyhow::Result<ExitCode> {
    let listener = sandbox::bridge::bind(args.port)
        .with_context(|| format!("starting the proxy bridge on 127.0.0.1:{}", args.port))?;
    let socket = args.socket.clone();
    std::thread::spawn(move || sandbox::bridge::serve(listener, socket));
    if let (Some(socket), Some(port)) = (args.otel_socket.clone(), args.otel_port) {
        let listener = sandbox::bridge::bind(port)
            .with_context(|| format!("starting the telemetry bridge on 127.0.0.1:{port}"))?;
        std::thread::spawn(move || sandbox::bridge::serve(listener, socket));
    }
    let status = std::process::Command::new(&args.command[0])
        .args(&args.command[1..])
        .status()
        .with_context(|| format!("running {}", args.command[0].to_string_lossy()))?;
    Ok(exit_code(status).0)
}
