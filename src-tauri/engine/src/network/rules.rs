//! Host rules and the pure decision over them: the deny list first, then the
//! allow list, then ask. No I/O, no clock.

use serde::Serialize;

/// How a rule names hosts.
#[derive(Debug, Clone)]
pub enum HostPattern {
    /// Exactly this host (case-insensitive, trailing dot ignored).
    Exact(String),
    /// `*.example.com`: any host strictly under `example.com` (not `example.com`
    /// itself, not `badexample.com`).
    Suffix(String),
    /// A glob from a policy file's `fetch_domains` (matched as the policy does).
    Glob {
        pattern: String,
        glob: globset::GlobMatcher,
    },
}

/// Lower-case, without a trailing dot or IPv6 brackets.
pub fn normalize_host(host: &str) -> String {
    host.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

impl HostPattern {
    /// `*.suffix` → [`HostPattern::Suffix`], anything else → [`HostPattern::Exact`].
    pub fn parse(text: &str) -> Self {
        let t = normalize_host(text);
        match t.strip_prefix("*.") {
            Some(rest) if !rest.is_empty() => HostPattern::Suffix(rest.to_string()),
            _ => HostPattern::Exact(t),
        }
    }

    pub fn matches(&self, host: &str) -> bool {
        let host = normalize_host(host);
        match self {
            HostPattern::Exact(h) => *h == host,
            HostPattern::Suffix(s) => {
                host.len() > s.len() + 1
                    && host.ends_with(s.as_str())
                    && host.as_bytes()[host.len() - s.len() - 1] == b'.'
            }
            HostPattern::Glob { glob, .. } => glob.is_match(&host),
        }
    }

    /// The pattern as a person wrote it.
    pub fn text(&self) -> String {
        match self {
            HostPattern::Exact(h) => h.clone(),
            HostPattern::Suffix(s) => format!("*.{s}"),
            HostPattern::Glob { pattern, .. } => pattern.clone(),
        }
    }
}

/// One host rule, with the id logged and sent in the `X-Paddock-Rule` header.
#[derive(Debug, Clone)]
pub struct HostRule {
    pub pattern: HostPattern,
    /// `preset:deny-default`, `preset:model-api`, `user:policy.toml#fetch_domains.allow[0]`, …
    pub rule: String,
    pub reason: String,
}

impl HostRule {
    pub fn new(pattern: &str, rule: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            pattern: HostPattern::parse(pattern),
            rule: rule.into(),
            reason: reason.into(),
        }
    }
}

/// The rules in force for one task's proxy.
#[derive(Debug, Clone, Default)]
pub struct NetworkRules {
    pub deny: Vec<HostRule>,
    pub allow: Vec<HostRule>,
}

impl NetworkRules {
    /// The patterns of each list, for display (`paddock network rules`).
    pub fn describe(&self) -> Vec<(NetworkVerdict, String, String)> {
        let mut out = Vec::new();
        for r in &self.deny {
            out.push((NetworkVerdict::Deny, r.pattern.text(), r.rule.clone()));
        }
        for r in &self.allow {
            out.push((NetworkVerdict::Allow, r.pattern.text(), r.rule.clone()));
        }
        out
    }

    /// Append another set (its deny and allow lists after ours).
    pub fn extend(&mut self, other: NetworkRules) {
        self.deny.extend(other.deny);
        self.allow.extend(other.allow);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NetworkVerdict {
    Allow,
    Ask,
    Deny,
}

impl std::fmt::Display for NetworkVerdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NetworkVerdict::Allow => "allow",
            NetworkVerdict::Ask => "ask",
            NetworkVerdict::Deny => "deny",
        })
    }
}

/// What the rules say about one host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NetworkDecision {
    pub verdict: NetworkVerdict,
    pub rule: String,
    pub reason: String,
}

/// Decide `host`: the first matching deny rule, else the first matching allow
/// rule, else ask. An empty host is denied.
pub fn decide(host: &str, rules: &NetworkRules) -> NetworkDecision {
    let host = normalize_host(host);
    if host.is_empty() {
        return NetworkDecision {
            verdict: NetworkVerdict::Deny,
            rule: "network:no-host".into(),
            reason: "the request names no host".into(),
        };
    }
    if let Some(r) = rules.deny.iter().find(|r| r.pattern.matches(&host)) {
        return NetworkDecision {
            verdict: NetworkVerdict::Deny,
            rule: r.rule.clone(),
            reason: format!(
                "{host} matches {} on the deny list: {}",
                r.pattern.text(),
                r.reason
            ),
        };
    }
    if let Some(r) = rules.allow.iter().find(|r| r.pattern.matches(&host)) {
        return NetworkDecision {
            verdict: NetworkVerdict::Allow,
            rule: r.rule.clone(),
            reason: format!(
                "{host} matches {} on the allow list: {}",
                r.pattern.text(),
                r.reason
            ),
        };
    }
    NetworkDecision {
        verdict: NetworkVerdict::Ask,
        rule: "network:unknown-host".into(),
        reason: format!("{host} is on no allow or deny list; a person decides"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> NetworkRules {
        NetworkRules {
            deny: vec![HostRule::new("*.evil.example", "t:deny", "bad")],
            allow: vec![
                HostRule::new("*.example.com", "t:allow-suffix", "ok"),
                HostRule::new("api.evil.example", "t:allow-exact", "ok"),
                HostRule::new("exact.test", "t:allow-exact2", "ok"),
            ],
        }
    }

    #[test]
    fn a_suffix_rule_matches_subdomains_but_not_the_bare_name_or_lookalikes() {
        let p = HostPattern::parse("*.example.com");
        assert!(p.matches("a.example.com"));
        assert!(p.matches("A.B.Example.COM."));
        assert!(!p.matches("example.com"));
        assert!(!p.matches("badexample.com"));
        assert!(!p.matches("example.com.evil.test"));
    }

    #[test]
    fn an_exact_rule_matches_only_that_host() {
        let p = HostPattern::parse("Exact.Test.");
        assert!(p.matches("exact.test"));
        assert!(!p.matches("a.exact.test"));
    }

    #[test]
    fn the_deny_list_wins_over_the_allow_list() {
        let d = decide("api.evil.example", &rules());
        assert_eq!(d.verdict, NetworkVerdict::Deny);
        assert_eq!(d.rule, "t:deny");
    }

    #[test]
    fn an_allowed_host_is_allowed_by_its_rule() {
        let d = decide("www.example.com", &rules());
        assert_eq!(d.verdict, NetworkVerdict::Allow);
        assert_eq!(d.rule, "t:allow-suffix");
    }

    #[test]
    fn an_unknown_host_asks_and_an_empty_host_is_denied() {
        assert_eq!(
            decide("unknown.test", &rules()).verdict,
            NetworkVerdict::Ask
        );
        assert_eq!(decide("", &rules()).verdict, NetworkVerdict::Deny);
    }
}
