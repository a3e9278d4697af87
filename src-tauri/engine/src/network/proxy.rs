//! The proxy itself: HTTP forwarding (absolute-form requests) and CONNECT
//! tunnels, on tokio + hyper. Each [`ProxyHandle`] serves **one task**: its
//! listeners (a TCP port on 127.0.0.1 and/or a unix socket) are that task's
//! identity, so every decision it logs names the task.
//!
//! For each request: the host is decided by [`super::rules::decide`]; a deny
//! answers `403` with a readable body and an `X-Paddock-Rule` header; an ask
//! waits for a person through [`crate::approvals::request`] (deny at the
//! timeout); an allow is resolved (host map, then DNS) and connected. Every
//! allow, deny and ask is an audit event (`network.allow`, `network.deny`,
//! `network.ask`) with the task. If the event cannot be written, the request
//! is denied: nothing passes unlogged.
//!
//! A host a person approved (or denied) stays decided for the rest of this
//! proxy's life, so one approval covers the many requests a tool makes; a
//! timeout is not remembered, so the next request asks again.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, HOST};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpStream, UnixListener};
use tokio::sync::watch;

use super::resolver::{self, HostMap};
use super::rules::{self, normalize_host, NetworkRules, NetworkVerdict};
use super::RULE_HEADER;
use crate::approvals;
use crate::audit::{self, Actor, NewEvent};
use crate::policy::{Action, Decision, Verdict};
use crate::store::Store;

type Body = BoxBody<Bytes, hyper::Error>;

/// Per-direction buffer of a CONNECT tunnel: large enough that bulk transfers
/// move in few system calls (tokio's default is 8 KiB).
const TUNNEL_BUFFER: usize = 256 * 1024;

/// The TCP listener's accept queue.
const LISTEN_BACKLOG: u32 = 4096;

#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error("cannot listen on {what}: {source}")]
    Listen {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot start the proxy's runtime: {0}")]
    Runtime(std::io::Error),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("the proxy needs at least one listener")]
    NoListener,
}

/// How the proxy behaves, whatever the task.
#[derive(Debug, Clone)]
pub struct ProxySettings {
    /// Paddock's database: audit events and approvals.
    pub database: PathBuf,
    /// How long an unknown host waits for a person before it is denied.
    pub approval_timeout: Duration,
    /// Test/dev host map (see [`super::resolver`]).
    pub hosts: HostMap,
    /// Refuse destinations that resolve to this machine's loopback (unless the
    /// host map names them). Set for sandboxed agents: their localhost is inside
    /// their sandbox, and the host's own services are not theirs to reach.
    pub block_host_loopback: bool,
}

/// Who the proxy speaks for: every decision is logged with this task.
#[derive(Debug, Clone, Default)]
pub struct TaskIdentity {
    pub task: Option<String>,
    /// The task's repository (for "remember for this project").
    pub project: Option<String>,
    /// `claude`, `codex`, `other`.
    pub agent: Option<String>,
}

/// Where the proxy listens for one task.
#[derive(Debug, Clone)]
pub enum ProxyListen {
    /// A TCP address (use port 0 for any free port; 127.0.0.1 only in practice).
    Tcp(SocketAddr),
    /// A unix socket path (the sandbox's bridge connects here).
    Unix(PathBuf),
}

/// A running proxy for one task. Dropping it (or [`ProxyHandle::stop`]) stops it.
pub struct ProxyHandle {
    tcp: Option<SocketAddr>,
    unix: Option<PathBuf>,
    shutdown: watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for ProxyHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyHandle")
            .field("tcp", &self.tcp)
            .field("unix", &self.unix)
            .finish()
    }
}

struct TaskProxy {
    settings: ProxySettings,
    identity: TaskIdentity,
    rules: NetworkRules,
    store: Mutex<Store>,
    /// Hosts a person decided during this proxy's life: host → (allowed, rule, reason).
    decided: Mutex<HashMap<String, (bool, String, String)>>,
    /// One pending question per host: concurrent requests wait for the same answer.
    asking: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// Why a request was refused: the status, the rule and a readable reason.
struct Blocked {
    status: StatusCode,
    rule: String,
    reason: String,
}

impl ProxyHandle {
    /// Start serving `identity`'s proxy on `listen` (binds before returning).
    pub fn start(
        settings: ProxySettings,
        identity: TaskIdentity,
        rules: NetworkRules,
        listen: &[ProxyListen],
    ) -> Result<Self, ProxyError> {
        if listen.is_empty() {
            return Err(ProxyError::NoListener);
        }
        let store = Store::open(&settings.database)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("paddock-proxy")
            .enable_all()
            .build()
            .map_err(ProxyError::Runtime)?;
        // Bind synchronously so the caller can use the addresses at once.
        let mut tcp_listeners = Vec::new();
        let mut unix_listeners = Vec::new();
        let mut tcp_addr = None;
        let mut unix_path = None;
        {
            let _guard = runtime.enter();
            for l in listen {
                match l {
                    ProxyListen::Tcp(addr) => {
                        let listen_err = |source| ProxyError::Listen {
                            what: addr.to_string(),
                            source,
                        };
                        let sock = if addr.is_ipv4() {
                            tokio::net::TcpSocket::new_v4()
                        } else {
                            tokio::net::TcpSocket::new_v6()
                        }
                        .map_err(listen_err)?;
                        sock.set_reuseaddr(true).map_err(listen_err)?;
                        sock.bind(*addr).map_err(listen_err)?;
                        // A deep backlog: agents open many connections at once.
                        let l = sock.listen(LISTEN_BACKLOG).map_err(listen_err)?;
                        let local = l.local_addr().map_err(listen_err)?;
                        tcp_addr.get_or_insert(local);
                        tcp_listeners.push(l);
                    }
                    ProxyListen::Unix(path) => {
                        let _ = std::fs::remove_file(path);
                        let l = UnixListener::bind(path).map_err(|source| ProxyError::Listen {
                            what: path.display().to_string(),
                            source,
                        })?;
                        unix_path.get_or_insert(path.clone());
                        unix_listeners.push(l);
                    }
                }
            }
        }
        let state = Arc::new(TaskProxy {
            settings,
            identity,
            rules,
            store: Mutex::new(store),
            decided: Mutex::new(HashMap::new()),
            asking: Mutex::new(HashMap::new()),
        });
        let (tx, rx) = watch::channel(false);
        let thread = std::thread::Builder::new()
            .name("paddock-proxy-main".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let mut tasks = Vec::new();
                    for l in tcp_listeners {
                        let st = state.clone();
                        let mut rx = rx.clone();
                        tasks.push(tokio::spawn(async move {
                            loop {
                                tokio::select! {
                                    _ = rx.changed() => break,
                                    acc = l.accept() => match acc {
                                        Ok((s, _)) => {
                                            let _ = s.set_nodelay(true);
                                            tokio::spawn(serve(st.clone(), s));
                                        }
                                        Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                                    }
                                }
                            }
                        }));
                    }
                    for l in unix_listeners {
                        let st = state.clone();
                        let mut rx = rx.clone();
                        tasks.push(tokio::spawn(async move {
                            loop {
                                tokio::select! {
                                    _ = rx.changed() => break,
                                    acc = l.accept() => match acc {
                                        Ok((s, _)) => { tokio::spawn(serve(st.clone(), s)); }
                                        Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                                    }
                                }
                            }
                        }));
                    }
                    for t in tasks {
                        let _ = t.await;
                    }
                });
                runtime.shutdown_timeout(Duration::from_millis(200));
            })
            .map_err(ProxyError::Runtime)?;
        Ok(Self {
            tcp: tcp_addr,
            unix: unix_path,
            shutdown: tx,
            thread: Some(thread),
        })
    }

    /// The TCP address it listens on, if any.
    pub fn tcp_addr(&self) -> Option<SocketAddr> {
        self.tcp
    }

    /// The unix socket it listens on, if any.
    pub fn unix_path(&self) -> Option<&Path> {
        self.unix.as_deref()
    }

    /// Stop accepting, end open connections, and wait for the proxy's thread.
    pub fn stop(mut self) {
        self.stop_inner();
    }

    fn stop_inner(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if let Some(p) = &self.unix {
            let _ = std::fs::remove_file(p);
        }
    }
}

impl Drop for ProxyHandle {
    fn drop(&mut self) {
        self.stop_inner();
    }
}

async fn serve<S>(state: Arc<TaskProxy>, stream: S)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let svc = hyper::service::service_fn(move |req| handle(state.clone(), req));
    let _ = hyper::server::conn::http1::Builder::new()
        .preserve_header_case(true)
        .title_case_headers(false)
        .serve_connection(TokioIo::new(stream), svc)
        .with_upgrades()
        .await;
}

fn full(text: impl Into<Bytes>) -> Body {
    Full::new(text.into())
        .map_err(|never| match never {})
        .boxed()
}

fn blocked_response(state: &TaskProxy, b: &Blocked) -> Response<Body> {
    let body = format!(
        "Paddock blocked this request.\nreason: {}\nrule: {}\ntask: {}\nA person can allow this host in Paddock (approvals, or the task's network rules).\n",
        b.reason,
        b.rule,
        state.identity.task.as_deref().unwrap_or("-"),
    );
    let mut resp = Response::new(full(body));
    *resp.status_mut() = b.status;
    let headers = resp.headers_mut();
    headers.insert(
        hyper::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&b.rule) {
        headers.insert(RULE_HEADER, v);
    }
    resp
}

fn bad_request(text: &str) -> Response<Body> {
    let mut resp = Response::new(full(format!("Paddock proxy: {text}\n")));
    *resp.status_mut() = StatusCode::BAD_REQUEST;
    resp
}

/// `host` and `port` of a request's target (CONNECT authority or absolute URI).
fn target_of(req: &Request<Incoming>) -> Option<(String, u16, &'static str)> {
    let uri = req.uri();
    if req.method() == Method::CONNECT {
        let auth = uri.authority()?;
        return Some((
            normalize_host(auth.host()),
            auth.port_u16().unwrap_or(443),
            "https",
        ));
    }
    match uri.scheme_str() {
        Some("http") => {
            let auth = uri.authority()?;
            Some((
                normalize_host(auth.host()),
                auth.port_u16().unwrap_or(80),
                "http",
            ))
        }
        _ => None,
    }
}

/// The URL an approval shows and a remembered rule matches: scheme and host
/// (and the port when it is not the scheme's own).
fn host_url(scheme: &str, host: &str, port: u16) -> String {
    let default = matches!((scheme, port), ("http", 80) | ("https", 443));
    let h = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    if default {
        format!("{scheme}://{h}")
    } else {
        format!("{scheme}://{h}:{port}")
    }
}

async fn handle(
    state: Arc<TaskProxy>,
    req: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let Some((host, port, scheme)) = target_of(&req) else {
        return Ok(bad_request(
            "this is a forward proxy: send absolute http:// URLs, or CONNECT host:port for https",
        ));
    };
    let method = req.method().to_string();
    let url = host_url(scheme, &host, port);
    let upstream = match authorize_and_connect(&state, &host, port, &method, &url).await {
        Ok(s) => s,
        Err(b) => return Ok(blocked_response(&state, &b)),
    };
    if req.method() == Method::CONNECT {
        tokio::spawn(async move {
            if let Ok(upgraded) = hyper::upgrade::on(req).await {
                let mut client = TokioIo::new(upgraded);
                let mut upstream = upstream;
                let _ = tokio::io::copy_bidirectional_with_sizes(
                    &mut client,
                    &mut upstream,
                    TUNNEL_BUFFER,
                    TUNNEL_BUFFER,
                )
                .await;
            }
        });
        return Ok(Response::new(full(Bytes::new())));
    }
    Ok(forward(req, upstream, &host, port).await)
}

/// Forward one plain-HTTP request to `upstream` and return its response.
async fn forward(
    mut req: Request<Incoming>,
    upstream: TcpStream,
    host: &str,
    port: u16,
) -> Response<Body> {
    let (mut sender, conn) = match hyper::client::conn::http1::Builder::new()
        .preserve_header_case(true)
        .handshake(TokioIo::new(upstream))
        .await
    {
        Ok(x) => x,
        Err(e) => return gateway_error(&format!("cannot talk HTTP to {host}:{port}: {e}")),
    };
    tokio::spawn(async move {
        let _ = conn.await;
    });
    // Origin-form for the upstream; Host names the origin.
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    match path.parse() {
        Ok(uri) => *req.uri_mut() = uri,
        Err(_) => return bad_request("unreadable request path"),
    }
    strip_hop_by_hop(req.headers_mut());
    if !req.headers().contains_key(HOST) {
        let value = if port == 80 {
            host.to_string()
        } else {
            format!("{host}:{port}")
        };
        if let Ok(v) = HeaderValue::from_str(&value) {
            req.headers_mut().insert(HOST, v);
        }
    }
    match sender.send_request(req).await {
        Ok(resp) => {
            let (mut parts, body) = resp.into_parts();
            strip_hop_by_hop(&mut parts.headers);
            Response::from_parts(parts, body.boxed())
        }
        Err(e) => gateway_error(&format!("{host}:{port} did not answer: {e}")),
    }
}

fn gateway_error(text: &str) -> Response<Body> {
    let mut resp = Response::new(full(format!("Paddock proxy: {text}\n")));
    *resp.status_mut() = StatusCode::BAD_GATEWAY;
    resp
}

fn strip_hop_by_hop(headers: &mut hyper::HeaderMap) {
    // Headers named in Connection are hop-by-hop too (RFC 9110 §7.6.1).
    let named: Vec<String> = headers
        .get_all(hyper::header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(',').map(|s| s.trim().to_ascii_lowercase()))
        .filter(|s| !s.is_empty())
        .collect();
    for n in named {
        headers.remove(n.as_str());
    }
    for h in [
        "connection",
        "proxy-connection",
        "keep-alive",
        "proxy-authorization",
        "proxy-authenticate",
        "te",
        "trailer",
        "upgrade",
    ] {
        headers.remove(h);
    }
}

/// Decide, maybe ask, log, then resolve and connect.
async fn authorize_and_connect(
    state: &Arc<TaskProxy>,
    host: &str,
    port: u16,
    method: &str,
    url: &str,
) -> Result<TcpStream, Blocked> {
    authorize(state, host, port, method, url).await?;
    let resolved = resolver::resolve(&state.settings.hosts, host, port)
        .await
        .map_err(|e| Blocked {
            status: StatusCode::BAD_GATEWAY,
            rule: "network:unresolved".into(),
            reason: format!("{host} does not resolve: {e}"),
        })?;
    if state.settings.block_host_loopback
        && !resolved.from_map
        && resolved
            .addrs
            .iter()
            .any(|a| a.ip().is_loopback() || a.ip().is_unspecified())
    {
        let b = Blocked {
            status: StatusCode::FORBIDDEN,
            rule: "network:host-loopback".into(),
            reason: format!(
                "{host} resolves to this machine's loopback; a sandboxed agent's localhost is inside its sandbox, and the host's own services are not reachable through the proxy"
            ),
        };
        log(
            state,
            "network.deny",
            host,
            port,
            method,
            url,
            &b.rule,
            &b.reason,
        )
        .await
        .ok();
        return Err(b);
    }
    let mut last = None;
    for a in &resolved.addrs {
        match tokio::time::timeout(Duration::from_secs(30), TcpStream::connect(a)).await {
            Ok(Ok(s)) => {
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Ok(Err(e)) => last = Some(e.to_string()),
            Err(_) => last = Some("timed out".into()),
        }
    }
    Err(Blocked {
        status: StatusCode::BAD_GATEWAY,
        rule: "network:unreachable".into(),
        reason: format!(
            "cannot connect to {host}:{port}: {}",
            last.unwrap_or_else(|| "no address".into())
        ),
    })
}

async fn authorize(
    state: &Arc<TaskProxy>,
    host: &str,
    port: u16,
    method: &str,
    url: &str,
) -> Result<(), Blocked> {
    let d = rules::decide(host, &state.rules);
    let deny = |rule: String, reason: String| Blocked {
        status: StatusCode::FORBIDDEN,
        rule,
        reason,
    };
    match d.verdict {
        NetworkVerdict::Deny => {
            deny_logged(state, host, port, method, url, &d.rule, &d.reason).await;
            Err(deny(d.rule, d.reason))
        }
        NetworkVerdict::Allow => {
            allow_logged(state, host, port, method, url, &d.rule, &d.reason).await
        }
        NetworkVerdict::Ask => {
            let lock = {
                let mut asking = state.asking.lock().unwrap_or_else(|p| p.into_inner());
                asking.entry(host.to_string()).or_default().clone()
            };
            let _one_question = lock.lock().await;
            let earlier = state
                .decided
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(host)
                .cloned();
            if let Some((allowed, rule, reason)) = earlier {
                let reason = format!("decided earlier in this run: {reason}");
                return if allowed {
                    allow_logged(state, host, port, method, url, &rule, &reason).await
                } else {
                    log(
                        state,
                        "network.deny",
                        host,
                        port,
                        method,
                        url,
                        &rule,
                        &reason,
                    )
                    .await
                    .ok();
                    Err(deny(rule, reason))
                };
            }
            if let Err(e) = log(
                state,
                "network.ask",
                host,
                port,
                method,
                url,
                &d.rule,
                &d.reason,
            )
            .await
            {
                return Err(deny("network:audit-failed".into(), e));
            }
            let st = state.clone();
            let req = approvals::Request {
                task: st.identity.task.clone(),
                project: st.identity.project.clone(),
                agent: st.identity.agent.clone(),
                action: Action::Fetch {
                    url: url.to_string(),
                },
                decision: Decision {
                    verdict: Verdict::Ask,
                    rule: d.rule.clone(),
                    reason: d.reason.clone(),
                    parts: Vec::new(),
                },
            };
            let answer = tokio::task::spawn_blocking(move || {
                let mut store = Store::open(&st.settings.database).map_err(|e| e.to_string())?;
                approvals::request(&mut store, req, st.settings.approval_timeout)
                    .map_err(|e| e.to_string())
            })
            .await;
            let res = match answer.map_err(|e| e.to_string()).and_then(|r| r) {
                Ok(r) => r,
                Err(e) => {
                    let rule = "network:approval-failed";
                    let reason = format!("the approval could not be asked ({e}); denied");
                    log(
                        state,
                        "network.deny",
                        host,
                        port,
                        method,
                        url,
                        rule,
                        &reason,
                    )
                    .await
                    .ok();
                    return Err(deny(rule.into(), reason));
                }
            };
            let allowed = res.verdict == Verdict::Allow;
            if res.outcome != approvals::Outcome::TimedOut {
                state
                    .decided
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(
                        host.to_string(),
                        (allowed, res.rule.clone(), res.reason.clone()),
                    );
            }
            if allowed {
                allow_logged(state, host, port, method, url, &res.rule, &res.reason).await
            } else {
                deny_logged(state, host, port, method, url, &res.rule, &res.reason).await;
                Err(deny(res.rule, res.reason))
            }
        }
    }
}

/// Log an allow; if the log cannot be written, deny instead (nothing passes unlogged).
async fn allow_logged(
    state: &Arc<TaskProxy>,
    host: &str,
    port: u16,
    method: &str,
    url: &str,
    rule: &str,
    reason: &str,
) -> Result<(), Blocked> {
    log(
        state,
        "network.allow",
        host,
        port,
        method,
        url,
        rule,
        reason,
    )
    .await
    .map_err(|e| Blocked {
        status: StatusCode::FORBIDDEN,
        rule: "network:audit-failed".into(),
        reason: format!("the decision could not be logged ({e}); denied"),
    })
}

/// Log a deny. The request is refused whether or not the event is written: a
/// failure to log cannot open anything.
async fn deny_logged(
    state: &Arc<TaskProxy>,
    host: &str,
    port: u16,
    method: &str,
    url: &str,
    rule: &str,
    reason: &str,
) {
    let _ = log(state, "network.deny", host, port, method, url, rule, reason).await;
}

#[allow(clippy::too_many_arguments)]
async fn log(
    state: &Arc<TaskProxy>,
    kind: &'static str,
    host: &str,
    port: u16,
    method: &str,
    url: &str,
    rule: &str,
    reason: &str,
) -> Result<(), String> {
    let st = state.clone();
    let payload = serde_json::json!({
        "host": host,
        "port": port,
        "method": method,
        "url": url,
        "rule": rule,
        "via": "proxy",
    });
    let reason = reason.to_string();
    tokio::task::spawn_blocking(move || {
        let actor = match &st.identity.agent {
            Some(a) => Actor::Agent(a.clone()),
            None => Actor::Paddock,
        };
        let mut ev = NewEvent::new(kind, actor, reason).payload(payload);
        ev.task = st.identity.task.clone();
        let mut store = st.store.lock().unwrap_or_else(|p| p.into_inner());
        audit::record(&mut store, ev)
            .map(|_| ())
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())?
}
