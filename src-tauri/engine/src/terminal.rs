//! The person's terminal emulator, found and told to run one command.
//!
//! The app starts the agent where the person can watch it and type to it: in
//! a terminal window of their own, never hidden behind the app. Each emulator
//! spells "run this program with these arguments" differently, so each known
//! one gets its own syntax here; the program and its arguments are always
//! passed as separate words (never through a shell string), so a goal with
//! quotes or `$` in it cannot change the command.
//!
//! Search order on Linux and the BSDs: `$PADDOCK_TERMINAL`, `$TERMINAL`,
//! `x-terminal-emulator` (Debian's alternative), then gnome-terminal, konsole,
//! xfce4-terminal, kitty, alacritty, foot and xterm on `PATH`. On macOS,
//! Terminal.app opens a `.command` file (`open -a Terminal file`). On Windows
//! no terminal is started: the app shows the command to paste into Windows
//! Terminal or PowerShell (`paddock run` needs bubblewrap, which is Linux-only).
//! When nothing is found, the caller shows the exact command to paste.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde::Serialize;
use ts_rs::TS;

/// Which emulator, for its argument syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub enum TerminalKind {
    /// Debian's `x-terminal-emulator` alternative: `-e PROGRAM ARGS…` (Debian policy 11.8.3).
    XTerminalEmulator,
    /// `gnome-terminal -- PROGRAM ARGS…` (`-e` takes one string and is deprecated).
    GnomeTerminal,
    /// `konsole -e PROGRAM ARGS…` (the rest of the line is the command).
    Konsole,
    /// `xfce4-terminal -x PROGRAM ARGS…` (`-e` takes one string).
    Xfce4Terminal,
    /// `kitty PROGRAM ARGS…`.
    Kitty,
    /// `alacritty -e PROGRAM ARGS…`.
    Alacritty,
    /// `foot PROGRAM ARGS…`.
    Foot,
    /// `xterm -e PROGRAM ARGS…` (must be the last option).
    Xterm,
    /// macOS Terminal.app: `open -a Terminal FILE.command`.
    MacTerminal,
    /// An emulator Paddock does not know: the common `-e PROGRAM ARGS…`.
    Other,
}

/// A terminal emulator Paddock can start, and why it chose it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct Terminal {
    /// Its name as the person knows it (`xterm`, `gnome-terminal`, `Terminal.app`).
    pub name: String,
    /// The program started (for Terminal.app: `open`).
    #[ts(type = "string")]
    pub program: PathBuf,
    pub kind: TerminalKind,
    /// Where it came from: `$PADDOCK_TERMINAL`, `$TERMINAL`, `PATH`, `macOS`.
    pub source: String,
}

/// The emulators looked for on `PATH`, in order, after the two variables.
pub const KNOWN: [(&str, TerminalKind); 8] = [
    ("x-terminal-emulator", TerminalKind::XTerminalEmulator),
    ("gnome-terminal", TerminalKind::GnomeTerminal),
    ("konsole", TerminalKind::Konsole),
    ("xfce4-terminal", TerminalKind::Xfce4Terminal),
    ("kitty", TerminalKind::Kitty),
    ("alacritty", TerminalKind::Alacritty),
    ("foot", TerminalKind::Foot),
    ("xterm", TerminalKind::Xterm),
];

/// The kind an emulator's file name says it is.
pub fn kind_of(program: &Path) -> TerminalKind {
    let name = program
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    KNOWN
        .iter()
        .find(|(known, _)| *known == name)
        .map(|(_, kind)| *kind)
        .unwrap_or(TerminalKind::Other)
}

/// The first `name` that is an executable file on `path` (a `PATH` value),
/// or `name` itself when it is a path to one.
pub fn which_in(name: &str, path: Option<&std::ffi::OsStr>) -> Option<PathBuf> {
    let executable = |p: &Path| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p)
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    };
    if name.contains('/') {
        let p = PathBuf::from(name);
        return executable(&p).then_some(p);
    }
    std::env::split_paths(path?)
        .map(|d| d.join(name))
        .find(|p| executable(p))
}

/// Find the person's terminal emulator. `env` reads a variable; `path` is
/// the `PATH` to search. A variable naming something that is not there is
/// skipped (the next choice is tried), never trusted blindly.
pub fn find(
    env: &dyn Fn(&str) -> Option<String>,
    path: Option<&std::ffi::OsStr>,
) -> Option<Terminal> {
    if cfg!(target_os = "macos") {
        return Some(Terminal {
            name: "Terminal.app".into(),
            program: PathBuf::from("/usr/bin/open"),
            kind: TerminalKind::MacTerminal,
            source: "macOS".into(),
        });
    }
    if cfg!(windows) {
        return None;
    }
    for var in ["PADDOCK_TERMINAL", "TERMINAL"] {
        let Some(value) = env(var).filter(|v| !v.trim().is_empty()) else {
            continue;
        };
        if let Some(program) = which_in(value.trim(), path) {
            return Some(Terminal {
                name: program
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| value.clone()),
                kind: kind_of(&program),
                program,
                source: format!("${var}"),
            });
        }
    }
    KNOWN.iter().find_map(|(name, kind)| {
        which_in(name, path).map(|program| Terminal {
            name: (*name).into(),
            program,
            kind: *kind,
            source: "PATH".into(),
        })
    })
}

/// The arguments that make `terminal` run `argv` (program first) in a new
/// window titled `title`. For Terminal.app, `argv` is ignored: pass the
/// `.command` file from [`mac_command_file`] as the one argument instead.
pub fn arguments(kind: TerminalKind, title: &str, argv: &[OsString]) -> Vec<OsString> {
    let mut out: Vec<OsString> = Vec::new();
    match kind {
        TerminalKind::GnomeTerminal => {
            out.push(format!("--title={title}").into());
            out.push("--".into());
        }
        TerminalKind::Konsole => out.push("-e".into()),
        TerminalKind::Xfce4Terminal => {
            out.push(format!("--title={title}").into());
            out.push("-x".into());
        }
        TerminalKind::Kitty => {
            out.push("--title".into());
            out.push(title.into());
        }
        TerminalKind::Alacritty => {
            out.push("--title".into());
            out.push(title.into());
            out.push("-e".into());
        }
        TerminalKind::Foot => {
            out.push(format!("--title={title}").into());
        }
        TerminalKind::Xterm => {
            out.push("-T".into());
            out.push(title.into());
            out.push("-e".into());
        }
        TerminalKind::XTerminalEmulator | TerminalKind::Other => out.push("-e".into()),
        TerminalKind::MacTerminal => {
            out.push("-a".into());
            out.push("Terminal".into());
        }
    }
    out.extend(argv.iter().cloned());
    out
}

/// The text of a macOS `.command` file that runs `command_line` (already
/// quoted for the shell) and keeps the window open when it fails.
pub fn mac_command_file(command_line: &str) -> String {
    format!("#!/bin/sh\n{}\n", hold_on_failure_script(command_line))
}

/// A POSIX shell snippet that runs `command` and, when it fails, keeps the
/// window open so the person can read why (a terminal closes with its command).
pub fn hold_on_failure_script(command: &str) -> String {
    format!(
        "{command}\nstatus=$?\nif [ \"$status\" -ne 0 ]; then printf '\\n[paddock: the command exited with %s; press Enter to close this window]' \"$status\"; read -r _; fi\nexit \"$status\""
    )
}

/// `argv` wrapped so the window stays open when it fails: `sh -c SCRIPT sh ARGV…`
/// (the words reach the program as they are: `"$@"`, never re-parsed).
pub fn hold_on_failure(argv: &[OsString]) -> Vec<OsString> {
    let mut out: Vec<OsString> = vec![
        "/bin/sh".into(),
        "-c".into(),
        hold_on_failure_script("\"$@\"").into(),
        "sh".into(),
    ];
    out.extend(argv.iter().cloned());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn fake_bin(dir: &Path, name: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    fn strings(v: &[OsString]) -> Vec<String> {
        v.iter().map(|s| s.to_string_lossy().into_owned()).collect()
    }

    #[test]
    fn no_terminal_on_path_and_no_variable_finds_nothing() {
        let dir = tempfile::tempdir().unwrap();
        // A file that is not executable does not count.
        std::fs::write(dir.path().join("xterm"), "").unwrap();
        let path = dir.path().as_os_str().to_owned();
        assert_eq!(find(&|_| None, Some(&path)), None);
        assert_eq!(find(&|_| None, None), None);
    }

    #[test]
    fn the_variables_come_first_then_the_path_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let xterm = fake_bin(dir.path(), "xterm");
        let kitty = fake_bin(dir.path(), "kitty");
        let mine = fake_bin(dir.path(), "my-term");
        let path = dir.path().as_os_str().to_owned();

        let t = find(&|_| None, Some(&path)).unwrap();
        assert_eq!((t.name.as_str(), t.kind), ("kitty", TerminalKind::Kitty));
        assert_eq!(t.source, "PATH");
        assert_eq!(t.program, kitty);

        let env = |k: &str| (k == "TERMINAL").then(|| "xterm".to_string());
        let t = find(&env, Some(&path)).unwrap();
        assert_eq!(
            (t.kind, t.source.as_str()),
            (TerminalKind::Xterm, "$TERMINAL")
        );
        assert_eq!(t.program, xterm);

        let mine_text = mine.display().to_string();
        let env = |k: &str| match k {
            "PADDOCK_TERMINAL" => Some(mine_text.clone()),
            "TERMINAL" => Some("xterm".to_string()),
            _ => None,
        };
        let t = find(&env, Some(&path)).unwrap();
        assert_eq!(t.kind, TerminalKind::Other);
        assert_eq!(t.source, "$PADDOCK_TERMINAL");
        assert_eq!(t.program, mine);
    }

    #[test]
    fn a_variable_naming_a_missing_program_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        fake_bin(dir.path(), "foot");
        let path = dir.path().as_os_str().to_owned();
        let env = |k: &str| (k == "PADDOCK_TERMINAL").then(|| "no-such-terminal".to_string());
        let t = find(&env, Some(&path)).unwrap();
        assert_eq!((t.kind, t.source.as_str()), (TerminalKind::Foot, "PATH"));
    }

    #[test]
    fn each_terminal_gets_its_own_run_this_command_syntax() {
        let argv: Vec<OsString> = vec!["/bin/paddock".into(), "run".into(), "a b".into()];
        let cases: [(TerminalKind, &[&str]); 9] = [
            (TerminalKind::Xterm, &["-T", "T", "-e"]),
            (TerminalKind::XTerminalEmulator, &["-e"]),
            (TerminalKind::GnomeTerminal, &["--title=T", "--"]),
            (TerminalKind::Konsole, &["-e"]),
            (TerminalKind::Xfce4Terminal, &["--title=T", "-x"]),
            (TerminalKind::Kitty, &["--title", "T"]),
            (TerminalKind::Alacritty, &["--title", "T", "-e"]),
            (TerminalKind::Foot, &["--title=T"]),
            (TerminalKind::Other, &["-e"]),
        ];
        for (kind, prefix) in cases {
            let mut want: Vec<String> = prefix.iter().map(|s| s.to_string()).collect();
            want.extend(["/bin/paddock", "run", "a b"].map(String::from));
            assert_eq!(strings(&arguments(kind, "T", &argv)), want, "{kind:?}");
        }
    }

    #[test]
    fn a_failing_command_keeps_its_window_open_and_words_are_not_reparsed() {
        let argv: Vec<OsString> = vec!["printf".into(), "%s|".into(), "a b; echo x".into()];
        let wrapped = hold_on_failure(&argv);
        let out = std::process::Command::new(&wrapped[0])
            .args(&wrapped[1..])
            .output()
            .unwrap();
        assert!(out.status.success());
        assert_eq!(String::from_utf8_lossy(&out.stdout), "a b; echo x|");

        let failing: Vec<OsString> = vec!["sh".into(), "-c".into(), "exit 3".into()];
        let wrapped = hold_on_failure(&failing);
        let out = std::process::Command::new(&wrapped[0])
            .args(&wrapped[1..])
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3));
        assert!(String::from_utf8_lossy(&out.stdout).contains("exited with 3"));
    }
}
