//! Ready-made host lists, and [`build`], which turns a person's choice of
//! presets (plus their policy files' `fetch_domains`) into [`NetworkRules`].
//!
//! | preset            | list  | on by default                                   |
//! |-------------------|-------|-------------------------------------------------|
//! | default deny      | deny  | always                                          |
//! | localhost         | allow | yes (for testing the app being built)           |
//! | model API         | allow | yes (so the agent can think)                    |
//! | package registries| allow | only when the user says the task changes packages |
//! | documentation     | allow | only when the user chooses it                   |

use super::registries::{self, Registry};
use super::rules::{HostPattern, HostRule, NetworkRules};
use crate::policy::{Policy, RuleMatcher, Verdict};

/// Which presets a person turned on for a task.
#[derive(Debug, Clone)]
pub struct PresetChoice {
    pub localhost: bool,
    /// The agent whose model API is allowed (`claude`, `codex`), if any.
    pub model_api_for: Option<String>,
    /// The task changes packages: allow the registries the package managers use.
    pub packages: bool,
    pub docs: bool,
    /// Hosts the person allowed by hand (`example.com`, `*.example.com`).
    pub extra_allow: Vec<String>,
    /// Hosts the person denied by hand.
    pub extra_deny: Vec<String>,
}

impl Default for PresetChoice {
    fn default() -> Self {
        Self {
            localhost: true,
            model_api_for: None,
            packages: false,
            docs: false,
            extra_allow: Vec::new(),
            extra_deny: Vec::new(),
        }
    }
}

/// Paste sites, anonymous file drops, request catchers and tunnelling services:
/// the usual ways to carry data out of a machine or a service into it.
///
/// Sources (public lists, checked when this list was written):
/// * LOTS Project — "Living Off Trusted Sites", its *Exfiltration* and
///   *Download* categories: <https://lots-project.com/>
/// * anderspitman/awesome-tunneling — a list of tunnelling services:
///   <https://github.com/anderspitman/awesome-tunneling>
///
/// Each entry blocks the domain and every subdomain.
pub const DEFAULT_DENY: &[(&str, &str)] = &[
    // Paste sites.
    ("pastebin.com", "paste site"),
    ("paste.ee", "paste site"),
    ("hastebin.com", "paste site"),
    ("rentry.co", "paste site"),
    ("rentry.org", "paste site"),
    ("termbin.com", "paste site"),
    ("ix.io", "paste site"),
    ("sprunge.us", "paste site"),
    ("dpaste.com", "paste site"),
    ("dpaste.org", "paste site"),
    ("paste.rs", "paste site"),
    ("pastes.io", "paste site"),
    ("controlc.com", "paste site"),
    ("justpaste.it", "paste site"),
    ("privatebin.net", "paste site"),
    ("ghostbin.co", "paste site"),
    ("pastebin.pl", "paste site"),
    // Anonymous file drops.
    ("transfer.sh", "anonymous file drop"),
    ("file.io", "anonymous file drop"),
    ("0x0.st", "anonymous file drop"),
    ("temp.sh", "anonymous file drop"),
    ("tmpfiles.org", "anonymous file drop"),
    ("catbox.moe", "anonymous file drop"),
    ("gofile.io", "anonymous file drop"),
    ("anonfiles.com", "anonymous file drop"),
    ("bashupload.com", "anonymous file drop"),
    ("oshi.at", "anonymous file drop"),
    ("keep.sh", "anonymous file drop"),
    ("filebin.net", "anonymous file drop"),
    ("uguu.se", "anonymous file drop"),
    ("pixeldrain.com", "anonymous file drop"),
    ("sendspace.com", "anonymous file drop"),
    ("wetransfer.com", "anonymous file drop"),
    // Request catchers (data goes out in a URL or body).
    ("webhook.site", "request catcher"),
    ("requestbin.net", "request catcher"),
    ("pipedream.net", "request catcher"),
    ("interact.sh", "request catcher"),
    ("oast.fun", "request catcher"),
    ("oast.pro", "request catcher"),
    ("oast.live", "request catcher"),
    ("oast.site", "request catcher"),
    ("oast.online", "request catcher"),
    ("oast.me", "request catcher"),
    ("burpcollaborator.net", "request catcher"),
    // Tunnelling services.
    ("ngrok.io", "tunnelling service"),
    ("ngrok.app", "tunnelling service"),
    ("ngrok.dev", "tunnelling service"),
    ("ngrok-free.app", "tunnelling service"),
    ("ngrok-free.dev", "tunnelling service"),
    ("trycloudflare.com", "tunnelling service"),
    ("loca.lt", "tunnelling service"),
    ("localtunnel.me", "tunnelling service"),
    ("serveo.net", "tunnelling service"),
    ("localhost.run", "tunnelling service"),
    ("lhr.life", "tunnelling service"),
    ("pinggy.io", "tunnelling service"),
    ("pinggy.link", "tunnelling service"),
    ("bore.pub", "tunnelling service"),
    ("telebit.cloud", "tunnelling service"),
    ("localxpose.io", "tunnelling service"),
    ("loclx.io", "tunnelling service"),
    ("tunnelto.dev", "tunnelling service"),
    ("playit.gg", "tunnelling service"),
    ("zrok.io", "tunnelling service"),
    ("expose.dev", "tunnelling service"),
    ("pagekite.me", "tunnelling service"),
    ("devtunnels.ms", "tunnelling service"),
];

/// Documentation sites, allowed when the person chooses the docs preset.
pub const DOCS_SITES: &[&str] = &[
    "docs.rs",
    "doc.rust-lang.org",
    "developer.mozilla.org",
    "docs.python.org",
    "nodejs.org",
    "docs.npmjs.com",
    "pkg.go.dev",
    "go.dev",
    "www.typescriptlang.org",
    "react.dev",
    "docs.github.com",
    "learn.microsoft.com",
    "docs.oracle.com",
    "ruby-doc.org",
    "man7.org",
];

pub fn default_deny() -> NetworkRules {
    let mut deny = Vec::new();
    for (host, why) in DEFAULT_DENY {
        let reason = format!("{why} (Paddock's default deny list)");
        deny.push(HostRule::new(host, "preset:default-deny", reason.clone()));
        deny.push(HostRule::new(
            &format!("*.{host}"),
            "preset:default-deny",
            reason,
        ));
    }
    NetworkRules {
        deny,
        allow: Vec::new(),
    }
}

pub fn localhost() -> NetworkRules {
    let allow = ["localhost", "*.localhost", "127.0.0.1", "::1"]
        .iter()
        .map(|h| {
            HostRule::new(
                h,
                "preset:localhost",
                "localhost, for testing the app being built",
            )
        })
        .collect();
    NetworkRules {
        deny: Vec::new(),
        allow,
    }
}

/// The model API the agent talks to, so it can think: its vendor's API, and
/// the host of a base URL set in the environment (`ANTHROPIC_BASE_URL`,
/// `OPENAI_BASE_URL`).
pub fn model_api(agent: &str, env: &dyn Fn(&str) -> Option<String>) -> NetworkRules {
    let mut hosts: Vec<String> = match agent {
        "claude" => vec!["api.anthropic.com".into()],
        "codex" => vec!["api.openai.com".into(), "chatgpt.com".into()],
        _ => Vec::new(),
    };
    for var in ["ANTHROPIC_BASE_URL", "OPENAI_BASE_URL"] {
        if let Some((host, _)) = env(var).as_deref().and_then(registries::url_host) {
            hosts.push(host);
        }
    }
    let allow = hosts
        .iter()
        .map(|h| {
            HostRule::new(
                h,
                "preset:model-api",
                format!("the {agent} agent's model API, so it can think"),
            )
        })
        .collect();
    NetworkRules {
        deny: Vec::new(),
        allow,
    }
}

pub fn package_registries(found: &[Registry]) -> NetworkRules {
    let allow = found
        .iter()
        .map(|r| {
            HostRule::new(
                &r.host,
                format!("preset:packages:{}", r.manager),
                format!("{} registry configured in {}", r.manager, r.source),
            )
        })
        .collect();
    NetworkRules {
        deny: Vec::new(),
        allow,
    }
}

pub fn docs() -> NetworkRules {
    let allow = DOCS_SITES
        .iter()
        .map(|h| HostRule::new(h, "preset:docs", "documentation site (docs preset)"))
        .collect();
    NetworkRules {
        deny: Vec::new(),
        allow,
    }
}

/// `host` or `*.host`, with no other glob syntax.
fn is_plain_host_pattern(pattern: &str) -> bool {
    let rest = pattern.strip_prefix("*.").unwrap_or(pattern);
    !rest.contains(['*', '?', '[', '{'])
}

/// The `fetch_domains` and `domain` rules of the user's and the repository's
/// policy files. A repository may add denies; its allows are honoured too
/// (they are reviewed like code), but never over a deny.
pub fn from_policy(policy: &Policy) -> NetworkRules {
    let mut out = NetworkRules::default();
    for rule in policy.user.iter().chain(policy.repo.iter()) {
        if let RuleMatcher::Domain { pattern, glob } = &rule.matcher {
            let host_rule = HostRule {
                pattern: if is_plain_host_pattern(pattern) {
                    HostPattern::parse(pattern)
                } else {
                    HostPattern::Glob {
                        pattern: pattern.clone(),
                        glob: glob.clone(),
                    }
                },
                rule: rule.id.clone(),
                reason: rule.reason.clone(),
            };
            match rule.verdict {
                Verdict::Deny => out.deny.push(host_rule),
                Verdict::Allow => out.allow.push(host_rule),
                Verdict::Ask => {}
            }
        }
    }
    out
}

/// The rules for a task: the default deny list, the person's denies, the
/// policy's denies; then the chosen presets' allows, the policy's and the
/// person's allows.
pub fn build(
    choice: &PresetChoice,
    policy: &Policy,
    registries: &[Registry],
    env: &dyn Fn(&str) -> Option<String>,
) -> NetworkRules {
    let mut rules = default_deny();
    for h in &choice.extra_deny {
        rules.deny.push(HostRule::new(
            h,
            "user:deny-host",
            "denied for this run by the user",
        ));
    }
    rules.extend(from_policy(policy));
    // Move the policy's allows after the presets (order only matters for the rule named).
    let policy_allows = std::mem::take(&mut rules.allow);
    if choice.localhost {
        rules.extend(localhost());
    }
    if let Some(agent) = &choice.model_api_for {
        rules.extend(model_api(agent, env));
    }
    if choice.packages {
        rules.extend(package_registries(registries));
    }
    if choice.docs {
        rules.extend(docs());
    }
    rules.allow.extend(policy_allows);
    for h in &choice.extra_allow {
        rules.allow.push(HostRule::new(
            h,
            "user:allow-host",
            "allowed for this run by the user",
        ));
    }
    rules
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::rules::{decide, NetworkVerdict};

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn paste_sites_file_drops_and_tunnels_are_denied_by_default() {
        let rules = build(&PresetChoice::default(), &Policy::default(), &[], &no_env);
        for h in [
            "pastebin.com",
            "x.ngrok-free.app",
            "transfer.sh",
            "abc.trycloudflare.com",
        ] {
            let d = decide(h, &rules);
            assert_eq!(d.verdict, NetworkVerdict::Deny, "{h}");
            assert_eq!(d.rule, "preset:default-deny");
        }
    }

    #[test]
    fn the_default_deny_list_wins_even_over_a_hand_allowed_host() {
        let choice = PresetChoice {
            extra_allow: vec!["pastebin.com".into()],
            ..Default::default()
        };
        let rules = build(&choice, &Policy::default(), &[], &no_env);
        assert_eq!(decide("pastebin.com", &rules).verdict, NetworkVerdict::Deny);
    }

    #[test]
    fn registries_are_off_unless_the_task_changes_packages() {
        let found = vec![Registry {
            manager: "npm",
            host: "registry.npmjs.org".into(),
            url: "https://registry.npmjs.org/".into(),
            source: "default:npm".into(),
        }];
        let off = build(
            &PresetChoice::default(),
            &Policy::default(),
            &found,
            &no_env,
        );
        assert_eq!(
            decide("registry.npmjs.org", &off).verdict,
            NetworkVerdict::Ask
        );
        let on = build(
            &PresetChoice {
                packages: true,
                ..Default::default()
            },
            &Policy::default(),
            &found,
            &no_env,
        );
        let d = decide("registry.npmjs.org", &on);
        assert_eq!(d.verdict, NetworkVerdict::Allow);
        assert_eq!(d.rule, "preset:packages:npm");
    }

    #[test]
    fn the_agents_model_api_and_localhost_are_allowed() {
        let choice = PresetChoice {
            model_api_for: Some("claude".into()),
            ..Default::default()
        };
        let env =
            |k: &str| (k == "ANTHROPIC_BASE_URL").then(|| "https://gw.corp.example/v1".to_string());
        let rules = build(&choice, &Policy::default(), &[], &env);
        assert_eq!(decide("api.anthropic.com", &rules).rule, "preset:model-api");
        assert_eq!(decide("gw.corp.example", &rules).rule, "preset:model-api");
        assert_eq!(decide("localhost", &rules).rule, "preset:localhost");
        assert_eq!(decide("docs.rs", &rules).verdict, NetworkVerdict::Ask);
    }

    #[test]
    fn policy_fetch_domains_feed_the_lists() {
        let policy = Policy::from_texts(
            Some("[fetch_domains]\nallow = [\"*.corp.example\"]\ndeny = [\"bad.example\"]\n"),
            None,
        )
        .unwrap();
        let rules = build(&PresetChoice::default(), &policy, &[], &no_env);
        assert_eq!(
            decide("git.corp.example", &rules).verdict,
            NetworkVerdict::Allow
        );
        assert_eq!(decide("bad.example", &rules).verdict, NetworkVerdict::Deny);
    }
}
