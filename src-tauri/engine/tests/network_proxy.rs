//! The task proxy over real sockets on 127.0.0.1: local servers play the
//! outside hosts, named through the proxy's host map.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use paddock_engine::approvals;
use paddock_engine::audit;
use paddock_engine::network::{
    HostMap, HostRule, NetworkRules, ProxyHandle, ProxyListen, ProxySettings, TaskIdentity,
};
use paddock_engine::policy::Verdict;
use paddock_engine::Store;
use tokio_rustls::rustls;

/// A plain HTTP origin that answers every request with `hello from <name>`.
fn http_origin(name: &'static str) -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            std::thread::spawn(move || {
                let mut r = BufReader::new(s.try_clone().unwrap());
                let mut first = String::new();
                let _ = r.read_line(&mut first);
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                }
                let body = format!("hello from {name}: {}", first.trim());
                let _ = write!(
                    s,
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
    addr
}

/// A TLS origin for `secure.test` with a fresh self-signed certificate.
fn tls_origin() -> (SocketAddr, rustls::pki_types::CertificateDer<'static>) {
    let ck = rcgen::generate_simple_self_signed(vec!["secure.test".to_string()]).unwrap();
    let cert = ck.cert.der().clone();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(ck.key_pair.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .unwrap();
    let config = Arc::new(config);
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(s) = s else { continue };
            let config = config.clone();
            std::thread::spawn(move || {
                let conn = rustls::ServerConnection::new(config).unwrap();
                let mut tls = rustls::StreamOwned::new(conn, s);
                let mut buf = [0u8; 4096];
                let mut got = Vec::new();
                while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
                let body = "hello over tls";
                let _ = write!(
                    tls,
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.flush();
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
    (addr, cert)
}

struct Fixture {
    _dir: tempfile::TempDir,
    db: PathBuf,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("paddock.db");
        drop(Store::open(&db).unwrap());
        Self { _dir: dir, db }
    }

    fn proxy(
        &self,
        task: &str,
        hosts: HostMap,
        rules: NetworkRules,
        timeout: Duration,
    ) -> ProxyHandle {
        ProxyHandle::start(
            ProxySettings {
                database: self.db.clone(),
                approval_timeout: timeout,
                hosts,
                block_host_loopback: true,
            },
            TaskIdentity {
                task: Some(task.into()),
                project: Some("/repo".into()),
                agent: Some("claude".into()),
            },
            rules,
            &[ProxyListen::Tcp("127.0.0.1:0".parse().unwrap())],
        )
        .unwrap()
    }

    fn events(&self, task: &str) -> Vec<audit::Event> {
        audit::list(&Store::open(&self.db).unwrap(), Some(task)).unwrap()
    }
}

fn rules(allow: &[&str], deny: &[&str]) -> NetworkRules {
    NetworkRules {
        allow: allow
            .iter()
            .map(|h| HostRule::new(h, "test:allow", "allowed in this test"))
            .collect(),
        deny: deny
            .iter()
            .map(|h| HostRule::new(h, "test:deny", "denied in this test"))
            .collect(),
    }
}

/// Send one raw HTTP/1.1 request to the proxy and read the whole answer.
fn via_proxy(proxy: SocketAddr, url: &str, host: &str) -> String {
    let mut s = TcpStream::connect(proxy).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    write!(
        s,
        "GET {url} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nProxy-Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

fn status_of(response: &str) -> u16 {
    response
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

fn header<'a>(response: &'a str, name: &str) -> Option<&'a str> {
    response.split("\r\n\r\n").next()?.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[test]
fn an_allowed_host_is_reached_through_the_proxy_by_http() {
    let f = Fixture::new();
    let origin = http_origin("allowed");
    let mut hosts = HostMap::default();
    hosts.insert("allowed.test", origin);
    let p = f.proxy(
        "t-http",
        hosts,
        rules(&["allowed.test"], &[]),
        Duration::from_secs(5),
    );
    let r = via_proxy(
        p.tcp_addr().unwrap(),
        "http://allowed.test/path?q=1",
        "allowed.test",
    );
    assert_eq!(status_of(&r), 200, "{r}");
    // The origin saw an origin-form request line.
    assert!(
        r.ends_with("hello from allowed: GET /path?q=1 HTTP/1.1"),
        "{r}"
    );
    let ev = f.events("t-http");
    assert!(ev
        .iter()
        .any(|e| e.kind == "network.allow" && e.payload.contains("allowed.test")));
}

#[test]
fn an_allowed_host_is_reached_through_a_connect_tunnel_with_tls() {
    let f = Fixture::new();
    let (origin, cert) = tls_origin();
    let mut hosts = HostMap::default();
    hosts.insert("secure.test", origin);
    let p = f.proxy(
        "t-tls",
        hosts,
        rules(&["*.test"], &[]),
        Duration::from_secs(5),
    );
    let mut s = TcpStream::connect(p.tcp_addr().unwrap()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "CONNECT secure.test:443 HTTP/1.1\r\nHost: secure.test:443\r\n\r\n"
    )
    .unwrap();
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(s.read(&mut b).unwrap(), 1, "proxy closed during CONNECT");
        head.push(b[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    assert_eq!(status_of(&head), 200, "{head}");
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("secure.test").unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, s);
    write!(
        tls,
        "GET / HTTP/1.1\r\nHost: secure.test\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    let _ = tls.read_to_string(&mut out);
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    assert!(out.ends_with("hello over tls"), "{out}");
    assert!(f
        .events("t-tls")
        .iter()
        .any(|e| e.kind == "network.allow" && e.payload.contains("\"CONNECT\"")));
}

#[test]
fn a_denied_host_gets_403_with_a_body_and_a_header_naming_the_rule() {
    let f = Fixture::new();
    let origin = http_origin("never");
    let mut hosts = HostMap::default();
    hosts.insert("pastebin.test", origin);
    let p = f.proxy(
        "t-deny",
        hosts,
        rules(&["*.test"], &["pastebin.test"]),
        Duration::from_secs(5),
    );
    let r = via_proxy(
        p.tcp_addr().unwrap(),
        "http://pastebin.test/",
        "pastebin.test",
    );
    assert_eq!(status_of(&r), 403, "{r}");
    assert_eq!(header(&r, "x-paddock-rule"), Some("test:deny"));
    assert!(r.contains("Paddock blocked this request"), "{r}");
    assert!(r.contains("rule: test:deny"), "{r}");
    assert!(!r.contains("hello from never"));
    // CONNECT is refused the same way, before any byte reaches the host.
    let mut s = TcpStream::connect(p.tcp_addr().unwrap()).unwrap();
    write!(
        s,
        "CONNECT pastebin.test:443 HTTP/1.1\r\nHost: pastebin.test:443\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = [0u8; 2048];
    let n = s.read(&mut buf).unwrap();
    out.push_str(&String::from_utf8_lossy(&buf[..n]));
    assert_eq!(status_of(&out), 403, "{out}");
    let ev = f.events("t-deny");
    assert_eq!(ev.iter().filter(|e| e.kind == "network.deny").count(), 2);
}

#[test]
fn a_host_resolving_to_the_machines_loopback_is_refused_for_a_sandboxed_task() {
    let f = Fixture::new();
    let p = f.proxy(
        "t-lo",
        HostMap::default(),
        rules(&["localhost"], &[]),
        Duration::from_secs(5),
    );
    let r = via_proxy(p.tcp_addr().unwrap(), "http://localhost:9/", "localhost");
    assert_eq!(status_of(&r), 403, "{r}");
    assert_eq!(header(&r, "x-paddock-rule"), Some("network:host-loopback"));
}

/// Start a request for `unknown.test` in a thread and wait until its approval is pending.
fn ask_unknown(f: &Fixture, proxy: SocketAddr) -> (std::thread::JoinHandle<String>, i64) {
    let h = std::thread::spawn(move || via_proxy(proxy, "http://unknown.test/", "unknown.test"));
    let started = Instant::now();
    loop {
        let store = Store::open(&f.db).unwrap();
        if let Some(a) = approvals::list_pending(&store).unwrap().first() {
            return (h, a.id);
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no approval appeared"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn unknown_fixture(timeout: Duration) -> (Fixture, ProxyHandle) {
    let f = Fixture::new();
    let origin = http_origin("unknown");
    let mut hosts = HostMap::default();
    hosts.insert("unknown.test", origin);
    let p = f.proxy("t-ask", hosts, rules(&[], &[]), timeout);
    (f, p)
}

#[test]
fn an_unknown_host_waits_for_a_person_and_is_approved() {
    let (f, p) = unknown_fixture(Duration::from_secs(30));
    let (h, id) = ask_unknown(&f, p.tcp_addr().unwrap());
    let pending = approvals::get(&Store::open(&f.db).unwrap(), id).unwrap();
    assert_eq!(pending.task.as_deref(), Some("t-ask"));
    approvals::decide(
        &mut Store::open(&f.db).unwrap(),
        id,
        Verdict::Allow,
        "user",
        None,
    )
    .unwrap();
    let r = h.join().unwrap();
    assert_eq!(status_of(&r), 200, "{r}");
    // Approved once: the next request in this run does not ask again.
    let again = via_proxy(
        p.tcp_addr().unwrap(),
        "http://unknown.test/2",
        "unknown.test",
    );
    assert_eq!(status_of(&again), 200, "{again}");
    let kinds: Vec<String> = f.events("t-ask").into_iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds.iter().filter(|k| *k == "network.ask").count(),
        1,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| *k == "network.allow").count(),
        2,
        "{kinds:?}"
    );
}

#[test]
fn an_unknown_host_waits_for_a_person_and_is_denied() {
    let (f, p) = unknown_fixture(Duration::from_secs(30));
    let (h, id) = ask_unknown(&f, p.tcp_addr().unwrap());
    approvals::decide(
        &mut Store::open(&f.db).unwrap(),
        id,
        Verdict::Deny,
        "user",
        None,
    )
    .unwrap();
    let r = h.join().unwrap();
    assert_eq!(status_of(&r), 403, "{r}");
    assert_eq!(
        header(&r, "x-paddock-rule"),
        Some(format!("approval:{id}").as_str())
    );
    assert!(f.events("t-ask").iter().any(|e| e.kind == "network.deny"));
}

#[test]
fn an_unknown_host_fails_when_nobody_decides_before_the_timeout() {
    let (f, p) = unknown_fixture(Duration::from_secs(1));
    let started = Instant::now();
    let r = via_proxy(
        p.tcp_addr().unwrap(),
        "http://unknown.test/",
        "unknown.test",
    );
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert_eq!(status_of(&r), 403, "{r}");
    assert_eq!(header(&r, "x-paddock-rule"), Some("approval:timeout"));
    let kinds: Vec<String> = f.events("t-ask").into_iter().map(|e| e.kind).collect();
    for k in [
        "network.ask",
        "approval.requested",
        "approval.expired",
        "network.deny",
    ] {
        assert!(kinds.iter().any(|x| x == k), "{k} missing from {kinds:?}");
    }
}

#[test]
fn each_task_has_its_own_proxy_identity_and_its_decisions_are_logged_with_it() {
    let f = Fixture::new();
    let origin = http_origin("shared");
    let mut hosts = HostMap::default();
    hosts.insert("shared.test", origin);
    let a = f.proxy(
        "task-a",
        hosts.clone(),
        rules(&["shared.test"], &[]),
        Duration::from_secs(5),
    );
    let b = f.proxy(
        "task-b",
        hosts,
        rules(&[], &["shared.test"]),
        Duration::from_secs(5),
    );
    assert_ne!(a.tcp_addr(), b.tcp_addr());
    assert_eq!(
        status_of(&via_proxy(
            a.tcp_addr().unwrap(),
            "http://shared.test/",
            "shared.test"
        )),
        200
    );
    assert_eq!(
        status_of(&via_proxy(
            b.tcp_addr().unwrap(),
            "http://shared.test/",
            "shared.test"
        )),
        403
    );
    let ea = f.events("task-a");
    let eb = f.events("task-b");
    assert!(ea.iter().all(|e| e.task.as_deref() == Some("task-a")));
    assert!(ea.iter().any(|e| e.kind == "network.allow"));
    assert!(eb.iter().any(|e| e.kind == "network.deny"));
    assert!(!eb.iter().any(|e| e.kind == "network.allow"));
}

#[test]
fn the_proxy_serves_a_task_over_its_own_unix_socket() {
    let f = Fixture::new();
    let origin = http_origin("unix");
    let mut hosts = HostMap::default();
    hosts.insert("allowed.test", origin);
    let sock = f._dir.path().join("p.sock");
    let p = ProxyHandle::start(
        ProxySettings {
            database: f.db.clone(),
            approval_timeout: Duration::from_secs(1),
            hosts,
            block_host_loopback: true,
        },
        TaskIdentity {
            task: Some("t-unix".into()),
            ..Default::default()
        },
        rules(&["allowed.test"], &[]),
        &[ProxyListen::Unix(sock.clone())],
    )
    .unwrap();
    assert_eq!(p.unix_path(), Some(Path::new(&sock)));
    let mut s = std::os::unix::net::UnixStream::connect(&sock).unwrap();
    write!(
        s,
        "GET http://allowed.test/ HTTP/1.1\r\nHost: allowed.test\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    assert_eq!(status_of(&out), 200, "{out}");
}
