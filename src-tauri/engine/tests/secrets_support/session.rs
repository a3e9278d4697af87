//! A private D-Bus session bus (its own config: no service activation, so a
//! bus without a keyring really has no Secret Service) and, optionally, a real
//! gnome-keyring-daemon on it, unlocked. Everything is killed on drop.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct KeyringSession {
    pub dir: tempfile::TempDir,
    pub bus: String,
    dbus: Option<Child>,
    keyring: Option<Child>,
}

fn config(dir: &Path) -> PathBuf {
    let path = dir.join("session.conf");
    let xml = format!(
        r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
        dir.display()
    );
    std::fs::write(&path, xml).expect("bus config");
    path
}

impl KeyringSession {
    /// A bus and an unlocked gnome-keyring on it.
    pub fn start() -> Self {
        let mut s = Self::bus_only();
        s.start_keyring();
        s
    }

    /// A bus with no Secret Service on it.
    pub fn bus_only() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("paddock-keyring-")
            .tempdir()
            .expect("tempdir");
        for sub in ["home", "runtime", "data", "config", "cache"] {
            std::fs::create_dir_all(dir.path().join(sub)).expect("mkdir");
        }
        std::fs::set_permissions(
            dir.path().join("runtime"),
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .expect("chmod");
        let conf = config(dir.path());
        let mut dbus = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", conf.display()))
            .args(["--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon is installed");
        let mut line = String::new();
        BufReader::new(dbus.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("bus address");
        assert!(line.starts_with("unix:"), "dbus-daemon printed {line:?}");
        KeyringSession {
            dir,
            bus: line.trim().to_owned(),
            dbus: Some(dbus),
            keyring: None,
        }
    }

    /// The variables a process needs to use this session.
    pub fn env(&self) -> Vec<(String, String)> {
        let p = |s: &str| self.dir.path().join(s).display().to_string();
        vec![
            ("DBUS_SESSION_BUS_ADDRESS".into(), self.bus.clone()),
            ("HOME".into(), p("home")),
            ("XDG_RUNTIME_DIR".into(), p("runtime")),
            ("XDG_DATA_HOME".into(), p("data")),
            ("XDG_CONFIG_HOME".into(), p("config")),
            ("XDG_CACHE_HOME".into(), p("cache")),
        ]
    }

    fn has_name(&self, name: &str) -> bool {
        Command::new("dbus-send")
            .envs(self.env())
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                &format!("string:{name}"),
            ])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).contains("boolean true"))
            .unwrap_or(false)
    }

    fn start_keyring(&mut self) {
        let mut child = Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(self.env())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gnome-keyring-daemon is installed");
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(b"paddock-test");
        }
        self.keyring = Some(child);
        let start = Instant::now();
        while !self.has_name("org.freedesktop.secrets") {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "gnome-keyring never took org.freedesktop.secrets"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn keyring_pid(&self) -> Option<u32> {
        self.keyring.as_ref().map(|c| c.id())
    }

    /// Run this test binary's test `name` again in a child process that uses
    /// this session (libdbus reads the bus address once per process), with
    /// `extra` variables; panics with the child's output if it fails.
    pub fn run_child(&self, name: &str, extra: &[(&str, String)]) {
        let exe = std::env::current_exe().expect("test binary");
        let out = Command::new(exe)
            .args([name, "--exact", "--nocapture", "--test-threads=1"])
            .envs(self.env())
            .env(CHILD_ENV, "1")
            .envs(extra.iter().map(|(k, v)| (k.to_string(), v.clone())))
            .output()
            .expect("run the child test");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.status.success() && text.contains("1 passed"),
            "child {name} failed:\n{text}"
        );
    }
}

/// Set in the child process of [`KeyringSession::run_child`].
pub const CHILD_ENV: &str = "PADDOCK_TEST_KEYRING_CHILD";

pub fn in_child() -> bool {
    std::env::var_os(CHILD_ENV).is_some()
}

impl Drop for KeyringSession {
    fn drop(&mut self) {
        for child in [self.keyring.take(), self.dbus.take()]
            .into_iter()
            .flatten()
        {
            let mut child = child;
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
