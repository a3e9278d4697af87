//! OpenTelemetry in: a local OTLP/HTTP receiver, so the agents' own telemetry
//! (Claude Code's `claude_code.*` events, Codex's `codex.*` events) joins the
//! task's timeline.
//!
//! The agents are pointed at `http://127.0.0.1:<port>/tasks/<task-id>` by
//! `paddock agent setup` (see [`task_endpoint`]). The receiver accepts
//! `POST /tasks/<task-id>/v1/logs` as OTLP/JSON (`application/json`) or
//! OTLP/protobuf (`application/x-protobuf`), decoded with the maintained
//! `opentelemetry-proto` types. Each log record becomes one `agent.telemetry`
//! audit event of that task (through [`audit::record`], the one writer):
//!
//! ```json
//! {"agent": "claude", "event": "claude_code.tool_decision",
//!  "attributes": {"tool_name": "Bash", "decision": "accept", …},
//!  "time": "2026-12-04T18:35:14.56Z"}
//! ```
//!
//! Every string in the attributes passes through [`crate::redact`] first (a
//! prompt or a tool's output can hold a token), and long strings are cut at
//! [`MAX_ATTRIBUTE_CHARS`]. High-volume noise (Codex's per-chunk
//! `codex.sse_event`, `codex.websocket_*`, Claude Code's
//! `claude_code.hook_execution_start`, and the agents' records that carry no
//! event name) is not stored one by one: each request that carried any is
//! summed up in one `agent.telemetry_dropped` event naming the counts.
//!
//! `/v1/metrics` and `/v1/traces` are answered with an empty success (the
//! agents may send them) and only counted. Anything else is refused with a
//! one-line reason: an unknown task is `404`, a body over [`MAX_BODY`] is
//! `413`, an undecodable body is `400`, another content type or encoding is
//! `415`. A receiver bound for one task only (the unix socket `paddock run`
//! bridges into its sandbox) refuses other tasks' paths with `403`, so a
//! confined agent cannot write into another task's timeline.

use std::collections::{BTreeMap, HashSet};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsPartialSuccess, ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use prost::Message;
use serde_json::{json, Map, Value};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;

use crate::audit::{self, Actor, NewEvent};
use crate::store::Store;

/// The environment variable naming the receiver's loopback port.
pub const PORT_ENV: &str = "PADDOCK_OTEL_PORT";

/// The default port: next to OTLP's own 4317 (gRPC) and 4318 (HTTP) but not
/// on them, so a collector the person runs keeps its ports; not assigned to
/// any common service.
pub const DEFAULT_PORT: u16 = 4327;

/// The largest request body accepted (agents batch a few hundred records).
pub const MAX_BODY: usize = 4 * 1024 * 1024;

/// Longer attribute strings are cut (a tool's whole output is not the point).
pub const MAX_ATTRIBUTE_CHARS: usize = 4096;

/// The event kind of one stored log record.
pub const EVENT_KIND: &str = "agent.telemetry";

/// The event kind of the per-request count of dropped noise.
pub const DROPPED_KIND: &str = "agent.telemetry_dropped";

/// Event names not stored one by one (counted instead): per-chunk streaming
/// events that would bury the signal, and the start of each hook run (its
/// `…hook_execution_complete` follows with the outcome).
const NOISE_EXACT: &[&str] = &["codex.sse_event", "claude_code.hook_execution_start"];

/// The count key of records without an event name from a known agent (Codex
/// also exports its internal tracing lines, with no attributes).
const UNNAMED: &str = "(unnamed)";
const NOISE_PREFIXES: &[&str] = &["codex.websocket"];

#[derive(Debug, thiserror::Error)]
pub enum OtelError {
    #[error("{PORT_ENV}={value:?} is not a port number (1-65535)")]
    BadPort { value: String },
    #[error("cannot listen on {what}: {source}")]
    Listen {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot start the telemetry receiver's runtime: {0}")]
    Runtime(std::io::Error),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("the telemetry receiver needs at least one listener")]
    NoListener,
}

/// The port from [`PORT_ENV`], else [`DEFAULT_PORT`]. A value that is not a
/// port is an error (a guess would point the agents somewhere else).
pub fn configured_port() -> Result<u16, OtelError> {
    parse_port(std::env::var(PORT_ENV).ok().as_deref())
}

/// The port a [`PORT_ENV`] value names (unset or empty: [`DEFAULT_PORT`]).
pub fn parse_port(value: Option<&str>) -> Result<u16, OtelError> {
    match value.map(str::trim) {
        None | Some("") => Ok(DEFAULT_PORT),
        Some(v) => match v.parse::<u16>() {
            Ok(p) if p != 0 => Ok(p),
            _ => Err(OtelError::BadPort {
                value: v.to_string(),
            }),
        },
    }
}

/// The OTLP endpoint base for `task` (exporters append `/v1/logs`).
pub fn task_endpoint(port: u16, task: &str) -> String {
    format!("http://127.0.0.1:{port}/tasks/{task}")
}

/// Where a receiver listens.
#[derive(Debug, Clone)]
pub enum OtelListen {
    /// A TCP address (127.0.0.1 in practice; port 0 for any free port).
    Tcp(SocketAddr),
    /// A unix socket path (the sandbox's telemetry bridge connects here).
    Unix(PathBuf),
}

/// How a receiver behaves.
#[derive(Debug, Clone)]
pub struct OtelSettings {
    /// Paddock's database: the audit log and the tasks.
    pub database: PathBuf,
    /// Accept only this task's paths (others get `403`).
    pub only_task: Option<String>,
}

/// What a receiver has seen so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct OtelCounts {
    pub log_requests: u64,
    pub records_stored: u64,
    pub records_dropped: u64,
    pub metrics_requests: u64,
    pub traces_requests: u64,
    pub refused_requests: u64,
}

#[derive(Default)]
struct Counters {
    log_requests: AtomicU64,
    records_stored: AtomicU64,
    records_dropped: AtomicU64,
    metrics_requests: AtomicU64,
    traces_requests: AtomicU64,
    refused_requests: AtomicU64,
}

struct State {
    settings: OtelSettings,
    store: Mutex<Store>,
    /// Task ids found in the store (a task, once made, is never renamed).
    known_tasks: Mutex<HashSet<String>>,
    counters: Counters,
}

/// A running receiver. Dropping it (or [`OtelReceiver::stop`]) stops it.
pub struct OtelReceiver {
    tcp: Option<SocketAddr>,
    unix: Option<PathBuf>,
    state: Arc<State>,
    shutdown: watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for OtelReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OtelReceiver")
            .field("tcp", &self.tcp)
            .field("unix", &self.unix)
            .finish()
    }
}

enum Listener {
    Tcp(tokio::net::TcpListener),
    Unix(tokio::net::UnixListener),
}

impl OtelReceiver {
    /// Start serving on `listen` (binds before returning, so a taken port is
    /// an error here, not later).
    pub fn start(settings: OtelSettings, listen: &[OtelListen]) -> Result<Self, OtelError> {
        if listen.is_empty() {
            return Err(OtelError::NoListener);
        }
        let store = Store::open(&settings.database)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("paddock-otel")
            .enable_all()
            .build()
            .map_err(OtelError::Runtime)?;
        let mut listeners = Vec::new();
        let mut tcp = None;
        let mut unix = None;
        {
            let _guard = runtime.enter();
            for l in listen {
                match l {
                    OtelListen::Tcp(addr) => {
                        let err = |source| OtelError::Listen {
                            what: addr.to_string(),
                            source,
                        };
                        let sock = if addr.is_ipv4() {
                            tokio::net::TcpSocket::new_v4()
                        } else {
                            tokio::net::TcpSocket::new_v6()
                        }
                        .map_err(err)?;
                        // No SO_REUSEADDR: a second Paddock must see the port
                        // as taken and leave it to the one holding it.
                        sock.bind(*addr).map_err(err)?;
                        let l = sock.listen(1024).map_err(err)?;
                        tcp.get_or_insert(l.local_addr().map_err(err)?);
                        listeners.push(Listener::Tcp(l));
                    }
                    OtelListen::Unix(path) => {
                        let _ = std::fs::remove_file(path);
                        let l = tokio::net::UnixListener::bind(path).map_err(|source| {
                            OtelError::Listen {
                                what: path.display().to_string(),
                                source,
                            }
                        })?;
                        unix.get_or_insert(path.clone());
                        listeners.push(Listener::Unix(l));
                    }
                }
            }
        }
        let state = Arc::new(State {
            settings,
            store: Mutex::new(store),
            known_tasks: Mutex::new(HashSet::new()),
            counters: Counters::default(),
        });
        let (tx, rx) = watch::channel(false);
        let st = state.clone();
        let thread = std::thread::Builder::new()
            .name("paddock-otel-main".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let mut tasks = Vec::new();
                    for l in listeners {
                        let st = st.clone();
                        let mut rx = rx.clone();
                        tasks.push(tokio::spawn(async move {
                            loop {
                                tokio::select! {
                                    _ = rx.changed() => break,
                                    acc = accept(&l) => match acc {
                                        Some(conn) => { tokio::spawn(serve_boxed(st.clone(), conn)); }
                                        None => tokio::time::sleep(Duration::from_millis(10)).await,
                                    }
                                }
                            }
                        }));
                    }
                    for t in tasks {
                        let _ = t.await;
                    }
                });
                runtime.shutdown_timeout(Duration::from_millis(500));
            })
            .map_err(OtelError::Runtime)?;
        Ok(Self {
            tcp,
            unix,
            state,
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

    /// The counts so far.
    pub fn counts(&self) -> OtelCounts {
        let c = &self.state.counters;
        OtelCounts {
            log_requests: c.log_requests.load(Ordering::Relaxed),
            records_stored: c.records_stored.load(Ordering::Relaxed),
            records_dropped: c.records_dropped.load(Ordering::Relaxed),
            metrics_requests: c.metrics_requests.load(Ordering::Relaxed),
            traces_requests: c.traces_requests.load(Ordering::Relaxed),
            refused_requests: c.refused_requests.load(Ordering::Relaxed),
        }
    }

    /// Stop accepting, end open connections, and wait for the thread.
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

impl Drop for OtelReceiver {
    fn drop(&mut self) {
        self.stop_inner();
    }
}

trait Conn: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Conn for T {}

async fn accept(l: &Listener) -> Option<Box<dyn Conn>> {
    match l {
        Listener::Tcp(l) => l.accept().await.ok().map(|(s, _)| {
            let _ = s.set_nodelay(true);
            Box::new(s) as Box<dyn Conn>
        }),
        Listener::Unix(l) => l
            .accept()
            .await
            .ok()
            .map(|(s, _)| Box::new(s) as Box<dyn Conn>),
    }
}

async fn serve_boxed(state: Arc<State>, stream: Box<dyn Conn>) {
    let svc = hyper::service::service_fn(move |req| {
        let st = state.clone();
        async move { Ok::<_, Infallible>(handle(st, req).await) }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), svc)
        .await;
}

/// The wire format of a request (and so of its answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Protobuf,
}

fn format_of(req: &Request<Incoming>) -> Option<Format> {
    let ct = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = ct.split(';').next().unwrap_or("").trim();
    match mime.to_ascii_lowercase().as_str() {
        "application/json" => Some(Format::Json),
        "application/x-protobuf" | "application/protobuf" => Some(Format::Protobuf),
        _ => None,
    }
}

/// A refusal: the status and a one-line reason (also the body).
fn refuse(state: &State, status: StatusCode, reason: String) -> Response<Full<Bytes>> {
    state
        .counters
        .refused_requests
        .fetch_add(1, Ordering::Relaxed);
    let mut r = Response::new(Full::new(Bytes::from(format!("{reason}\n"))));
    *r.status_mut() = status;
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

fn success(format: Format, rejected: i64, message: String) -> Response<Full<Bytes>> {
    let partial = (rejected > 0 || !message.is_empty()).then_some(ExportLogsPartialSuccess {
        rejected_log_records: rejected,
        error_message: message,
    });
    let (body, ct) = match format {
        Format::Protobuf => (
            ExportLogsServiceResponse {
                partial_success: partial,
            }
            .encode_to_vec(),
            "application/x-protobuf",
        ),
        Format::Json => {
            let v = match partial {
                Some(p) => json!({"partialSuccess": {
                    "rejectedLogRecords": p.rejected_log_records.to_string(),
                    "errorMessage": p.error_message,
                }}),
                None => json!({}),
            };
            (v.to_string().into_bytes(), "application/json")
        }
    };
    let mut r = Response::new(Full::new(Bytes::from(body)));
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(ct));
    r
}

/// Which signal a path asks for, and the task it names.
fn route(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix("/tasks/")?;
    let (task, signal) = rest.split_once('/')?;
    let signal = match signal {
        "v1/logs" => "logs",
        "v1/metrics" => "metrics",
        "v1/traces" => "traces",
        _ => return None,
    };
    let valid = !task.is_empty()
        && task.len() <= 128
        && task
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    valid.then_some((task, signal))
}

async fn handle(state: Arc<State>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_string();
    let Some((task, signal)) = route(&path) else {
        return refuse(
            &state,
            StatusCode::NOT_FOUND,
            format!("no such OTLP endpoint {path}: use /tasks/<task-id>/v1/logs"),
        );
    };
    let task = task.to_string();
    if req.method() != Method::POST {
        return refuse(
            &state,
            StatusCode::METHOD_NOT_ALLOWED,
            format!(
                "{} is not accepted: OTLP/HTTP exports are POST",
                req.method()
            ),
        );
    }
    if let Some(only) = &state.settings.only_task {
        if *only != task {
            return refuse(
                &state,
                StatusCode::FORBIDDEN,
                format!("this receiver takes telemetry for task {only} only, not {task}"),
            );
        }
    }
    let Some(format) = format_of(&req) else {
        return refuse(
            &state,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the content type must be application/json or application/x-protobuf".into(),
        );
    };
    if let Some(enc) = req.headers().get(CONTENT_ENCODING) {
        if !enc.as_bytes().eq_ignore_ascii_case(b"identity") {
            return refuse(
                &state,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!(
                    "content encoding {:?} is not accepted: send the body uncompressed",
                    enc.to_str().unwrap_or("?")
                ),
            );
        }
    }
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return refuse(
            &state,
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is over the {MAX_BODY}-byte limit"),
        );
    }
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            return refuse(
                &state,
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the body is over the {MAX_BODY}-byte limit"),
            )
        }
        Err(e) => {
            return refuse(
                &state,
                StatusCode::BAD_REQUEST,
                format!("cannot read the body: {e}"),
            )
        }
    };
    match task_exists(&state, &task).await {
        Ok(true) => {}
        Ok(false) => {
            return refuse(
                &state,
                StatusCode::NOT_FOUND,
                format!(
                "no task {task} in this Paddock: run `paddock agent setup` for an existing task"
            ),
            )
        }
        Err(e) => {
            return refuse(
                &state,
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("cannot read the tasks: {e}"),
            )
        }
    }
    match signal {
        "metrics" => {
            state
                .counters
                .metrics_requests
                .fetch_add(1, Ordering::Relaxed);
            return success(format, 0, String::new());
        }
        "traces" => {
            state
                .counters
                .traces_requests
                .fetch_add(1, Ordering::Relaxed);
            return success(format, 0, String::new());
        }
        _ => {}
    }
    let request = match decode(format, &body) {
        Ok(r) => r,
        Err(reason) => return refuse(&state, StatusCode::BAD_REQUEST, reason),
    };
    state.counters.log_requests.fetch_add(1, Ordering::Relaxed);
    let st = state.clone();
    let stored = tokio::task::spawn_blocking(move || store_request(&st, &task, &request)).await;
    match stored {
        Ok((_, 0)) => success(format, 0, String::new()),
        Ok((_, failed)) => success(
            format,
            failed as i64,
            "some records could not be written to Paddock's audit log".into(),
        ),
        Err(e) => refuse(
            &state,
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("storing the records failed: {e}"),
        ),
    }
}

async fn task_exists(state: &Arc<State>, task: &str) -> Result<bool, String> {
    if lock(&state.known_tasks).contains(task) {
        return Ok(true);
    }
    let st = state.clone();
    let id = task.to_string();
    tokio::task::spawn_blocking(move || {
        let store = lock(&st.store);
        match crate::task::get(&store, &id) {
            Ok(_) => {
                lock(&st.known_tasks).insert(id);
                Ok(true)
            }
            Err(crate::task::TaskError::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.to_string()),
        }
    })
    .await
    .map_err(|e| e.to_string())?
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn decode(format: Format, body: &[u8]) -> Result<ExportLogsServiceRequest, String> {
    match format {
        Format::Protobuf => ExportLogsServiceRequest::decode(body)
            .map_err(|e| format!("the body is not an OTLP protobuf ExportLogsServiceRequest: {e}")),
        Format::Json => serde_json::from_slice(body)
            .map_err(|e| format!("the body is not an OTLP/JSON ExportLogsServiceRequest: {e}")),
    }
}

/// One log record, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct TelemetryRecord {
    pub agent: String,
    pub event: String,
    pub attributes: Map<String, Value>,
    pub time: String,
}

impl TelemetryRecord {
    /// The `agent.telemetry` payload (the shape `otel_export` reads back).
    pub fn payload(&self) -> Value {
        json!({
            "agent": self.agent,
            "event": self.event,
            "attributes": self.attributes,
            "time": self.time,
        })
    }

    /// A readable line: `claude_code.tool_decision: Bash accept (config)`.
    pub fn reason(&self) -> String {
        summary(&self.event, &self.attributes)
    }
}

/// What one request carries: the records to store and the noise counted.
#[derive(Debug, Default)]
pub struct Sorted {
    pub records: Vec<TelemetryRecord>,
    /// Dropped noise, by event name.
    pub dropped: BTreeMap<String, u64>,
    /// The agent the dropped records came from (the last one seen).
    pub dropped_agent: Option<String>,
}

/// Turn a decoded request into records (redacted) and noise counts.
pub fn sort_request(request: &ExportLogsServiceRequest) -> Sorted {
    let mut out = Sorted::default();
    for rl in &request.resource_logs {
        let service = rl
            .resource
            .as_ref()
            .and_then(|r| {
                r.attributes
                    .iter()
                    .find(|kv| kv.key == "service.name")
                    .and_then(|kv| kv.value.as_ref())
                    .and_then(|v| match &v.value {
                        Some(any_value::Value::StringValue(s)) => Some(s.clone()),
                        _ => None,
                    })
            })
            .unwrap_or_default();
        let agent = agent_name(&service);
        for sl in &rl.scope_logs {
            for rec in &sl.log_records {
                let attributes = attributes_json(&rec.attributes);
                let event = event_name(rec, &attributes);
                let unnamed = !qualified(&event) && matches!(agent.as_str(), "claude" | "codex");
                if unnamed || is_noise(&event) {
                    let key = if unnamed { UNNAMED.to_string() } else { event };
                    *out.dropped.entry(key).or_default() += 1;
                    out.dropped_agent = Some(agent.clone());
                    continue;
                }
                let attributes = match crate::redact::redact_json(&Value::Object(attributes)) {
                    Value::Object(m) => m,
                    _ => Map::new(),
                };
                out.records.push(TelemetryRecord {
                    agent: agent.clone(),
                    event: crate::redact::redact(&event),
                    attributes,
                    time: record_time(rec),
                });
            }
        }
    }
    out
}

/// Store one request's records for `task`: (stored, failed).
fn store_request(state: &State, task: &str, request: &ExportLogsServiceRequest) -> (u64, u64) {
    let sorted = sort_request(request);
    let mut store = lock(&state.store);
    let (mut stored, mut failed) = (0u64, 0u64);
    for r in &sorted.records {
        let ev = NewEvent::new(EVENT_KIND, Actor::Agent(r.agent.clone()), r.reason())
            .payload(r.payload())
            .task(task);
        match audit::record(&mut store, ev) {
            Ok(_) => stored += 1,
            Err(_) => failed += 1,
        }
    }
    let dropped: u64 = sorted.dropped.values().sum();
    if dropped > 0 {
        let agent = sorted.dropped_agent.unwrap_or_else(|| "unknown".into());
        let names: Vec<String> = sorted
            .dropped
            .iter()
            .map(|(k, v)| format!("{k} ×{v}"))
            .collect();
        let ev = NewEvent::new(
            DROPPED_KIND,
            Actor::Agent(agent.clone()),
            format!(
                "{dropped} high-volume telemetry record(s) counted, not stored: {}",
                names.join(", ")
            ),
        )
        .payload(json!({"agent": agent, "dropped": sorted.dropped, "total": dropped}))
        .task(task);
        // A lost count loses no signal; the records themselves are accounted above.
        let _ = audit::record(&mut store, ev);
    }
    let c = &state.counters;
    c.records_stored.fetch_add(stored, Ordering::Relaxed);
    c.records_dropped.fetch_add(dropped, Ordering::Relaxed);
    (stored, failed)
}

/// `claude-code` → `claude`, `codex_exec`/`codex_cli_rs`/… → `codex`, else
/// the service name itself.
fn agent_name(service: &str) -> String {
    if service == "claude-code" || service.starts_with("claude") {
        "claude".into()
    } else if service.starts_with("codex") {
        "codex".into()
    } else if service.is_empty() {
        "unknown".into()
    } else {
        crate::redact::redact(service)
    }
}

fn is_noise(event: &str) -> bool {
    NOISE_EXACT.contains(&event) || NOISE_PREFIXES.iter().any(|p| event.starts_with(p))
}

/// A namespaced event name (`claude_code.user_prompt`, `codex.tool_result`).
fn qualified(name: &str) -> bool {
    name.contains('.') && name.len() <= 128 && !name.chars().any(char::is_whitespace)
}

/// The record's event name: the first namespaced one of the LogRecord's
/// `event_name`, the `event.name` attribute and a string body (Claude Code
/// puts `user_prompt` in the attribute and `claude_code.user_prompt` in the
/// body; Codex puts `codex.…` in the attribute), else the first one given.
fn event_name(rec: &LogRecord, attributes: &Map<String, Value>) -> String {
    let body = match rec.body.as_ref().and_then(|b| b.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => s.as_str(),
        _ => "",
    };
    let attr = attributes
        .get("event.name")
        .and_then(Value::as_str)
        .unwrap_or("");
    let candidates = [rec.event_name.as_str(), attr, body];
    let chosen = candidates
        .iter()
        .find(|c| qualified(c))
        .or_else(|| candidates.iter().find(|c| !c.trim().is_empty()))
        .copied()
        .unwrap_or("log");
    cut(chosen.lines().next().unwrap_or("log"), 200)
}

fn record_time(rec: &LogRecord) -> String {
    let nanos = if rec.time_unix_nano != 0 {
        rec.time_unix_nano
    } else {
        rec.observed_time_unix_nano
    };
    if nanos == 0 {
        return crate::time::now_rfc3339();
    }
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos as i128)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(crate::time::now_rfc3339)
}

/// Cut `s` to at most `max` characters, saying so.
fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…[cut {} bytes]", &s[..i], s.len() - i),
        None => s.to_string(),
    }
}

fn any_json(v: &AnyValue) -> Value {
    match &v.value {
        None => Value::Null,
        Some(any_value::Value::StringValue(s)) => Value::String(cut(s, MAX_ATTRIBUTE_CHARS)),
        Some(any_value::Value::BoolValue(b)) => Value::Bool(*b),
        Some(any_value::Value::IntValue(i)) => Value::from(*i),
        Some(any_value::Value::DoubleValue(d)) => {
            serde_json::Number::from_f64(*d).map_or(Value::Null, Value::Number)
        }
        Some(any_value::Value::ArrayValue(a)) => {
            Value::Array(a.values.iter().take(256).map(any_json).collect())
        }
        Some(any_value::Value::KvlistValue(kv)) => Value::Object(attributes_json(&kv.values)),
        Some(any_value::Value::BytesValue(b)) => Value::String(format!("<{} bytes>", b.len())),
        #[allow(unreachable_patterns)]
        Some(_) => Value::Null,
    }
}

fn attributes_json(kvs: &[KeyValue]) -> Map<String, Value> {
    kvs.iter()
        .take(256)
        .map(|kv| {
            (
                cut(&kv.key, 200),
                kv.value.as_ref().map_or(Value::Null, any_json),
            )
        })
        .collect()
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The one-line reason of a record: the event name, then what matters of it.
fn summary(event: &str, attrs: &Map<String, Value>) -> String {
    let get = |k: &str| attrs.get(k).and_then(text);
    let mut parts: Vec<String> = Vec::new();
    if let Some(t) = get("tool_name") {
        parts.push(t);
    }
    if let Some(d) = get("decision") {
        parts.push(d);
    }
    if let Some(s) = get("source") {
        parts.push(format!("({s})"));
    }
    for (key, label) in [
        ("success", "success"),
        ("model", "model"),
        ("status_code", "status"),
        ("http.response.status_code", "status"),
        ("error", "error"),
        ("error.message", "error"),
        ("duration_ms", "ms"),
        ("prompt_length", "prompt_length"),
        ("input_tokens", "in"),
        ("output_tokens", "out"),
        ("input_token_count", "in"),
        ("output_token_count", "out"),
        ("cost_usd", "usd"),
    ] {
        if let Some(v) = get(key) {
            let item = format!("{label}={v}");
            if !parts.contains(&item) {
                parts.push(item);
            }
        }
    }
    let line = if parts.is_empty() {
        event.to_string()
    } else {
        format!("{event}: {}", parts.join(" "))
    };
    let line: String = line
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    crate::redact::redact(&cut(&line, 240))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_name_the_task_and_the_signal() {
        assert_eq!(route("/tasks/ab12/v1/logs"), Some(("ab12", "logs")));
        assert_eq!(route("/tasks/ab12/v1/metrics"), Some(("ab12", "metrics")));
        assert_eq!(route("/tasks/ab12/v1/traces"), Some(("ab12", "traces")));
        assert_eq!(route("/tasks/ab12/v1/other"), None);
        assert_eq!(route("/tasks//v1/logs"), None);
        assert_eq!(route("/tasks/a b/v1/logs"), None);
        assert_eq!(route("/v1/logs"), None);
    }

    #[test]
    fn the_namespaced_name_wins() {
        let mut rec = LogRecord {
            body: Some(AnyValue {
                value: Some(any_value::Value::StringValue(
                    "claude_code.tool_decision".into(),
                )),
            }),
            ..Default::default()
        };
        let mut attrs = Map::new();
        attrs.insert("event.name".into(), json!("tool_decision"));
        assert_eq!(event_name(&rec, &attrs), "claude_code.tool_decision");
        rec.body = None;
        attrs.insert("event.name".into(), json!("codex.tool_result"));
        assert_eq!(event_name(&rec, &attrs), "codex.tool_result");
        attrs.clear();
        assert_eq!(event_name(&rec, &attrs), "log");
    }

    #[test]
    fn reasons_are_one_readable_line() {
        let attrs: Map<String, Value> = serde_json::from_value(json!({
            "tool_name": "Bash", "decision": "accept", "source": "config",
            "session.id": "x"
        }))
        .unwrap();
        assert_eq!(
            summary("claude_code.tool_decision", &attrs),
            "claude_code.tool_decision: Bash accept (config)"
        );
        assert_eq!(summary("codex.x", &Map::new()), "codex.x");
    }

    #[test]
    fn the_port_is_the_variable_or_the_default_and_nonsense_is_refused() {
        assert_eq!(parse_port(None).unwrap(), DEFAULT_PORT);
        assert_eq!(parse_port(Some(" ")).unwrap(), DEFAULT_PORT);
        assert_eq!(parse_port(Some("45001")).unwrap(), 45001);
        for bad in ["0", "70000", "http://x", "-1"] {
            let e = parse_port(Some(bad)).unwrap_err().to_string();
            assert!(e.contains(PORT_ENV), "{e}");
        }
    }
}
