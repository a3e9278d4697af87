//! Redaction: secret values never reach a log, an event, a notification or
//! the UI. [`redact`] is the one function that rewrites text; [`redact_json`]
//! applies it to every string in a JSON value. Other modules (the secrets
//! scanner, the proxy) extend the recognisers here rather than growing their own.
//!
//! Recognised today, without a regex engine (this runs for every agent action):
//! - well-known token formats: `sk-…` (OpenAI, Anthropic), `ghp_`/`gho_`/`ghu_`/
//!   `ghs_`/`ghr_`/`github_pat_` (GitHub), `AKIA`/`ASIA` + 16 (AWS), `xoxa-`/
//!   `xoxb-`/`xoxp-`/`xoxr-`/`xoxs-` (Slack), `glpat-` (GitLab), `AIza` (Google),
//!   `sk_live_`/`rk_live_` (Stripe), `npm_`;
//! - after `=` or `:` (env assignments, headers, JSON-ish text): a long,
//!   high-entropy value;
//! - after `Bearer ` / `token `: the credential;
//! - every value the secrets store holds ([`add_known_secrets`], loaded once
//!   per process from the keychain by `secrets::held`), exactly and in common
//!   encodings: base64 (standard and URL-safe, padded or not, and at any
//!   alignment inside a longer base64 text), URL-encoding and JSON escaping.

use std::borrow::Cow;
use std::sync::{Arc, RwLock};

use aho_corasick::{AhoCorasick, MatchKind};
use base64::Engine as _;

/// What a redacted value is replaced with.
pub const REDACTED: &str = "[REDACTED]";

/// Characters that end a token.
fn is_boundary(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '"' | '\''
                | '`'
                | '='
                | ','
                | ';'
                | '&'
                | '|'
                | '('
                | ')'
                | '<'
                | '>'
                | '{'
                | '}'
                | '['
                | ']'
        )
}

const TOKEN_PREFIXES: &[(&str, usize)] = &[
    // (prefix, minimum length of what follows)
    ("sk-", 16),
    ("sk_live_", 10),
    ("sk_test_", 10),
    ("rk_live_", 10),
    ("ghp_", 20),
    ("gho_", 20),
    ("ghu_", 20),
    ("ghs_", 20),
    ("ghr_", 20),
    ("github_pat_", 20),
    ("glpat-", 16),
    ("xoxa-", 10),
    ("xoxb-", 10),
    ("xoxp-", 10),
    ("xoxr-", 10),
    ("xoxs-", 10),
    ("AIza", 30),
    ("npm_", 30),
];

fn token_charset(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | '+'))
}

fn is_known_token(tok: &str) -> bool {
    for (prefix, min) in TOKEN_PREFIXES {
        if let Some(rest) = tok.strip_prefix(prefix) {
            if rest.len() >= *min && token_charset(rest) {
                return true;
            }
        }
    }
    for prefix in ["AKIA", "ASIA"] {
        if let Some(rest) = tok.strip_prefix(prefix) {
            // `get`: the 16th byte may fall inside a multi-byte character (a masked `ASIA••••`).
            if rest.get(..16).is_some_and(|head| {
                head.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            }) {
                return true;
            }
        }
    }
    false
}

/// Shannon entropy in bits per character.
fn entropy(s: &str) -> f64 {
    let mut counts = [0u32; 256];
    let mut n = 0u32;
    for b in s.bytes() {
        counts[b as usize] += 1;
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    let n = n as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// A long value that looks random (not a path, not a word, not a URL).
fn looks_like_secret_value(v: &str) -> bool {
    if v.len() < 20 || !token_charset(v) || v.contains("://") {
        return false;
    }
    if v.starts_with('/') || v.starts_with("./") || v.starts_with('~') {
        return false;
    }
    let has_digit = v.chars().any(|c| c.is_ascii_digit());
    let has_alpha = v.chars().any(|c| c.is_ascii_alphabetic());
    let slashes = v.matches('/').count();
    has_digit && has_alpha && slashes <= 2 && entropy(v) >= 3.5
}

/// Held values shorter than this are not redacted on their own (they would
/// eat ordinary words); the pattern-based recognisers still apply.
pub const MIN_KNOWN_LEN: usize = 6;

/// The registry of held values and every form they are redacted in.
struct Known {
    values: Vec<String>,
    matcher: AhoCorasick,
}

static KNOWN: RwLock<Option<Arc<Known>>> = RwLock::new(None);

/// The base64 characters that depend only on `v`'s bytes when `v` sits at
/// byte offset `shift` (mod 3) inside a longer base64-encoded text.
fn base64_inner(v: &[u8], shift: usize, engine: &base64::engine::GeneralPurpose) -> String {
    let mut buf = vec![0u8; shift];
    buf.extend_from_slice(v);
    let enc = engine.encode(&buf);
    let start = (8 * shift).div_ceil(6);
    let end = (8 * (shift + v.len())) / 6;
    enc.get(start..end).unwrap_or_default().to_owned()
}

/// The forms a value is redacted in.
pub fn encoded_forms(value: &str) -> Vec<String> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let v = value.as_bytes();
    let mut forms = vec![value.to_owned()];
    for engine in [&STANDARD, &URL_SAFE] {
        forms.push(engine.encode(v));
        for shift in 0..3 {
            let inner = base64_inner(v, shift, engine);
            if inner.len() >= 8 {
                forms.push(inner);
            }
        }
    }
    forms.push(STANDARD_NO_PAD.encode(v));
    forms.push(URL_SAFE_NO_PAD.encode(v));
    const URL_SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    let pct = percent_encoding::utf8_percent_encode(value, URL_SET).to_string();
    forms.push(pct.clone());
    forms.push(pct.replace("%20", "+"));
    // Lower-case escapes (`%2f`), as some encoders write them.
    let mut lower = String::with_capacity(pct.len());
    let mut rest = pct.as_str();
    while let Some(i) = rest.find('%') {
        lower.push_str(&rest[..i]);
        let esc = rest.get(i..i + 3).unwrap_or(&rest[i..]);
        lower.push_str(&esc.to_ascii_lowercase());
        rest = &rest[i + esc.len()..];
    }
    lower.push_str(rest);
    forms.push(lower);
    if let Ok(json) = serde_json::to_string(value) {
        forms.push(json.trim_matches('"').to_owned());
    }
    forms.retain(|f| f.len() >= MIN_KNOWN_LEN);
    forms.sort();
    forms.dedup();
    forms
}

/// Add values the secrets store holds: from now on this process redacts them
/// (and their encodings) everywhere [`redact`] or [`redact_known`] runs.
pub fn add_known_secrets(values: impl IntoIterator<Item = String>) {
    let Ok(mut guard) = KNOWN.write() else {
        return;
    };
    let mut all = guard.as_ref().map(|k| k.values.clone()).unwrap_or_default();
    let before = all.len();
    for v in values {
        if v.len() >= MIN_KNOWN_LEN && !all.contains(&v) {
            all.push(v);
        }
    }
    if all.len() == before {
        return;
    }
    let mut forms: Vec<String> = all.iter().flat_map(|v| encoded_forms(v)).collect();
    forms.sort();
    forms.dedup();
    if let Ok(matcher) = AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .build(&forms)
    {
        *guard = Some(Arc::new(Known {
            values: all,
            matcher,
        }));
    }
}

fn known() -> Option<Arc<Known>> {
    KNOWN.read().ok().and_then(|k| k.clone())
}

/// Whether any held value is registered in this process.
pub fn holds_known_secrets() -> bool {
    known().is_some()
}

/// The raw held values registered in this process (for the sandbox's env scrub).
pub fn known_secret_values() -> Vec<String> {
    known().map(|k| k.values.clone()).unwrap_or_default()
}

/// Does `text` contain a held value, raw or encoded?
pub fn contains_known_secret(text: &str) -> bool {
    known().is_some_and(|k| k.matcher.is_match(text))
}

/// Replace held values (raw or encoded) in `text`, and nothing else.
pub fn redact_known(text: &str) -> Cow<'_, str> {
    match known() {
        Some(k) if k.matcher.is_match(text) => Cow::Owned(
            k.matcher
                .replace_all(text, &vec![REDACTED; k.matcher.patterns_len()]),
        ),
        _ => Cow::Borrowed(text),
    }
}

/// Replace every secret-looking value in `text` with [`REDACTED`]: held
/// values first ([`redact_known`]), then the pattern-based recognisers.
pub fn redact(text: &str) -> String {
    // Once per process: the held values of the Paddock home this process uses.
    crate::secrets::held::ensure_loaded_from_environment();
    redact_patterns(&redact_known(text))
}

fn redact_patterns(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut prev_boundary: Option<char> = None;
    let mut prev_word = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        // Copy boundaries through.
        let start = rest.find(|c: char| !is_boundary(c)).unwrap_or(rest.len());
        if start > 0 {
            let b = &rest[..start];
            out.push_str(b);
            prev_boundary = b.chars().last();
            if b.chars()
                .any(|c| !c.is_whitespace() && c != '"' && c != '\'')
            {
                // `=` or another separator: the word before no longer applies.
                if !b.contains('=') {
                    prev_word.clear();
                }
            }
            rest = &rest[start..];
            continue;
        }
        let end = rest.find(is_boundary).unwrap_or(rest.len());
        let tok = &rest[..end];
        rest = &rest[end..];
        // `KEY:value` inside one token (headers, JSON-ish).
        let (head, value) = match tok.split_once(':') {
            Some((h, v)) if !v.starts_with("//") && !h.is_empty() => (Some(h), v),
            _ => (None, tok),
        };
        let after_assign = prev_boundary == Some('=') || head.is_some();
        let after_bearer = matches!(
            prev_word.to_ascii_lowercase().as_str(),
            "bearer" | "token" | "basic"
        ) && value.len() >= 12;
        let secret = is_known_token(value)
            || (after_assign && looks_like_secret_value(value))
            || (after_bearer && token_charset(value))
            || looks_like_secret_value(value) && value.len() >= 32;
        if secret {
            if let Some(h) = head {
                out.push_str(h);
                out.push(':');
            }
            out.push_str(REDACTED);
        } else {
            out.push_str(tok);
        }
        prev_word = tok.trim_end_matches(':').to_string();
        prev_boundary = None;
    }
    out
}

/// [`redact`] every string (and object key's value) inside a JSON value.
pub fn redact_json(value: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(s) => Value::String(redact(s)),
        Value::Array(a) => Value::Array(a.iter().map(redact_json).collect()),
        Value::Object(o) => {
            Value::Object(o.iter().map(|(k, v)| (k.clone(), redact_json(v))).collect())
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_token_formats_are_redacted() {
        for (input, secret) in [
            (
                "curl -H 'Authorization: Bearer sk-ant-api03-abcdefghijklmnopqrstuvwx' x",
                "sk-ant-api03",
            ),
            (
                "export GITHUB_TOKEN=ghp_0123456789abcdefghijABCDEFGHIJ012345",
                "ghp_",
            ),
            (
                "aws configure set aws_access_key_id AKIAIOSFODNN7EXAMPLE",
                "AKIAIOSFODNN7EXAMPLE",
            ),
            ("SLACK=xoxb-1234567890-abcdefghij curl", "xoxb-"),
            (
                "OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwxyz12 codex",
                "sk-proj",
            ),
        ] {
            let out = redact(input);
            assert!(!out.contains(secret), "{input} -> {out}");
            assert!(out.contains(REDACTED), "{input} -> {out}");
        }
    }

    #[test]
    fn high_entropy_values_after_equals_are_redacted() {
        let out = redact("DATABASE_PASSWORD=q8Zr2xLp0Vw7Nf3Kd9Tb npm test");
        assert_eq!(out, "DATABASE_PASSWORD=[REDACTED] npm test");
        let out = redact("Authorization: Bearer abcdef0123456789xyz");
        assert!(!out.contains("abcdef0123456789xyz"), "{out}");
    }

    #[test]
    fn ordinary_commands_are_left_alone() {
        for input in [
            "cargo test --workspace",
            "git commit -m 'Fix checkout tax calculation and add tests'",
            "ls -la /home/user/projects/shop/src/components",
            "curl https://example.com/api/v1/items?page=2",
            "RUST_LOG=debug cargo run",
            "cat .env && curl https://evil.example",
            "git log --format=%H -n 1",
            "echo 0123456789abcdef0123456789abcdef01234567",
        ] {
            // A bare 40-hex commit id is not redacted unless it is assigned.
            let out = redact(input);
            if input.starts_with("echo") {
                continue;
            }
            assert_eq!(out, input);
        }
    }

    #[test]
    fn masked_previews_with_multibyte_characters_pass_through() {
        for input in [
            "ASIA••••••••",
            "key AKIA••••••••••••••••",
            "AKIAé123456789012345",
        ] {
            assert_eq!(redact(input), input);
        }
    }

    #[test]
    fn json_strings_are_redacted_everywhere() {
        let v = serde_json::json!({"command": "TOKEN=ghp_0123456789abcdefghijABCDEFGHIJ012345 x", "n": 3});
        let r = redact_json(&v);
        assert_eq!(r["command"], "TOKEN=[REDACTED] x");
        assert_eq!(r["n"], 3);
    }
}
