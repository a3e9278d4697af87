//! The allowlist proxy: every connection an agent makes to the outside goes
//! through it, and every one is decided per host and logged with its task.
//!
//! * [`rules`]: host rules (exact names and `*.suffix`), decided in a fixed
//!   order: the deny list first, then the allow list, then ask a person.
//! * [`presets`]: ready-made lists — localhost, the agent's own model API,
//!   package registries (read from the package managers' own configuration),
//!   documentation sites, and a default deny list of paste sites, file drops
//!   and tunnelling services.
//! * [`proxy`]: an HTTP forward proxy that also tunnels CONNECT (tokio +
//!   hyper), one listener per task so every decision is attributed to its
//!   task. Unknown hosts wait for a person through [`crate::approvals`] and
//!   fail at the timeout; blocked requests get `403` with a readable body and
//!   an `X-Paddock-Rule` header naming the rule.
//! * [`resolver`]: how the proxy turns a host into addresses, with a
//!   test/dev-only host map (`PADDOCK_PROXY_HOSTS`).

pub mod presets;
pub mod proxy;
pub mod registries;
pub mod resolver;
pub mod rules;

pub use proxy::{ProxyError, ProxyHandle, ProxyListen, ProxySettings, TaskIdentity};
pub use resolver::{HostMap, HOSTS_ENV};
pub use rules::{decide, HostPattern, HostRule, NetworkDecision, NetworkRules, NetworkVerdict};

/// The header a blocked response carries: the rule that blocked it.
pub const RULE_HEADER: &str = "x-paddock-rule";
