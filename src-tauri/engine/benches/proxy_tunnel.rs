//! The task proxy's cost, measured against a baseline in the same run, on
//! 127.0.0.1 only (a local server plays the outside host):
//!
//! 1. throughput through a CONNECT tunnel vs a direct loopback connection
//!    (target: ≥ 95 % of direct);
//! 2. added latency per HTTP request (p50, p99), proxy vs direct, each request
//!    on a new connection, every proxied request decided and audited;
//! 3. 1,000 concurrent CONNECT tunnels, each echoing a message, without an error;
//! 4. tinyproxy side by side (throughput and latency), when it is installed.
//!
//! Run: `cargo bench -p paddock-engine --bench proxy_tunnel`.
//! `PADDOCK_BENCH_MB` (default 512) sets the bulk transfer size.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use paddock_engine::network::{
    HostMap, HostRule, NetworkRules, ProxyHandle, ProxyListen, ProxySettings, TaskIdentity,
};

const CHUNK: usize = 256 * 1024;

/// A server that, per connection, reads one line `N\n` and then sends N bytes
/// (bulk), or answers an HTTP request (`GET …`), or echoes (`ECHO\n`).
fn origin() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind origin");
    let addr = l.local_addr().expect("origin addr");
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(s) = s else { continue };
            std::thread::spawn(move || {
                let _ = s.set_nodelay(true);
                let mut w = match s.try_clone() {
                    Ok(w) => w,
                    Err(_) => return,
                };
                let mut r = BufReader::new(s);
                let mut first = String::new();
                if r.read_line(&mut first).unwrap_or(0) == 0 {
                    return;
                }
                if first.starts_with("GET ") {
                    loop {
                        let mut line = String::new();
                        if r.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                            break;
                        }
                    }
                    let _ = w.write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                    );
                } else if first.trim() == "ECHO" {
                    let mut buf = [0u8; 4096];
                    loop {
                        match r.read(&mut buf) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => {
                                if w.write_all(&buf[..n]).is_err() {
                                    break;
                                }
                            }
                        }
                    }
                } else if let Ok(n) = first.trim().parse::<usize>() {
                    let buf = vec![7u8; CHUNK];
                    let mut left = n;
                    while left > 0 {
                        let k = left.min(CHUNK);
                        if w.write_all(&buf[..k]).is_err() {
                            break;
                        }
                        left -= k;
                    }
                }
            });
        }
    });
    addr
}

/// Open a CONNECT tunnel to `target` through `proxy`; returns the stream after the 200.
fn tunnel(proxy: SocketAddr, target: &str) -> std::io::Result<TcpStream> {
    let mut s = TcpStream::connect(proxy)?;
    s.set_nodelay(true)?;
    write!(s, "CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n")?;
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if s.read(&mut b)? == 0 {
            return Err(std::io::Error::other("proxy closed during CONNECT"));
        }
        head.push(b[0]);
    }
    if !head.starts_with(b"HTTP/1.1 200") && !head.starts_with(b"HTTP/1.0 200") {
        return Err(std::io::Error::other(
            String::from_utf8_lossy(&head).into_owned(),
        ));
    }
    Ok(s)
}

/// Receive `bytes` over `s` (after asking for them); returns MB/s.
fn pull(mut s: TcpStream, bytes: usize) -> f64 {
    let started = Instant::now();
    writeln!(s, "{bytes}").expect("ask for bytes");
    let mut buf = vec![0u8; CHUNK];
    let mut got = 0;
    while got < bytes {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) => panic!("bulk read failed after {got} bytes: {e}"),
        }
    }
    assert_eq!(got, bytes, "short transfer");
    bytes as f64 / 1e6 / started.elapsed().as_secs_f64()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// One HTTP request on a new connection: to the origin directly, or via a proxy.
fn http_once(to: SocketAddr, proxied_url: Option<&str>) -> Duration {
    let started = Instant::now();
    let mut s = TcpStream::connect(to).expect("connect");
    let _ = s.set_nodelay(true);
    match proxied_url {
        Some(url) => write!(
            s,
            "GET {url} HTTP/1.1\r\nHost: bench.test\r\nConnection: close\r\n\r\n"
        ),
        None => write!(
            s,
            "GET / HTTP/1.1\r\nHost: bench.test\r\nConnection: close\r\n\r\n"
        ),
    }
    .expect("send");
    let mut out = Vec::new();
    s.read_to_end(&mut out).expect("read");
    assert!(
        out.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&out)
    );
    started.elapsed()
}

fn latencies(n: usize, f: impl Fn() -> Duration) -> Vec<Duration> {
    let mut v: Vec<Duration> = (0..n).map(|_| f()).collect();
    v.sort();
    v
}

fn report_latency(name: &str, direct: &[Duration], via: &[Duration]) {
    let (d50, d99) = (percentile(direct, 0.5), percentile(direct, 0.99));
    let (p50, p99) = (percentile(via, 0.5), percentile(via, 0.99));
    println!(
        "latency  {name:<10} p50 {:>8.0} µs (direct {:>6.0}, added {:>+8.0})   p99 {:>8.0} µs (direct {:>6.0}, added {:>+8.0})",
        us(p50),
        us(d50),
        us(p50) - us(d50),
        us(p99),
        us(d99),
        us(p99) - us(d99)
    );
}

/// 1,000 tunnels open at the same time, each echoing a message.
fn concurrent_tunnels(proxy: SocketAddr, target: &str, n: usize) -> (usize, Duration) {
    let started = Instant::now();
    // Counts tunnels that opened or failed; each waits for all before talking,
    // so every tunnel is open at the same time (a failure cannot block the rest).
    let settled = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let target = target.to_string();
            let settled = settled.clone();
            std::thread::Builder::new()
                .stack_size(64 * 1024)
                .spawn(move || -> Result<(), String> {
                    let opened = tunnel(proxy, &target);
                    settled.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let mut s = opened.map_err(|e| e.to_string())?;
                    s.set_read_timeout(Some(Duration::from_secs(60)))
                        .map_err(|e| e.to_string())?;
                    let deadline = Instant::now() + Duration::from_secs(120);
                    while settled.load(std::sync::atomic::Ordering::SeqCst) < n
                        && Instant::now() < deadline
                    {
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    let msg = format!("ECHO\nhello from tunnel {i}");
                    s.write_all(msg.as_bytes()).map_err(|e| e.to_string())?;
                    let want = msg.len() - 5;
                    let mut got = vec![0u8; want];
                    s.read_exact(&mut got).map_err(|e| e.to_string())?;
                    if got != msg.as_bytes()[5..] {
                        return Err("echo mismatch".into());
                    }
                    Ok(())
                })
                .expect("spawn tunnel thread")
        })
        .collect();
    let mut errors = 0;
    for h in handles {
        match h.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                if errors < 3 {
                    eprintln!("tunnel error: {e}");
                }
                errors += 1;
            }
            Err(_) => errors += 1,
        }
    }
    (errors, started.elapsed())
}

struct Tinyproxy {
    child: Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_tinyproxy() -> Option<Tinyproxy> {
    let bin = ["/usr/bin/tinyproxy", "/usr/sbin/tinyproxy"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())?;
    let port = TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let dir = tempfile::tempdir().ok()?;
    let conf = dir.path().join("tinyproxy.conf");
    std::fs::write(
        &conf,
        format!(
            "Port {port}\nListen 127.0.0.1\nTimeout 600\nMaxClients 2000\nAllow 127.0.0.1\nLogLevel Critical\nDisableViaHeader Yes\n"
        ),
    )
    .ok()?;
    let child = Command::new(bin)
        .args(["-d", "-c"])
        .arg(&conf)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let started = Instant::now();
    while TcpStream::connect(addr).is_err() {
        if started.elapsed() > Duration::from_secs(5) {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(Tinyproxy {
        child,
        addr,
        _dir: dir,
    })
}

fn main() {
    let mb: usize = std::env::var("PADDOCK_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(512);
    let bytes = mb * 1024 * 1024;
    let origin = origin();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut hosts = HostMap::default();
    hosts.insert("bench.test", origin);
    let proxy = ProxyHandle::start(
        ProxySettings {
            database: dir.path().join("paddock.db"),
            approval_timeout: Duration::from_secs(1),
            hosts,
            block_host_loopback: true,
        },
        TaskIdentity {
            task: Some("bench".into()),
            ..Default::default()
        },
        NetworkRules {
            deny: Vec::new(),
            allow: vec![HostRule::new(
                "bench.test",
                "bench:allow",
                "the bench's origin",
            )],
        },
        &[ProxyListen::Tcp(([127, 0, 0, 1], 0).into())],
    )
    .expect("start proxy");
    let paddock = proxy.tcp_addr().expect("proxy address");
    let tiny = start_tinyproxy();

    println!("proxy_tunnel: {mb} MiB bulk transfers, loopback only");
    // Warm up both paths.
    pull(TcpStream::connect(origin).expect("direct"), 8 << 20);
    pull(tunnel(paddock, "bench.test:443").expect("tunnel"), 8 << 20);

    let mut direct = Vec::new();
    let mut via = Vec::new();
    let mut via_tiny = Vec::new();
    for _ in 0..3 {
        direct.push(pull(TcpStream::connect(origin).expect("direct"), bytes));
        via.push(pull(
            tunnel(paddock, "bench.test:443").expect("tunnel"),
            bytes,
        ));
        if let Some(t) = &tiny {
            via_tiny.push(pull(
                tunnel(t.addr, &origin.to_string()).expect("tinyproxy tunnel"),
                bytes,
            ));
        }
    }
    let best = |v: &[f64]| v.iter().cloned().fold(0.0, f64::max);
    let (d, p) = (best(&direct), best(&via));
    println!(
        "throughput direct     {d:>8.0} MB/s\nthroughput paddock    {p:>8.0} MB/s   {:>5.1} % of direct (target ≥ 95 %)",
        100.0 * p / d
    );
    if !via_tiny.is_empty() {
        let t = best(&via_tiny);
        println!(
            "throughput tinyproxy  {t:>8.0} MB/s   {:>5.1} % of direct",
            100.0 * t / d
        );
    }

    let n = 2000;
    let direct_lat = latencies(n, || http_once(origin, None));
    let via_lat = latencies(n, || http_once(paddock, Some("http://bench.test/")));
    report_latency("paddock", &direct_lat, &via_lat);
    if let Some(t) = &tiny {
        let url = format!("http://{origin}/");
        let tiny_lat = latencies(n, || http_once(t.addr, Some(&url)));
        report_latency("tinyproxy", &direct_lat, &tiny_lat);
    } else {
        println!("tinyproxy: not installed (apt-get install tinyproxy) — skipped");
    }

    let (errors, took) = concurrent_tunnels(paddock, "bench.test:443", 1000);
    println!(
        "concurrent 1000 CONNECT tunnels: {errors} error(s) in {:.2} s",
        took.as_secs_f64()
    );
    drop(tiny);
    proxy.stop();
    if errors > 0 {
        std::process::exit(1);
    }
}
