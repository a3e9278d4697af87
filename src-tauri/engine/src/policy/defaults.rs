//! The built-in defaults, following the posture table: reading, searching and
//! inspecting allow; tests, lint and local builds allow; edits inside the
//! task's worktree allow (reviewed later); installs and network ask;
//! deletes outside build output, history rewrites and migrations ask;
//! deploys, force pushes, writes or deletes outside the worktree and reads of
//! secret-bearing paths deny; anything unknown asks.
//!
//! Every built-in Deny is a *hard* deny (only a user rule can relax it).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::paths::{
    glob_may_match_secret, is_build_output, is_harmless_device, resolve, secret_reason,
};
use super::shell::{self, FileOp, Piece, Word};
use super::{Action, OwnedSubject, Part, TaskContext, Verdict};

use Verdict::{Allow, Ask, Deny};

const MAX_DEPTH: usize = 8;

pub(crate) fn parts(action: &Action, ctx: &TaskContext) -> Vec<Part> {
    let mut st = State {
        ctx,
        cwd: None,
        vars: HashMap::new(),
        out: Vec::new(),
        prefix: Vec::new(),
    };
    match action {
        Action::Shell { command, cwd } => {
            let text = cwd.to_string_lossy();
            st.cwd = resolve(&text, Some(&ctx.worktree), &ctx.home);
            st.vars
                .insert("HOME".into(), ctx.home.to_string_lossy().into_owned());
            if let Some(c) = &st.cwd {
                st.vars
                    .insert("PWD".into(), c.to_string_lossy().into_owned());
            }
            st.shell(command, 0);
        }
        Action::Read { path } => {
            let p = st.resolve_action_path(path);
            st.file_part(FileOp::Read, &p, path.to_string_lossy().as_ref());
        }
        Action::Write { path } => {
            let p = st.resolve_action_path(path);
            st.file_part(FileOp::Write, &p, path.to_string_lossy().as_ref());
        }
        Action::Fetch { url } => st.fetch(url),
        Action::Mcp { server, tool } => {
            let name = format!("{server}/{tool}");
            let mut p = Part::new(name.clone(), OwnedSubject::Mcp(name));
            p.raise(
                Ask,
                "default:mcp",
                format!("MCP tool {server}/{tool} is not allowed by any rule; ask first"),
            );
            st.out.push(p);
        }
    }
    st.out
}

struct State<'a> {
    ctx: &'a TaskContext,
    cwd: Option<PathBuf>,
    vars: HashMap<String, String>,
    out: Vec<Part>,
    /// Words of the wrappers around the command being decided.
    prefix: Vec<String>,
}

/// Commands that only read, search or inspect.
const READ_ONLY: &[&str] = &[
    "ls",
    "ll",
    "la",
    "dir",
    "cat",
    "tac",
    "head",
    "tail",
    "less",
    "more",
    "nl",
    "od",
    "hexdump",
    "xxd",
    "base64",
    "base32",
    "strings",
    "bat",
    "batcat",
    "zcat",
    "bzcat",
    "xzcat",
    "zless",
    "grep",
    "egrep",
    "fgrep",
    "rg",
    "ag",
    "ack",
    "zgrep",
    "wc",
    "tree",
    "stat",
    "file",
    "du",
    "df",
    "pwd",
    "echo",
    "printf",
    "which",
    "whereis",
    "type",
    "basename",
    "dirname",
    "realpath",
    "readlink",
    "sort",
    "uniq",
    "cut",
    "tr",
    "diff",
    "cmp",
    "comm",
    "paste",
    "join",
    "column",
    "fold",
    "fmt",
    "rev",
    "jq",
    "yq",
    "true",
    "false",
    "test",
    "[",
    "[[",
    "date",
    "whoami",
    "id",
    "uname",
    "hostname",
    "ps",
    "pgrep",
    "uptime",
    "free",
    "nproc",
    "fd",
    "fdfind",
    "locate",
    "seq",
    "sleep",
    "expr",
    "cd",
    "pushd",
    "popd",
    "exit",
    "return",
    "read",
    "shift",
    ":",
    "man",
    "help",
    "jobs",
    "wait",
    "lsof",
    "tput",
    "clear",
    "md5sum",
    "sha1sum",
    "sha256sum",
    "sha512sum",
    "shasum",
    "cksum",
    "b2sum",
    "getconf",
    "locale",
    "arch",
    "lscpu",
    "tty",
    "dirs",
    "ulimit",
    "umask",
    "cal",
    "cloc",
    "tokei",
    "scc",
    "printenv",
    "set",
    "export",
    "declare",
    "typeset",
    "local",
    "readonly",
    "unset",
    "shopt",
    "let",
    "hash",
    "sed",
    "awk",
    "gawk",
    "mawk",
    "look",
    "numfmt",
    "expand",
    "unexpand",
    "split",
    "csplit",
    "iconv",
    "difft",
    "delta",
    "colordiff",
    "sdiff",
    "pr",
    "groups",
    "env",
];

/// Read-only commands that never open a file named by an argument, so an
/// argument only known at run time is harmless.
const NO_FILE_ARGS: &[&str] = &[
    "echo", "printf", "true", "false", "test", "[", "[[", "sleep", "seq", "expr", "date", "cd",
    "pushd", "popd", "exit", "return", "read", "shift", ":", "export", "declare", "typeset",
    "local", "readonly", "unset", "let", "set", "shopt", "wait", "jobs", "basename", "dirname",
    "which", "type", "pwd", "whoami", "id", "uname", "hostname", "printenv", "numfmt", "groups",
    "tput", "clear", "hash", "umask", "ulimit", "getconf", "nproc",
];

/// Test, lint and local build tools: any arguments.
const BUILD_TOOLS: &[&str] = &[
    "pytest",
    "py.test",
    "jest",
    "vitest",
    "mocha",
    "ava",
    "karma",
    "tsc",
    "eslint",
    "prettier",
    "biome",
    "stylelint",
    "ruff",
    "mypy",
    "pyright",
    "black",
    "isort",
    "flake8",
    "pylint",
    "bandit",
    "rustfmt",
    "rustc",
    "clang",
    "clang++",
    "gcc",
    "g++",
    "cc",
    "c++",
    "javac",
    "kotlinc",
    "swiftc",
    "cmake",
    "ninja",
    "meson",
    "shellcheck",
    "hadolint",
    "golangci-lint",
    "staticcheck",
    "gofmt",
    "goimports",
    "rspec",
    "phpunit",
    "phpstan",
    "cargo-nextest",
    "nyc",
    "c8",
    "tslint",
    "xo",
    "standard",
    "pyflakes",
    "pycodestyle",
    "pydocstyle",
    "yamllint",
    "markdownlint",
    "actionlint",
    "taplo",
    "clang-format",
    "clang-tidy",
    "cppcheck",
    "ctest",
    "vue-tsc",
    "svelte-check",
    "next",
    "vite",
    "webpack",
    "rollup",
    "esbuild",
    "turbo",
    "nx",
    "lerna",
    "rubocop",
    "minitest",
    "elm-test",
    "dune",
    "stack",
    "cabal",
    "sbt",
    "lein",
];

/// Runners that download and run packages, or run a command in an env.
const RUNNERS: &[&str] = &["npx", "bunx", "pnpx", "uvx"];

const NETWORK_TOOLS: &[&str] = &[
    "curl",
    "wget",
    "nc",
    "ncat",
    "netcat",
    "socat",
    "ssh",
    "scp",
    "sftp",
    "telnet",
    "ftp",
    "http",
    "https",
    "xh",
    "httpie",
    "ping",
    "dig",
    "nslookup",
    "host",
    "traceroute",
    "mosh",
    "aria2c",
    "lynx",
    "w3m",
    "links",
    "ngrok",
    "ssh-copy-id",
    "gh",
    "glab",
    "hub",
    "whois",
    "nmap",
];

const SYSTEM_INSTALLERS: &[&str] = &[
    "apt",
    "apt-get",
    "aptitude",
    "dpkg",
    "snap",
    "brew",
    "port",
    "gem",
    "dnf",
    "yum",
    "zypper",
    "pacman",
    "apk",
    "nix-env",
    "pipx",
    "conda",
    "mamba",
    "micromamba",
    "choco",
    "winget",
    "sdkmanager",
    "rustup",
    "volta",
    "nvm",
    "asdf",
    "mise",
    "flatpak",
    "opam",
    "cpan",
    "cpanm",
    "luarocks",
    "pecl",
    "pear",
];

const INTERPRETERS: &[&str] = &[
    "python",
    "python3",
    "python2",
    "pypy",
    "pypy3",
    "node",
    "nodejs",
    "ruby",
    "perl",
    "php",
    "lua",
    "Rscript",
    "julia",
    "osascript",
    "tsx",
    "ts-node",
    "irb",
    "groovy",
];

const SHELLS: &[&str] = &[
    "bash", "sh", "zsh", "dash", "ksh", "mksh", "fish", "ash", "csh", "tcsh",
];

const SECRETISH_VARS: &[&str] = &[
    "SECRET",
    "TOKEN",
    "PASSWORD",
    "PASSWD",
    "API_KEY",
    "APIKEY",
    "PRIVATE_KEY",
    "CREDENTIAL",
    "ACCESS_KEY",
    "AUTH",
];

const DANGEROUS_ENV: &[&str] = &[
    "PATH",
    "LD_PRELOAD",
    "LD_LIBRARY_PATH",
    "LD_AUDIT",
    "BASH_ENV",
    "ENV",
    "PROMPT_COMMAND",
    "GIT_SSH_COMMAND",
    "GIT_SSH",
    "GIT_EXEC_PATH",
    "GIT_CONFIG",
    "GIT_CONFIG_GLOBAL",
    "GIT_CONFIG_PARAMETERS",
    "DYLD_INSERT_LIBRARIES",
    "SHELLOPTS",
    "IFS",
    "PAGER",
    "GIT_PAGER",
    "EDITOR",
    "GIT_EDITOR",
];

fn is_flag(s: &str) -> bool {
    s.starts_with('-') && s.len() > 1
}

/// Non-flag arguments, honouring `--`; `with_value` lists flags that take
/// the next word as their value.
fn positionals<'w>(args: &'w [Word], with_value: &[&str]) -> Vec<&'w Word> {
    let mut out = Vec::new();
    let mut i = 0;
    let mut rest = false;
    while i < args.len() {
        let a = &args[i];
        if rest || a.dynamic || !is_flag(&a.text) {
            out.push(a);
        } else if a.text == "--" {
            rest = true;
        } else if with_value.contains(&a.text.as_str()) {
            i += 1;
        }
        i += 1;
    }
    out
}

fn has_flag(args: &[Word], long: &[&str], short: char) -> bool {
    args.iter().any(|a| {
        let t = a.text.as_str();
        long.iter()
            .any(|l| t == *l || t.starts_with(&format!("{l}=")))
            || (t.starts_with('-')
                && !t.starts_with("--")
                && t.len() > 1
                && t[1..].chars().all(|c| c.is_ascii_alphanumeric())
                && t[1..].contains(short))
    })
}

/// Value of a flag: `-o X`, `-oX`, `--output X`, `--output=X`.
fn flag_values(args: &[Word], short: &[&str], long: &[&str]) -> Vec<Word> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let t = args[i].text.as_str();
        let mut take_next = false;
        for s in short {
            if t == *s {
                take_next = true;
            } else if t.len() > s.len() && t.starts_with(s) && !t.starts_with("--") {
                let mut w = args[i].clone();
                w.text = t[s.len()..].to_string();
                out.push(w);
            }
        }
        for l in long {
            if t == *l {
                take_next = true;
            } else if let Some(v) = t.strip_prefix(&format!("{l}=")) {
                let mut w = args[i].clone();
                w.text = v.to_string();
                out.push(w);
            }
        }
        if take_next {
            if let Some(n) = args.get(i + 1) {
                out.push(n.clone());
                i += 1;
            }
        }
        i += 1;
    }
    out
}

fn join(words: &[Word]) -> String {
    let mut s = String::new();
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        if w.text.is_empty() || w.text.contains(char::is_whitespace) {
            s.push('\'');
            s.push_str(&w.text);
            s.push('\'');
        } else {
            s.push_str(&w.text);
        }
    }
    s
}

/// The command's name: `/usr/bin/cat` → `cat`. A path outside the system
/// folders is a script of the project's own.
fn command_name(text: &str) -> (String, bool) {
    if !text.contains('/') {
        return (text.to_string(), false);
    }
    let base = text.rsplit('/').next().unwrap_or(text).to_string();
    let system = [
        "/bin/",
        "/usr/bin/",
        "/usr/local/bin/",
        "/sbin/",
        "/usr/sbin/",
        "/opt/homebrew/bin/",
    ]
    .iter()
    .any(|d| text.starts_with(d) && !text[d.len()..].contains('/'));
    let wrapper_script = matches!(base.as_str(), "gradlew" | "mvnw" | "manage.py");
    (base, !system && !wrapper_script)
}

impl State<'_> {
    fn resolve_action_path(&self, path: &Path) -> PathBuf {
        let text = path.to_string_lossy();
        resolve(&text, Some(&self.ctx.worktree), &self.ctx.home)
            .unwrap_or_else(|| self.ctx.worktree.join(path))
    }

    fn resolve(&self, text: &str) -> Option<PathBuf> {
        resolve(text, self.cwd.as_deref(), &self.ctx.home)
    }

    fn file_part(&mut self, op: FileOp, path: &Path, shown: &str) {
        let mut p = Part::new(
            match op {
                FileOp::Read => format!("read {shown}"),
                FileOp::Write => format!("write {shown}"),
            },
            OwnedSubject::File(op, path.to_path_buf()),
        );
        match op {
            FileOp::Read => {
                if let Some(why) = secret_reason(path, &self.ctx.home) {
                    p.raise(
                        Deny,
                        "default:secret-read",
                        format!(
                            "{} is {why}: secret-bearing files are never read",
                            path.display()
                        ),
                    );
                }
                p.raise(Allow, "default:read", "reading files is allowed");
            }
            FileOp::Write => {
                let w = Word::lit(path.to_string_lossy().into_owned());
                self.write_check(&mut p, &w);
            }
        }
        self.out.push(p);
    }

    fn fetch(&mut self, url: &str) {
        let trimmed = url.trim();
        if let Some(path) = trimmed.strip_prefix("file://") {
            let p = self.resolve_action_path(Path::new(path));
            self.file_part(FileOp::Read, &p, path);
            return;
        }
        let after_scheme = trimmed.split_once("://").map(|(_, r)| r).unwrap_or(trimmed);
        let authority = after_scheme.split(['/', '?', '#']).next().unwrap_or("");
        let host_port = authority.rsplit('@').next().unwrap_or(authority);
        let host = if host_port.starts_with('[') {
            host_port
                .split(']')
                .next()
                .unwrap_or("")
                .trim_start_matches('[')
        } else {
            host_port.split(':').next().unwrap_or("")
        }
        .trim_end_matches('.')
        .to_ascii_lowercase();
        let mut p = Part::new(
            format!("fetch {trimmed}"),
            OwnedSubject::Domain(host.clone()),
        );
        if host.is_empty() {
            p.raise(
                Ask,
                "default:fetch",
                format!("cannot read a host in `{trimmed}`; ask first"),
            );
        } else {
            p.raise(
                Ask,
                "default:fetch",
                format!("{host} is not on an allowed domain list; ask first"),
            );
        }
        self.out.push(p);
    }

    fn shell(&mut self, src: &str, depth: usize) {
        if depth > MAX_DEPTH {
            let mut p = Part::new(src.to_string(), OwnedSubject::Nothing);
            p.raise(
                Ask,
                "default:unparsed",
                "commands nested too deeply to follow",
            );
            self.out.push(p);
            return;
        }
        for piece in shell::pieces(src, &mut self.vars) {
            match piece {
                Piece::Command {
                    words,
                    assigns,
                    stdin,
                    piped,
                } => self.command(&words, &assigns, stdin.as_deref(), piped, depth, false),
                Piece::Redirect { op, target } => self.redirect(op, &target),
                Piece::Mention { word } => {
                    let mut p = Part::new(word.text.clone(), OwnedSubject::Nothing);
                    self.secret_check(&mut p, std::slice::from_ref(&word));
                    if !p.rule.is_empty() {
                        self.out.push(p);
                    }
                }
                Piece::Unparsed { text, reason } => {
                    let mut p = Part::new(text, OwnedSubject::Nothing);
                    p.raise(Ask, "default:unparsed", format!("{reason}; ask first"));
                    self.out.push(p);
                }
            }
        }
    }

    fn redirect(&mut self, op: FileOp, target: &Word) {
        let sym = match op {
            FileOp::Read => "<",
            FileOp::Write => ">",
        };
        let display = format!("{sym} {}", target.text);
        if target.dynamic {
            let mut p = Part::new(display, OwnedSubject::Nothing);
            self.secret_check(&mut p, std::slice::from_ref(target));
            if op == FileOp::Write {
                self.paddock_state_check(&mut p, target, "redirects to");
            }
            p.raise(
                Ask,
                "default:dynamic-path",
                format!(
                    "redirects to `{}`, a path only known at run time",
                    target.text
                ),
            );
            self.out.push(p);
            return;
        }
        match self.resolve(&target.text) {
            Some(path) => {
                let mut p = Part::new(display, OwnedSubject::File(op, path.clone()));
                match op {
                    FileOp::Read => {
                        self.secret_check(&mut p, std::slice::from_ref(target));
                        p.raise(Allow, "default:read", "reading files is allowed");
                    }
                    FileOp::Write => {
                        self.secret_check(&mut p, std::slice::from_ref(target));
                        self.write_check(&mut p, target);
                    }
                }
                self.out.push(p);
            }
            None => {
                let mut p = Part::new(display, OwnedSubject::Nothing);
                self.secret_check(&mut p, std::slice::from_ref(target));
                p.raise(
                    Ask,
                    "default:dynamic-path",
                    "redirects relative to a directory only known at run time",
                );
                self.out.push(p);
            }
        }
    }

    /// Any argument that names a secret-bearing path denies the part.
    fn secret_check(&self, p: &mut Part, words: &[Word]) {
        for w in words {
            for cand in candidates(&w.text) {
                let why = match self.resolve(cand) {
                    Some(abs) => secret_reason(&abs, &self.ctx.home),
                    None => secret_reason(Path::new(cand), &self.ctx.home),
                };
                if let Some(why) = why {
                    p.raise(
                        Deny,
                        "default:secret-read",
                        format!(
                            "`{}` names {why}: secret-bearing files are never read, by any tool",
                            w.text
                        ),
                    );
                    return;
                }
            }
            for v in &w.vars {
                let up = v.to_ascii_uppercase();
                if SECRETISH_VARS.iter().any(|s| up.contains(s)) {
                    p.raise(
                        Ask,
                        "default:secret-variable",
                        format!("expands ${v}, which looks like a secret"),
                    );
                }
            }
        }
    }

    /// Inline code (python -c, node -e, …): any token naming a secret denies.
    fn code_check(&self, p: &mut Part, code: &str) {
        let tokens: Vec<Word> = code
            .split(|c: char| !(c.is_ascii_alphanumeric() || "._/~-@".contains(c)))
            .filter(|t| !t.is_empty())
            .map(Word::lit)
            .collect();
        self.secret_check(p, &tokens);
    }

    fn write_check(&self, p: &mut Part, w: &Word) {
        if self.paddock_state_check(p, w, "writes") {
            return;
        }
        if w.dynamic {
            p.raise(
                Ask,
                "default:dynamic-path",
                format!("writes to `{}`, a path only known at run time", w.text),
            );
            return;
        }
        let Some(path) = self.resolve(&w.text) else {
            p.raise(
                Ask,
                "default:dynamic-path",
                format!(
                    "writes `{}` relative to a directory only known at run time",
                    w.text
                ),
            );
            return;
        };
        let wt = &self.ctx.worktree;
        if is_harmless_device(&path) {
            p.raise(
                Allow,
                "default:worktree-edit",
                "writes to a harmless device",
            );
        } else if path.starts_with(wt) {
            if path.starts_with(wt.join(".git")) {
                p.raise(
                    Ask,
                    "default:git-internals",
                    format!(
                        "writes {} inside .git (hooks and config run code)",
                        path.display()
                    ),
                );
            } else {
                p.raise(
                    Allow,
                    "default:worktree-edit",
                    "edits inside the task's worktree (reviewed later)",
                );
            }
        } else {
            p.raise(
                Deny,
                "default:write-outside-worktree",
                format!("writes {} outside the task's worktree", path.display()),
            );
        }
    }

    /// Paddock's own state (`$PADDOCK_HOME`: the database, the approvals,
    /// the user's `policy.toml`; the task worktrees under it excepted) is the
    /// user's, never the agent's. True when `w` names it (→ Deny raised).
    fn paddock_state_check(&self, p: &mut Part, w: &Word, verb: &str) -> bool {
        let named = w.text.contains("PADDOCK_HOME")
            || (!w.dynamic
                && self
                    .resolve(&w.text)
                    .is_some_and(|path| self.in_paddock_home(&path)));
        if named {
            p.raise(
                Deny,
                PADDOCK_CONTROL_RULE,
                format!(
                    "{verb} `{}`, Paddock's own state ($PADDOCK_HOME, the user's policy.toml): {PADDOCK_CONTROL_REASON}",
                    w.text
                ),
            );
        }
        named
    }

    fn in_paddock_home(&self, path: &Path) -> bool {
        let mut roots: Vec<PathBuf> = vec![
            self.ctx.home.join(".local/share/paddock"),
            self.ctx.home.join("Library/Application Support/paddock"),
        ];
        for var in ["PADDOCK_HOME", "XDG_DATA_HOME"] {
            if let Some(v) = std::env::var_os(var).filter(|v| !v.is_empty()) {
                let v = PathBuf::from(v);
                roots.push(if var == "XDG_DATA_HOME" {
                    v.join("paddock")
                } else {
                    v
                });
            }
        }
        let wt = &self.ctx.worktree;
        roots.iter().any(|root| {
            path.starts_with(root)
                && !path.starts_with(root.join("worktrees"))
                && !path.starts_with(wt)
        })
    }

    fn delete_check(&self, p: &mut Part, w: &Word) {
        if self.paddock_state_check(p, w, "deletes") {
            return;
        }
        if w.dynamic {
            p.raise(
                Ask,
                "default:delete",
                format!("deletes `{}`, a path only known at run time", w.text),
            );
            return;
        }
        let Some(path) = self.resolve(&w.text) else {
            p.raise(
                Ask,
                "default:delete",
                "deletes relative to a directory only known at run time",
            );
            return;
        };
        let wt = &self.ctx.worktree;
        if !path.starts_with(wt) {
            p.raise(
                Deny,
                "default:delete-outside-worktree",
                format!("deletes {} outside the task's worktree", path.display()),
            );
        } else if &path == wt {
            p.raise(
                Deny,
                "default:delete-outside-worktree",
                "deletes the whole worktree",
            );
        } else if path.starts_with(wt.join(".git")) {
            p.raise(Ask, "default:git-internals", "deletes git internals");
        } else if is_build_output(&path, wt) {
            p.raise(
                Allow,
                "default:build-output-delete",
                "deletes build output inside the worktree",
            );
        } else {
            p.raise(
                Ask,
                "default:delete",
                format!(
                    "deletes {} in the worktree: ask before deleting",
                    path.display()
                ),
            );
        }
    }

    /// A recursive copy or archive of a folder that holds the secret folders.
    fn bulk_source_check(&self, p: &mut Part, w: &Word) {
        if let Some(path) = self.resolve(&w.text) {
            if self.ctx.home.starts_with(&path) {
                p.raise(
                    Deny,
                    "default:secret-read",
                    format!(
                        "copies or archives {}, which holds secret folders (~/.ssh, ~/.aws, …)",
                        path.display()
                    ),
                );
            }
        }
    }

    fn push(&mut self, p: Part) {
        self.out.push(p);
    }

    /// One simple command. `unknown_args`: it gets more arguments at run
    /// time (xargs, find -exec).
    fn command(
        &mut self,
        words: &[Word],
        assigns: &[String],
        stdin: Option<&str>,
        piped: bool,
        depth: usize,
        unknown_args: bool,
    ) {
        let Some(first) = words.first() else { return };
        let texts: Vec<String> = words.iter().map(|w| w.text.clone()).collect();
        let mut full = self.prefix.clone();
        full.extend(texts.iter().cloned());
        let mut p = Part::new(join(words), OwnedSubject::Command(texts, full));
        for a in assigns {
            if DANGEROUS_ENV.contains(&a.as_str()) {
                p.raise(
                    Ask,
                    "default:env-override",
                    format!("sets {a}, which changes what runs"),
                );
            }
        }
        if first.dynamic {
            self.secret_check(&mut p, words);
            p.raise(
                Ask,
                "default:dynamic-command",
                format!(
                    "the command name `{}` is only known at run time",
                    first.text
                ),
            );
            self.push(p);
            return;
        }
        let (name, script) = command_name(&first.text);
        if name == "paddock" {
            paddock_control_check(&mut p, &words[1..]);
        }
        if script {
            self.secret_check(&mut p, words);
            p.raise(
                Ask,
                "default:script",
                format!("runs `{}`, a script Paddock cannot see", first.text),
            );
            self.push(p);
            return;
        }
        let args = &words[1..];

        // Wrappers: decide the command they run.
        if let Some(outcome) = self.wrapper(&name, args, &mut p, stdin, piped, depth, unknown_args)
        {
            if outcome {
                self.push(p);
            }
            return;
        }

        self.secret_check(&mut p, words);
        let read_only = self.classify(&name, args, &mut p, stdin, piped, depth);
        if read_only && !NO_FILE_ARGS.contains(&name.as_str()) {
            for a in args {
                if a.dynamic {
                    p.raise(
                        Ask,
                        "default:dynamic-argument",
                        format!(
                            "argument `{}` is only known at run time and could name a secret",
                            a.text
                        ),
                    );
                } else if a.glob && glob_may_match_secret(&a.text) {
                    p.raise(
                        Ask,
                        "default:secret-glob",
                        format!("glob `{}` could expand to a secret-bearing file", a.text),
                    );
                }
            }
        }
        if unknown_args && p.verdict == Allow && !read_only {
            p.raise(
                Ask,
                "default:unknown-arguments",
                format!("`{name}` gets arguments only known at run time (xargs / find -exec)"),
            );
        }
        self.push(p);
    }

    /// Unwrap a wrapper. `None`: not a wrapper. `Some(push)`: handled; push
    /// the wrapper's own part if `push`.
    #[allow(clippy::too_many_arguments)]
    fn wrapper(
        &mut self,
        name: &str,
        args: &[Word],
        p: &mut Part,
        stdin: Option<&str>,
        piped: bool,
        depth: usize,
        unknown_args: bool,
    ) -> Option<bool> {
        // (index of the inner command in args, extra unknown args)
        let mut inner_unknown = unknown_args;
        let mut env_assigns: Vec<String> = Vec::new();
        let mut replace: Option<String> = None;
        let start: usize = match name {
            "sudo" | "doas" => {
                p.raise(
                    Ask,
                    "default:privilege",
                    format!("`{name}` runs the command as root"),
                );
                let with_value = [
                    "-u",
                    "-g",
                    "-p",
                    "-C",
                    "-D",
                    "-h",
                    "-r",
                    "-t",
                    "-T",
                    "-U",
                    "--user",
                    "--group",
                    "--prompt",
                    "--chdir",
                    "--host",
                    "--role",
                    "--type",
                    "--close-from",
                ];
                let mut i = 0;
                while i < args.len() && is_flag(&args[i].text) {
                    let t = args[i].text.as_str();
                    if t == "--" {
                        i += 1;
                        break;
                    }
                    if matches!(t, "-s" | "-i" | "--shell" | "--login") {
                        p.raise(Ask, "default:privilege", "opens a root shell");
                    }
                    if with_value.contains(&t) {
                        i += 1;
                    }
                    i += 1;
                }
                i
            }
            "env" => {
                let with_value = ["-u", "--unset", "-C", "--chdir", "-S", "--split-string"];
                let mut i = 0;
                while i < args.len() {
                    let t = args[i].text.as_str();
                    if t == "--" {
                        i += 1;
                        break;
                    }
                    if matches!(t, "-S" | "--split-string") || t.starts_with("--split-string=") {
                        p.raise(
                            Ask,
                            "default:dynamic-command",
                            "env -S splits a string into a command",
                        );
                    }
                    if is_flag(t) {
                        if with_value.contains(&t) {
                            i += 1;
                        }
                        i += 1;
                    } else if t.contains('=') && !t.starts_with('=') {
                        env_assigns.push(t.split('=').next().unwrap_or("").to_string());
                        i += 1;
                    } else {
                        break;
                    }
                }
                if i >= args.len() {
                    self.secret_check(p, args);
                    p.raise(
                        Ask,
                        "default:env-dump",
                        "prints the whole environment, which may hold secrets",
                    );
                    return Some(true);
                }
                i
            }
            "timeout" => {
                let with_value = ["-s", "-k", "--signal", "--kill-after"];
                let mut i = 0;
                while i < args.len() && is_flag(&args[i].text) {
                    if with_value.contains(&args[i].text.as_str()) {
                        i += 1;
                    }
                    i += 1;
                }
                i + 1 // the duration
            }
            "nice" => {
                let mut i = 0;
                while i < args.len() && is_flag(&args[i].text) {
                    if args[i].text == "-n" {
                        i += 1;
                    }
                    i += 1;
                }
                i
            }
            "nohup" | "builtin" | "unbuffer" | "setsid" | "chronic" => {
                let mut i = 0;
                while i < args.len() && is_flag(&args[i].text) {
                    i += 1;
                }
                i
            }
            "command" => {
                if args.iter().any(|a| matches!(a.text.as_str(), "-v" | "-V")) {
                    p.raise(Allow, "default:read-only", "looks a command up");
                    return Some(true);
                }
                let mut i = 0;
                while i < args.len() && is_flag(&args[i].text) {
                    i += 1;
                }
                i
            }
            "exec" => {
                let mut i = 0;
                while i < args.len() && is_flag(&args[i].text) {
                    if args[i].text == "-a" {
                        i += 1;
                    }
                    i += 1;
                }
                i
            }
            "time" => {
                let mut i = 0;
                while i < args.len() && is_flag(&args[i].text) {
                    let t = args[i].text.as_str();
                    if matches!(t, "-o" | "--output") {
                        if let Some(f) = args.get(i + 1) {
                            self.write_check(p, f);
                        }
                        i += 1;
                    } else if matches!(t, "-f" | "--format") {
                        i += 1;
                    }
                    i += 1;
                }
                i
            }
            "stdbuf" => {
                let mut i = 0;
                while i < args.len() && is_flag(&args[i].text) {
                    if matches!(args[i].text.as_str(), "-i" | "-o" | "-e") {
                        i += 1;
                    }
                    i += 1;
                }
                i
            }
            "ionice" => {
                let mut i = 0;
                while i < args.len() && is_flag(&args[i].text) {
                    if matches!(args[i].text.as_str(), "-c" | "-n" | "-p" | "-P" | "-u") {
                        i += 1;
                    }
                    i += 1;
                }
                i
            }
            "watch" => {
                let mut i = 0;
                while i < args.len() && is_flag(&args[i].text) {
                    if matches!(
                        args[i].text.as_str(),
                        "-n" | "--interval" | "-q" | "--equexit"
                    ) {
                        i += 1;
                    }
                    i += 1;
                }
                i
            }
            "busybox" => 0,
            "xargs" => {
                inner_unknown = true;
                let with_value = [
                    "-I",
                    "-n",
                    "-L",
                    "-P",
                    "-s",
                    "-d",
                    "-E",
                    "-a",
                    "--arg-file",
                    "--delimiter",
                    "--max-args",
                    "--max-procs",
                    "--max-lines",
                    "--max-chars",
                    "--eof",
                ];
                let mut i = 0;
                while i < args.len() && is_flag(&args[i].text) {
                    let t = args[i].text.as_str();
                    if t == "--" {
                        i += 1;
                        break;
                    }
                    if t == "-I" {
                        replace = args.get(i + 1).map(|w| w.text.clone());
                        i += 1;
                    } else if let Some(r) = t.strip_prefix("-I") {
                        replace = Some(r.to_string());
                    } else if t == "-i" || t == "--replace" {
                        replace = Some("{}".into());
                    } else if let Some(r) = t.strip_prefix("--replace=") {
                        replace = Some(r.to_string());
                    } else if let Some(r) = t.strip_prefix("-i") {
                        replace = Some(r.to_string());
                    } else if with_value.contains(&t) {
                        i += 1;
                    }
                    i += 1;
                }
                if i >= args.len() {
                    // xargs alone runs echo.
                    p.raise(
                        Allow,
                        "default:read-only",
                        "xargs with no command only echoes",
                    );
                    return Some(true);
                }
                i
            }
            "uv" | "poetry" | "pipenv" | "bundle" | "pnpm" | "yarn" | "npm"
                if matches!(
                    (name, args.first().map(|w| w.text.as_str())),
                    ("uv" | "poetry" | "pipenv", Some("run"))
                        | ("bundle", Some("exec"))
                        | ("pnpm" | "yarn", Some("exec"))
                        | ("npm", Some("exec" | "x"))
                ) =>
            {
                let mut i = 1;
                let with_value = [
                    "--with",
                    "--python",
                    "-p",
                    "--project",
                    "--directory",
                    "--env-file",
                    "--extra",
                    "--group",
                    "--package",
                    "-c",
                    "--call",
                ];
                while i < args.len() && is_flag(&args[i].text) {
                    if args[i].text == "--" {
                        i += 1;
                        break;
                    }
                    if matches!(args[i].text.as_str(), "-c" | "--call") {
                        if let Some(code) = args.get(i + 1) {
                            self.shell_string(p, code, depth);
                        }
                        return Some(true);
                    }
                    if with_value.contains(&args[i].text.as_str()) {
                        i += 1;
                    }
                    i += 1;
                }
                i
            }
            n if RUNNERS.contains(&n) => {
                let with_value = ["-p", "--package", "--with", "--python", "--from"];
                let mut i = 0;
                while i < args.len() && is_flag(&args[i].text) {
                    let t = args[i].text.as_str();
                    if t == "--" {
                        i += 1;
                        break;
                    }
                    if matches!(t, "-c" | "--call") {
                        if let Some(code) = args.get(i + 1) {
                            self.shell_string(p, code, depth);
                        }
                        return Some(true);
                    }
                    if with_value.contains(&t) {
                        i += 1;
                    }
                    i += 1;
                }
                i
            }
            _ => return None,
        };

        // The wrapper's own options may name secrets too.
        let own = &args[..start.min(args.len())];
        self.secret_check(p, own);
        for a in &env_assigns {
            if DANGEROUS_ENV.contains(&a.as_str()) {
                p.raise(
                    Ask,
                    "default:env-override",
                    format!("sets {a}, which changes what runs"),
                );
            }
        }
        let push_own = !p.rule.is_empty();
        if start >= args.len() {
            p.raise(
                Ask,
                "default:unknown-command",
                format!("`{name}` with no command to run"),
            );
            return Some(true);
        }
        let mut inner: Vec<Word> = args[start..].to_vec();
        if let Some(r) = &replace {
            for w in inner.iter_mut() {
                if !r.is_empty() && w.text.contains(r.as_str()) {
                    w.dynamic = true;
                }
            }
        }
        if push_own {
            let own_part = p.clone();
            self.push(own_part);
        }
        let saved = self.prefix.len();
        self.prefix.push(name.to_string());
        self.prefix
            .extend(args[..start].iter().map(|w| w.text.clone()));
        self.command(&inner, &env_assigns, stdin, piped, depth + 1, inner_unknown);
        self.prefix.truncate(saved);
        Some(false)
    }

    /// `bash -c STRING` and friends: read the string as shell code.
    fn shell_string(&mut self, p: &mut Part, code: &Word, depth: usize) {
        if code.dynamic {
            self.secret_check(p, std::slice::from_ref(code));
            p.raise(
                Ask,
                "default:dynamic-command",
                format!("runs shell code `{}` only known at run time", code.text),
            );
            self.push(p.clone());
        } else {
            self.shell(&code.text.clone(), depth + 1);
        }
    }

    /// Decide a non-wrapper command into `p`. Returns whether it only reads.
    fn classify(
        &mut self,
        name: &str,
        args: &[Word],
        p: &mut Part,
        stdin: Option<&str>,
        piped: bool,
        depth: usize,
    ) -> bool {
        let sub = args
            .iter()
            .find(|a| !is_flag(&a.text))
            .map(|a| a.text.as_str());
        let first = args.first().map(|a| a.text.as_str());
        match name {
            "rm" | "unlink" | "shred" => {
                if args.iter().any(|a| a.text == "--no-preserve-root") {
                    p.raise(
                        Deny,
                        "default:delete-outside-worktree",
                        "rm --no-preserve-root",
                    );
                }
                for t in positionals(args, &[]) {
                    self.delete_check(p, t);
                }
                p.raise(Allow, "default:delete", "nothing to delete");
                false
            }
            "mkdir" | "touch" | "rmdir" | "mkfifo" | "tee" => {
                let with_value = ["-m", "--mode", "-d", "--date", "-r", "--reference", "-t"];
                for t in positionals(args, &with_value) {
                    self.write_check(p, t);
                }
                p.raise(
                    Allow,
                    "default:worktree-edit",
                    "edits inside the task's worktree (reviewed later)",
                );
                false
            }
            "truncate" => {
                for t in positionals(args, &["-s", "--size", "-r", "--reference"]) {
                    self.write_check(p, t);
                }
                p.raise(
                    Allow,
                    "default:worktree-edit",
                    "edits inside the task's worktree (reviewed later)",
                );
                false
            }
            "chmod" | "chown" | "chgrp" => {
                let pos = positionals(args, &[]);
                let skip = if args.iter().any(|a| a.text.starts_with("--reference")) {
                    0
                } else {
                    1
                };
                for t in pos.into_iter().skip(skip) {
                    self.write_check(p, t);
                }
                p.raise(
                    Allow,
                    "default:worktree-edit",
                    "changes permissions inside the worktree",
                );
                false
            }
            "cp" | "install" | "ln" | "mv" | "rsync" | "scp" => {
                let with_value = [
                    "-t",
                    "--target-directory",
                    "-S",
                    "--suffix",
                    "-m",
                    "-o",
                    "-g",
                    "--mode",
                    "--owner",
                    "--group",
                    "-e",
                    "--rsh",
                    "-P",
                    "-i",
                    "-F",
                    "--exclude",
                    "--include",
                    "-l",
                ];
                let pos = positionals(args, &with_value);
                let recursive = has_flag(args, &["--recursive", "--archive"], 'r')
                    || has_flag(args, &[], 'R')
                    || has_flag(args, &[], 'a');
                if matches!(name, "rsync" | "scp") {
                    let remote = pos.iter().any(|w| is_remote_spec(&w.text));
                    if remote || name == "scp" {
                        for s in &pos {
                            if !is_remote_spec(&s.text) {
                                self.bulk_source_check(p, s);
                            }
                        }
                        p.raise(
                            Ask,
                            "default:network",
                            format!("`{name}` copies over the network"),
                        );
                        return false;
                    }
                }
                let targets = flag_values(args, &["-t"], &["--target-directory"]);
                let (sources, dests): (Vec<&Word>, Vec<Word>) = if !targets.is_empty() {
                    (pos.clone(), targets)
                } else if pos.len() >= 2 {
                    (
                        pos[..pos.len() - 1].to_vec(),
                        vec![pos[pos.len() - 1].clone()],
                    )
                } else if name == "ln" && pos.len() == 1 {
                    let base = pos[0].text.rsplit('/').next().unwrap_or("").to_string();
                    (Vec::new(), vec![Word::lit(base)])
                } else {
                    (pos.clone(), Vec::new())
                };
                for d in &dests {
                    self.write_check(p, d);
                }
                for s in &sources {
                    if name == "mv" {
                        self.write_check(p, s);
                    } else if recursive || name == "rsync" {
                        self.bulk_source_check(p, s);
                    }
                }
                p.raise(
                    Allow,
                    "default:worktree-edit",
                    "edits inside the task's worktree (reviewed later)",
                );
                false
            }
            "dd" => {
                for a in args {
                    if let Some(of) = a.text.strip_prefix("of=") {
                        let mut w = a.clone();
                        w.text = of.to_string();
                        self.write_check(p, &w);
                    }
                }
                p.raise(Allow, "default:read-only", "copies data to stdout");
                false
            }
            "patch" => {
                for o in flag_values(args, &["-o"], &["--output"]) {
                    self.write_check(p, &o);
                }
                let here = Word::lit(".");
                self.write_check(p, &here);
                false
            }
            "gzip" | "gunzip" | "bzip2" | "bunzip2" | "xz" | "unxz" | "zstd" | "unzstd" | "lz4" => {
                let to_stdout =
                    has_flag(args, &["--stdout", "--to-stdout", "--list", "--test"], 'c')
                        || has_flag(args, &[], 'l')
                        || has_flag(args, &[], 't');
                if !to_stdout {
                    for t in positionals(args, &["-S", "--suffix"]) {
                        self.write_check(p, t);
                    }
                }
                p.raise(
                    Allow,
                    "default:worktree-edit",
                    "compresses files inside the worktree",
                );
                false
            }
            "unzip" => {
                let listing = has_flag(args, &[], 'l')
                    || has_flag(args, &[], 'p')
                    || has_flag(args, &[], 't');
                if !listing {
                    let dirs = flag_values(args, &["-d"], &[]);
                    if dirs.is_empty() {
                        self.write_check(p, &Word::lit("."));
                    }
                    for d in dirs {
                        self.write_check(p, &d);
                    }
                }
                p.raise(Allow, "default:read-only", "lists an archive");
                listing
            }
            "tar" | "bsdtar" => self.tar(args, p),
            "find" => self.find(args, p, depth),
            "zip" | "7z" | "7za" | "rar" => {
                let pos = positionals(args, &["-x", "-i", "-P", "--password"]);
                let mut iter = pos.into_iter();
                if name == "7z" || name == "7za" {
                    iter.next(); // the 7z sub-command (a, x, l)
                }
                if let Some(archive) = iter.next() {
                    self.write_check(p, archive);
                }
                for s in iter {
                    self.bulk_source_check(p, s);
                }
                p.raise(
                    Allow,
                    "default:worktree-edit",
                    "writes an archive inside the worktree",
                );
                false
            }
            "sed" => {
                let in_place = args.iter().any(|a| {
                    let t = a.text.as_str();
                    t == "--in-place"
                        || t.starts_with("--in-place=")
                        || (t.starts_with('-')
                            && !t.starts_with("--")
                            && t.contains('i')
                            && !a.dynamic)
                });
                let explicit_script =
                    has_flag(args, &["--expression", "--file"], 'e') || has_flag(args, &[], 'f');
                let mut scripts: Vec<Word> = flag_values(args, &["-e"], &["--expression"]);
                let pos = positionals(
                    args,
                    &["-e", "-f", "-l", "--expression", "--file", "--line-length"],
                );
                let files: Vec<&Word> = if explicit_script {
                    pos
                } else {
                    let mut it = pos.into_iter();
                    if let Some(s) = it.next() {
                        scripts.push(s.clone());
                    }
                    it.collect()
                };
                for s in &scripts {
                    let t = &s.text;
                    if ["w ", "W ", "/w", "/e", "e ", ";e", "\ne"]
                        .iter()
                        .any(|m| t.contains(m))
                        || t.starts_with('e')
                    {
                        p.raise(
                            Ask,
                            "default:script",
                            "the sed script can run commands or write files",
                        );
                    }
                }
                if in_place {
                    for f in files {
                        self.write_check(p, f);
                    }
                    p.raise(
                        Allow,
                        "default:worktree-edit",
                        "edits files inside the worktree (reviewed later)",
                    );
                    false
                } else {
                    p.raise(Allow, "default:read-only", "reads and transforms text");
                    true
                }
            }
            "awk" | "gawk" | "mawk" | "nawk" => {
                let pos = positionals(
                    args,
                    &[
                        "-F",
                        "-v",
                        "-f",
                        "-i",
                        "--field-separator",
                        "--assign",
                        "--file",
                        "--include",
                    ],
                );
                let prog_file = has_flag(args, &["--file"], 'f');
                if prog_file {
                    p.raise(Ask, "default:script", "runs an awk program from a file");
                } else if let Some(prog) = pos.first() {
                    let t = &prog.text;
                    if [
                        "system", "getline", "|", "print >", "print>", "printf >", "printf>", "}>",
                    ]
                    .iter()
                    .any(|m| t.contains(m))
                    {
                        p.raise(
                            Ask,
                            "default:script",
                            "the awk program can run commands or write files",
                        );
                    }
                }
                if args.iter().any(|a| a.text == "inplace") {
                    for f in pos.iter().skip(1) {
                        self.write_check(p, f);
                    }
                }
                p.raise(Allow, "default:read-only", "reads and transforms text");
                true
            }
            "sort" | "uniq" | "xxd" | "tree" | "yq" => {
                for o in flag_values(args, &["-o"], &["--output"]) {
                    if name != "yq" {
                        self.write_check(p, &o);
                    }
                }
                if name == "yq" && has_flag(args, &["--inplace"], 'i') {
                    for f in positionals(args, &[]).into_iter().skip(1) {
                        self.write_check(p, f);
                    }
                }
                if matches!(name, "uniq" | "xxd") {
                    let pos = positionals(args, &["-c", "-s", "-f", "-w", "-g", "-l", "-o", "-n"]);
                    if let Some(out) = pos.get(1) {
                        self.write_check(p, out);
                    }
                }
                p.raise(
                    Allow,
                    "default:read-only",
                    "reads, searches or inspects only",
                );
                true
            }
            "cd" | "pushd" | "popd" => {
                self.change_dir(name, args);
                p.raise(Allow, "default:read-only", "changes directory");
                true
            }
            "printenv" => {
                if args.is_empty() {
                    p.raise(
                        Ask,
                        "default:env-dump",
                        "prints the whole environment, which may hold secrets",
                    );
                } else {
                    for a in args {
                        let up = a.text.to_ascii_uppercase();
                        if SECRETISH_VARS.iter().any(|s| up.contains(s)) {
                            p.raise(
                                Ask,
                                "default:secret-variable",
                                format!("prints {}, which looks like a secret", a.text),
                            );
                        }
                    }
                    p.raise(Allow, "default:read-only", "prints named variables");
                }
                true
            }
            "set" | "export" | "declare" | "typeset" | "readonly" | "local" => {
                let dump = args.is_empty()
                    || args
                        .iter()
                        .all(|a| matches!(a.text.as_str(), "-p" | "-x" | "+x" | "-o" | "-a"));
                if dump && name != "local" {
                    p.raise(
                        Ask,
                        "default:env-dump",
                        "prints the environment and variables, which may hold secrets",
                    );
                }
                for a in args {
                    if DANGEROUS_ENV.contains(&a.text.as_str()) {
                        p.raise(
                            Ask,
                            "default:env-override",
                            format!("sets {}, which changes what runs", a.text),
                        );
                    }
                }
                p.raise(
                    Allow,
                    "default:read-only",
                    "sets shell options or variables",
                );
                true
            }
            "source" | "." => {
                p.raise(
                    Ask,
                    "default:source",
                    format!(
                        "sources `{}`, a script Paddock cannot see",
                        first.unwrap_or("")
                    ),
                );
                false
            }
            "eval" => {
                if args.iter().all(|a| !a.dynamic) {
                    let code = args
                        .iter()
                        .map(|a| a.text.as_str())
                        .collect::<Vec<_>>()
                        .join(" ");
                    self.shell(&code, depth + 1);
                }
                p.raise(Ask, "default:eval", "eval runs a string as code");
                false
            }
            "alias" | "unalias" | "trap" | "function" | "enable" => {
                if args.is_empty() {
                    p.raise(Allow, "default:read-only", "lists definitions");
                    true
                } else {
                    p.raise(
                        Ask,
                        "default:alias",
                        format!("`{name}` changes what later commands do"),
                    );
                    false
                }
            }
            "kill" | "pkill" | "killall" | "systemctl" | "service" | "launchctl" | "crontab"
            | "at" | "shutdown" | "reboot" | "halt" | "poweroff" | "mount" | "umount"
            | "chroot" | "useradd" | "usermod" | "passwd" => {
                p.raise(
                    Ask,
                    "default:system",
                    format!("`{name}` changes the system or other processes"),
                );
                false
            }
            "mkfs" | "fdisk" | "parted" | "wipefs" => {
                p.raise(
                    Deny,
                    "default:write-outside-worktree",
                    format!("`{name}` writes disks"),
                );
                false
            }
            "git" => self.git(args, p),
            "cargo" => {
                self.cargo(args, p);
                false
            }
            "npm" | "pnpm" | "yarn" | "bun" => {
                self.node_pm(name, args, p);
                false
            }
            "deno" => {
                match sub {
                    Some("test" | "lint" | "fmt" | "check" | "bench" | "doc" | "info" | "task") => {
                        p.raise(Allow, "default:build", "tests, lint or local build")
                    }
                    Some("install" | "add" | "cache") => {
                        p.raise(Ask, "default:install", "installs packages")
                    }
                    Some("publish" | "deploy") => {
                        p.raise(Deny, "default:deploy", "publishes or deploys")
                    }
                    _ => p.raise(Ask, "default:script", "runs a script Paddock cannot see"),
                }
                false
            }
            "pip" | "pip3" => {
                self.pip(args, p);
                false
            }
            "uv" => {
                match sub {
                    Some("pip") => self.pip(&args[1..], p),
                    Some("venv" | "lock" | "tree" | "version" | "--version") => {
                        p.raise(Allow, "default:build", "local environment")
                    }
                    Some("publish") => p.raise(Deny, "default:deploy", "publishes a package"),
                    Some("add" | "remove" | "sync" | "tool" | "python" | "self") => {
                        p.raise(Ask, "default:install", "changes installed packages")
                    }
                    Some("build") => p.raise(Allow, "default:build", "local build"),
                    _ => p.raise(Ask, "default:unknown-command", "unknown uv sub-command"),
                }
                false
            }
            "poetry" | "pipenv" | "pdm" | "hatch" => {
                match sub {
                    Some(
                        "install" | "add" | "remove" | "update" | "lock" | "sync" | "uninstall",
                    ) => p.raise(Ask, "default:install", "changes installed packages"),
                    Some("publish") => p.raise(Deny, "default:deploy", "publishes a package"),
                    Some(
                        "build" | "check" | "show" | "graph" | "version" | "--version" | "test"
                        | "fmt",
                    ) => p.raise(Allow, "default:build", "local build or inspection"),
                    _ => p.raise(
                        Ask,
                        "default:unknown-command",
                        format!("unknown {name} sub-command"),
                    ),
                }
                false
            }
            "go" => {
                match sub {
                    Some(
                        "test" | "build" | "vet" | "fmt" | "run" | "doc" | "list" | "version"
                        | "env" | "clean" | "help" | "tool",
                    ) => p.raise(Allow, "default:build", "tests, lint or local build"),
                    Some("mod") => match args.get(1).map(|a| a.text.as_str()) {
                        Some("graph" | "why" | "edit" | "verify" | "init") => {
                            p.raise(Allow, "default:build", "inspects modules")
                        }
                        _ => p.raise(Ask, "default:install", "downloads or changes dependencies"),
                    },
                    Some("get" | "install" | "work") => {
                        p.raise(Ask, "default:install", "downloads or installs packages")
                    }
                    Some("generate") => p.raise(
                        Ask,
                        "default:script",
                        "go generate runs commands named in the source",
                    ),
                    _ => p.raise(Ask, "default:unknown-command", "unknown go sub-command"),
                }
                false
            }
            "make" | "gmake" | "just" | "task" => {
                let pos = positionals(
                    args,
                    &[
                        "-C",
                        "-f",
                        "-j",
                        "-l",
                        "-o",
                        "-W",
                        "-I",
                        "--directory",
                        "--file",
                    ],
                );
                let targets: Vec<&str> = pos
                    .iter()
                    .map(|w| w.text.as_str())
                    .filter(|t| !t.contains('='))
                    .collect();
                for t in &targets {
                    let l = t.to_ascii_lowercase();
                    if ["deploy", "release", "publish", "ship"]
                        .iter()
                        .any(|k| l.contains(k))
                    {
                        p.raise(
                            Deny,
                            "default:deploy",
                            format!("`{name} {t}` looks like a deploy or release"),
                        );
                    } else if ["install", "push", "upload", "migrate"]
                        .iter()
                        .any(|k| l.contains(k))
                    {
                        p.raise(
                            Ask,
                            "default:install",
                            format!("`{name} {t}` installs, pushes or migrates"),
                        );
                    }
                }
                if name == "make" || name == "gmake" {
                    p.raise(Allow, "default:build", "local build");
                } else {
                    p.raise(
                        Ask,
                        "default:unknown-command",
                        format!("`{name}` runs recipes Paddock cannot see"),
                    );
                }
                false
            }
            "mvn" | "mvnw" | "gradle" | "gradlew" => {
                let goals: Vec<&str> = positionals(args, &["-P", "-D", "-pl", "-f"])
                    .iter()
                    .map(|w| w.text.as_str())
                    .collect();
                let mut verdict_set = false;
                for g in &goals {
                    let l = g.to_ascii_lowercase();
                    if l.contains("deploy") || l.contains("publish") || l.contains("release") {
                        p.raise(
                            Deny,
                            "default:deploy",
                            format!("`{g}` deploys or publishes"),
                        );
                        verdict_set = true;
                    } else if l == "install" || l.contains("dependency:") {
                        p.raise(Ask, "default:install", format!("`{g}` installs artifacts"));
                        verdict_set = true;
                    }
                }
                if !verdict_set {
                    p.raise(Allow, "default:build", "local build or tests");
                }
                false
            }
            "dotnet" => {
                match sub {
                    Some(
                        "build" | "test" | "format" | "run" | "clean" | "restore" | "publish"
                        | "pack" | "--version" | "--info",
                    ) => p.raise(Allow, "default:build", "local build or tests"),
                    Some("add" | "tool" | "workload") => {
                        p.raise(Ask, "default:install", "installs packages")
                    }
                    Some("nuget") => p.raise(Deny, "default:deploy", "pushes packages"),
                    _ => p.raise(Ask, "default:unknown-command", "unknown dotnet sub-command"),
                }
                false
            }
            "swift" | "zig" | "bazel" | "bazelisk" | "mix" | "rake" | "bundle" | "composer"
            | "playwright" | "cypress" | "coverage" | "tox" | "nox" => {
                self.misc_build(name, sub, args, p);
                false
            }
            n if BUILD_TOOLS.contains(&n) => {
                p.raise(Allow, "default:build", "tests, lint or local build");
                false
            }
            n if SHELLS.contains(&n) => {
                self.shell_cmd(name, args, p, stdin, piped, depth);
                false
            }
            n if INTERPRETERS.contains(&n) => {
                self.interpreter(name, args, p, stdin);
                false
            }
            n if NETWORK_TOOLS.contains(&n) => {
                if matches!(n, "curl" | "wget" | "http" | "xh" | "aria2c") {
                    for o in flag_values(
                        args,
                        &["-o", "-O", "-D", "-c", "-P"],
                        &[
                            "--output",
                            "--output-document",
                            "--dump-header",
                            "--cookie-jar",
                            "--directory-prefix",
                            "--output-file",
                        ],
                    ) {
                        self.write_check(p, &o);
                    }
                }
                if n == "gh"
                    && args
                        .iter()
                        .any(|a| matches!(a.text.as_str(), "delete" | "delete-asset"))
                {
                    p.raise(
                        Deny,
                        "default:deploy",
                        "deletes a remote repository or release",
                    );
                }
                p.raise(Ask, "default:network", format!("`{n}` reaches the network"));
                false
            }
            n if SYSTEM_INSTALLERS.contains(&n) => {
                match sub {
                    Some(
                        "list" | "show" | "info" | "--version" | "-v" | "-V" | "version" | "help"
                        | "--help" | "-l" | "policy",
                    ) if n != "rustup" || sub == Some("show") => {
                        p.raise(Allow, "default:read-only", "lists installed packages")
                    }
                    Some("push") if n == "gem" => {
                        p.raise(Deny, "default:deploy", "publishes a gem")
                    }
                    _ => p.raise(
                        Ask,
                        "default:install",
                        format!("`{n}` installs or changes system packages"),
                    ),
                }
                false
            }
            n if READ_ONLY.contains(&n) => {
                p.raise(
                    Allow,
                    "default:read-only",
                    "reads, searches or inspects only",
                );
                true
            }
            _ => {
                if !self.deploy_or_migration(name, args, p) {
                    p.raise(
                        Ask,
                        "default:unknown-command",
                        format!("`{name}` is not a command Paddock knows; ask first"),
                    );
                }
                false
            }
        }
    }

    fn find(&mut self, args: &[Word], p: &mut Part, depth: usize) -> bool {
        let mut roots: Vec<Word> = args
            .iter()
            .take_while(|a| {
                a.dynamic || !(a.text.starts_with('-') || a.text == "(" || a.text == "!")
            })
            .cloned()
            .collect();
        if roots.is_empty() {
            roots.push(Word::lit("."));
        }
        let mut read_only = true;
        let mut i = roots.len().min(args.len());
        while i < args.len() {
            let t = args[i].text.as_str();
            match t {
                "-exec" | "-execdir" | "-ok" | "-okdir" => {
                    read_only = false;
                    let mut inner = Vec::new();
                    i += 1;
                    while i < args.len() && !matches!(args[i].text.as_str(), ";" | "+") {
                        let mut w = args[i].clone();
                        if w.text.contains("{}") {
                            w.dynamic = true;
                        }
                        inner.push(w);
                        i += 1;
                    }
                    if inner.is_empty() {
                        p.raise(Ask, "default:unparsed", "find -exec without a command");
                    } else {
                        self.command(&inner, &[], None, false, depth + 1, true);
                    }
                }
                "-delete" => {
                    read_only = false;
                    for r in &roots {
                        let resolved = if r.dynamic {
                            None
                        } else {
                            self.resolve(&r.text)
                        };
                        match resolved {
                            None => p.raise(Ask, "default:delete", "find -delete under a path only known at run time"),
                            Some(path) if !path.starts_with(&self.ctx.worktree) => p.raise(
                                Deny,
                                "default:delete-outside-worktree",
                                format!("find -delete deletes files under {} outside the task's worktree", path.display()),
                            ),
                            Some(path) if is_build_output(&path, &self.ctx.worktree) => p.raise(
                                Allow,
                                "default:build-output-delete",
                                "deletes build output inside the worktree",
                            ),
                            Some(_) => p.raise(Ask, "default:delete", "find -delete deletes every matching file: ask first"),
                        }
                    }
                }
                "-fprint" | "-fprint0" | "-fls" | "-fprintf" => {
                    read_only = false;
                    if let Some(f) = args.get(i + 1) {
                        self.write_check(p, f);
                    }
                    i += 1;
                }
                _ => {}
            }
            i += 1;
        }
        p.raise(Allow, "default:read-only", "searches files");
        read_only
    }

    fn change_dir(&mut self, name: &str, args: &[Word]) {
        if name == "popd" {
            self.cwd = None;
            return;
        }
        let target = args.iter().find(|a| !is_flag(&a.text) || a.text == "-");
        match target {
            None => self.cwd = Some(self.ctx.home.clone()),
            Some(w) if w.dynamic || w.text == "-" => self.cwd = None,
            Some(w) => self.cwd = self.resolve(&w.text),
        }
    }

    fn tar(&mut self, args: &[Word], p: &mut Part) -> bool {
        let mut mode = None;
        let mut archive: Option<Word> = None;
        let mut dir: Option<Word> = None;
        let mut members = Vec::new();
        let mut i = 0;
        let mut first = true;
        while i < args.len() {
            let a = &args[i];
            let t = a.text.as_str();
            let cluster = if first && !t.starts_with('-') && !a.dynamic {
                Some(t)
            } else if t.starts_with('-') && !t.starts_with("--") {
                Some(&t[1..])
            } else {
                None
            };
            first = false;
            if let Some(c) = cluster {
                let mut takes = Vec::new();
                for ch in c.chars() {
                    match ch {
                        'c' | 'r' | 'u' => mode = Some('c'),
                        'x' => mode = Some('x'),
                        't' => mode = Some('t'),
                        'f' => takes.push('f'),
                        'C' => takes.push('C'),
                        'T' | 'X' | 'b' | 'H' | 'I' => takes.push('o'),
                        _ => {}
                    }
                }
                for k in takes {
                    i += 1;
                    let v = args.get(i).cloned();
                    match k {
                        'f' => archive = v,
                        'C' => dir = v,
                        _ => {}
                    }
                }
            } else if let Some(v) = t.strip_prefix("--file=") {
                let mut w = a.clone();
                w.text = v.to_string();
                archive = Some(w);
            } else if let Some(v) = t.strip_prefix("--directory=") {
                let mut w = a.clone();
                w.text = v.to_string();
                dir = Some(w);
            } else if matches!(t, "--create" | "--append" | "--update") {
                mode = Some('c');
            } else if matches!(t, "--extract" | "--get") {
                mode = Some('x');
            } else if t == "--list" {
                mode = Some('t');
            } else if matches!(t, "--file" | "--directory") {
                i += 1;
                let v = args.get(i).cloned();
                if t == "--file" {
                    archive = v;
                } else {
                    dir = v;
                }
            } else if !t.starts_with('-') || a.dynamic {
                members.push(a.clone());
            }
            i += 1;
        }
        match mode {
            Some('c') => {
                if let Some(a) = archive.filter(|a| a.text != "-") {
                    self.write_check(p, &a);
                }
                for m in &members {
                    self.bulk_source_check(p, m);
                }
                p.raise(Allow, "default:read-only", "archives files to stdout");
                false
            }
            Some('x') => {
                let target = dir.unwrap_or_else(|| Word::lit("."));
                self.write_check(p, &target);
                false
            }
            Some('t') => {
                p.raise(Allow, "default:read-only", "lists an archive");
                true
            }
            _ => {
                p.raise(
                    Ask,
                    "default:unknown-command",
                    "cannot tell what this tar command does",
                );
                false
            }
        }
    }

    fn git(&mut self, args: &[Word], p: &mut Part) -> bool {
        // Global options before the sub-command.
        let mut i = 0;
        while i < args.len() && is_flag(&args[i].text) {
            let t = args[i].text.as_str();
            if t == "-c" {
                if let Some(kv) = args.get(i + 1) {
                    let key = kv.text.split('=').next().unwrap_or("").to_ascii_lowercase();
                    let runs_code = [
                        "pager",
                        "editor",
                        "sshcommand",
                        "hookspath",
                        "fsmonitor",
                        "alias.",
                        "helper",
                        "external",
                        "textconv",
                        "filter.",
                        "program",
                        "askpass",
                        "proxycommand",
                        "uploadpack",
                        "receivepack",
                        "protocol",
                        "exec",
                    ]
                    .iter()
                    .any(|k| key.contains(k));
                    if runs_code || kv.dynamic {
                        p.raise(
                            Ask,
                            "default:git-config-exec",
                            format!("git -c {key} can run arbitrary commands"),
                        );
                    }
                }
                i += 1;
            } else if matches!(
                t,
                "-C" | "--namespace" | "--git-dir" | "--work-tree" | "--exec-path" | "--config-env"
            ) {
                if t != "-C" {
                    p.raise(
                        Ask,
                        "default:git-config-exec",
                        format!("git {t} points git elsewhere"),
                    );
                }
                i += 1;
            } else if t.starts_with("--git-dir=")
                || t.starts_with("--work-tree=")
                || t.starts_with("--exec-path=")
                || t.starts_with("--config-env")
            {
                p.raise(
                    Ask,
                    "default:git-config-exec",
                    format!("git {t} points git elsewhere"),
                );
            }
            i += 1;
        }
        let Some(sub_w) = args.get(i) else {
            p.raise(Allow, "default:read-only", "prints git's help");
            return true;
        };
        let sub = sub_w.text.as_str();
        let rest = &args[i + 1..];
        let rest_t: Vec<&str> = rest.iter().map(|w| w.text.as_str()).collect();
        let has = |f: &str| rest_t.contains(&f);
        match sub {
            "status" | "log" | "diff" | "show" | "blame" | "grep" | "ls-files" | "ls-tree"
            | "rev-parse" | "describe" | "shortlog" | "reflog" | "cat-file" | "rev-list"
            | "whatchanged" | "help" | "version" | "--version" | "merge-base" | "name-rev"
            | "show-ref" | "for-each-ref" | "count-objects" | "check-ignore" | "var"
            | "diff-tree" | "diff-files" | "diff-index" | "range-diff" | "cherry"
            | "verify-commit" | "fsck" | "annotate" | "bisect" | "instaweb" => {
                if rest_t.iter().any(|t| t.starts_with("--output")) {
                    for o in flag_values(rest, &[], &["--output"]) {
                        self.write_check(p, &o);
                    }
                }
                if sub == "reflog" && matches!(rest_t.first(), Some(&"expire" | &"delete")) {
                    p.raise(
                        Ask,
                        "default:history-rewrite",
                        "expires reflog entries (loses recovery points)",
                    );
                }
                p.raise(Allow, "default:read-only", "inspects the repository");
                true
            }
            "branch" => {
                if rest_t.iter().any(|t| {
                    matches!(
                        *t,
                        "-D" | "-d" | "--delete" | "-M" | "-m" | "-f" | "--force" | "-C"
                    )
                }) {
                    p.raise(
                        Ask,
                        "default:history-rewrite",
                        "deletes, renames or forces a branch",
                    );
                }
                p.raise(Allow, "default:read-only", "lists or creates branches");
                true
            }
            "tag" => {
                if rest_t
                    .iter()
                    .any(|t| matches!(*t, "-d" | "--delete" | "-f" | "--force"))
                {
                    p.raise(Ask, "default:history-rewrite", "deletes or moves a tag");
                }
                p.raise(Allow, "default:read-only", "lists or creates tags");
                true
            }
            "remote" => {
                match rest_t.first() {
                    None | Some(&"-v" | &"--verbose" | &"show" | &"get-url") => {
                        p.raise(Allow, "default:read-only", "lists remotes")
                    }
                    Some(&"update" | &"prune") => {
                        p.raise(Ask, "default:network", "fetches from remotes")
                    }
                    _ => p.raise(Ask, "default:git-config", "changes remotes"),
                }
                false
            }
            "config" => {
                let reads = rest_t.iter().any(|t| {
                    matches!(
                        *t,
                        "--get"
                            | "--get-all"
                            | "--list"
                            | "-l"
                            | "get"
                            | "list"
                            | "--get-regexp"
                            | "--show-origin"
                    )
                });
                if reads || rest_t.len() == 1 {
                    p.raise(Allow, "default:read-only", "reads git config");
                } else {
                    p.raise(
                        Ask,
                        "default:git-config",
                        "changes git config (which can make git run commands)",
                    );
                }
                false
            }
            "stash" => {
                if matches!(rest_t.first(), Some(&"drop" | &"clear")) {
                    p.raise(Ask, "default:history-rewrite", "drops stashed work");
                }
                p.raise(
                    Allow,
                    "default:worktree-edit",
                    "stashes work inside the worktree",
                );
                false
            }
            "add" | "commit" | "checkout" | "switch" | "restore" | "merge" | "cherry-pick"
            | "revert" | "mv" | "rm" | "init" | "apply" | "am" | "notes" | "format-patch"
            | "mergetool" | "difftool" | "sparse-checkout" | "gc" | "prune" | "maintenance"
            | "repack" | "pack-refs" | "archive" | "bundle" => {
                if sub == "commit" && rest_t.contains(&"--amend") {
                    p.raise(
                        Ask,
                        "default:history-rewrite",
                        "git commit --amend rewrites the last commit",
                    );
                }
                if matches!(sub, "gc" | "prune")
                    && rest_t
                        .iter()
                        .any(|t| t.starts_with("--prune") || *t == "now")
                {
                    p.raise(
                        Ask,
                        "default:history-rewrite",
                        "prunes unreachable objects (loses recovery points)",
                    );
                }
                if sub == "archive" || sub == "format-patch" || sub == "bundle" {
                    for o in flag_values(rest, &["-o"], &["--output", "--output-directory"]) {
                        self.write_check(p, &o);
                    }
                }
                p.raise(
                    Allow,
                    "default:worktree-edit",
                    "changes the task's branch inside its worktree (reviewed later)",
                );
                false
            }
            "reset" => {
                if rest_t
                    .iter()
                    .any(|t| matches!(*t, "--hard" | "--keep" | "--merge"))
                {
                    p.raise(
                        Ask,
                        "default:history-rewrite",
                        "git reset --hard discards uncommitted work",
                    );
                } else if rest_t
                    .iter()
                    .any(|t| *t == "--soft" || t.contains('~') || t.contains('^'))
                {
                    p.raise(
                        Ask,
                        "default:history-rewrite",
                        "git reset moves the branch (rewrites history)",
                    );
                }
                p.raise(Allow, "default:worktree-edit", "unstages changes");
                false
            }
            "rebase" => {
                if has("--abort") || has("--quit") {
                    p.raise(Allow, "default:worktree-edit", "aborts a rebase");
                } else {
                    p.raise(
                        Ask,
                        "default:history-rewrite",
                        "git rebase rewrites history",
                    );
                }
                false
            }
            "filter-branch" | "filter-repo" | "replace" => {
                p.raise(
                    Deny,
                    "default:history-rewrite",
                    format!("git {sub} rewrites the whole history"),
                );
                false
            }
            "update-ref" | "symbolic-ref" => {
                p.raise(
                    Ask,
                    "default:history-rewrite",
                    format!("git {sub} moves refs directly"),
                );
                false
            }
            "clean" => {
                if has("-n") || has("--dry-run") {
                    p.raise(
                        Allow,
                        "default:read-only",
                        "lists what git clean would delete",
                    );
                } else {
                    p.raise(Ask, "default:delete", "git clean deletes untracked files");
                }
                false
            }
            "push" => {
                let force = rest.iter().any(|w| {
                    let t = w.text.as_str();
                    t == "--force"
                        || t.starts_with("--force-with-lease")
                        || t == "--force-if-includes"
                        || t == "--mirror"
                        || (t.starts_with('-') && !t.starts_with("--") && t.contains('f'))
                        || (t.starts_with('+') && t.len() > 1)
                        || (w.dynamic && !t.starts_with('-'))
                });
                if force
                    && rest.iter().any(|w| w.dynamic)
                    && !rest.iter().any(|w| {
                        let t = w.text.as_str();
                        t == "--force"
                            || t.starts_with("--force")
                            || t == "--mirror"
                            || t.starts_with('+')
                            || (t.starts_with('-') && !t.starts_with("--") && t.contains('f'))
                    })
                {
                    p.raise(
                        Ask,
                        "default:force-push",
                        "a pushed refspec is only known at run time (could be a force push)",
                    );
                } else if force {
                    p.raise(
                        Deny,
                        "default:force-push",
                        "force push (rewrites the remote's history)",
                    );
                } else if has("--delete")
                    || has("-d")
                    || rest_t.iter().any(|t| t.starts_with(':') && t.len() > 1)
                {
                    p.raise(Ask, "default:network", "git push deletes a remote branch");
                }
                p.raise(Ask, "default:network", "git push sends commits to a remote");
                false
            }
            "fetch" | "pull" | "clone" | "ls-remote" | "submodule" | "lfs" | "send-email"
            | "request-pull" | "svn" | "p4" | "daemon" | "credential" | "http-fetch" => {
                if sub == "pull" && rest_t.iter().any(|t| *t == "--force" || t.starts_with('+')) {
                    p.raise(Ask, "default:history-rewrite", "forced pull");
                }
                p.raise(
                    Ask,
                    "default:network",
                    format!("git {sub} reaches a remote"),
                );
                false
            }
            "worktree" => {
                if matches!(rest_t.first(), Some(&"list")) {
                    p.raise(Allow, "default:read-only", "lists worktrees");
                    true
                } else {
                    p.raise(Ask, "default:git-config", "changes worktrees");
                    false
                }
            }
            _ => {
                p.raise(
                    Ask,
                    "default:unknown-command",
                    format!("git {sub} is not a git command Paddock knows (an alias?)"),
                );
                false
            }
        }
    }

    fn cargo(&mut self, args: &[Word], p: &mut Part) {
        let sub = args
            .iter()
            .map(|a| a.text.as_str())
            .find(|t| !t.starts_with('-') && !t.starts_with('+'));
        match sub {
            Some(
                "build" | "b" | "test" | "t" | "check" | "c" | "clippy" | "fmt" | "doc" | "d"
                | "bench" | "run" | "r" | "tree" | "metadata" | "clean" | "nextest" | "expand"
                | "llvm-cov" | "tarpaulin" | "version" | "help" | "locate-project" | "pkgid"
                | "verify-project" | "read-manifest" | "package" | "new" | "init" | "miri"
                | "udeps" | "machete" | "deny" | "hack" | "insta" | "criterion",
            ) => p.raise(Allow, "default:build", "tests, lint or local build"),
            Some(
                "add" | "install" | "update" | "fetch" | "search" | "remove" | "rm" | "uninstall"
                | "vendor" | "generate-lockfile" | "binstall" | "audit",
            ) => p.raise(
                Ask,
                "default:install",
                "downloads, installs or changes dependencies",
            ),
            Some("publish" | "yank" | "owner") => {
                p.raise(Deny, "default:deploy", "publishes to crates.io")
            }
            Some("login" | "logout") => {
                p.raise(Ask, "default:network", "changes registry credentials")
            }
            None => p.raise(Allow, "default:build", "prints cargo's help or version"),
            Some(other) => p.raise(
                Ask,
                "default:unknown-command",
                format!("cargo {other} is not a cargo command Paddock knows"),
            ),
        }
    }

    fn node_pm(&mut self, name: &str, args: &[Word], p: &mut Part) {
        let pos: Vec<&str> = args
            .iter()
            .map(|a| a.text.as_str())
            .filter(|t| !t.starts_with('-'))
            .collect();
        let sub = pos.first().copied();
        let script_verdict = |p: &mut Part, script: &str| {
            let l = script.to_ascii_lowercase();
            let base = l.split([':', '-', '_', '.']).next().unwrap_or("");
            if ["deploy", "publish", "release"].contains(&base) {
                p.raise(
                    Deny,
                    "default:deploy",
                    format!("script `{script}` looks like a deploy"),
                );
            } else if l.contains("migrat") || l.starts_with("db") {
                p.raise(
                    Ask,
                    "default:migration",
                    format!("script `{script}` looks like a database migration"),
                );
            } else if [
                "test",
                "tests",
                "lint",
                "build",
                "check",
                "typecheck",
                "types",
                "format",
                "fmt",
                "compile",
                "tsc",
                "ci",
                "prettier",
                "eslint",
                "coverage",
                "e2e",
                "unit",
                "vitest",
                "jest",
                "validate",
                "verify",
            ]
            .contains(&base)
                || l == "type-check"
            {
                p.raise(
                    Allow,
                    "default:build",
                    format!("runs the `{script}` script (tests, lint or build)"),
                );
            } else {
                p.raise(
                    Ask,
                    "default:script",
                    format!("runs the package script `{script}`, which Paddock cannot see"),
                );
            }
        };
        match sub {
            None => {
                if name == "yarn" {
                    p.raise(
                        Ask,
                        "default:install",
                        "yarn with no command installs dependencies",
                    );
                } else {
                    p.raise(Allow, "default:read-only", "prints help or version");
                }
            }
            Some("test" | "t" | "tst") => p.raise(Allow, "default:build", "runs the tests"),
            Some("run" | "run-script" | "rr") => match pos.get(1) {
                Some(s) => script_verdict(p, s),
                None => p.raise(Allow, "default:read-only", "lists scripts"),
            },
            Some(
                "install" | "i" | "ci" | "add" | "update" | "up" | "upgrade" | "uninstall"
                | "remove" | "rm" | "un" | "r" | "link" | "ln" | "dedupe" | "prune" | "rebuild"
                | "import" | "patch-commit" | "unlink",
            ) => p.raise(
                Ask,
                "default:install",
                format!("{name} {} changes installed packages", sub.unwrap_or("")),
            ),
            Some("publish" | "unpublish" | "deprecate" | "dist-tag" | "owner" | "access") => p
                .raise(
                    Deny,
                    "default:deploy",
                    format!("{name} {} publishes to the registry", sub.unwrap_or("")),
                ),
            Some("dlx" | "create") => {
                p.raise(Ask, "default:install", "downloads and runs a package")
            }
            Some(
                "ls" | "list" | "why" | "explain" | "root" | "prefix" | "bin" | "help" | "config"
                | "get" | "version" | "pack" | "init" | "outdated" | "licenses" | "cache"
                | "doctor" | "audit" | "view" | "info" | "show" | "search" | "whoami" | "ping"
                | "login" | "logout" | "adduser" | "token" | "set" | "npm",
            ) => {
                let s = sub.unwrap_or("");
                if matches!(s, "config" | "get" | "set")
                    && pos
                        .get(1)
                        .is_some_and(|t| matches!(*t, "set" | "delete" | "edit"))
                    || s == "set"
                {
                    p.raise(Ask, "default:git-config", "changes package manager config");
                } else if matches!(
                    s,
                    "outdated"
                        | "audit"
                        | "view"
                        | "info"
                        | "show"
                        | "search"
                        | "whoami"
                        | "ping"
                        | "login"
                        | "logout"
                        | "adduser"
                        | "token"
                        | "doctor"
                ) {
                    if s == "npm" && pos.get(1) == Some(&"publish") {
                        p.raise(Deny, "default:deploy", "publishes to the registry");
                    }
                    p.raise(
                        Ask,
                        "default:network",
                        format!("{name} {s} reaches the registry"),
                    );
                } else if s == "version" && pos.len() > 1 {
                    p.raise(Ask, "default:git-config", "bumps the version and tags");
                } else if s == "npm" && pos.get(1) == Some(&"publish") {
                    p.raise(Deny, "default:deploy", "publishes to the registry");
                } else {
                    p.raise(Allow, "default:read-only", "inspects packages");
                }
            }
            Some(s) if name != "npm" && name != "bun" => script_verdict(p, s),
            Some(s) if name == "bun" && s == "x" => {
                p.raise(Ask, "default:install", "downloads and runs a package")
            }
            Some(s) => p.raise(
                Ask,
                "default:unknown-command",
                format!("{name} {s} is not a command Paddock knows"),
            ),
        }
    }

    fn pip(&mut self, args: &[Word], p: &mut Part) {
        let sub = args
            .iter()
            .map(|a| a.text.as_str())
            .find(|t| !t.starts_with('-'));
        match sub {
            Some("list" | "show" | "freeze" | "check" | "help" | "inspect" | "debug") | None => {
                p.raise(Allow, "default:read-only", "lists installed packages")
            }
            Some("install" | "uninstall" | "download" | "wheel" | "compile" | "sync") => p.raise(
                Ask,
                "default:install",
                "installs or removes Python packages",
            ),
            Some(other) => p.raise(Ask, "default:unknown-command", format!("pip {other}")),
        }
    }

    fn misc_build(&mut self, name: &str, sub: Option<&str>, args: &[Word], p: &mut Part) {
        let s = sub.unwrap_or("");
        match (name, s) {
            ("swift", "build" | "test" | "format")
            | ("zig", "build" | "test" | "fmt" | "run")
            | ("bazel" | "bazelisk", "build" | "test" | "query" | "info")
            | ("mix", "test" | "compile" | "format" | "credo" | "dialyzer")
            | ("rake", "test" | "spec" | "" | "build")
            | ("composer", "test" | "validate" | "show" | "dump-autoload" | "lint")
            | ("playwright", "test")
            | ("cypress", "run")
            | ("coverage", "run" | "report" | "html" | "xml" | "combine" | "erase" | "json") => {
                p.raise(Allow, "default:build", "tests, lint or local build")
            }
            ("mix", "ecto.migrate" | "ecto.rollback" | "ecto.reset" | "ecto.drop")
            | ("rake", _)
                if s.starts_with("db:") || s.starts_with("ecto.") =>
            {
                p.raise(
                    Ask,
                    "default:migration",
                    format!("`{name} {s}` changes a database"),
                )
            }
            ("bundle", "install" | "update" | "add")
            | ("composer", "install" | "require" | "update" | "remove")
            | ("mix", "deps.get" | "deps.update")
            | ("swift", "package")
            | ("playwright", "install")
            | ("tox" | "nox", _) => p.raise(Ask, "default:install", "installs dependencies"),
            ("swift" | "bazel" | "bazelisk", "run") => {
                p.raise(Allow, "default:build", "runs the project's own target")
            }
            ("bundle", "exec") => {
                let _ = args;
                p.raise(Ask, "default:script", "bundle exec")
            }
            ("rake" | "mix", t)
                if t.contains("deploy") || t.contains("release") || t.contains("publish") =>
            {
                p.raise(
                    Deny,
                    "default:deploy",
                    format!("`{name} {t}` looks like a deploy"),
                )
            }
            _ => p.raise(
                Ask,
                "default:unknown-command",
                format!("`{name} {s}` is not a command Paddock knows"),
            ),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn shell_cmd(
        &mut self,
        name: &str,
        args: &[Word],
        p: &mut Part,
        stdin: Option<&str>,
        piped: bool,
        depth: usize,
    ) {
        let mut i = 0;
        let mut code: Option<Word> = None;
        let mut wants_code = false;
        let mut script: Option<&Word> = None;
        while i < args.len() {
            let a = &args[i];
            let t = a.text.as_str();
            if !a.dynamic && t == "--" {
                i += 1;
                script = args.get(i);
                break;
            }
            if !a.dynamic && (t.starts_with('-') || t.starts_with('+')) && t.len() > 1 {
                if matches!(t, "-o" | "+o" | "--rcfile" | "--init-file") {
                    i += 1;
                } else if !t.starts_with("--") && t[1..].contains('c') {
                    wants_code = true;
                }
                i += 1;
                continue;
            }
            if wants_code {
                code = Some(a.clone());
            } else {
                script = Some(a);
            }
            break;
        }
        if let Some(code) = code {
            self.secret_check(p, std::slice::from_ref(&code));
            if code.dynamic {
                p.raise(
                    Ask,
                    "default:dynamic-command",
                    format!("{name} -c runs code only known at run time"),
                );
            } else {
                self.shell(&code.text, depth + 1);
                // The wrapper itself adds nothing.
                p.raise(
                    Allow,
                    "default:read-only",
                    format!("{name} -c runs the commands listed separately"),
                );
            }
            return;
        }
        if let Some(s) = script {
            p.raise(
                Ask,
                "default:script",
                format!("{name} runs `{}`, a script Paddock cannot see", s.text),
            );
            return;
        }
        match stdin {
            Some(text) if !text.starts_with('\u{0}') => {
                self.shell(text, depth + 1);
                p.raise(
                    Allow,
                    "default:read-only",
                    format!("{name} runs the heredoc's commands, listed separately"),
                );
            }
            Some(_) => p.raise(
                Ask,
                "default:dynamic-command",
                format!("{name} runs commands only known at run time"),
            ),
            None if piped => p.raise(
                Ask,
                "default:dynamic-command",
                format!("{name} runs commands piped into it, only known at run time"),
            ),
            None => p.raise(
                Ask,
                "default:script",
                format!("starts an interactive {name}"),
            ),
        }
    }

    fn interpreter(&mut self, name: &str, args: &[Word], p: &mut Part, stdin: Option<&str>) {
        let python = name.starts_with("python") || name.starts_with("pypy");
        let first = args.first().map(|a| a.text.as_str());
        if matches!(first, Some("--version" | "-V" | "-v" | "--help" | "-h")) && args.len() == 1 {
            p.raise(Allow, "default:read-only", "prints the version");
            return;
        }
        // Inline code.
        let code_flags: &[&str] = if python {
            &["-c"]
        } else {
            &["-e", "--eval", "-p", "--print", "-r", "-E"]
        };
        for (i, a) in args.iter().enumerate() {
            if code_flags.contains(&a.text.as_str())
                || (!python && a.text.starts_with("-e") && a.text.len() > 2 && name == "perl")
            {
                if let Some(code) = args.get(i + 1) {
                    self.code_check(p, &code.text);
                    if code.dynamic {
                        p.raise(
                            Ask,
                            "default:dynamic-command",
                            "inline code only known at run time",
                        );
                    }
                }
                p.raise(
                    Ask,
                    "default:inline-code",
                    format!("{name} runs inline code; ask first"),
                );
                return;
            }
            if python && a.text == "-m" {
                let module = args.get(i + 1).map(|w| w.text.as_str()).unwrap_or("");
                let rest = args.get(i + 2..).unwrap_or(&[]);
                match module {
                    "pytest" | "unittest" | "mypy" | "ruff" | "black" | "isort" | "flake8"
                    | "pylint" | "coverage" | "doctest" | "compileall" | "py_compile"
                    | "pyright" | "build" | "json.tool" | "tabnanny" | "pydoc" | "timeit"
                    | "cProfile" | "nose2" | "hypothesis" | "bandit" => p.raise(
                        Allow,
                        "default:build",
                        format!("python -m {module}: tests, lint or local build"),
                    ),
                    "pip" => self.pip(rest, p),
                    "venv" | "virtualenv" => {
                        for t in positionals(rest, &["--prompt"]) {
                            self.write_check(p, t);
                        }
                        p.raise(Allow, "default:build", "creates a virtual environment")
                    }
                    "twine" => p.raise(Deny, "default:deploy", "uploads a package"),
                    "http.server" | "smtpd" | "ftplib" | "webbrowser" => p.raise(
                        Ask,
                        "default:network",
                        format!("python -m {module} opens the network"),
                    ),
                    "alembic" | "django" => self.deploy_or_migration_words(module, rest, p),
                    _ => p.raise(
                        Ask,
                        "default:script",
                        format!("python -m {module} runs code Paddock cannot see"),
                    ),
                };
                return;
            }
            if !a.text.starts_with('-') || a.dynamic {
                // The script.
                let base = a.text.rsplit('/').next().unwrap_or("");
                if python && base == "manage.py" {
                    let sub = args.get(i + 1).map(|w| w.text.as_str()).unwrap_or("");
                    match sub {
                        "test" | "check" | "makemigrations" | "showmigrations"
                        | "collectstatic" | "diffsettings" | "sqlmigrate" | "help" | "" => p.raise(
                            Allow,
                            "default:build",
                            format!("manage.py {sub}: tests or local checks"),
                        ),
                        "migrate" | "flush" | "sqlflush" | "loaddata" | "createsuperuser"
                        | "dbshell" => p.raise(
                            Ask,
                            "default:migration",
                            format!("manage.py {sub} changes the database"),
                        ),
                        _ => p.raise(
                            Ask,
                            "default:script",
                            format!("manage.py {sub} runs project code Paddock cannot judge"),
                        ),
                    }
                } else if !python && name.starts_with("node") && a.text == "--test" {
                    p.raise(Allow, "default:build", "runs node's test runner");
                } else {
                    p.raise(
                        Ask,
                        "default:script",
                        format!("{name} runs `{}`, code Paddock cannot see", a.text),
                    );
                }
                return;
            }
            if a.text == "--test" && name.starts_with("node") {
                p.raise(Allow, "default:build", "runs node's test runner");
                return;
            }
        }
        if let Some(code) = stdin {
            self.code_check(p, code);
        }
        p.raise(
            Ask,
            "default:inline-code",
            format!("{name} runs code from stdin; ask first"),
        );
    }

    /// Deploy and migration tools that are not in the other tables.
    fn deploy_or_migration(&mut self, name: &str, args: &[Word], p: &mut Part) -> bool {
        self.deploy_or_migration_words(name, args, p);
        !p.rule.is_empty() && p.rule != "default:secret-read" || p.verdict == Deny
    }

    fn deploy_or_migration_words(&mut self, name: &str, args: &[Word], p: &mut Part) {
        let pos: Vec<&str> = args
            .iter()
            .map(|a| a.text.as_str())
            .filter(|t| !t.starts_with('-'))
            .collect();
        let s0 = pos.first().copied().unwrap_or("");
        let s1 = pos.get(1).copied().unwrap_or("");
        let has_word = |ws: &[&str]| pos.iter().any(|t| ws.contains(t));
        let deny = |p: &mut Part, what: String| p.raise(Deny, "default:deploy", what);
        let migrate = |p: &mut Part, what: String| p.raise(Ask, "default:migration", what);
        match name {
            "kubectl" | "oc" => match s0 {
                "apply" | "delete" | "create" | "replace" | "patch" | "rollout" | "scale"
                | "edit" | "set" | "drain" | "cordon" | "uncordon" | "taint" | "label"
                | "annotate" | "autoscale" | "expose" | "run" => {
                    deny(p, format!("kubectl {s0} changes a cluster"))
                }
                _ => p.raise(
                    Ask,
                    "default:network",
                    format!("kubectl {s0} talks to a cluster"),
                ),
            },
            "terraform" | "tofu" | "terragrunt" => match s0 {
                "apply" | "destroy" | "import" | "taint" | "untaint" | "state" | "force-unlock" => {
                    deny(p, format!("{name} {s0} changes infrastructure"))
                }
                "fmt" | "validate" | "version" | "graph" | "providers" => {
                    p.raise(Allow, "default:build", format!("{name} {s0} is local"))
                }
                _ => p.raise(
                    Ask,
                    "default:network",
                    format!("{name} {s0} reads remote state or downloads providers"),
                ),
            },
            "pulumi" | "cdk" | "cdktf" | "sst" => match s0 {
                "up" | "deploy" | "destroy" | "import" | "refresh" | "bootstrap" => {
                    deny(p, format!("{name} {s0} changes infrastructure"))
                }
                _ => p.raise(Ask, "default:network", format!("{name} {s0}")),
            },
            "helm" => match s0 {
                "install" | "upgrade" | "uninstall" | "delete" | "rollback" | "push" => {
                    deny(p, format!("helm {s0} changes a cluster"))
                }
                "template" | "lint" | "version" | "show" | "dependency" => {
                    p.raise(Allow, "default:build", "helm renders locally")
                }
                _ => p.raise(Ask, "default:network", format!("helm {s0}")),
            },
            "vercel" => match s0 {
                "dev" | "whoami" | "ls" | "list" | "logs" | "inspect" | "help" | "env" | "pull"
                | "link" | "build" => p.raise(Ask, "default:network", format!("vercel {s0}")),
                _ => deny(p, "vercel deploys".into()),
            },
            "netlify" | "fly" | "flyctl" | "firebase" | "wrangler" | "eb" | "railway"
            | "render" | "surge" | "amplify" | "serverless" | "sls" | "zappa" | "now"
            | "appcenter" | "expo" | "eas" => {
                if has_word(&[
                    "deploy", "launch", "destroy", "publish", "up", "remove", "scale", "release",
                    "submit", "secrets", "rollback",
                ]) || name == "surge"
                    || name == "now"
                {
                    deny(p, format!("{name} {s0} deploys or changes a live service"))
                } else {
                    p.raise(
                        Ask,
                        "default:network",
                        format!("{name} {s0} talks to a hosting service"),
                    )
                }
            }
            "heroku" => {
                if matches!(
                    s0,
                    "logs"
                        | "ps"
                        | "info"
                        | "status"
                        | "apps"
                        | "config"
                        | "whoami"
                        | "help"
                        | "--version"
                ) {
                    p.raise(Ask, "default:network", format!("heroku {s0}"))
                } else {
                    deny(p, format!("heroku {s0} changes a live app"))
                }
            }
            "aws" | "gcloud" | "az" | "doctl" | "linode-cli" | "ibmcloud" | "oci" => {
                let mutating = pos.iter().any(|t| {
                    [
                        "deploy",
                        "create",
                        "delete",
                        "update",
                        "put",
                        "terminate",
                        "run-instances",
                        "apply",
                        "destroy",
                        "remove",
                        "set",
                        "start",
                        "stop",
                        "publish",
                        "upload",
                        "rm",
                        "mv",
                        "cp",
                        "sync",
                        "invoke",
                        "up",
                        "restart",
                        "reboot",
                        "attach",
                        "detach",
                        "modify",
                        "register",
                        "import",
                    ]
                    .iter()
                    .any(|k| *t == *k || t.starts_with(&format!("{k}-")))
                });
                if mutating {
                    deny(
                        p,
                        format!(
                            "`{name} {}` changes cloud resources",
                            pos.iter().take(3).copied().collect::<Vec<_>>().join(" ")
                        ),
                    )
                } else {
                    p.raise(
                        Ask,
                        "default:network",
                        format!("{name} talks to a cloud account"),
                    )
                }
            }
            "docker" | "podman" | "nerdctl" => {
                let s = if s0 == "compose" || s0 == "buildx" || s0 == "image" || s0 == "container" {
                    s1
                } else {
                    s0
                };
                match s {
                    "push" => deny(p, format!("{name} push publishes an image")),
                    "ps" | "images" | "logs" | "inspect" | "version" | "info" | "ls" | "config"
                    | "top" | "stats" | "history" | "port" | "diff" => p.raise(
                        Allow,
                        "default:read-only",
                        format!("{name} {s} inspects containers"),
                    ),
                    _ => p.raise(
                        Ask,
                        "default:network",
                        format!("{name} {s} builds, runs or changes containers"),
                    ),
                }
            }
            "twine" | "npm-publish" | "semantic-release" | "goreleaser" | "release-it"
            | "changeset" | "ansible-playbook" | "ansible" | "capistrano" | "cap" | "kamal"
            | "skaffold" | "argocd" | "flux" => {
                if name == "changeset" && s0 != "publish" {
                    p.raise(Ask, "default:unknown-command", "changeset")
                } else if matches!(name, "skaffold" | "argocd" | "flux")
                    && !has_word(&["run", "deploy", "apply", "sync", "delete", "reconcile"])
                {
                    p.raise(Ask, "default:network", format!("{name} {s0}"))
                } else {
                    deny(p, format!("{name} publishes or deploys"))
                }
            }
            "prisma" => match s0 {
                "migrate" | "db" => migrate(p, format!("prisma {s0} {s1} changes a database")),
                "format" | "validate" | "version" | "-v" => {
                    p.raise(Allow, "default:build", "prisma checks the schema locally")
                }
                _ => p.raise(Ask, "default:unknown-command", format!("prisma {s0}")),
            },
            "rails" | "bin/rails" => {
                if s0.starts_with("db:") {
                    migrate(p, format!("rails {s0} changes a database"))
                } else if matches!(s0, "test" | "spec" | "routes" | "about" | "stats") {
                    p.raise(Allow, "default:build", "rails tests or inspection")
                } else {
                    p.raise(Ask, "default:unknown-command", format!("rails {s0}"))
                }
            }
            "alembic" => match s0 {
                "upgrade" | "downgrade" | "stamp" => {
                    migrate(p, format!("alembic {s0} changes a database"))
                }
                _ => p.raise(Ask, "default:unknown-command", format!("alembic {s0}")),
            },
            "diesel" | "sqlx" | "sea-orm-cli" | "refinery" => {
                if matches!(s0, "migration" | "migrate" | "database") {
                    migrate(p, format!("{name} {s0} {s1} changes a database"))
                } else {
                    p.raise(Ask, "default:unknown-command", format!("{name} {s0}"))
                }
            }
            "knex" | "sequelize" | "typeorm" | "drizzle-kit" | "mikro-orm" | "node-pg-migrate"
            | "db-migrate" => {
                if s0.contains("migrat")
                    || s0.starts_with("db:")
                    || s0.starts_with("schema:")
                    || matches!(s0, "push" | "migrate" | "drop" | "up" | "down" | "reset")
                {
                    migrate(p, format!("{name} {s0} changes a database"))
                } else {
                    p.raise(Ask, "default:unknown-command", format!("{name} {s0}"))
                }
            }
            "flyway" | "liquibase" | "goose" | "migrate" | "dbmate" | "atlas" | "sqitch"
            | "dbmigrate" => migrate(p, format!("{name} {s0} changes a database")),
            "artisan" | "php-artisan" => {
                if s0.starts_with("migrate") || s0.starts_with("db:") {
                    migrate(p, format!("artisan {s0} changes a database"))
                } else {
                    p.raise(Ask, "default:unknown-command", format!("artisan {s0}"))
                }
            }
            "psql" | "mysql" | "mongo" | "mongosh" | "redis-cli" | "sqlite3" | "pg_dump"
            | "pg_restore" | "mysqldump" => p.raise(
                Ask,
                "default:migration",
                format!("{name} talks to a database"),
            ),
            "django-admin" => {
                if matches!(s0, "migrate" | "flush") {
                    migrate(p, format!("django-admin {s0} changes a database"))
                } else {
                    p.raise(Ask, "default:unknown-command", format!("django-admin {s0}"))
                }
            }
            _ => {}
        }
    }
}

/// Strings inside a word that might be a path: the word, `@file`, the value
/// of `--opt=value` / `key=@file`, the path of `host:path`, `file://`.
const PADDOCK_CONTROL_RULE: &str = "default:paddock-control";
const PADDOCK_CONTROL_REASON: &str = "the agent cannot approve or merge its own work";

/// `paddock` subcommands that are the user's decisions, never the agent's.
const PADDOCK_USER_ONLY: &[(&str, &[&str])] = &[
    ("review", &["merge", "mark"]),
    ("approvals", &["approve", "deny"]),
    ("rules", &["revoke"]),
    ("secrets", &["restore"]),
    ("task", &["discard"]),
];

/// Deny the `paddock` commands that approve, merge or undo the fence
/// (wherever the subcommand sits among global flags and their values).
fn paddock_control_check(p: &mut Part, args: &[Word]) {
    let words: Vec<&str> = args
        .iter()
        .map(|a| a.text.as_str())
        .filter(|t| !is_flag(t))
        .collect();
    for pair in words.windows(2) {
        let hit = PADDOCK_USER_ONLY
            .iter()
            .any(|(group, subs)| pair[0] == *group && subs.contains(&pair[1]));
        if hit {
            p.raise(
                Deny,
                PADDOCK_CONTROL_RULE,
                format!(
                    "`paddock {} {}` is the user's decision: {PADDOCK_CONTROL_REASON}",
                    pair[0], pair[1]
                ),
            );
            return;
        }
    }
}

fn candidates(text: &str) -> Vec<&str> {
    let mut out = Vec::with_capacity(3);
    if text.is_empty() {
        return out;
    }
    if let Some(rest) = text.strip_prefix("file://") {
        out.push(rest);
        return out;
    }
    if text.contains("://") {
        return out;
    }
    if !text.starts_with('-') {
        out.push(text);
    }
    if let Some(rest) = text.strip_prefix('@') {
        out.push(rest);
    }
    if let Some((_, v)) = text.split_once('=') {
        out.push(v.strip_prefix('@').unwrap_or(v));
    }
    if let Some(v) = text.strip_prefix('<') {
        out.push(v);
    }
    if is_remote_spec(text) {
        if let Some((_, path)) = text.split_once(':') {
            out.push(path);
        }
    }
    out
}

/// `host:path` or `user@host:path` (scp, rsync).
fn is_remote_spec(text: &str) -> bool {
    if text.starts_with("rsync://") {
        return true;
    }
    match text.split_once(':') {
        Some((host, _)) => {
            !host.is_empty() && !host.contains('/') && !host.starts_with('-') && !host.contains('=')
        }
        None => false,
    }
}
