//! Lexical path handling: `~` and `..` resolved against a known cwd and home,
//! never against the filesystem; which paths carry secrets; what counts as
//! build output. Nothing here touches the disk.

use std::path::{Component, Path, PathBuf};

/// Resolve `text` the way a shell would name it, lexically: `~` → `home`,
/// relative → `cwd`, `.`/`..` folded. `None` when the path is relative and the
/// cwd is unknown.
pub(crate) fn resolve(text: &str, cwd: Option<&Path>, home: &Path) -> Option<PathBuf> {
    let raw: PathBuf = if text == "~" {
        home.to_path_buf()
    } else if let Some(rest) = text.strip_prefix("~/") {
        home.join(rest)
    } else if text.starts_with('~') {
        // `~user/...`: another user's home; treat it as somewhere outside.
        PathBuf::from("/").join(text)
    } else if text.starts_with('/') {
        PathBuf::from(text)
    } else {
        cwd?.join(text)
    };
    Some(normalize(&raw))
}

/// Fold `.` and `..` without looking at the disk; `..` never climbs above `/`.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::Prefix(p) => out.push(p.as_os_str()),
            Component::RootDir => out.push("/"),
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("/");
                }
                if out.as_os_str().is_empty() {
                    out.push("/");
                }
            }
            Component::Normal(s) => out.push(s),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// Devices every shell writes to without consequence.
pub(crate) fn is_harmless_device(path: &Path) -> bool {
    matches!(
        path.to_str(),
        Some("/dev/null" | "/dev/stdout" | "/dev/stderr" | "/dev/tty" | "/dev/zero")
    ) || path.starts_with("/dev/fd")
}

/// Folders a build regenerates; deleting inside them is routine.
const BUILD_OUTPUT: &[&str] = &[
    "target",
    "node_modules",
    "dist",
    "build",
    ".cache",
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".next",
    ".turbo",
    "coverage",
    ".parcel-cache",
    ".gradle",
];

/// True when `path` lies inside a build-output folder of `worktree` (the
/// folder itself counts).
pub(crate) fn is_build_output(path: &Path, worktree: &Path) -> bool {
    match path.strip_prefix(worktree) {
        Ok(rel) => rel.components().any(|c| match c {
            Component::Normal(s) => s.to_str().is_some_and(|s| BUILD_OUTPUT.contains(&s)),
            _ => false,
        }),
        Err(_) => false,
    }
}

const ENV_EXCEPTIONS: &[&str] = &[".env.example", ".env.sample", ".env.template", ".env.dist"];

/// Why a file name alone marks a secret, or `None`.
fn secret_basename(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    let n = lower.as_str();
    if n.starts_with(".env") && !ENV_EXCEPTIONS.contains(&n) {
        return Some("a .env file");
    }
    if n.ends_with(".pem") || n.ends_with(".p12") || n.ends_with(".pfx") {
        return Some("a certificate or private key file");
    }
    if n.ends_with(".key") {
        return Some("a private key file");
    }
    if ["id_rsa", "id_ed25519", "id_ecdsa", "id_dsa"]
        .iter()
        .any(|p| n.starts_with(p))
    {
        return Some("an SSH key");
    }
    if n == "credentials.json" || n.starts_with("secrets.") {
        return Some("a credentials file");
    }
    if matches!(n, ".netrc" | ".git-credentials" | ".pgpass") {
        return Some("a credentials file");
    }
    None
}

/// Why `path` (absolute, or relative when the cwd is unknown) is secret-bearing.
pub(crate) fn secret_reason(path: &Path, home: &Path) -> Option<&'static str> {
    let names: Vec<&str> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => s.to_str(),
            _ => None,
        })
        .collect();
    for (i, n) in names.iter().enumerate() {
        match *n {
            ".ssh" => return Some("the SSH folder"),
            ".aws" => return Some("AWS credentials"),
            ".azure" => return Some("Azure credentials"),
            ".gnupg" => return Some("the GnuPG keyring"),
            _ => {}
        }
        let next = names.get(i + 1).copied();
        match (*n, next) {
            (".config", Some("gcloud")) => return Some("Google Cloud credentials"),
            (".kube", Some("config")) => return Some("the Kubernetes config"),
            (".docker", Some("config.json")) => return Some("Docker registry credentials"),
            (".cargo", Some(c)) if c.starts_with("credentials") => {
                return Some("crates.io credentials")
            }
            _ => {}
        }
    }
    if let Some(last) = names.last() {
        if let Some(why) = secret_basename(last) {
            return Some(why);
        }
    }
    if let Ok(rel) = path.strip_prefix(home) {
        if matches!(rel.to_str(), Some(".npmrc" | ".pypirc")) {
            return Some("a package registry token file");
        }
    }
    None
}

/// Names a glob in a command could expand to that would be secret. A glob
/// that can match one of these is not proven safe.
const SECRET_SAMPLES: &[&str] = &[
    ".env",
    ".env.local",
    ".env.production",
    "id_rsa",
    "id_ed25519",
    "server.pem",
    "server.key",
    "credentials.json",
    "secrets.yaml",
    ".netrc",
];

/// True when the last segment of `pattern` (a shell glob) could match a
/// secret file name.
pub(crate) fn glob_may_match_secret(pattern: &str) -> bool {
    let last = pattern.rsplit('/').next().unwrap_or(pattern);
    SECRET_SAMPLES.iter().any(|s| shell_glob_match(last, s))
}

/// Minimal shell glob: `*`, `?`, `[...]`; a leading `.` must be matched
/// literally (as bash does without dotglob).
pub(crate) fn shell_glob_match(pattern: &str, name: &str) -> bool {
    if name.starts_with('.') && !pattern.starts_with('.') {
        return false;
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    glob_rec(&p, &n, 0)
}

fn glob_rec(p: &[char], n: &[char], depth: usize) -> bool {
    if depth > 64 {
        return true; // pathological pattern: assume it can match
    }
    match p.first() {
        None => n.is_empty(),
        Some('*') => (0..=n.len()).any(|i| glob_rec(&p[1..], &n[i..], depth + 1)),
        Some('?') => !n.is_empty() && glob_rec(&p[1..], &n[1..], depth + 1),
        Some('[') => {
            let Some(end) = p.iter().skip(1).position(|&c| c == ']').map(|e| e + 1) else {
                return !n.is_empty() && n[0] == '[' && glob_rec(&p[1..], &n[1..], depth + 1);
            };
            let Some(&c) = n.first() else { return false };
            let class = &p[1..end];
            let (neg, class) = match class.first() {
                Some('!' | '^') => (true, &class[1..]),
                _ => (false, class),
            };
            let mut hit = false;
            let mut i = 0;
            while i < class.len() {
                if i + 2 < class.len() && class[i + 1] == '-' {
                    if class[i] <= c && c <= class[i + 2] {
                        hit = true;
                    }
                    i += 3;
                } else {
                    if class[i] == c {
                        hit = true;
                    }
                    i += 1;
                }
            }
            hit != neg && glob_rec(&p[end + 1..], &n[1..], depth + 1)
        }
        Some(&c) => n.first() == Some(&c) && glob_rec(&p[1..], &n[1..], depth + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotdot_and_tilde_resolve_lexically() {
        let home = Path::new("/home/u");
        let cwd = Path::new("/w/t");
        assert_eq!(
            resolve("../../etc/x", Some(cwd), home),
            Some(PathBuf::from("/etc/x"))
        );
        assert_eq!(
            resolve("~/.ssh/id_rsa", Some(cwd), home),
            Some(PathBuf::from("/home/u/.ssh/id_rsa"))
        );
        assert_eq!(resolve("/../..", Some(cwd), home), Some(PathBuf::from("/")));
        assert_eq!(resolve("x", None, home), None);
    }

    #[test]
    fn env_examples_are_not_secrets_but_env_files_are() {
        let home = Path::new("/home/u");
        assert!(secret_reason(Path::new("/w/.env"), home).is_some());
        assert!(secret_reason(Path::new("/w/.env.local"), home).is_some());
        assert!(secret_reason(Path::new("/w/.env.example"), home).is_none());
        assert!(secret_reason(Path::new("/home/u/.aws"), home).is_some());
        assert!(secret_reason(Path::new("/home/u/.npmrc"), home).is_some());
        assert!(secret_reason(Path::new("/w/src/main.rs"), home).is_none());
    }

    #[test]
    fn globs_that_could_expand_to_secrets_are_spotted() {
        assert!(glob_may_match_secret(".e*"));
        assert!(glob_may_match_secret("*.pem"));
        assert!(!glob_may_match_secret("*.rs"));
        assert!(!glob_may_match_secret("src/*.ts"));
    }
}
