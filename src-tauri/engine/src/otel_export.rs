//! OpenTelemetry out: the audit log, exported as OTLP logs over HTTP (JSON or
//! protobuf) to a collector, one audit event per `LogRecord`.
//!
//! - The data model is `opentelemetry-proto`'s (the OpenTelemetry project's
//!   own generated types); protobuf is encoded with prost and JSON with the
//!   crate's `with-serde` mapping (lowerCamelCase, hex ids, int64 as strings).
//! - Event names and attributes are documented in `docs/otel.md`; where an
//!   agent emits the same kind of event (`claude_code.tool_decision`,
//!   `codex.tool_result`, …) Paddock's carries the same attribute names.
//! - Every string taken from an event's reason, payload or an agent's
//!   telemetry passes through [`crate::redact`] before it leaves: the values
//!   the secrets store holds, and anything that looks like a credential.
//! - A cursor per collector (and per task filter) says how far the export
//!   got. It moves only after the collector answered 2xx, so a collector that
//!   is down, slow or failing loses nothing: the next export resumes there.
//!   Delivery is at least once (a 2xx lost on the way back means the batch is
//!   sent again); `paddock.event.hash` identifies a record for deduplication.
//!
//! The HTTP client is hyper's (already here for the proxy) over tokio, and
//! speaks plain `http://` only. A collector is normally a local agent or
//! sidecar; one reached over TLS is refused with a clear error rather than
//! pulling a TLS client stack into the binary every hook starts.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::header::{CONTENT_TYPE, HOST, RETRY_AFTER, USER_AGENT};
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{
    any_value, AnyValue, ArrayValue, InstrumentationScope, KeyValue, KeyValueList,
};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs, SeverityNumber};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message as _;
use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use serde_json::Value;

use crate::audit::{self, AuditError, Event, EventId};
use crate::redact::{redact, redact_known};
use crate::store::{Store, StoreError};

/// Records per request. Collectors commonly accept a few MiB per request;
/// 512 audit events stay well under that even with tool output in them.
pub const DEFAULT_BATCH: usize = 512;
/// How long one request (connect, send, answer) may take.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The instrumentation scope every record is under.
pub const SCOPE_NAME: &str = "paddock.audit";
/// Kind of the events the OTLP receiver writes for an agent's own telemetry.
pub const AGENT_TELEMETRY_KIND: &str = "agent.telemetry";
/// The most of a collector's answer that is read.
const MAX_RESPONSE_BYTES: usize = 1 << 20;

/// The wire encoding of an OTLP/HTTP request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// `application/json`, the OTLP/JSON mapping.
    Json,
    /// `application/x-protobuf`, OTLP's default.
    Protobuf,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Json => "json",
            Protocol::Protobuf => "protobuf",
        }
    }

    /// `json`, `protobuf` (also spelled as OTLP's `http/json`, `http/protobuf`).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "json" | "http/json" => Some(Protocol::Json),
            "protobuf" | "proto" | "binary" | "http/protobuf" => Some(Protocol::Protobuf),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Protocol::Json => "application/json",
            Protocol::Protobuf => "application/x-protobuf",
        }
    }
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where the records go: an OTLP/HTTP logs URL and its encoding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Collector {
    /// The logs URL, `http://host:port/…/v1/logs`; the cursor's key.
    pub url: String,
    pub protocol: Protocol,
    #[serde(skip)]
    host: String,
    #[serde(skip)]
    port: u16,
    #[serde(skip)]
    authority: String,
    #[serde(skip)]
    path: String,
}

impl Collector {
    /// A collector at `endpoint`: a base URL (`http://127.0.0.1:4318`, to
    /// which `/v1/logs` is added, as OTEL_EXPORTER_OTLP_ENDPOINT) or the full
    /// logs URL (ending in `/v1/logs`, used as given).
    pub fn new(endpoint: &str, protocol: Protocol) -> Result<Self, ExportError> {
        let bad = |why: &str| ExportError::BadEndpoint {
            endpoint: endpoint.to_owned(),
            why: why.to_owned(),
        };
        let uri: hyper::Uri = endpoint
            .trim()
            .parse()
            .map_err(|_| bad("not a URL (expected http://host:port)"))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some("https") => {
                return Err(bad(
                    "https collectors are not supported; export to a local collector over http:// (it can forward over TLS)",
                ))
            }
            Some(other) => return Err(bad(&format!("unsupported scheme {other}:// (use http://)"))),
            None => return Err(bad("no scheme (use http://host:port)")),
        }
        let authority = uri.authority().ok_or_else(|| bad("no host"))?;
        if authority.as_str().contains('@') {
            return Err(bad("credentials in the URL are not supported"));
        }
        if uri.query().is_some() {
            return Err(bad("a query string is not supported"));
        }
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        if host.is_empty() {
            return Err(bad("no host"));
        }
        let port = authority.port_u16().unwrap_or(80);
        let base = uri.path().trim_end_matches('/');
        let path = if base.ends_with("/v1/logs") {
            base.to_owned()
        } else {
            format!("{base}/v1/logs")
        };
        let authority = authority.as_str().to_owned();
        Ok(Self {
            url: format!("http://{authority}{path}"),
            protocol,
            host,
            port,
            authority,
            path,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error("bad collector endpoint {endpoint:?}: {why}")]
    BadEndpoint { endpoint: String, why: String },
    #[error(
        "no collector configured: run `paddock otel configure --endpoint URL` or pass --endpoint"
    )]
    NotConfigured,
    #[error(
        "another `paddock otel export` is exporting right now ({0}); try again when it is done"
    )]
    Busy(String),
    #[error("cannot encode the records: {0}")]
    Encode(String),
    #[error("retryable: cannot reach the collector at {url}: {detail}")]
    Unreachable { url: String, detail: String },
    #[error("retryable: the collector at {url} did not answer within {secs} s")]
    TimedOut { url: String, secs: u64 },
    #[error("{}: the collector at {url} answered HTTP {status}{}", if is_retryable_status(*.status) { "retryable" } else { "permanent (the collector refuses this request; retrying the same records cannot help)" }, if .body.is_empty() { String::new() } else { format!(": {}", .body) })]
    Status {
        url: String,
        status: u16,
        body: String,
        /// Seconds the collector asked us to wait (`Retry-After`).
        retry_after: Option<u64>,
    },
}

/// OTLP/HTTP names 429, 502, 503 and 504 retryable. Paddock also retries
/// every other 5xx and 408: a server-side failure says nothing against the
/// records, and dropping audit events is worse than sending them again.
fn is_retryable_status(status: u16) -> bool {
    status == 408 || status == 429 || (500..600).contains(&status)
}

impl ExportError {
    /// Whether the same export may succeed later without anything changing here.
    pub fn is_retryable(&self) -> bool {
        match self {
            ExportError::Unreachable { .. } | ExportError::TimedOut { .. } => true,
            ExportError::Busy(_) => true,
            ExportError::Status { status, .. } => is_retryable_status(*status),
            ExportError::Store(StoreError::Busy { .. }) => true,
            _ => false,
        }
    }

    /// The wait the collector asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ExportError::Status {
                retry_after: Some(s),
                ..
            } => Some(Duration::from_secs(*s)),
            _ => None,
        }
    }
}

fn sql(doing: &'static str) -> impl FnOnce(rusqlite::Error) -> ExportError {
    move |e| ExportError::Store(StoreError::sql(doing, e))
}

// ---------------------------------------------------------------------------
// Settings and cursors

/// Store `collector` as the one `paddock otel export` uses without flags.
pub fn configure(store: &Store, collector: &Collector) -> Result<(), ExportError> {
    store
        .conn()
        .execute(
            "INSERT INTO otel_export_settings (one, endpoint, protocol, updated_at)
             VALUES (1, ?1, ?2, ?3)
             ON CONFLICT (one) DO UPDATE SET endpoint = ?1, protocol = ?2, updated_at = ?3",
            params![
                collector.url,
                collector.protocol.as_str(),
                crate::time::now_rfc3339()
            ],
        )
        .map_err(sql("storing the collector"))?;
    Ok(())
}

/// The configured collector, if any.
pub fn configured(store: &Store) -> Result<Option<Collector>, ExportError> {
    let row: Option<(String, String)> = store
        .conn()
        .query_row(
            "SELECT endpoint, protocol FROM otel_export_settings WHERE one = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(sql("reading the configured collector"))?;
    match row {
        None => Ok(None),
        Some((endpoint, protocol)) => {
            let protocol = Protocol::parse(&protocol).ok_or_else(|| ExportError::BadEndpoint {
                endpoint: endpoint.clone(),
                why: format!("stored protocol {protocol:?} is unknown"),
            })?;
            Collector::new(&endpoint, protocol).map(Some)
        }
    }
}

/// The cursor's scope for an optional task filter: each filter has its own
/// cursor, so exporting one task never skips another task's events.
fn scope_of(task: Option<&str>) -> String {
    task.map(|t| format!("task:{t}")).unwrap_or_default()
}

/// One cursor, as `paddock otel status` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct CursorStatus {
    pub endpoint: String,
    /// The task the cursor is for; None for the whole log.
    pub task: Option<String>,
    /// The last event the collector accepted (0: none yet).
    pub last_event_id: EventId,
    /// Events after the cursor, not exported yet.
    pub lag: i64,
    pub exported: i64,
    pub rejected: i64,
    pub last_attempt_at: Option<String>,
    pub last_success_at: Option<String>,
    pub last_error: Option<String>,
}

/// Every cursor, with how many events wait behind it.
pub fn status(store: &Store) -> Result<Vec<CursorStatus>, ExportError> {
    let mut st = store
        .conn()
        .prepare(
            "SELECT endpoint, scope, last_event_id, exported, rejected, last_attempt_at,
                    last_success_at, last_error
             FROM otel_export_cursors ORDER BY endpoint, scope",
        )
        .map_err(sql("reading the export cursors"))?;
    let rows = st
        .query_map([], |r| {
            let scope: String = r.get(1)?;
            Ok(CursorStatus {
                endpoint: r.get(0)?,
                task: scope.strip_prefix("task:").map(str::to_owned),
                last_event_id: r.get(2)?,
                lag: 0,
                exported: r.get(3)?,
                rejected: r.get(4)?,
                last_attempt_at: r.get(5)?,
                last_success_at: r.get(6)?,
                last_error: r.get(7)?,
            })
        })
        .map_err(sql("reading the export cursors"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(sql("reading the export cursors"))?;
    rows.into_iter()
        .map(|mut c| {
            c.lag = audit::count_after(store, c.last_event_id, c.task.as_deref())?;
            Ok(c)
        })
        .collect()
}

fn cursor(store: &Store, endpoint: &str, scope: &str) -> Result<EventId, ExportError> {
    store
        .conn()
        .execute(
            "INSERT INTO otel_export_cursors (endpoint, scope) VALUES (?1, ?2)
             ON CONFLICT DO NOTHING",
            params![endpoint, scope],
        )
        .map_err(sql("creating an export cursor"))?;
    store
        .conn()
        .query_row(
            "SELECT last_event_id FROM otel_export_cursors WHERE endpoint = ?1 AND scope = ?2",
            params![endpoint, scope],
            |r| r.get(0),
        )
        .map_err(sql("reading an export cursor"))
}

// ---------------------------------------------------------------------------
// Export

/// What one export pass sends.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// Only this task's events (with a cursor of its own).
    pub task: Option<String>,
    pub batch_size: usize,
    pub timeout: Duration,
}

impl Default for ExportOptions {
    fn default() -> Self {
        Self {
            task: None,
            batch_size: DEFAULT_BATCH,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// What an export pass did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ExportReport {
    /// Records the collector accepted (sent minus rejected).
    pub exported: u64,
    /// Records the collector reported as rejected (partial success).
    pub rejected: i64,
    /// The collector's messages about rejected records.
    pub rejections: Vec<String>,
    pub batches: u64,
    /// The cursor after this pass.
    pub last_event_id: EventId,
}

/// An export pass that stopped on an error: what got through before it, and why.
#[derive(Debug, thiserror::Error)]
#[error("{error} ({} record(s) exported before this; the cursor stays after event {})", .report.exported, .report.last_event_id)]
pub struct ExportFailed {
    pub report: ExportReport,
    pub error: ExportError,
}

impl From<ExportError> for Box<ExportFailed> {
    fn from(error: ExportError) -> Self {
        Box::new(ExportFailed {
            report: ExportReport::default(),
            error,
        })
    }
}

/// Export every event after the cursor of (`collector`, `opts.task`), in id
/// order and batches, moving the cursor after each batch the collector
/// accepted. Stops at the first failure, leaving the cursor after the last
/// accepted batch.
pub fn export_pending(
    store: &Store,
    collector: &Collector,
    opts: &ExportOptions,
) -> Result<ExportReport, Box<ExportFailed>> {
    // One exporter per database at a time, so two never send the same batch.
    let _lock = ExportLock::take(store)?;
    crate::secrets::held::ensure_loaded(store);
    let scope = scope_of(opts.task.as_deref());
    let mut report = ExportReport {
        last_event_id: cursor(store, &collector.url, &scope)?,
        ..Default::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| ExportError::Unreachable {
            url: collector.url.clone(),
            detail: format!("cannot start the I/O runtime: {e}"),
        })?;
    let fail = |report: &ExportReport, error: ExportError| {
        Box::new(ExportFailed {
            report: report.clone(),
            error,
        })
    };
    loop {
        let events = audit::list_after(
            store,
            report.last_event_id,
            opts.task.as_deref(),
            opts.batch_size.max(1),
        )
        .map_err(|e| fail(&report, e.into()))?;
        let Some(last) = events.last().map(|e| e.id) else {
            return Ok(report);
        };
        let body =
            encode(&request_for(&events), collector.protocol).map_err(|e| fail(&report, e))?;
        let sent = runtime.block_on(post(collector, body, opts.timeout));
        let now = crate::time::now_rfc3339();
        match sent.and_then(|answer| partial_success(collector, &answer)) {
            Ok(rejected) => {
                let (count, message) = rejected.unwrap_or((0, String::new()));
                let accepted = (events.len() as i64 - count).max(0);
                store
                    .conn()
                    .execute(
                        "UPDATE otel_export_cursors
                         SET last_event_id = ?3, exported = exported + ?4, rejected = rejected + ?5,
                             last_attempt_at = ?6, last_success_at = ?6, last_error = NULL
                         WHERE endpoint = ?1 AND scope = ?2",
                        params![collector.url, scope, last, accepted, count, now],
                    )
                    .map_err(|e| fail(&report, sql("moving an export cursor")(e)))?;
                report.last_event_id = last;
                report.exported += accepted as u64;
                report.rejected += count;
                report.batches += 1;
                if count > 0 || !message.is_empty() {
                    report.rejections.push(if message.is_empty() {
                        format!("{count} record(s) rejected")
                    } else {
                        format!("{count} record(s) rejected: {message}")
                    });
                }
            }
            Err(error) => {
                // Note the failure; the cursor stays where it was.
                let _ = store.conn().execute(
                    "UPDATE otel_export_cursors SET last_attempt_at = ?3, last_error = ?4
                     WHERE endpoint = ?1 AND scope = ?2",
                    params![collector.url, scope, now, error.to_string()],
                );
                return Err(fail(&report, error));
            }
        }
    }
}

/// An exclusive lock on `<database dir>/otel-export.lock`, released on drop.
struct ExportLock(std::fs::File);

impl ExportLock {
    fn take(store: &Store) -> Result<Self, ExportError> {
        let path = store.path().with_file_name("otel-export.lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| ExportError::Busy(format!("cannot open {}: {e}", path.display())))?;
        match file.try_lock() {
            Ok(()) => Ok(Self(file)),
            Err(std::fs::TryLockError::WouldBlock) => {
                Err(ExportError::Busy(format!("{} is held", path.display())))
            }
            Err(std::fs::TryLockError::Error(e)) => Err(ExportError::Busy(format!(
                "cannot lock {}: {e}",
                path.display()
            ))),
        }
    }
}

impl Drop for ExportLock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

/// One batch of events as an OTLP request: one resource (Paddock), one scope.
pub fn request_for(events: &[Event]) -> ExportLogsServiceRequest {
    let resource = Resource {
        attributes: vec![
            kv("service.name", string("paddock")),
            kv("service.version", string(crate::VERSION)),
        ],
        ..Default::default()
    };
    let observed = now_unix_nanos();
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: Some(resource),
            scope_logs: vec![ScopeLogs {
                scope: Some(InstrumentationScope {
                    name: SCOPE_NAME.into(),
                    version: crate::VERSION.into(),
                    ..Default::default()
                }),
                log_records: events
                    .iter()
                    .map(|e| {
                        let mut r = log_record(e);
                        r.observed_time_unix_nano = observed;
                        r
                    })
                    .collect(),
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    }
}

/// The request's bytes in `protocol`'s encoding.
pub fn encode(req: &ExportLogsServiceRequest, protocol: Protocol) -> Result<Vec<u8>, ExportError> {
    match protocol {
        Protocol::Protobuf => Ok(req.encode_to_vec()),
        Protocol::Json => serde_json::to_vec(req).map_err(|e| ExportError::Encode(e.to_string())),
    }
}

fn now_unix_nanos() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

fn unix_nanos(rfc3339: &str) -> u64 {
    time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .ok()
        .and_then(|t| u64::try_from(t.unix_timestamp_nanos()).ok())
        // 0 is OTLP's "time unknown".
        .unwrap_or(0)
}

struct Answer {
    status: u16,
    body: Bytes,
}

async fn post(
    collector: &Collector,
    body: Vec<u8>,
    timeout: Duration,
) -> Result<Answer, ExportError> {
    let timed_out = || ExportError::TimedOut {
        url: collector.url.clone(),
        secs: timeout.as_secs().max(1),
    };
    tokio::time::timeout(timeout, post_inner(collector, body))
        .await
        .map_err(|_| timed_out())?
}

async fn post_inner(collector: &Collector, body: Vec<u8>) -> Result<Answer, ExportError> {
    let unreachable = |detail: String| ExportError::Unreachable {
        url: collector.url.clone(),
        detail,
    };
    let stream = tokio::net::TcpStream::connect((collector.host.as_str(), collector.port))
        .await
        .map_err(|e| unreachable(e.to_string()))?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(|e| unreachable(format!("HTTP handshake failed: {e}")))?;
    let connection = tokio::spawn(async move {
        let _ = conn.await;
    });
    let request = hyper::Request::post(collector.path.as_str())
        .header(HOST, collector.authority.as_str())
        .header(CONTENT_TYPE, collector.protocol.content_type())
        .header(USER_AGENT, format!("paddock/{}", crate::VERSION))
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| ExportError::Encode(format!("cannot build the request: {e}")))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| unreachable(format!("the request failed: {e}")))?;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    // An unreadable answer body still carries its status; read what there is.
    let body = Limited::new(response.into_body(), MAX_RESPONSE_BYTES)
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    connection.abort();
    if (200..300).contains(&status) {
        Ok(Answer { status, body })
    } else {
        let text = String::from_utf8_lossy(&body);
        let text: String = text.trim().chars().take(300).collect();
        Err(ExportError::Status {
            url: collector.url.clone(),
            status,
            body: text,
            retry_after,
        })
    }
}

/// The collector's partial-success report: (rejected records, its message).
fn partial_success(
    collector: &Collector,
    answer: &Answer,
) -> Result<Option<(i64, String)>, ExportError> {
    debug_assert!((200..300).contains(&answer.status));
    if answer.body.is_empty() {
        return Ok(None);
    }
    match collector.protocol {
        Protocol::Protobuf => Ok(ExportLogsServiceResponse::decode(answer.body.as_ref())
            .ok()
            .and_then(|r| r.partial_success)
            .map(|p| (p.rejected_log_records, p.error_message))),
        Protocol::Json => {
            // Read by hand: OTLP/JSON writes int64 as a string, and
            // collectors differ in whether they follow that.
            let Ok(v) = serde_json::from_slice::<Value>(&answer.body) else {
                return Ok(None);
            };
            let Some(p) = v.get("partialSuccess").or_else(|| v.get("partial_success")) else {
                return Ok(None);
            };
            let rejected = p
                .get("rejectedLogRecords")
                .or_else(|| p.get("rejected_log_records"))
                .and_then(|n| n.as_i64().or_else(|| n.as_str()?.parse().ok()))
                .unwrap_or(0);
            let message = p
                .get("errorMessage")
                .or_else(|| p.get("error_message"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            Ok(Some((rejected, message)))
        }
    }
}

// ---------------------------------------------------------------------------
// Mapping: one audit event → one LogRecord

fn string(s: impl Into<String>) -> AnyValue {
    AnyValue {
        value: Some(any_value::Value::StringValue(s.into())),
    }
}

fn int(i: i64) -> AnyValue {
    AnyValue {
        value: Some(any_value::Value::IntValue(i)),
    }
}

fn boolean(b: bool) -> AnyValue {
    AnyValue {
        value: Some(any_value::Value::BoolValue(b)),
    }
}

fn kv(key: impl Into<String>, value: AnyValue) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(value),
        ..Default::default()
    }
}

/// Content from an event or an agent: redacted before it leaves.
fn text(s: &str) -> AnyValue {
    string(redact(s))
}

/// Paddock's own identifiers (ids, hashes, kinds): no pattern redaction (a
/// chain hash looks like a token), but never a held value.
fn ident(s: &str) -> AnyValue {
    string(redact_known(s).into_owned())
}

/// A JSON value as an OTLP value, every string redacted; None for null.
fn any_from_json(v: &Value) -> Option<AnyValue> {
    Some(match v {
        Value::Null => return None,
        Value::Bool(b) => boolean(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => int(i),
            None => AnyValue {
                value: Some(any_value::Value::DoubleValue(
                    n.as_f64().unwrap_or(f64::NAN),
                )),
            },
        },
        Value::String(s) => text(s),
        Value::Array(a) => AnyValue {
            value: Some(any_value::Value::ArrayValue(ArrayValue {
                values: a.iter().filter_map(any_from_json).collect(),
            })),
        },
        Value::Object(o) => {
            if let Some(otlp) = any_from_otlp_json(o) {
                return Some(otlp);
            }
            AnyValue {
                value: Some(any_value::Value::KvlistValue(KeyValueList {
                    values: o
                        .iter()
                        .filter_map(|(k, v)| {
                            Some(kv(redact_known(k).into_owned(), any_from_json(v)?))
                        })
                        .collect(),
                })),
            }
        }
    })
}

/// An OTLP/JSON AnyValue (`{"stringValue": …}`, `{"intValue": "3"}`, …), as a
/// receiver may have stored it; None when `o` is not one.
fn any_from_otlp_json(o: &serde_json::Map<String, Value>) -> Option<AnyValue> {
    if o.len() != 1 {
        return None;
    }
    let (k, v) = o.iter().next()?;
    Some(match (k.as_str(), v) {
        ("stringValue", Value::String(s)) => text(s),
        ("boolValue", Value::Bool(b)) => boolean(*b),
        ("intValue", v) => int(v.as_i64().or_else(|| v.as_str()?.parse().ok())?),
        ("doubleValue", v) => AnyValue {
            value: Some(any_value::Value::DoubleValue(
                v.as_f64().or_else(|| v.as_str()?.parse().ok())?,
            )),
        },
        ("arrayValue", Value::Object(a)) => AnyValue {
            value: Some(any_value::Value::ArrayValue(ArrayValue {
                values: a
                    .get("values")
                    .and_then(Value::as_array)
                    .map(|vs| vs.iter().filter_map(any_from_json).collect())
                    .unwrap_or_default(),
            })),
        },
        ("kvlistValue", Value::Object(l)) => AnyValue {
            value: Some(any_value::Value::KvlistValue(KeyValueList {
                values: l
                    .get("values")
                    .map(attributes_from_json)
                    .unwrap_or_default(),
            })),
        },
        _ => return None,
    })
}

/// Attributes as a receiver stored them: a JSON object (`{"tool_name": "Bash"}`)
/// or OTLP/JSON's list (`[{"key": "tool_name", "value": {"stringValue": "Bash"}}]`).
fn attributes_from_json(v: &Value) -> Vec<KeyValue> {
    match v {
        Value::Object(o) => o
            .iter()
            .filter_map(|(k, v)| Some(kv(redact_known(k).into_owned(), any_from_json(v)?)))
            .collect(),
        Value::Array(list) => list
            .iter()
            .filter_map(|item| {
                let key = item.get("key")?.as_str()?;
                let value = any_from_json(item.get("value")?)?;
                Some(kv(redact_known(key).into_owned(), value))
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// `allow` / `deny` / `ask` (a policy verdict) as the agents' decision words.
fn decision_word(verdict: &str) -> &'static str {
    match verdict {
        "allow" | "allowed" | "accept" => "accept",
        "ask" => "ask",
        _ => "reject",
    }
}

/// What the event is called in OTLP (see docs/otel.md for the table).
pub fn event_name(kind: &str, payload: &Value) -> String {
    match kind {
        "task.created" | "agent.prompt" | "review.changes_requested" => {
            "paddock.user_prompt".into()
        }
        "agent.action" => "paddock.tool_decision".into(),
        "agent.result" => "paddock.tool_result".into(),
        "network.allow" | "network.deny" | "network.ask" => "paddock.network_decision".into(),
        k if k.starts_with("approval.") => "paddock.approval".into(),
        AGENT_TELEMETRY_KIND => match payload.get("event").and_then(Value::as_str) {
            Some(name) if !name.trim().is_empty() => redact_known(name.trim()).into_owned(),
            _ => "paddock.agent.telemetry".into(),
        },
        other => format!("paddock.{other}"),
    }
}

/// The OTLP record for one audit event.
pub fn log_record(e: &Event) -> LogRecord {
    // The payload is stored as JSON text; an unreadable one is carried as text.
    let payload: Value = serde_json::from_str(&e.payload).unwrap_or(Value::Null);
    let name = event_name(&e.kind, &payload);
    let mut attrs = vec![
        kv("event.name", ident(&name)),
        kv("paddock.event.id", int(e.id)),
        kv("paddock.event.hash", ident(&e.hash)),
        kv("paddock.event.prev_hash", ident(&e.prev_hash)),
        kv("paddock.kind", ident(&e.kind)),
        kv("paddock.actor", ident(&e.actor)),
    ];
    if let Some(task) = &e.task {
        attrs.push(kv("paddock.task.id", ident(task)));
    }
    if let Some(agent) = e.actor.strip_prefix("agent:") {
        attrs.push(kv("paddock.agent", ident(agent)));
    }
    let str_at = |key: &str| payload.get(key).and_then(Value::as_str);
    let mut severity = SeverityNumber::Info;
    let mut time = unix_nanos(&e.at);
    let mut body = e.reason.clone();
    let session = str_at("session_id");
    match e.kind.as_str() {
        "task.created" | "agent.prompt" | "review.changes_requested" => {
            let (prompt, source) = match e.kind.as_str() {
                "task.created" => (str_at("goal"), "goal"),
                "agent.prompt" => (str_at("prompt"), "agent"),
                _ => (str_at("instruction"), "review"),
            };
            let prompt = prompt.unwrap_or("");
            attrs.push(kv("prompt", text(prompt)));
            attrs.push(kv("prompt_length", int(prompt.chars().count() as i64)));
            attrs.push(kv("paddock.prompt.source", string(source)));
        }
        "agent.action" => {
            let verdict = str_at("verdict").unwrap_or("deny");
            let decision = decision_word(verdict);
            let rule = str_at("rule").unwrap_or("");
            let approval = payload.get("approval").filter(|a| a.is_object());
            let outcome = approval
                .and_then(|a| a.get("outcome"))
                .and_then(Value::as_str);
            let source = if outcome == Some("remembered") || rule.starts_with("remembered:") {
                "rule"
            } else if outcome == Some("decided") {
                "user"
            } else {
                "policy"
            };
            if decision != "accept" {
                severity = SeverityNumber::Warn;
            }
            attrs.push(kv("tool_name", text(str_at("tool").unwrap_or(""))));
            attrs.push(kv("decision", string(decision)));
            attrs.push(kv("source", string(source)));
            attrs.push(kv("rule", text(rule)));
            attrs.push(kv("reason", text(&e.reason)));
            if let Some(id) = str_at("tool_use_id") {
                attrs.push(kv("tool_use_id", text(id)));
            }
            if let Some(ev) = str_at("event") {
                attrs.push(kv("paddock.hook.event", text(ev)));
            }
            if let Some(a) = approval {
                if let Some(id) = a.get("id").and_then(Value::as_i64) {
                    attrs.push(kv("paddock.approval.id", int(id)));
                }
                if let Some(by) = a.get("by").and_then(Value::as_str) {
                    attrs.push(kv("paddock.approval.by", text(by)));
                }
            }
            if let Some(c) = payload.pointer("/action/command").and_then(Value::as_str) {
                attrs.push(kv("paddock.command", text(c)));
            }
            if let Some(ms) = payload.get("decided_in_ms").and_then(Value::as_i64) {
                attrs.push(kv("paddock.decided_in_ms", int(ms)));
            }
        }
        "agent.result" => {
            attrs.push(kv("tool_name", text(str_at("tool").unwrap_or(""))));
            let exit = payload.get("exit_code").and_then(Value::as_i64);
            let interrupted = payload.get("interrupted").and_then(Value::as_bool) == Some(true);
            // PostToolUseFailure: a failed call, with or without an exit code.
            let failed = payload.get("failed").and_then(Value::as_bool) == Some(true);
            let success = match exit {
                Some(code) => Some(code == 0 && !interrupted && !failed),
                None if interrupted || failed => Some(false),
                None => None,
            };
            if let Some(ok) = success {
                attrs.push(kv("success", boolean(ok)));
                if !ok {
                    severity = SeverityNumber::Warn;
                }
            }
            if let Some(code) = exit {
                attrs.push(kv("exit_code", int(code)));
            }
            if let Some(ms) = payload.get("duration_ms").and_then(Value::as_i64) {
                attrs.push(kv("duration_ms", int(ms)));
            }
            if let Some(id) = str_at("tool_use_id") {
                attrs.push(kv("tool_use_id", text(id)));
            }
        }
        "network.allow" | "network.deny" | "network.ask" => {
            let decision = match e.kind.as_str() {
                "network.allow" => "accept",
                "network.ask" => "ask",
                _ => "reject",
            };
            if decision != "accept" {
                severity = SeverityNumber::Warn;
            }
            attrs.push(kv("host", text(str_at("host").unwrap_or(""))));
            if let Some(port) = payload.get("port").and_then(Value::as_i64) {
                attrs.push(kv("port", int(port)));
            }
            attrs.push(kv("decision", string(decision)));
            attrs.push(kv("rule", text(str_at("rule").unwrap_or(""))));
            attrs.push(kv("reason", text(&e.reason)));
            for (from, to) in [("method", "http.request.method"), ("url", "url.full")] {
                if let Some(v) = str_at(from) {
                    attrs.push(kv(to, text(v)));
                }
            }
        }
        k if k.starts_with("approval.") => {
            let stage = k.trim_start_matches("approval.");
            attrs.push(kv("paddock.approval.stage", text(stage)));
            if let Some(id) = payload.get("approval_id").and_then(Value::as_i64) {
                attrs.push(kv("paddock.approval.id", int(id)));
            }
            let decision = match stage {
                "requested" => Some("ask"),
                "expired" => Some("reject"),
                _ => str_at("verdict").map(decision_word),
            };
            if let Some(d) = decision {
                attrs.push(kv("decision", string(d)));
            }
            if let Some(by) = str_at("by") {
                attrs.push(kv("paddock.approval.by", text(by)));
            }
            let rule = str_at("rule").or_else(|| str_at("policy_rule"));
            if let Some(rule) = rule {
                attrs.push(kv("rule", text(rule)));
            }
            if let Some(s) = payload.get("timeout_secs").and_then(Value::as_i64) {
                attrs.push(kv("paddock.approval.timeout_secs", int(s)));
            }
            if let Some(c) = payload.pointer("/action/command").and_then(Value::as_str) {
                attrs.push(kv("paddock.command", text(c)));
            }
            if stage == "expired" {
                severity = SeverityNumber::Warn;
            }
        }
        AGENT_TELEMETRY_KIND => {
            if let Some(agent) = str_at("agent") {
                attrs.push(kv("paddock.agent", text(agent)));
            }
            if let Some(a) = payload.get("attributes") {
                let keep: Vec<KeyValue> = attributes_from_json(a)
                    .into_iter()
                    // Paddock's own keys are set above; an agent cannot override them.
                    .filter(|kv| kv.key != "event.name" && !kv.key.starts_with("paddock."))
                    .collect();
                attrs.extend(keep);
            }
            // The agent's own time: RFC 3339 (`time`, as the receiver stores it)
            // or OTLP's nanoseconds (`time_unix_nano`).
            let agent_time = match payload.get("time").and_then(Value::as_str) {
                Some(t) => Some(unix_nanos(t)).filter(|n| *n > 0),
                None => payload
                    .get("time_unix_nano")
                    .and_then(|t| t.as_u64().or_else(|| t.as_str()?.parse().ok())),
            };
            if let Some(t) = agent_time {
                time = t;
            }
            if let Some(b) = str_at("body") {
                body = b.to_owned();
            }
        }
        k if k.ends_with(".refused") || k.ends_with("_failed") || k == "sandbox.unconfined" => {
            severity = SeverityNumber::Warn;
        }
        _ => {}
    }
    if let Some(s) = session {
        if e.kind != AGENT_TELEMETRY_KIND {
            attrs.push(kv("session.id", text(s)));
        }
    }
    if e.kind != AGENT_TELEMETRY_KIND && !matches!(payload, Value::Object(ref o) if o.is_empty()) {
        // The whole payload, for what the named attributes leave out.
        let redacted = crate::redact::redact_json(&payload);
        attrs.push(kv(
            "paddock.payload",
            string(serde_json::to_string(&redacted).unwrap_or_default()),
        ));
    }
    LogRecord {
        time_unix_nano: time,
        observed_time_unix_nano: 0,
        severity_number: severity as i32,
        severity_text: match severity {
            SeverityNumber::Warn => "WARN",
            _ => "INFO",
        }
        .into(),
        body: Some(text(&body)),
        attributes: attrs,
        event_name: name,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, reason: &str, payload: Value) -> Event {
        Event {
            id: 7,
            task: Some("t-1".into()),
            kind: kind.into(),
            payload: payload.to_string(),
            reason: reason.into(),
            actor: "agent:claude".into(),
            at: "2026-12-04T10:00:00.123Z".into(),
            prev_hash: "0".repeat(64),
            hash: "ab".repeat(32),
        }
    }

    fn attr<'a>(r: &'a LogRecord, key: &str) -> Option<&'a any_value::Value> {
        r.attributes
            .iter()
            .find(|kv| kv.key == key)
            .and_then(|kv| kv.value.as_ref())
            .and_then(|v| v.value.as_ref())
    }

    fn s(v: Option<&any_value::Value>) -> &str {
        match v {
            Some(any_value::Value::StringValue(s)) => s,
            other => panic!("not a string: {other:?}"),
        }
    }

    #[test]
    fn endpoints_get_the_logs_path_once_and_only_http_is_accepted() {
        let c = Collector::new("http://127.0.0.1:4318", Protocol::Json).unwrap();
        assert_eq!(c.url, "http://127.0.0.1:4318/v1/logs");
        let c = Collector::new("http://localhost:4318/otlp/", Protocol::Json).unwrap();
        assert_eq!(c.url, "http://localhost:4318/otlp/v1/logs");
        let c = Collector::new("http://[::1]:9/v1/logs", Protocol::Protobuf).unwrap();
        assert_eq!((c.host.as_str(), c.port), ("::1", 9));
        assert_eq!(c.url, "http://[::1]:9/v1/logs");
        for bad in [
            "https://x:1",
            "127.0.0.1:4318",
            "ftp://x",
            "http://u:p@x:1",
            "x y",
        ] {
            assert!(Collector::new(bad, Protocol::Json).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_hook_decision_maps_to_a_tool_decision_with_the_agents_attribute_names() {
        let e = event(
            "agent.action",
            "pushing needs approval",
            serde_json::json!({"tool": "Bash", "verdict": "deny", "rule": "git-push",
                "approval": {"id": 3, "by": "user", "outcome": "decided"},
                "action": {"kind": "shell", "command": "git push"}, "session_id": "s-1"}),
        );
        let r = log_record(&e);
        assert_eq!(r.event_name, "paddock.tool_decision");
        assert_eq!(s(attr(&r, "event.name")), "paddock.tool_decision");
        assert_eq!(s(attr(&r, "tool_name")), "Bash");
        assert_eq!(s(attr(&r, "decision")), "reject");
        assert_eq!(s(attr(&r, "source")), "user");
        assert_eq!(s(attr(&r, "rule")), "git-push");
        assert_eq!(s(attr(&r, "paddock.event.hash")), "ab".repeat(32));
        assert_eq!(
            attr(&r, "paddock.event.id"),
            Some(&any_value::Value::IntValue(7))
        );
        assert_eq!(r.severity_number, SeverityNumber::Warn as i32);
        assert_eq!(r.time_unix_nano, 1_796_378_400_123_000_000);
    }

    #[test]
    fn a_failed_tool_call_is_an_unsuccessful_tool_result_with_or_without_an_exit_code() {
        for (payload, code) in [
            (
                serde_json::json!({"tool": "Bash", "exit_code": 1, "failed": true}),
                Some(1),
            ),
            (
                serde_json::json!({"tool": "Read", "exit_code": null, "failed": true}),
                None,
            ),
            (
                serde_json::json!({"tool": "Bash", "exit_code": 0, "interrupted": true}),
                Some(0),
            ),
        ] {
            let r = log_record(&event("agent.result", "failed", payload));
            assert_eq!(r.event_name, "paddock.tool_result");
            assert_eq!(
                attr(&r, "success"),
                Some(&any_value::Value::BoolValue(false))
            );
            assert_eq!(
                attr(&r, "exit_code").cloned(),
                code.map(any_value::Value::IntValue)
            );
            assert_eq!(r.severity_number, SeverityNumber::Warn as i32);
        }
        let ok = log_record(&event(
            "agent.result",
            "ok",
            serde_json::json!({"tool": "Bash", "exit_code": 0, "duration_ms": 5}),
        ));
        assert_eq!(
            attr(&ok, "success"),
            Some(&any_value::Value::BoolValue(true))
        );
        assert_eq!(
            attr(&ok, "duration_ms"),
            Some(&any_value::Value::IntValue(5))
        );
    }

    #[test]
    fn agent_telemetry_keeps_its_own_name_and_attributes() {
        let e = event(
            AGENT_TELEMETRY_KIND,
            "codex.tool_result",
            serde_json::json!({"agent": "codex", "event": "codex.tool_result",
                "time": "2026-12-04T18:35:14.56Z",
                "attributes": [{"key": "tool_name", "value": {"stringValue": "shell"}},
                               {"key": "duration_ms", "value": {"intValue": "12"}},
                               {"key": "paddock.kind", "value": {"stringValue": "forged"}}]}),
        );
        let r = log_record(&e);
        assert_eq!(r.event_name, "codex.tool_result");
        assert_eq!(s(attr(&r, "tool_name")), "shell");
        assert_eq!(
            attr(&r, "duration_ms"),
            Some(&any_value::Value::IntValue(12))
        );
        assert_eq!(s(attr(&r, "paddock.kind")), AGENT_TELEMETRY_KIND);
        assert_eq!(
            r.time_unix_nano, 1_796_409_314_560_000_000,
            "the agent's time"
        );
    }

    #[test]
    fn credentials_in_content_are_redacted_but_the_chain_hash_is_kept() {
        let token = "ghp_0123456789abcdefghijABCDEFGHIJ012345";
        let e = event(
            "agent.prompt",
            &format!("prompt with {token}"),
            serde_json::json!({"prompt": format!("use TOKEN={token}")}),
        );
        let r = log_record(&e);
        let bytes = encode(&request_for(&[e]), Protocol::Json).unwrap();
        let json = String::from_utf8(bytes).unwrap();
        assert!(!json.contains(token), "{json}");
        assert!(json.contains(&"ab".repeat(32)));
        assert!(s(attr(&r, "prompt")).contains(crate::redact::REDACTED));
    }

    #[test]
    fn json_follows_the_otlp_json_mapping() {
        let e = event("task.created", "goal: x", serde_json::json!({"goal": "x"}));
        let json: Value =
            serde_json::from_slice(&encode(&request_for(&[e]), Protocol::Json).unwrap()).unwrap();
        let rec = &json["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0];
        assert_eq!(rec["timeUnixNano"], "1796378400123000000");
        assert_eq!(rec["severityNumber"], 9);
        assert_eq!(rec["eventName"], "paddock.user_prompt");
        let id = rec["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["key"] == "paddock.event.id")
            .unwrap();
        assert_eq!(id["value"]["intValue"], "7");
    }

    fn store_with_events(n: usize) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("paddock.db")).unwrap();
        for i in 0..n {
            audit::record(
                &mut store,
                audit::NewEvent::new("test.event", audit::Actor::Paddock, format!("event {i}")),
            )
            .unwrap();
        }
        (dir, store)
    }

    #[test]
    fn a_collector_that_accepts_but_never_answers_times_out_and_the_cursor_stays() {
        let (_dir, store) = store_with_events(3);
        // Accepts connections (the kernel's backlog) and never reads or answers.
        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", silent.local_addr().unwrap());
        let collector = Collector::new(&url, Protocol::Protobuf).unwrap();
        let opts = ExportOptions {
            timeout: Duration::from_millis(300),
            ..Default::default()
        };
        let failed = export_pending(&store, &collector, &opts).unwrap_err();
        assert!(
            matches!(failed.error, ExportError::TimedOut { .. }),
            "{failed}"
        );
        assert!(failed.error.is_retryable());
        let st = status(&store).unwrap();
        assert_eq!(st[0].last_event_id, 0);
        assert_eq!(st[0].lag, 3);
        assert!(st[0]
            .last_error
            .as_deref()
            .unwrap()
            .contains("did not answer"));
    }

    #[test]
    fn only_one_export_runs_at_a_time() {
        let (_dir, store) = store_with_events(1);
        let held = ExportLock::take(&store).unwrap();
        let collector = Collector::new("http://127.0.0.1:9", Protocol::Json).unwrap();
        let failed = export_pending(&store, &collector, &ExportOptions::default()).unwrap_err();
        assert!(matches!(failed.error, ExportError::Busy(_)), "{failed}");
        drop(held);
        // Released: the next export gets as far as the (absent) collector.
        let failed = export_pending(&store, &collector, &ExportOptions::default()).unwrap_err();
        assert!(
            matches!(failed.error, ExportError::Unreachable { .. }),
            "{failed}"
        );
    }

    #[test]
    fn a_task_filter_has_its_own_cursor_and_skips_no_other_task() {
        let (_dir, mut store) = store_with_events(0);
        for task in ["a", "b", "a"] {
            audit::record(
                &mut store,
                audit::NewEvent::new("test.event", audit::Actor::Paddock, "x").task(task),
            )
            .unwrap();
        }
        let url = "http://127.0.0.1:9/v1/logs";
        for (scope, last) in [(scope_of(Some("a")), 3), (scope_of(None), 0)] {
            cursor(&store, url, &scope).unwrap();
            store
                .conn()
                .execute(
                    "UPDATE otel_export_cursors SET last_event_id = ?3 WHERE endpoint = ?1 AND scope = ?2",
                    params![url, scope, last],
                )
                .unwrap();
        }
        let st = status(&store).unwrap();
        let all = st.iter().find(|c| c.task.is_none()).unwrap();
        let a = st.iter().find(|c| c.task.as_deref() == Some("a")).unwrap();
        assert_eq!((all.lag, a.lag), (3, 0));
    }

    #[test]
    fn status_codes_are_sorted_into_retryable_and_permanent() {
        let err = |status| ExportError::Status {
            url: "u".into(),
            status,
            body: String::new(),
            retry_after: None,
        };
        for st in [408, 429, 500, 502, 503, 504] {
            assert!(err(st).is_retryable(), "{st}");
            assert!(err(st).to_string().starts_with("retryable"));
        }
        for st in [400, 401, 403, 404, 413] {
            assert!(!err(st).is_retryable(), "{st}");
            assert!(err(st).to_string().starts_with("permanent"));
        }
    }
}
