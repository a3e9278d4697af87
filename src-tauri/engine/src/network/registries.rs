//! Package registries, read from the package managers' own configuration on
//! this machine — never from a list of Paddock's. For each manager (npm, pip,
//! cargo, go, maven, gem) the configured registry, index and mirror URLs are
//! collected from its config files and environment variables. A manager that
//! is installed but configures nothing uses its **own** built-in default (the
//! one it would use itself; each is named next to the code that reads it).
//! A manager that is neither installed nor configured contributes nothing.
//!
//! Only URLs are read; credentials that sit in the same files (`_authToken`,
//! passwords) are never read into memory beyond the line being skipped, and
//! user-info in a URL is dropped.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// One registry host a package manager is configured to use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Registry {
    /// npm, pip, cargo, go, maven, gem
    pub manager: &'static str,
    pub host: String,
    /// The URL as configured (without user-info).
    pub url: String,
    /// Where it was found: a file path, `env:NAME`, or `default:<manager>`.
    pub source: String,
}

/// Where to look: the user's home, the project, the environment, and which tools exist.
pub struct Sources {
    pub home: PathBuf,
    pub project: Option<PathBuf>,
    pub env: HashMap<String, String>,
    /// Is this program on PATH? (`npm`, `pip3`, `cargo`, `go`, `mvn`, `gem`)
    pub installed: Box<dyn Fn(&str) -> bool>,
}

impl Sources {
    /// This process's home, environment and PATH.
    pub fn from_machine(project: Option<PathBuf>) -> Self {
        let env: HashMap<String, String> = std::env::vars().collect();
        let path = env.get("PATH").cloned().unwrap_or_default();
        Self {
            home: dirs::home_dir().unwrap_or_default(),
            project,
            env,
            installed: Box::new(move |name| {
                std::env::split_paths(&path).any(|d| {
                    let p = d.join(name);
                    p.is_file()
                })
            }),
        }
    }

    fn var(&self, name: &str) -> Option<&str> {
        self.env
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }
}

/// The host of `url` (scheme optional), without user-info or port; None if unreadable.
pub fn url_host(url: &str) -> Option<(String, String)> {
    let url = url.trim().trim_matches(['"', '\'']);
    if url.is_empty() || url.contains("${") {
        return None;
    }
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (format!("{s}://"), r),
        None => (String::new(), url),
    };
    if !scheme.is_empty()
        && !matches!(
            scheme.as_str(),
            "http://" | "https://" | "sparse+https://" | "sparse+http://"
        )
    {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let after_user = authority.rsplit('@').next().unwrap_or(authority);
    let host = if after_user.starts_with('[') {
        after_user
            .split(']')
            .next()
            .unwrap_or("")
            .trim_start_matches('[')
    } else {
        after_user.split(':').next().unwrap_or("")
    };
    let host = super::rules::normalize_host(host);
    if host.is_empty()
        || !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-_:".contains(c))
    {
        return None;
    }
    let path = &rest[authority.len()..];
    let clean = format!(
        "{scheme}{}{path}",
        &authority[authority.len() - after_user.len()..]
    );
    Some((host, clean))
}

struct Found<'a> {
    out: &'a mut Vec<Registry>,
}

impl Found<'_> {
    fn add(&mut self, manager: &'static str, url: &str, source: &str) {
        if let Some((host, clean)) = url_host(url) {
            if !self
                .out
                .iter()
                .any(|r| r.manager == manager && r.host == host)
            {
                self.out.push(Registry {
                    manager,
                    host,
                    url: clean,
                    source: source.to_string(),
                });
            }
        }
    }

    fn count(&self, manager: &str) -> usize {
        self.out.iter().filter(|r| r.manager == manager).count()
    }
}

fn read(path: &Path) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// `key = value` lines (ini / npmrc style), comments dropped.
fn kv_lines(text: &str) -> impl Iterator<Item = (String, String)> + '_ {
    text.lines().filter_map(|l| {
        let l = l.trim();
        if l.starts_with('#') || l.starts_with(';') || l.starts_with('[') {
            return None;
        }
        let (k, v) = l.split_once('=')?;
        Some((k.trim().to_ascii_lowercase(), v.trim().to_string()))
    })
}

/// Every registry the package managers on this machine are configured to use.
pub fn discover(src: &Sources) -> Vec<Registry> {
    let mut out = Vec::new();
    let mut f = Found { out: &mut out };
    npm(src, &mut f);
    pip(src, &mut f);
    cargo(src, &mut f);
    go(src, &mut f);
    maven(src, &mut f);
    gem(src, &mut f);
    out
}

fn npm(src: &Sources, f: &mut Found) {
    for name in ["npm_config_registry", "NPM_CONFIG_REGISTRY"] {
        if let Some(v) = src.var(name) {
            f.add("npm", v, &format!("env:{name}"));
        }
    }
    let mut files = Vec::new();
    if let Some(p) = &src.project {
        files.push(p.join(".npmrc"));
    }
    if let Some(p) = src.var("NPM_CONFIG_USERCONFIG") {
        files.push(PathBuf::from(p));
    }
    files.push(src.home.join(".npmrc"));
    if let Some(p) = src.var("NPM_CONFIG_GLOBALCONFIG") {
        files.push(PathBuf::from(p));
    }
    for file in files {
        if let Some(text) = read(&file) {
            for (k, v) in kv_lines(&text) {
                // `registry=` and `@scope:registry=`; never `//host/:_authToken=`.
                if k == "registry" || (k.starts_with('@') && k.ends_with(":registry")) {
                    f.add("npm", &v, &file.display().to_string());
                }
            }
        }
    }
    if f.count("npm") == 0 && (src.installed)("npm") {
        // npm's own default (@npmcli/config definitions: `registry`).
        f.add("npm", "https://registry.npmjs.org/", "default:npm");
    }
}

fn pip(src: &Sources, f: &mut Found) {
    for name in [
        "PIP_INDEX_URL",
        "PIP_EXTRA_INDEX_URL",
        "PIP_FIND_LINKS",
        "UV_INDEX_URL",
        "UV_EXTRA_INDEX_URL",
    ] {
        if let Some(v) = src.var(name) {
            for u in v.split_whitespace() {
                f.add("pip", u, &format!("env:{name}"));
            }
        }
    }
    let mut files = Vec::new();
    if let Some(p) = src.var("PIP_CONFIG_FILE") {
        files.push(PathBuf::from(p));
    }
    let xdg = src
        .var("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| src.home.join(".config"));
    files.push(xdg.join("pip/pip.conf"));
    files.push(src.home.join(".pip/pip.conf"));
    files.push(PathBuf::from("/etc/pip.conf"));
    if let Some(v) = src.var("VIRTUAL_ENV") {
        files.push(PathBuf::from(v).join("pip.conf"));
    }
    let mut configured_index = false;
    for file in files {
        if let Some(text) = read(&file) {
            // Values may continue on indented lines (extra-index-url lists).
            let mut current: Option<String> = None;
            for line in text.lines() {
                let indented = line.starts_with(' ') || line.starts_with('\t');
                let t = line.trim();
                if t.is_empty() || t.starts_with('#') || t.starts_with(';') {
                    continue;
                }
                if indented {
                    if current.is_some() {
                        f.add("pip", t, &file.display().to_string());
                    }
                    continue;
                }
                current = None;
                if let Some((k, v)) = t.split_once('=') {
                    let k = k.trim().to_ascii_lowercase().replace('_', "-");
                    if matches!(k.as_str(), "index-url" | "extra-index-url" | "find-links") {
                        if k == "index-url" {
                            configured_index = true;
                        }
                        for u in v.split_whitespace() {
                            f.add("pip", u, &file.display().to_string());
                        }
                        current = Some(k);
                    }
                }
            }
        }
    }
    if src.var("PIP_INDEX_URL").is_some() {
        configured_index = true;
    }
    if !configured_index && ((src.installed)("pip") || (src.installed)("pip3")) {
        // pip's own default (pip/_internal/models/index.py: PyPI, and its
        // file storage domain).
        f.add("pip", "https://pypi.org/simple", "default:pip");
        f.add("pip", "https://files.pythonhosted.org/", "default:pip");
    }
}

fn cargo(src: &Sources, f: &mut Found) {
    let cargo_home = src
        .var("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| src.home.join(".cargo"));
    let mut files = vec![cargo_home.join("config.toml"), cargo_home.join("config")];
    if let Some(p) = &src.project {
        files.push(p.join(".cargo/config.toml"));
        files.push(p.join(".cargo/config"));
    }
    let mut crates_io_replaced = false;
    for file in files {
        let Some(text) = read(&file) else { continue };
        let Ok(value) = text.parse::<toml::Table>() else {
            continue;
        };
        let source = file.display().to_string();
        for table in ["source", "registries"] {
            if let Some(t) = value.get(table).and_then(|v| v.as_table()) {
                for (name, entry) in t {
                    let Some(entry) = entry.as_table() else {
                        continue;
                    };
                    for key in ["registry", "index"] {
                        if let Some(u) = entry.get(key).and_then(|v| v.as_str()) {
                            f.add("cargo", u, &source);
                        }
                    }
                    if table == "source"
                        && name == "crates-io"
                        && entry.contains_key("replace-with")
                    {
                        crates_io_replaced = true;
                    }
                }
            }
        }
    }
    for (k, v) in &src.env {
        if k.starts_with("CARGO_REGISTRIES_") && k.ends_with("_INDEX") {
            f.add("cargo", v, &format!("env:{k}"));
        }
    }
    if !crates_io_replaced && (src.installed)("cargo") {
        // cargo's own default: the crates.io sparse index and its download host
        // (cargo: CRATES_IO_INDEX / CRATES_IO_HTTP_INDEX, and the index's config.json `dl`).
        f.add("cargo", "sparse+https://index.crates.io/", "default:cargo");
        f.add("cargo", "https://static.crates.io/crates", "default:cargo");
    }
}

fn go(src: &Sources, f: &mut Found) {
    // `go env -w` writes $GOENV (default: <config dir>/go/env); the environment wins.
    let mut vars: HashMap<String, (String, String)> = HashMap::new();
    let goenv = src.var("GOENV").map(PathBuf::from).unwrap_or_else(|| {
        src.var("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| src.home.join(".config"))
            .join("go/env")
    });
    if let Some(text) = read(&goenv) {
        for (k, v) in kv_lines(&text) {
            vars.insert(k.to_ascii_uppercase(), (v, goenv.display().to_string()));
        }
    }
    for k in ["GOPROXY", "GOSUMDB"] {
        if let Some(v) = src.var(k) {
            vars.insert(k.into(), (v.to_string(), format!("env:{k}")));
        }
    }
    let installed = (src.installed)("go");
    let proxy = vars.get("GOPROXY").cloned().or_else(|| {
        // go's own default (cmd/go/internal/cfg: GOPROXY).
        installed.then(|| {
            (
                "https://proxy.golang.org,direct".into(),
                "default:go".into(),
            )
        })
    });
    if let Some((v, source)) = proxy {
        for u in v.split([',', '|']) {
            let u = u.trim();
            if !u.is_empty() && u != "direct" && u != "off" {
                f.add("go", u, &source);
            }
        }
    }
    let sumdb = vars.get("GOSUMDB").cloned().or_else(|| {
        // go's own default checksum database (cmd/go/internal/cfg: GOSUMDB).
        installed.then(|| ("sum.golang.org".into(), "default:go".into()))
    });
    if let Some((v, source)) = sumdb {
        // `name`, `name+key`, or `name+key url`.
        let mut words = v.split_whitespace();
        let name = words.next().unwrap_or("");
        let url = words.next();
        if name != "off" {
            match url {
                Some(u) => f.add("go", u, &source),
                None => {
                    let host = name.split('+').next().unwrap_or("");
                    f.add("go", &format!("https://{host}"), &source)
                }
            }
        }
    }
}

/// Every `<url>…</url>` inside `<mirror>` or `<repository>` elements.
fn xml_urls(text: &str) -> (Vec<String>, bool) {
    let mut urls = Vec::new();
    let mut mirrors_central = false;
    for block in ["mirror", "repository", "pluginRepository"] {
        let open = format!("<{block}>");
        let close = format!("</{block}>");
        let mut rest = text;
        while let Some(i) = rest.find(&open) {
            let after = &rest[i + open.len()..];
            let Some(j) = after.find(&close) else { break };
            let inner = &after[..j];
            if let Some(a) = inner.find("<url>") {
                if let Some(b) = inner[a..].find("</url>") {
                    urls.push(inner[a + 5..a + b].trim().to_string());
                }
            }
            if block == "mirror" {
                if let Some(a) = inner.find("<mirrorOf>") {
                    if let Some(b) = inner[a..].find("</mirrorOf>") {
                        let of = &inner[a + 10..a + b];
                        if of
                            .split(',')
                            .any(|m| matches!(m.trim(), "*" | "central" | "external:*"))
                        {
                            mirrors_central = true;
                        }
                    }
                }
            }
            rest = &after[j + close.len()..];
        }
    }
    (urls, mirrors_central)
}

fn maven(src: &Sources, f: &mut Found) {
    let mut files = vec![src.home.join(".m2/settings.xml")];
    for k in ["MAVEN_HOME", "M2_HOME"] {
        if let Some(v) = src.var(k) {
            files.push(PathBuf::from(v).join("conf/settings.xml"));
        }
    }
    if let Some(p) = &src.project {
        files.push(p.join("pom.xml"));
        files.push(p.join(".mvn/settings.xml"));
    }
    let mut central_mirrored = false;
    for file in files {
        if let Some(text) = read(&file) {
            let (urls, mirrors) = xml_urls(&text);
            central_mirrored |= mirrors;
            for u in urls {
                f.add("maven", &u, &file.display().to_string());
            }
        }
    }
    if !central_mirrored && ((src.installed)("mvn") || (src.installed)("gradle")) {
        // Maven's own default: Central, from its super POM (maven-model-builder).
        f.add(
            "maven",
            "https://repo.maven.apache.org/maven2",
            "default:maven",
        );
    }
}

fn gem(src: &Sources, f: &mut Found) {
    let mut configured = false;
    let gemrc = src.home.join(".gemrc");
    if let Some(text) = read(&gemrc) {
        let mut in_sources = false;
        for line in text.lines() {
            let t = line.trim();
            if t.starts_with(":sources:") || t.starts_with("sources:") {
                in_sources = true;
                continue;
            }
            if in_sources {
                if let Some(u) = t.strip_prefix("- ") {
                    configured = true;
                    f.add("gem", u.trim(), &gemrc.display().to_string());
                    continue;
                }
                in_sources = false;
            }
        }
    }
    let bundle = src.home.join(".bundle/config");
    if let Some(text) = read(&bundle) {
        for line in text.lines() {
            if let Some((k, v)) = line.split_once(':') {
                if k.trim().starts_with("BUNDLE_MIRROR__") {
                    f.add("gem", v.trim(), &bundle.display().to_string());
                }
            }
        }
    }
    if let Some(v) = src.var("GEM_HOST") {
        f.add("gem", v, "env:GEM_HOST");
    }
    if !configured && ((src.installed)("gem") || (src.installed)("bundle")) {
        // RubyGems' own default source (Gem::DEFAULT_HOST) and its compact index host.
        f.add("gem", "https://rubygems.org/", "default:gem");
        f.add("gem", "https://index.rubygems.org/", "default:gem");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(home: &Path, project: Option<&Path>, installed: &'static [&'static str]) -> Sources {
        Sources {
            home: home.to_path_buf(),
            project: project.map(Path::to_path_buf),
            env: HashMap::new(),
            installed: Box::new(move |n| installed.contains(&n)),
        }
    }

    fn hosts(found: &[Registry], manager: &str) -> Vec<String> {
        found
            .iter()
            .filter(|r| r.manager == manager)
            .map(|r| r.host.clone())
            .collect()
    }

    #[test]
    fn registries_come_from_the_package_managers_own_config_files() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let proj = dir.path().join("proj");
        std::fs::create_dir_all(home.join(".config/pip")).unwrap();
        std::fs::create_dir_all(home.join(".cargo")).unwrap();
        std::fs::create_dir_all(home.join(".m2")).unwrap();
        std::fs::create_dir_all(home.join(".config/go")).unwrap();
        std::fs::create_dir_all(&proj).unwrap();
        std::fs::write(
            home.join(".npmrc"),
            "registry=https://npm.mirror.example/\n//npm.mirror.example/:_authToken=SECRET\n@corp:registry=https://npm.corp.example/\n",
        )
        .unwrap();
        std::fs::write(
            home.join(".config/pip/pip.conf"),
            "[global]\nindex-url = https://pypi.mirror.example/simple\nextra-index-url =\n    https://extra.example/simple\n",
        )
        .unwrap();
        std::fs::write(
            home.join(".cargo/config.toml"),
            "[source.crates-io]\nreplace-with = \"mirror\"\n[source.mirror]\nregistry = \"sparse+https://crates.mirror.example/index/\"\n[registries.corp]\nindex = \"https://git.corp.example/index\"\n",
        )
        .unwrap();
        std::fs::write(
            home.join(".config/go/env"),
            "GOPROXY=https://goproxy.mirror.example,direct\nGOSUMDB=off\n",
        )
        .unwrap();
        std::fs::write(
            home.join(".m2/settings.xml"),
            "<settings><mirrors><mirror><id>m</id><mirrorOf>central</mirrorOf><url>https://maven.mirror.example/repo</url></mirror></mirrors></settings>",
        )
        .unwrap();
        std::fs::write(
            home.join(".gemrc"),
            "---\n:sources:\n- https://gems.mirror.example/\n",
        )
        .unwrap();
        // Everything installed: configured mirrors replace each tool's default.
        let found = discover(&sources(
            &home,
            Some(&proj),
            &["npm", "pip", "cargo", "go", "mvn", "gem"],
        ));
        assert_eq!(
            hosts(&found, "npm"),
            ["npm.mirror.example", "npm.corp.example"]
        );
        assert_eq!(
            hosts(&found, "pip"),
            ["pypi.mirror.example", "extra.example"]
        );
        assert_eq!(
            hosts(&found, "cargo"),
            ["crates.mirror.example", "git.corp.example"]
        );
        assert_eq!(hosts(&found, "go"), ["goproxy.mirror.example"]);
        assert_eq!(hosts(&found, "maven"), ["maven.mirror.example"]);
        assert_eq!(hosts(&found, "gem"), ["gems.mirror.example"]);
        // No credential is carried along.
        assert!(found.iter().all(|r| !r.url.contains("SECRET")));
    }

    #[test]
    fn an_installed_but_unconfigured_manager_uses_its_own_default_and_absent_ones_add_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let found = discover(&sources(dir.path(), None, &["npm", "cargo"]));
        assert_eq!(hosts(&found, "npm"), ["registry.npmjs.org"]);
        assert_eq!(
            hosts(&found, "cargo"),
            ["index.crates.io", "static.crates.io"]
        );
        assert!(hosts(&found, "pip").is_empty());
        assert!(hosts(&found, "go").is_empty());
        assert!(found.iter().all(|r| r.source.starts_with("default:")));
    }

    #[test]
    fn user_info_in_a_registry_url_is_dropped() {
        let (host, url) = url_host("https://user:pw@npm.example:8443/x").unwrap();
        assert_eq!(host, "npm.example");
        assert_eq!(url, "https://npm.example:8443/x");
        assert!(url_host("${NPM_REGISTRY}").is_none());
    }
}
