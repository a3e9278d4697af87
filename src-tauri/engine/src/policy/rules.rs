//! User and repository rules: `paddock.toml` in a repository (reviewed like
//! code) and `$PADDOCK_HOME/policy.toml` (the user's own). Parsing is strict:
//! an unknown key, a rule with no matcher or two, a bad glob → an error that
//! names the file and the line, and callers fail closed.

use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobMatcher};
use serde::Deserialize;

use super::shell::FileOp;
use super::Verdict;
use crate::PaddockHome;

/// The repository's policy file, at the repository root.
pub const REPO_POLICY_FILE: &str = "paddock.toml";
/// The user's policy file, in `$PADDOCK_HOME`.
pub const USER_POLICY_FILE: &str = "policy.toml";

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("cannot read policy file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Malformed {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

/// Who wrote a rule. Only [`RuleOrigin::User`] rules may relax a built-in deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleOrigin {
    User,
    Repo,
}

impl RuleOrigin {
    fn prefix(self) -> &'static str {
        match self {
            RuleOrigin::User => "user",
            RuleOrigin::Repo => "repo",
        }
    }
}

/// What a rule looks at.
#[derive(Debug, Clone)]
pub enum RuleMatcher {
    /// A command prefix, compared word by word with a parsed simple command.
    Command(Vec<String>),
    /// A path glob for reads and/or writes (relative globs are relative to
    /// the worktree; `~/` globs to the user's home).
    Path {
        pattern: String,
        glob: GlobMatcher,
        access: PathAccess,
    },
    /// A domain glob for fetches.
    Domain { pattern: String, glob: GlobMatcher },
    /// `server/tool` glob for MCP calls.
    Mcp { pattern: String, glob: GlobMatcher },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PathAccess {
    Read,
    Write,
    Any,
}

#[derive(Debug, Clone)]
pub struct Rule {
    /// `user:<id>` / `repo:<id>`, or `repo:paddock.toml#<n>` for the n-th rule.
    pub id: String,
    pub verdict: Verdict,
    pub matcher: RuleMatcher,
    pub reason: String,
    pub origin: RuleOrigin,
}

/// What a rule is matched against.
pub(crate) enum Subject<'a> {
    Command(&'a [String], &'a [String]),
    File(FileOp, &'a Path),
    Domain(&'a str),
    Mcp(&'a str),
    Nothing,
}

impl Rule {
    pub(crate) fn matches(&self, subject: &Subject, worktree: &Path, home: &Path) -> bool {
        match (&self.matcher, subject) {
            (RuleMatcher::Command(prefix), Subject::Command(words, full)) => {
                let starts = |ws: &[String]| {
                    ws.len() >= prefix.len() && prefix.iter().zip(ws.iter()).all(|(p, w)| p == w)
                };
                starts(words) || starts(full)
            }
            (RuleMatcher::Path { glob, access, .. }, Subject::File(op, path)) => {
                let access_ok = matches!(
                    (access, op),
                    (PathAccess::Any, _)
                        | (PathAccess::Read, FileOp::Read)
                        | (PathAccess::Write, FileOp::Write)
                );
                if !access_ok {
                    return false;
                }
                if glob.is_match(path) {
                    return true;
                }
                if let Ok(rel) = path.strip_prefix(worktree) {
                    if glob.is_match(rel) {
                        return true;
                    }
                }
                if let Ok(rel) = path.strip_prefix(home) {
                    if glob.is_match(Path::new("~").join(rel)) {
                        return true;
                    }
                }
                false
            }
            (RuleMatcher::Domain { glob, .. }, Subject::Domain(host)) => glob.is_match(host),
            (RuleMatcher::Mcp { glob, .. }, Subject::Mcp(name)) => glob.is_match(name),
            _ => false,
        }
    }
}

/// The rules in force for one task: the user's and the repository's. The
/// built-in defaults are code, not data (see [`super::decide`]).
#[derive(Debug, Clone, Default)]
pub struct Policy {
    pub user: Vec<Rule>,
    pub repo: Vec<Rule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    rule: Vec<toml::Spanned<RawRule>>,
    #[serde(default)]
    fetch_domains: Option<toml::Spanned<RawDomains>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDomains {
    #[serde(default)]
    allow: Vec<String>,
    #[serde(default)]
    deny: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: Option<String>,
    verdict: Verdict,
    command: Option<String>,
    path: Option<String>,
    action: Option<PathAccess>,
    domain: Option<String>,
    mcp: Option<String>,
    reason: Option<String>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()
        .iter()
        .take(offset.min(text.len()))
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn glob(pattern: &str, path_like: bool) -> Result<GlobMatcher, String> {
    GlobBuilder::new(pattern)
        .literal_separator(path_like)
        .case_insensitive(!path_like)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| format!("bad glob `{pattern}`: {e}"))
}

/// Split a rule's command the way a shell would (quotes respected).
fn command_words(s: &str) -> Vec<String> {
    let mut vars = std::collections::HashMap::new();
    super::shell::pieces(s, &mut vars)
        .into_iter()
        .find_map(|p| match p {
            super::shell::Piece::Command { words, .. } => {
                Some(words.into_iter().map(|w| w.text).collect())
            }
            _ => None,
        })
        .unwrap_or_default()
}

/// Parse one policy file's text. `path` is only used in ids and errors.
pub fn parse_rules(text: &str, path: &Path, origin: RuleOrigin) -> Result<Vec<Rule>, PolicyError> {
    let malformed = |line: usize, message: String| PolicyError::Malformed {
        path: path.to_path_buf(),
        line,
        message,
    };
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(1);
        malformed(line, e.message().trim().to_string())
    })?;
    let file_name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("policy")
        .to_string();
    let mut rules = Vec::new();
    for (i, spanned) in raw.rule.into_iter().enumerate() {
        let line = line_of(text, spanned.span().start);
        let r = spanned.into_inner();
        let given = [&r.command, &r.path, &r.domain, &r.mcp]
            .iter()
            .filter(|m| m.is_some())
            .count();
        if given != 1 {
            return Err(malformed(
                line,
                format!(
                    "rule {} needs exactly one of `command`, `path`, `domain`, `mcp` (found {given})",
                    i + 1
                ),
            ));
        }
        if r.action.is_some() && r.path.is_none() {
            return Err(malformed(
                line,
                "`action` only applies to a `path` rule".into(),
            ));
        }
        let matcher = if let Some(c) = &r.command {
            let words = command_words(c);
            if words.is_empty() {
                return Err(malformed(line, "`command` is empty".into()));
            }
            RuleMatcher::Command(words)
        } else if let Some(p) = &r.path {
            RuleMatcher::Path {
                pattern: p.clone(),
                glob: glob(p, true).map_err(|m| malformed(line, m))?,
                access: r.action.unwrap_or(PathAccess::Any),
            }
        } else if let Some(d) = &r.domain {
            RuleMatcher::Domain {
                pattern: d.clone(),
                glob: glob(d, false).map_err(|m| malformed(line, m))?,
            }
        } else if let Some(m) = &r.mcp {
            RuleMatcher::Mcp {
                pattern: m.clone(),
                glob: glob(m, false).map_err(|e| malformed(line, e))?,
            }
        } else {
            return Err(malformed(line, "rule has no matcher".into()));
        };
        let id = match r.id {
            Some(id) if !id.trim().is_empty() => format!("{}:{}", origin.prefix(), id.trim()),
            _ => format!("{}:{}#{}", origin.prefix(), file_name, i + 1),
        };
        rules.push(Rule {
            reason: r
                .reason
                .unwrap_or_else(|| format!("matched rule {id} in {file_name}")),
            id,
            verdict: r.verdict,
            matcher,
            origin,
        });
    }
    if let Some(domains) = raw.fetch_domains {
        let line = line_of(text, domains.span().start);
        let d = domains.into_inner();
        for (verdict, list, name) in [
            (Verdict::Deny, d.deny, "deny"),
            (Verdict::Allow, d.allow, "allow"),
        ] {
            for (i, pattern) in list.into_iter().enumerate() {
                let g = glob(&pattern, false).map_err(|m| malformed(line, m))?;
                let id = format!(
                    "{}:{}#fetch_domains.{}[{}]",
                    origin.prefix(),
                    file_name,
                    name,
                    i
                );
                rules.push(Rule {
                    reason: format!("domain {pattern} is on the {name} list of {file_name}"),
                    id,
                    verdict,
                    matcher: RuleMatcher::Domain { pattern, glob: g },
                    origin,
                });
            }
        }
    }
    Ok(rules)
}

fn read_optional(path: &Path) -> Result<Option<String>, PolicyError> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(PolicyError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

impl Policy {
    /// Built-in defaults only.
    pub fn builtin() -> Self {
        Self::default()
    }

    /// Read `<repo>/paddock.toml` and `$PADDOCK_HOME/policy.toml` (both
    /// optional). A file that exists but is malformed is an error naming the
    /// file and line; callers must then deny.
    pub fn load(repo: Option<&Path>, home: &PaddockHome) -> Result<Self, PolicyError> {
        let user_path = home.root().join(USER_POLICY_FILE);
        let user = match read_optional(&user_path)? {
            Some(t) => parse_rules(&t, &user_path, RuleOrigin::User)?,
            None => Vec::new(),
        };
        let repo = match repo {
            Some(r) => {
                let p = r.join(REPO_POLICY_FILE);
                match read_optional(&p)? {
                    Some(t) => parse_rules(&t, &p, RuleOrigin::Repo)?,
                    None => Vec::new(),
                }
            }
            None => Vec::new(),
        };
        Ok(Self { user, repo })
    }

    /// Build a policy from policy-file texts (tests, previews).
    pub fn from_texts(user: Option<&str>, repo: Option<&str>) -> Result<Self, PolicyError> {
        Ok(Self {
            user: match user {
                Some(t) => parse_rules(t, Path::new(USER_POLICY_FILE), RuleOrigin::User)?,
                None => Vec::new(),
            },
            repo: match repo {
                Some(t) => parse_rules(t, Path::new(REPO_POLICY_FILE), RuleOrigin::Repo)?,
                None => Vec::new(),
            },
        })
    }
}
