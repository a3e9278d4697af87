//! The scanner's rules: data compiled into the binary (`rules.toml`), each a
//! regex over raw bytes plus the checks that keep placeholders out. All rules
//! that apply to every file are also compiled into one [`RegexSet`], the
//! prefilter: a file none of them matches is done after a single pass.

use std::sync::OnceLock;

use regex::bytes::{Regex, RegexSet};
use serde::Deserialize;

use super::SecretsError;

const RULES_TOML: &str = include_str!("rules.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    rule: Vec<RuleSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    id: String,
    title: String,
    regex: String,
    #[serde(default = "one")]
    secret: usize,
    name_group: Option<usize>,
    #[serde(default)]
    name_from: NameFrom,
    name: String,
    entropy: Option<f64>,
    #[serde(default)]
    files: Files,
    block_end: Option<String>,
    #[serde(default)]
    show: usize,
    true_positives: Vec<String>,
    false_positives: Vec<String>,
}

fn one() -> usize {
    1
}

/// Where a finding's suggested reference name comes from.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum NameFrom {
    /// The identifier assigned just before the match (`GITHUB_TOKEN=ghp_…`).
    #[default]
    Assignment,
    /// The identifier just before the value (the match itself starts inside it).
    Key,
}

/// Which files a rule reads.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Files {
    #[default]
    Any,
    /// Only `.env`-style files (`.env`, `.env.local`, `prod.env`, …).
    Dotenv,
}

/// One compiled rule.
#[derive(Debug)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub regex: Regex,
    pub secret_group: usize,
    pub name_group: Option<usize>,
    pub name_from: NameFrom,
    pub default_name: String,
    pub min_entropy: Option<f64>,
    pub files: Files,
    pub block_end: Option<String>,
    pub show: usize,
    pub true_positives: Vec<String>,
    pub false_positives: Vec<String>,
}

/// Every rule, and the prefilters.
#[derive(Debug)]
pub struct RuleBook {
    pub rules: Vec<Rule>,
    /// Rules for every file, as one set.
    pub any_set: RegexSet,
    /// `any_set` index → `rules` index.
    pub any_index: Vec<usize>,
    /// Every rule (for `.env`-style files).
    pub dotenv_set: RegexSet,
}

fn compile(pattern: &str) -> String {
    // ASCII semantics throughout: faster, and files are not all UTF-8.
    format!("(?-u){pattern}")
}

fn build() -> Result<RuleBook, SecretsError> {
    let file: RuleFile = toml::from_str(RULES_TOML)
        .map_err(|e| SecretsError::Rules(format!("rules.toml does not parse: {e}")))?;
    let mut rules = Vec::with_capacity(file.rule.len());
    for spec in file.rule {
        let regex = regex::bytes::RegexBuilder::new(&compile(&spec.regex))
            .size_limit(32 << 20)
            .build()
            .map_err(|e| SecretsError::Rules(format!("rule {}: {e}", spec.id)))?;
        if spec.secret >= regex.captures_len() {
            return Err(SecretsError::Rules(format!(
                "rule {}: no capture group {}",
                spec.id, spec.secret
            )));
        }
        rules.push(Rule {
            id: spec.id,
            title: spec.title,
            regex,
            secret_group: spec.secret,
            name_group: spec.name_group,
            name_from: spec.name_from,
            default_name: spec.name,
            min_entropy: spec.entropy,
            files: spec.files,
            block_end: spec.block_end,
            show: spec.show,
            true_positives: spec.true_positives,
            false_positives: spec.false_positives,
        });
    }
    let any_index: Vec<usize> = rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.files == Files::Any)
        .map(|(i, _)| i)
        .collect();
    let set = |idx: &mut dyn Iterator<Item = &Rule>| {
        regex::bytes::RegexSetBuilder::new(idx.map(|r| compile(r.regex.as_str())))
            .size_limit(64 << 20)
            .dfa_size_limit(16 << 20)
            .build()
            .map_err(|e| SecretsError::Rules(format!("the rule set: {e}")))
    };
    // `as_str()` already carries the `(?-u)` prefix; a second one is harmless.
    let any_set = set(&mut any_index.iter().map(|&i| &rules[i]))?;
    let dotenv_set = set(&mut rules.iter())?;
    Ok(RuleBook {
        rules,
        any_set,
        any_index,
        dotenv_set,
    })
}

static BOOK: OnceLock<Result<RuleBook, String>> = OnceLock::new();

/// The compiled rules (compiled once per process).
pub fn book() -> Result<&'static RuleBook, SecretsError> {
    match BOOK.get_or_init(|| build().map_err(|e| e.to_string())) {
        Ok(b) => Ok(b),
        Err(e) => Err(SecretsError::Rules(e.clone())),
    }
}

/// Shannon entropy in bits per character.
pub fn entropy(s: &[u8]) -> f64 {
    let mut counts = [0u32; 256];
    for &b in s {
        counts[b as usize] += 1;
    }
    let n = s.len() as f64;
    if n == 0.0 {
        return 0.0;
    }
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// Parts of a value that mark it as a placeholder, not a secret.
const PLACEHOLDER_PARTS: &[&str] = &[
    "example",
    "xxxx",
    "your",
    "changeme",
    "placeholder",
    "dummy",
    "redacted",
    "<",
    ">",
    "${",
    "{{",
    "$(",
    "...",
    "***",
    "•",
    "000000",
    "paddock://",
];

/// Whole values that are placeholders.
const PLACEHOLDER_VALUES: &[&str] = &[
    "password", "passwd", "pass", "secret", "pwd", "user", "admin", "root", "test", "none", "null",
    "true", "false", "token", "changeit",
];

/// Does this value look like a placeholder rather than a secret?
pub fn is_placeholder(value: &[u8]) -> bool {
    let lower = value.to_ascii_lowercase();
    let text = String::from_utf8_lossy(&lower);
    if PLACEHOLDER_VALUES.contains(&text.as_ref()) {
        return true;
    }
    if text.starts_with('$') || text.starts_with('%') {
        return true;
    }
    PLACEHOLDER_PARTS.iter().any(|p| text.contains(p))
}

/// A code identifier or a dotted path (`self.config.token`), not a secret.
fn looks_like_code(value: &[u8]) -> bool {
    let has_digit = value.iter().any(u8::is_ascii_digit);
    let has_alpha = value.iter().any(u8::is_ascii_alphabetic);
    !(has_digit && has_alpha)
}

impl Rule {
    /// The checks after the regex matched: placeholders, entropy, code.
    pub fn accepts(&self, value: &[u8]) -> bool {
        if value.is_empty() || is_placeholder(value) {
            return false;
        }
        if let Some(min) = self.min_entropy {
            if entropy(value) < min {
                return false;
            }
        }
        if self.id == "generic-secret" && looks_like_code(value) {
            return false;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_compiled_in_rules_parse_and_cover_every_required_kind() {
        let b = book().unwrap();
        for id in [
            "private-key",
            "aws-access-key-id",
            "aws-secret-access-key",
            "github-pat",
            "github-fine-grained-pat",
            "gitlab-pat",
            "slack-token",
            "stripe-key",
            "openai-key",
            "anthropic-key",
            "google-api-key",
            "npm-token",
            "huggingface-token",
            "sendgrid-key",
            "twilio-api-key",
            "azure-connection-string",
            "jwt",
            "database-url",
            "generic-secret",
            "dotenv-secret",
        ] {
            let rule = b.rules.iter().find(|r| r.id == id);
            let rule = rule.unwrap_or_else(|| panic!("no rule {id}"));
            assert!(!rule.true_positives.is_empty(), "{id} has no true positive");
            assert!(
                !rule.false_positives.is_empty(),
                "{id} has no false positive"
            );
        }
    }

    #[test]
    fn placeholders_are_not_secrets() {
        for v in [
            "${TOKEN}",
            "your-token-here",
            "password",
            "<key>",
            "AKIAEXAMPLE",
        ] {
            assert!(is_placeholder(v.as_bytes()), "{v}");
        }
        assert!(!is_placeholder(b"q8Zr2xLp0Vw7Nf3Kd9Tb"));
    }
}
