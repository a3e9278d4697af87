//! The confined process's environment: everything of the caller's except
//! tokens. A variable goes when its **name** says it holds a credential
//! (`*_TOKEN`, `*_SECRET`, `*_PASSWORD`, `*_API_KEY`, `AWS_*`, `SSH_AUTH_SOCK`,
//! `DBUS_SESSION_BUS_ADDRESS`, …), when its **value** looks like one (the
//! recognisers of [`crate::redact`]), or when its value contains any value the
//! secrets store holds. Proxy variables are replaced by the caller. A person
//! can keep a named variable explicitly (e.g. the agent's own API key).

/// Name parts (split on `_`) that mark a credential.
const SECRET_WORDS: &[&str] = &[
    "TOKEN",
    "TOKENS",
    "SECRET",
    "SECRETS",
    "PASSWORD",
    "PASSWD",
    "PASS",
    "PASSPHRASE",
    "PWD_HASH",
    "CREDENTIAL",
    "CREDENTIALS",
    "CREDS",
    "AUTH",
    "APIKEY",
    "KEY",
    "KEYS",
    "COOKIE",
    "SESSION",
    "PAT",
    "PRIVATE",
    "SIGNING",
    "DSN",
    "OTP",
];

/// Name prefixes of cloud and tool credentials, and sockets of agents/keychains.
const SECRET_PREFIXES: &[&str] = &[
    "AWS_",
    "AZURE_",
    "ARM_CLIENT",
    "GOOGLE_",
    "GCLOUD_",
    "CLOUDSDK_",
    "DIGITALOCEAN_",
    "HEROKU_",
    "VAULT_",
    "OP_",
    "DBUS_",
    "GNOME_KEYRING",
    "KDE_",
    "GPG_",
    "SSH_",
    "KUBECONFIG",
    "DOCKER_",
    "NETRC",
    "GIT_ASKPASS",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "FTP_PROXY",
];

/// The scrubbed environment and the names removed (never their values).
#[derive(Debug, Clone, Default)]
pub struct Scrubbed {
    pub kept: Vec<(String, String)>,
    pub removed: Vec<String>,
}

/// Does this variable's name mark a credential?
pub fn secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    if SECRET_PREFIXES.iter().any(|p| upper.starts_with(p)) {
        return true;
    }
    upper.split('_').any(|w| SECRET_WORDS.contains(&w))
}

/// Does this value look like a credential?
pub fn secret_value(value: &str) -> bool {
    let probe = format!("v={value}");
    crate::redact::redact(&probe) != probe
}

pub fn scrub(env: &[(String, String)], keep: &[String], secret_values: &[String]) -> Scrubbed {
    // Every value the secrets store holds (raw or encoded), whoever the caller is.
    crate::secrets::held::ensure_loaded_from_environment();
    let mut out = Scrubbed::default();
    for (k, v) in env {
        let kept_by_person = keep.iter().any(|n| n == k);
        let holds_store_value = secret_values
            .iter()
            .any(|s| !s.is_empty() && v.contains(s.as_str()))
            || crate::redact::contains_known_secret(v);
        let drop = holds_store_value
            || (!kept_by_person && (secret_name(k) || secret_value(v)))
            || k.eq_ignore_ascii_case("http_proxy")
            || k.eq_ignore_ascii_case("https_proxy")
            || k.eq_ignore_ascii_case("all_proxy")
            || k.eq_ignore_ascii_case("no_proxy");
        if drop {
            out.removed.push(k.clone());
        } else {
            out.kept.push((k.clone(), v.clone()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn tokens_are_scrubbed_by_name_value_and_secrets_store() {
        let e = env(&[
            ("PATH", "/usr/bin:/bin"),
            ("HOME", "/home/u"),
            ("GITHUB_TOKEN", "x"),
            ("AWS_SECRET_ACCESS_KEY", "y"),
            ("SSH_AUTH_SOCK", "/run/user/1/ssh"),
            ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/run/user/1/bus"),
            (
                "INNOCENT_NAME",
                "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB",
            ),
            ("DB_URL", "postgres://app:hunter2-from-store@db/app"),
            ("GIT_AUTHOR_NAME", "Ada"),
            ("https_proxy", "http://corp-proxy:3128"),
        ]);
        let s = scrub(&e, &[], &["hunter2-from-store".into()]);
        let kept: Vec<&str> = s.kept.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(kept, ["PATH", "HOME", "GIT_AUTHOR_NAME"]);
        assert_eq!(s.removed.len(), 7);
    }

    #[test]
    fn a_person_can_keep_a_named_variable_but_not_a_secrets_store_value() {
        let e = env(&[("ANTHROPIC_API_KEY", "sk-ant-abc"), ("X_TOKEN", "stored")]);
        let s = scrub(
            &e,
            &["ANTHROPIC_API_KEY".into(), "X_TOKEN".into()],
            &["stored".into()],
        );
        let kept: Vec<&str> = s.kept.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(kept, ["ANTHROPIC_API_KEY"]);
    }
}
