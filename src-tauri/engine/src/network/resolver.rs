//! How the proxy turns a host into addresses. The sandbox has no DNS of its
//! own: the proxy resolves names on the agent's behalf.
//!
//! # Test/dev override: `PADDOCK_PROXY_HOSTS`
//! `PADDOCK_PROXY_HOSTS=unknown.test=127.0.0.1:8080,other.test=127.0.0.1` maps
//! names to addresses for the proxy's resolver **only** (nothing else reads
//! it). With `ip:port` the mapped port replaces the requested one; with a
//! bare ip the requested port is kept. Tests use it to let local servers play
//! outside hosts; it changes where a name goes, never what the rules decide
//! (rules look at the requested name).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use super::rules::normalize_host;

/// The environment variable read by [`HostMap::from_env`].
pub const HOSTS_ENV: &str = "PADDOCK_PROXY_HOSTS";

/// Names mapped to fixed addresses, consulted before DNS.
#[derive(Debug, Clone, Default)]
pub struct HostMap {
    map: HashMap<String, (IpAddr, Option<u16>)>,
}

impl HostMap {
    /// Parse `name=ip[:port],…`; malformed entries are an error naming them.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut map = HashMap::new();
        for entry in text
            .split([',', ';'])
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            let (name, target) = entry
                .split_once('=')
                .ok_or_else(|| format!("{HOSTS_ENV}: `{entry}` is not name=ip[:port]"))?;
            let name = normalize_host(name);
            let target = target.trim();
            let parsed = if let Ok(sa) = target.parse::<SocketAddr>() {
                (sa.ip(), Some(sa.port()))
            } else if let Ok(ip) = target.trim_matches(['[', ']']).parse::<IpAddr>() {
                (ip, None)
            } else {
                return Err(format!("{HOSTS_ENV}: `{target}` is not an ip or ip:port"));
            };
            if name.is_empty() {
                return Err(format!("{HOSTS_ENV}: `{entry}` has no name"));
            }
            map.insert(name, parsed);
        }
        Ok(Self { map })
    }

    /// `$PADDOCK_PROXY_HOSTS`, or an empty map.
    pub fn from_env() -> Result<Self, String> {
        match std::env::var(HOSTS_ENV) {
            Ok(v) => Self::parse(&v),
            Err(_) => Ok(Self::default()),
        }
    }

    pub fn insert(&mut self, name: &str, addr: SocketAddr) {
        self.map
            .insert(normalize_host(name), (addr.ip(), Some(addr.port())));
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The mapped address for `host:port`, if the map names `host`.
    pub fn lookup(&self, host: &str, port: u16) -> Option<SocketAddr> {
        self.map
            .get(&normalize_host(host))
            .map(|(ip, p)| SocketAddr::new(*ip, p.unwrap_or(port)))
    }
}

/// Where a name resolved to, and whether the test/dev map said so.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub addrs: Vec<SocketAddr>,
    pub from_map: bool,
}

/// Resolve `host:port`: the host map first, then an IP literal, then DNS.
pub async fn resolve(map: &HostMap, host: &str, port: u16) -> std::io::Result<Resolved> {
    if let Some(a) = map.lookup(host, port) {
        return Ok(Resolved {
            addrs: vec![a],
            from_map: true,
        });
    }
    let bare = normalize_host(host);
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(Resolved {
            addrs: vec![SocketAddr::new(ip, port)],
            from_map: false,
        });
    }
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((bare.as_str(), port))
        .await?
        .collect();
    Ok(Resolved {
        addrs,
        from_map: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_map_maps_names_with_and_without_a_port() {
        let m = HostMap::parse("unknown.test=127.0.0.1:8080, other.test=127.0.0.2").unwrap();
        assert_eq!(
            m.lookup("Unknown.Test", 80),
            Some("127.0.0.1:8080".parse().unwrap())
        );
        assert_eq!(
            m.lookup("other.test", 443),
            Some("127.0.0.2:443".parse().unwrap())
        );
        assert_eq!(m.lookup("third.test", 80), None);
    }

    #[test]
    fn a_malformed_host_map_is_refused() {
        assert!(HostMap::parse("nonsense").is_err());
        assert!(HostMap::parse("a.test=not-an-ip").is_err());
    }
}
