//! Run a process confined (Linux: bubblewrap).
//!
//! The promises, and how each is kept:
//! * **Writes** land only in the task's worktree (plus the worktree's own git
//!   metadata, so the agent can commit on its branch) and a private tmp
//!   (`$TMPDIR`, a folder of this run). The rest of the filesystem is bound
//!   read-only; `/tmp` is an empty read-only tmpfs (the host's `/tmp` is not
//!   visible). The user's checkout is read-only.
//! * **Secrets** are unreadable: `~/.ssh`, `~/.aws`, `~/.config/gcloud`,
//!   `~/.netrc`, `~/.docker/config.json`, registry credentials (`~/.npmrc`,
//!   `~/.pypirc`, cargo/gem/maven/gradle credentials, …) and every `.env*`
//!   file of the repository and the worktree are covered: folders by an empty
//!   read-only folder, files by an unreadable one (all capabilities are
//!   dropped, so even root inside cannot read it).
//! * **D-Bus**: the session bus socket, `$XDG_RUNTIME_DIR` (keyring, agent
//!   sockets) and the system bus are covered; abstract sockets are unreachable
//!   from the new network namespace.
//! * **Network**: a new network namespace with only loopback. Inside it,
//!   `paddock __sandbox-init` runs a tiny bridge on `127.0.0.1:<port>` that
//!   forwards each connection over a unix socket to the task's proxy outside.
//!   `HTTP_PROXY`/`HTTPS_PROXY`/`ALL_PROXY` point at the bridge; a direct
//!   connection has no route, and there is no DNS (the proxy resolves names).
//! * **Environment**: scrubbed of tokens and of every value the secrets store
//!   holds (see [`env`]).
//!
//! When any of this cannot be set up, [`check_available`] says why and the
//! caller refuses to run (fail closed).

pub mod bridge;
pub mod env;
pub mod watch;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Overrides the bubblewrap binary (tests use it to simulate a missing one).
pub const BWRAP_ENV: &str = "PADDOCK_BWRAP";

/// The port the bridge listens on inside the sandbox's own network namespace.
pub const BRIDGE_PORT: u16 = 3128;

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("bubblewrap (bwrap) was not found{0}; install the `bubblewrap` package")]
    NoBwrap(String),
    #[error("bubblewrap cannot create the sandbox on this machine: {0}")]
    Unusable(String),
    #[error("cannot prepare the sandbox: {what}: {source}")]
    Prepare {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the task's worktree {0} does not exist")]
    NoWorktree(PathBuf),
    #[error("no command to run")]
    NoCommand,
    #[error("the telemetry port {0} is the proxy bridge's port inside the sandbox; set PADDOCK_OTEL_PORT to another port")]
    TelemetryPortClash(u16),
}

/// The telemetry bridge: inside the sandbox, `127.0.0.1:<port>` carries each
/// connection to `socket`, where the run's OpenTelemetry receiver listens
/// (see [`crate::otel_receiver`]), so the agent's exporter reaches Paddock
/// without going through the proxy.
#[derive(Debug, Clone)]
pub struct TelemetryBridge {
    pub socket: PathBuf,
    pub port: u16,
}

fn prep(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> SandboxError {
    let what = what.into();
    move |source| SandboxError::Prepare { what, source }
}

/// What to confine, and where.
#[derive(Debug, Clone)]
pub struct SandboxSpec {
    /// The task's worktree: writable, and the working directory.
    pub worktree: PathBuf,
    /// The user's own checkout: read-only.
    pub repo: PathBuf,
    /// The user's HOME (secret folders in it are covered).
    pub home: PathBuf,
    /// More writable paths the person allowed explicitly (logged by the caller).
    pub extra_writable: Vec<PathBuf>,
    /// A folder private to this run (proxy socket, private tmp, masks).
    pub run_dir: PathBuf,
    /// The task proxy's unix socket (bound into the sandbox).
    pub proxy_socket: PathBuf,
    /// The run's hook socket ([`crate::hook_socket`]): bound into the sandbox
    /// at the same path and named by `PADDOCK_HOOK_SOCKET`, so the agent's
    /// hooks are answered outside, where the database is writable.
    pub hook_socket: Option<PathBuf>,
    /// The agent's telemetry way out (none: the agent's exporter finds nothing).
    pub telemetry: Option<TelemetryBridge>,
    /// The `paddock` executable (runs the bridge inside).
    pub paddock_exe: PathBuf,
    /// The environment to start from (normally this process's).
    pub env: Vec<(String, String)>,
    /// Variables the person chose to keep even though they look secret.
    pub keep_env: Vec<String>,
    /// Values held by the secrets store: any variable containing one is removed.
    pub secret_values: Vec<String>,
    /// The task id (exported as `PADDOCK_TASK`).
    pub task: String,
    pub command: Vec<OsString>,
}

/// The confinement as planned: the bubblewrap arguments and what they promise.
#[derive(Debug, Clone)]
pub struct Confinement {
    pub bwrap: PathBuf,
    pub args: Vec<OsString>,
    pub env: Vec<(String, String)>,
    /// Writable paths (worktree, git metadata, private tmp, extras).
    pub writable: Vec<PathBuf>,
    /// Paths covered so they cannot be read.
    pub hidden: Vec<PathBuf>,
    /// Names of the variables removed from the environment (never their values).
    pub removed_env: Vec<String>,
    pub private_tmp: PathBuf,
    /// The loopback port inside that carries telemetry to Paddock, if any.
    pub telemetry_port: Option<u16>,
}

impl Confinement {
    /// The command that starts the confined process.
    pub fn command(&self) -> Command {
        let mut c = Command::new(&self.bwrap);
        c.args(&self.args)
            .env_clear()
            .envs(self.env.iter().cloned());
        c
    }

    /// A short summary for the log.
    pub fn summary(&self) -> serde_json::Value {
        serde_json::json!({
            "mechanism": "bubblewrap",
            "writable": self.writable,
            "hidden": self.hidden,
            "removed_env": self.removed_env,
            "network": format!("own namespace; only the task proxy via 127.0.0.1:{BRIDGE_PORT}"),
            "private_tmp": self.private_tmp,
            "telemetry": self.telemetry_port.map(|p| format!("127.0.0.1:{p} carries OpenTelemetry to Paddock's receiver")),
        })
    }
}

/// The bubblewrap binary to use.
pub fn find_bwrap() -> Result<PathBuf, SandboxError> {
    if let Some(p) = std::env::var_os(BWRAP_ENV).filter(|v| !v.is_empty()) {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(SandboxError::NoBwrap(format!(
                " at {} (from {BWRAP_ENV})",
                p.display()
            )))
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join("bwrap"))
        .find(|p| p.is_file())
        .ok_or_else(|| SandboxError::NoBwrap(" on PATH".into()))
}

/// Can a sandbox with every namespace we need be created here? Runs `true` in one.
pub fn check_available() -> Result<PathBuf, SandboxError> {
    let bwrap = find_bwrap()?;
    let out = Command::new(&bwrap)
        .args([
            "--ro-bind",
            "/",
            "/",
            "--dev",
            "/dev",
            "--proc",
            "/proc",
            "--tmpfs",
            "/tmp",
            "--unshare-net",
            "--unshare-pid",
            "--unshare-ipc",
            "--unshare-uts",
            "--die-with-parent",
            "--cap-drop",
            "ALL",
            "--",
            "true",
        ])
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .output()
        .map_err(|e| SandboxError::Unusable(format!("{}: {e}", bwrap.display())))?;
    if out.status.success() {
        Ok(bwrap)
    } else {
        Err(SandboxError::Unusable(
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        ))
    }
}

/// Secret-bearing paths under HOME, relative to it.
pub const HOME_SECRETS: &[&str] = &[
    ".ssh",
    ".aws",
    ".azure",
    ".config/gcloud",
    ".kube",
    ".gnupg",
    ".netrc",
    ".git-credentials",
    ".config/git/credentials",
    ".config/gh",
    ".config/hub",
    ".docker/config.json",
    ".npmrc",
    ".yarnrc",
    ".yarnrc.yml",
    ".pypirc",
    ".config/pip/pip.conf",
    ".cargo/credentials",
    ".cargo/credentials.toml",
    ".gem/credentials",
    ".m2/settings.xml",
    ".m2/settings-security.xml",
    ".gradle/gradle.properties",
    ".composer/auth.json",
    ".terraform.d/credentials.tfrc.json",
    ".vault-token",
    ".password-store",
    ".local/share/keyrings",
];

/// `.env`, `.env.local`, `.envrc`, … under `root` (not inside `.git`,
/// `node_modules`, `target`), at most a few levels deep.
pub fn env_files(root: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let name = e.file_name();
            let name = name.to_string_lossy();
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                if depth > 0
                    && !matches!(
                        name.as_ref(),
                        ".git" | "node_modules" | "target" | "vendor" | ".venv"
                    )
                {
                    walk(&e.path(), depth - 1, out);
                }
            } else if name.starts_with(".env") {
                out.push(e.path());
            }
        }
    }
    let mut out = Vec::new();
    walk(root, 4, &mut out);
    out.sort();
    out
}

/// Unix socket paths named by a D-Bus address (`unix:path=…;unix:abstract=…`).
pub fn dbus_socket_paths(address: &str) -> Vec<PathBuf> {
    address
        .split(';')
        .filter_map(|a| a.strip_prefix("unix:"))
        .flat_map(|kv| kv.split(','))
        .filter_map(|kv| kv.strip_prefix("path="))
        .map(PathBuf::from)
        .collect()
}

/// The worktree's git metadata the agent needs to commit on its own branch:
/// the worktree's private git dir, the shared object store, and the folder
/// of its branch's ref.
fn git_writable(worktree: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(text) = std::fs::read_to_string(worktree.join(".git")) else {
        return out;
    };
    let Some(gitdir) = text.trim().strip_prefix("gitdir:") else {
        return out;
    };
    let gitdir = PathBuf::from(gitdir.trim());
    let common = std::fs::read_to_string(gitdir.join("commondir"))
        .ok()
        .map(|c| {
            let c = PathBuf::from(c.trim());
            if c.is_absolute() {
                c
            } else {
                gitdir.join(c)
            }
        });
    out.push(gitdir.clone());
    if let Some(common) = common.and_then(|c| c.canonicalize().ok()) {
        let branch = std::fs::read_to_string(gitdir.join("HEAD"))
            .ok()
            .and_then(|h| h.trim().strip_prefix("ref: ").map(str::to_string));
        out.push(common.join("objects"));
        if let Some(b) = branch {
            if let Some(parent) = Path::new(&b).parent() {
                out.push(common.join(parent));
                out.push(common.join("logs").join(parent));
            }
        }
    }
    out.into_iter().filter(|p| p.exists()).collect()
}

fn canon(p: &Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(|_| p.to_path_buf())
}

fn push(args: &mut Vec<OsString>, items: &[&dyn AsRef<std::ffi::OsStr>]) {
    for i in items {
        args.push(i.as_ref().to_os_string());
    }
}

/// Plan the confinement for `spec` (creates the run folder's private tmp and masks).
/// The folder holding the program the run starts (resolved through `PATH`
/// like the shell would), so an agent installed under a folder the sandbox
/// hides (`/tmp` is an empty tmpfs inside) can still start, read-only. A
/// program directly in `/`, `/tmp` or the worktree needs nothing extra: the
/// folder itself is never exposed then.
fn agent_program_dir(program: &OsString, env: &[(String, String)], cwd: &Path) -> Option<PathBuf> {
    let program = Path::new(program);
    let found = if program.components().count() > 1 {
        Some(cwd.join(program))
    } else {
        let path = env
            .iter()
            .find(|(k, _)| k == "PATH")
            .map(|(_, v)| v.as_str())?;
        std::env::split_paths(path)
            .map(|d| d.join(program))
            .find(|p| p.is_file())
    }?;
    let dir = std::fs::canonicalize(found).ok()?.parent()?.to_path_buf();
    let too_wide = dir == Path::new("/") || dir == Path::new("/tmp") || dir.starts_with(cwd);
    (!too_wide).then_some(dir)
}

pub fn plan(spec: &SandboxSpec, bwrap: PathBuf) -> Result<Confinement, SandboxError> {
    if spec.command.is_empty() {
        return Err(SandboxError::NoCommand);
    }
    if !spec.worktree.is_dir() {
        return Err(SandboxError::NoWorktree(spec.worktree.clone()));
    }
    let worktree = canon(&spec.worktree);
    let repo = canon(&spec.repo);
    let home = canon(&spec.home);
    let run_dir = canon(&spec.run_dir);
    let private_tmp = run_dir.join("tmp");
    std::fs::create_dir_all(&private_tmp).map_err(prep("the private tmp"))?;
    let empty_dir = run_dir.join("hidden-dir");
    std::fs::create_dir_all(&empty_dir).map_err(prep("the cover folder"))?;
    let hidden_file = run_dir.join("hidden-file");
    std::fs::write(&hidden_file, b"").map_err(prep("the cover file"))?;
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hidden_file, std::fs::Permissions::from_mode(0o000))
            .map_err(prep("the cover file's mode"))?;
        std::fs::set_permissions(&empty_dir, std::fs::Permissions::from_mode(0o555))
            .map_err(prep("the cover folder's mode"))?;
    }
    let exe = canon(&spec.paddock_exe);
    let agent = agent_program_dir(&spec.command[0], &spec.env, &worktree);

    let mut a: Vec<OsString> = Vec::new();
    push(
        &mut a,
        &[
            &"--ro-bind",
            &"/",
            &"/",
            &"--dev",
            &"/dev",
            &"--proc",
            &"/proc",
        ],
    );
    push(&mut a, &[&"--tmpfs", &"/tmp"]);
    // Read-only views of what the run needs (they may live under /tmp).
    for p in [Some(&home), Some(&repo), Some(&exe), agent.as_ref()]
        .into_iter()
        .flatten()
    {
        if p.exists() {
            push(&mut a, &[&"--ro-bind", p, p]);
        }
    }
    // Writable: worktree, its git metadata, extras, private tmp, the proxy socket.
    let mut writable = vec![worktree.clone()];
    writable.extend(git_writable(&worktree));
    for p in &spec.extra_writable {
        writable.push(canon(p));
    }
    writable.push(private_tmp.clone());
    for p in &writable {
        push(&mut a, &[&"--bind", p, p]);
    }
    let sock = spec.proxy_socket.clone();
    push(&mut a, &[&"--bind", &sock, &sock]);
    if let Some(h) = &spec.hook_socket {
        push(&mut a, &[&"--bind", h, h]);
    }
    if let Some(t) = &spec.telemetry {
        if t.port == BRIDGE_PORT {
            return Err(SandboxError::TelemetryPortClash(t.port));
        }
        push(&mut a, &[&"--bind", &t.socket, &t.socket]);
    }

    // Covers: secret paths, the repo's and worktree's .env files, D-Bus and agent sockets.
    let mut hidden: Vec<PathBuf> = HOME_SECRETS.iter().map(|r| home.join(r)).collect();
    hidden.extend(env_files(&repo));
    hidden.extend(env_files(&worktree));
    let getenv = |k: &str| {
        spec.env
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
    };
    if let Some(addr) = getenv("DBUS_SESSION_BUS_ADDRESS") {
        hidden.extend(dbus_socket_paths(&addr));
    }
    for k in ["XDG_RUNTIME_DIR", "SSH_AUTH_SOCK", "GNUPGHOME"] {
        if let Some(v) = getenv(k).filter(|v| !v.is_empty()) {
            hidden.push(PathBuf::from(v));
        }
    }
    for p in [
        "/run/user",
        "/run/dbus",
        "/var/run/dbus",
        "/run/docker.sock",
        "/var/run/docker.sock",
        "/run/podman",
    ] {
        hidden.push(PathBuf::from(p));
    }
    let mut covered = Vec::new();
    for p in hidden {
        let Ok(meta) = std::fs::metadata(&p) else {
            continue;
        };
        let p = canon(&p);
        if covered.contains(&p) {
            continue;
        }
        let cover = if meta.is_dir() {
            &empty_dir
        } else {
            &hidden_file
        };
        push(&mut a, &[&"--ro-bind", cover, &p]);
        covered.push(p);
    }
    push(&mut a, &[&"--remount-ro", &"/tmp"]);
    push(
        &mut a,
        &[
            &"--unshare-net",
            &"--unshare-pid",
            &"--unshare-ipc",
            &"--unshare-uts",
            &"--unshare-cgroup-try",
            &"--hostname",
            &"paddock-sandbox",
            &"--die-with-parent",
            &"--cap-drop",
            &"ALL",
            &"--chdir",
            &worktree,
        ],
    );
    a.push("--".into());
    a.push(exe.into_os_string());
    a.push("__sandbox-init".into());
    a.push("--socket".into());
    a.push(sock.clone().into_os_string());
    a.push("--port".into());
    a.push(BRIDGE_PORT.to_string().into());
    if let Some(t) = &spec.telemetry {
        a.push("--otel-socket".into());
        a.push(t.socket.clone().into_os_string());
        a.push("--otel-port".into());
        a.push(t.port.to_string().into());
    }
    a.push("--".into());
    // A path to the program is passed resolved: a spelling through folders the
    // sandbox hides (`/tmp/x/a/../bin/agent`) would not resolve inside it.
    let program = Path::new(&spec.command[0]);
    match std::fs::canonicalize(worktree.join(program)) {
        Ok(resolved) if program.components().count() > 1 => a.push(resolved.into_os_string()),
        _ => a.push(spec.command[0].clone()),
    }
    a.extend(spec.command.iter().skip(1).cloned());

    let scrubbed = env::scrub(&spec.env, &spec.keep_env, &spec.secret_values);
    let mut vars = scrubbed.kept;
    let proxy = format!("http://127.0.0.1:{BRIDGE_PORT}");
    for k in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ] {
        vars.push((k.into(), proxy.clone()));
    }
    for k in ["NO_PROXY", "no_proxy"] {
        vars.push((k.into(), "localhost,127.0.0.1,::1".into()));
    }
    vars.push(("TMPDIR".into(), private_tmp.display().to_string()));
    vars.push(("PADDOCK_TASK".into(), spec.task.clone()));
    vars.push(("PADDOCK_SANDBOX".into(), "bubblewrap".into()));
    vars.retain(|(k, _)| k != crate::hook_socket::SOCKET_ENV);
    if let Some(h) = &spec.hook_socket {
        vars.push((
            crate::hook_socket::SOCKET_ENV.into(),
            h.display().to_string(),
        ));
    }
    Ok(Confinement {
        bwrap,
        args: a,
        env: vars,
        writable,
        hidden: covered,
        removed_env: scrubbed.removed,
        private_tmp,
        telemetry_port: spec.telemetry.as_ref().map(|t| t.port),
    })
}
