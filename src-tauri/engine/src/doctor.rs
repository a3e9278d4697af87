//! `paddock doctor`: is this machine able to run Paddock's fence? Each check
//! says OK or what is missing, and the fix. Checks look, never change.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub enum Health {
    Ok,
    Missing,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct DoctorCheck {
    pub name: String,
    pub health: Health,
    /// What was found (a version, a path, an error).
    pub evidence: String,
    /// How to fix it; empty when OK.
    pub fix: String,
}

fn ok(name: &str, evidence: impl Into<String>) -> DoctorCheck {
    DoctorCheck {
        name: name.into(),
        health: Health::Ok,
        evidence: evidence.into(),
        fix: String::new(),
    }
}

fn missing(name: &str, evidence: impl Into<String>, fix: impl Into<String>) -> DoctorCheck {
    DoctorCheck {
        name: name.into(),
        health: Health::Missing,
        evidence: evidence.into(),
        fix: fix.into(),
    }
}

/// Run every check.
pub fn run_all() -> Vec<DoctorCheck> {
    let libs = shared_libraries();
    vec![
        library_check(
            &libs,
            "WebKitGTK 4.1",
            "libwebkit2gtk-4.1.so.0",
            "libwebkit2gtk-4.1-0",
        ),
        library_check(
            &libs,
            "Tray (AppIndicator)",
            "libayatana-appindicator3.so.1",
            "libayatana-appindicator3-1",
        ),
        dbus_session(),
        secret_service(),
        notification_daemon(),
        bubblewrap(),
        landlock(),
    ]
}

/// The dynamic linker's cache, as `ldconfig -p` prints it.
fn shared_libraries() -> String {
    for ldconfig in ["/sbin/ldconfig", "/usr/sbin/ldconfig", "ldconfig"] {
        if let Ok(out) = Command::new(ldconfig)
            .arg("-p")
            .stderr(Stdio::null())
            .output()
        {
            if out.status.success() {
                return String::from_utf8_lossy(&out.stdout).into_owned();
            }
        }
    }
    String::new()
}

fn library_check(cache: &str, name: &str, soname: &str, package: &str) -> DoctorCheck {
    match cache
        .lines()
        .find(|l| l.trim_start().starts_with(soname))
        .and_then(|l| l.split("=>").nth(1))
    {
        Some(path) => ok(name, path.trim()),
        None => missing(
            name,
            format!("{soname} not found by the dynamic linker"),
            format!("sudo apt-get install {package}"),
        ),
    }
}

fn session_bus() -> Result<zbus::blocking::Connection, String> {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        return Err("DBUS_SESSION_BUS_ADDRESS is not set".into());
    }
    zbus::blocking::Connection::session().map_err(|e| e.to_string())
}

fn dbus_session() -> DoctorCheck {
    const NAME: &str = "D-Bus session";
    match session_bus() {
        Ok(c) => ok(
            NAME,
            format!(
                "connected as {}",
                c.unique_name().map(|n| n.to_string()).unwrap_or_default()
            ),
        ),
        Err(e) => missing(
            NAME,
            e,
            "log in to a desktop session, or run inside `dbus-run-session -- <command>`",
        ),
    }
}

fn secret_service() -> DoctorCheck {
    const NAME: &str = "Secret Service (keychain)";
    let fix = "install and start a keyring: `sudo apt-get install gnome-keyring`, then `gnome-keyring-daemon --start --components=secrets`";
    let conn = match session_bus() {
        Ok(c) => c,
        Err(e) => return missing(NAME, format!("no session bus: {e}"), fix),
    };
    // Opening a plain session proves the service answers; it reads and stores nothing.
    let reply = conn.call_method(
        Some("org.freedesktop.secrets"),
        "/org/freedesktop/secrets",
        Some("org.freedesktop.Secret.Service"),
        "OpenSession",
        &("plain", zbus::zvariant::Value::from("")),
    );
    match reply {
        Ok(_) => ok(NAME, "org.freedesktop.secrets answered OpenSession"),
        Err(e) => missing(NAME, e.to_string(), fix),
    }
}

fn notification_daemon() -> DoctorCheck {
    const NAME: &str = "Notification daemon";
    let fix = "run a notification daemon (GNOME and KDE have one; elsewhere `sudo apt-get install dunst`)";
    if let Err(e) = session_bus() {
        return missing(NAME, format!("no session bus: {e}"), fix);
    }
    match notify_rust::get_server_information() {
        Ok(info) => ok(
            NAME,
            format!("{} {} ({})", info.name, info.version, info.vendor),
        ),
        Err(e) => missing(NAME, e.to_string(), fix),
    }
}

fn bubblewrap() -> DoctorCheck {
    const NAME: &str = "bubblewrap";
    let fix = "sudo apt-get install bubblewrap (and allow unprivileged user namespaces)";
    let child = Command::new("bwrap")
        .args([
            "--ro-bind",
            "/",
            "/",
            "--dev",
            "/dev",
            "--unshare-net",
            "--",
            "true",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => return missing(NAME, format!("cannot start bwrap: {e}"), fix),
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => {
                return ok(NAME, "bwrap ran a command in a new network namespace")
            }
            Ok(Some(status)) => {
                let mut err = String::new();
                if let Some(mut s) = child.stderr.take() {
                    use std::io::Read;
                    let _ = s.read_to_string(&mut err);
                }
                return missing(
                    NAME,
                    format!("bwrap failed ({status}): {}", err.trim()),
                    fix,
                );
            }
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20))
            }
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return missing(NAME, "bwrap did not finish within 10 s", fix);
            }
            Err(e) => return missing(NAME, e.to_string(), fix),
        }
    }
}

/// The Landlock ABI version the kernel offers, if any.
pub fn landlock_abi() -> Option<i64> {
    const LANDLOCK_CREATE_RULESET_VERSION: libc::c_uint = 1;
    // SAFETY: with a null attr, size 0 and the VERSION flag, the syscall only
    // returns the ABI version (or an error); it creates nothing.
    let v = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<libc::c_void>(),
            0usize,
            LANDLOCK_CREATE_RULESET_VERSION,
        )
    };
    (v > 0).then_some(v)
}

fn landlock() -> DoctorCheck {
    const NAME: &str = "Landlock";
    let lsm = std::fs::read_to_string(Path::new("/sys/kernel/security/lsm")).unwrap_or_default();
    match landlock_abi() {
        Some(abi) => ok(NAME, format!("ABI {abi}")),
        None => missing(
            NAME,
            if lsm.is_empty() {
                "the kernel does not offer Landlock".to_string()
            } else {
                format!("not among the active security modules ({})", lsm.trim())
            },
            "use a kernel ≥ 5.13 with `lsm=landlock,...` on its command line; bubblewrap alone also fences agents",
        ),
    }
}
