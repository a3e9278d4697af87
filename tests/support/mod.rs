//! A private desktop for end-to-end tests: Xvfb, a D-Bus session bus, the
//! GNOME keyring (Secret Service), a notification daemon (dunst) and
//! tauri-driver, each in its own process group, all under temp HOME/XDG dirs.
//! Everything started here ends when the session is dropped, and `finish`
//! proves it: no process carrying this session's marker may outlive it.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub mod ui;

pub const MARKER_ENV: &str = "PADDOCK_E2E_MARKER";

pub struct DesktopSession {
    pub root: tempfile::TempDir,
    pub env: HashMap<String, String>,
    pub display: String,
    pub driver_port: u16,
    marker: String,
    children: Vec<(String, Child)>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn wait_until(what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn find_program(name: &str) -> PathBuf {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        dirs.push(PathBuf::from(home).join("bin"));
    }
    dirs.push(PathBuf::from("/root/.cargo/bin"));
    dirs.push(PathBuf::from("/usr/local/cargo/bin"));
    dirs.into_iter()
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{name} is not installed (the test command installs it)"))
}

impl DesktopSession {
    pub fn start() -> Self {
        let root = tempfile::Builder::new()
            .prefix("paddock-e2e-")
            .tempdir()
            .expect("tempdir");
        let marker = format!("{}-{}", std::process::id(), root.path().display());
        let mut env = HashMap::new();
        for (k, sub) in [
            ("HOME", "home"),
            ("XDG_RUNTIME_DIR", "runtime"),
            ("XDG_CACHE_HOME", "cache"),
            ("XDG_CONFIG_HOME", "config"),
            ("XDG_DATA_HOME", "data"),
            ("PADDOCK_HOME", "paddock"),
        ] {
            let p = root.path().join(sub);
            std::fs::create_dir_all(&p).expect("temp dir");
            env.insert(k.to_string(), p.display().to_string());
        }
        std::fs::set_permissions(
            root.path().join("runtime"),
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .expect("chmod runtime dir");
        env.insert(MARKER_ENV.into(), marker.clone());
        // No portals, no accessibility bus, no GPU: a quiet, self-contained desktop.
        env.insert("GTK_USE_PORTAL".into(), "0".into());
        env.insert("NO_AT_BRIDGE".into(), "1".into());
        env.insert("LIBGL_ALWAYS_SOFTWARE".into(), "1".into());

        let mut s = DesktopSession {
            root,
            env,
            display: String::new(),
            driver_port: 0,
            marker,
            children: Vec::new(),
        };
        s.start_xvfb();
        s.start_dbus();
        s.start_keyring();
        s.start_dunst();
        s
    }

    pub fn path(&self, key: &str) -> PathBuf {
        PathBuf::from(&self.env[key])
    }

    /// A command that runs inside this desktop (its env, its own process group).
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new(program);
        c.env_clear();
        c.env(
            "PATH",
            std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into()),
        );
        c.envs(&self.env);
        c.process_group(0);
        c
    }

    fn spawn(&mut self, name: &str, mut cmd: Command) -> &mut Child {
        let log =
            std::fs::File::create(self.root.path().join(format!("{name}.log"))).expect("log file");
        if cmd.get_program() != "dbus-daemon" {
            cmd.stdout(log.try_clone().expect("log"));
        }
        cmd.stderr(log);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        self.children.push((name.to_string(), child));
        &mut self.children.last_mut().expect("just pushed").1
    }

    pub fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.root.path().join(format!("{name}.log"))).unwrap_or_default()
    }

    fn start_xvfb(&mut self) {
        // Pick a display nobody holds: its lock file is the X server's own claim.
        let n = (100..400)
            .map(|i| 100 + (std::process::id() as usize + i) % 300)
            .find(|n| {
                !Path::new(&format!("/tmp/.X{n}-lock")).exists()
                    && !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
            })
            .expect("a free X display");
        self.display = format!(":{n}");
        let mut cmd = self.command("Xvfb");
        cmd.args([
            &self.display,
            "-screen",
            "0",
            "1280x860x24",
            "-nolisten",
            "tcp",
            "-nolisten",
            "unix",
        ]);
        // -nolisten unix keeps only the abstract socket; wait for the lock file instead.
        cmd.args(["+extension", "RANDR"]);
        self.spawn("xvfb", cmd);
        let lock = format!("/tmp/.X{n}-lock");
        wait_until("Xvfb", Duration::from_secs(20), || {
            Path::new(&lock).exists()
        });
        std::thread::sleep(Duration::from_millis(300));
        self.env.insert("DISPLAY".into(), self.display.clone());
    }

    fn start_dbus(&mut self) {
        let mut cmd = self.command("dbus-daemon");
        cmd.args(["--session", "--nofork", "--print-address=1"])
            .stdout(Stdio::piped());
        let child = self.spawn("dbus", cmd);
        let out = child.stdout.take().expect("dbus stdout");
        let mut line = String::new();
        BufReader::new(out)
            .read_line(&mut line)
            .expect("dbus address");
        assert!(line.starts_with("unix:"), "dbus-daemon printed {line:?}");
        self.env
            .insert("DBUS_SESSION_BUS_ADDRESS".into(), line.trim().to_string());
    }

    fn start_keyring(&mut self) {
        // --unlock reads the login keyring's password from stdin and creates it if missing.
        let mut cmd = self.command("gnome-keyring-daemon");
        cmd.args(["--foreground", "--unlock", "--components=secrets"])
            .stdin(Stdio::piped());
        let child = self.spawn("keyring", cmd);
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(b"paddock-e2e");
        }
        let env = self.env.clone();
        wait_until(
            "the Secret Service on the session bus",
            Duration::from_secs(20),
            || {
                Command::new("dbus-send")
                    .envs(&env)
                    .args([
                        "--session",
                        "--print-reply",
                        "--dest=org.freedesktop.DBus",
                        "/org/freedesktop/DBus",
                        "org.freedesktop.DBus.NameHasOwner",
                        "string:org.freedesktop.secrets",
                    ])
                    .output()
                    .map(|o| String::from_utf8_lossy(&o.stdout).contains("boolean true"))
                    .unwrap_or(false)
            },
        );
    }

    fn start_dunst(&mut self) {
        let cmd = self.command("dunst");
        self.spawn("dunst", cmd);
        let env = self.env.clone();
        wait_until("dunst on the session bus", Duration::from_secs(20), || {
            Command::new("dbus-send")
                .envs(&env)
                .args([
                    "--session",
                    "--print-reply",
                    "--dest=org.freedesktop.DBus",
                    "/org/freedesktop/DBus",
                    "org.freedesktop.DBus.NameHasOwner",
                    "string:org.freedesktop.Notifications",
                ])
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).contains("boolean true"))
                .unwrap_or(false)
        });
    }

    /// Start tauri-driver (which starts WebKitWebDriver) for this desktop.
    pub fn start_driver(&mut self) -> String {
        let port = free_port();
        let native = free_port();
        let mut cmd = self.command(find_program("tauri-driver"));
        cmd.args([
            "--port",
            &port.to_string(),
            "--native-port",
            &native.to_string(),
        ]);
        self.spawn("tauri-driver", cmd);
        wait_until("tauri-driver", Duration::from_secs(30), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        self.driver_port = port;
        format!("http://127.0.0.1:{port}")
    }

    /// Processes that still carry this session's marker (read from /proc/*/environ).
    pub fn leftovers(&self) -> Vec<(u32, String)> {
        let needle = format!("{MARKER_ENV}={}", self.marker);
        let mut found = Vec::new();
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return found;
        };
        for e in entries.flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            if pid == std::process::id() {
                continue;
            }
            let Ok(environ) = std::fs::read(e.path().join("environ")) else {
                continue;
            };
            if environ.split(|b| *b == 0).any(|kv| kv == needle.as_bytes()) {
                let comm = std::fs::read_to_string(e.path().join("comm")).unwrap_or_default();
                // A zombie that is already dead but not reaped holds no resources.
                let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
                if stat.split_whitespace().nth(2) == Some("Z") {
                    continue;
                }
                found.push((pid, comm.trim().to_string()));
            }
        }
        found
    }

    fn stop_all(&mut self) {
        for (_, child) in self.children.iter_mut().rev() {
            let pgid = child.id() as i32;
            unsafe { libc::killpg(pgid, libc::SIGTERM) };
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        for (_, child) in self.children.iter_mut().rev() {
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(25));
            }
            unsafe { libc::killpg(child.id() as i32, libc::SIGKILL) };
            let _ = child.wait();
        }
        self.children.clear();
    }

    /// Stop everything and return what outlived it (killed now, but reported).
    pub fn finish(mut self) -> Vec<(u32, String)> {
        self.stop_all();
        let start = Instant::now();
        let mut left = self.leftovers();
        while !left.is_empty() && start.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(100));
            left = self.leftovers();
        }
        for (pid, _) in &left {
            unsafe { libc::kill(*pid as i32, libc::SIGKILL) };
        }
        left
    }
}

impl Drop for DesktopSession {
    fn drop(&mut self) {
        self.stop_all();
        for (pid, _) in self.leftovers() {
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
        }
    }
}

/// The workspace's target dir (…/target), from this test binary's path (…/target/debug/deps/x).
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    exe.ancestors()
        .find(|p| p.file_name().is_some_and(|n| n == "target"))
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"))
}
