//! The hook socket: how an agent confined by `paddock run` gets its hook
//! events answered without any write access to Paddock's database.
//!
//! Inside the sandbox `$PADDOCK_HOME` is read-only, so `paddock hook` cannot
//! record an event or wait for an approval there — and making the database
//! writable would let the agent write its own approvals. Instead the run
//! process (outside the sandbox) listens on a unix socket bound into the
//! sandbox and named by [`SOCKET_ENV`]; `paddock hook` inside forwards the
//! event to it ([`forward`]) and relays the answer.
//!
//! One connection carries one hook event: a JSON header line
//! ([`HookRequest`]), then exactly `input_len` bytes (the hook's stdin). The
//! answer is one JSON line ([`HookAnswer`]'s fields). The server answers with
//! [`hook::run`] for the run's own task only: a request naming another task is
//! refused. Every failure on either side is an exit-2 answer (fail closed).

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::agents::AgentKind;
use crate::hook::{self, HookAnswer, HookOptions, EXIT_BLOCK};

/// Set inside the sandbox: the socket `paddock hook` forwards to.
pub const SOCKET_ENV: &str = "PADDOCK_HOOK_SOCKET";

/// How much longer than the approval timeout the client waits for an answer
/// (the database busy timeout plus slack). Less than the margin agents give
/// the hook ([`crate::agents::hook_timeout_secs`]), so the hook answers 2
/// before an agent would kill it.
pub const ANSWER_MARGIN: Duration = Duration::from_secs(30);

/// Hook events served at once; more are refused (exit 2).
const MAX_CONCURRENT: usize = 64;
/// The longest header line accepted.
const MAX_HEADER: u64 = 64 * 1024;
/// How long the server waits for a client to send its request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The header of one forwarded hook event.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct HookRequest {
    /// `--task` as the hook got it.
    pub task: Option<String>,
    /// `--agent` as the hook got it.
    pub agent: Option<String>,
    /// How long an ask waits for a person, in seconds.
    pub timeout_secs: u64,
    /// The number of stdin bytes that follow the header.
    pub input_len: usize,
}

#[derive(Serialize, Deserialize)]
struct WireAnswer {
    exit_code: u8,
    stdout: String,
    stderr: String,
}

/// What the server answers for: the run's task and its Paddock home.
#[derive(Debug, Clone)]
pub struct HookServerConfig {
    pub task: String,
    pub home: PathBuf,
}

/// A running hook socket server (stops on [`HookServer::stop`]).
pub struct HookServer {
    path: PathBuf,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl HookServer {
    /// Listen on `path` (created with mode 0600) and serve until stopped.
    pub fn start(path: &Path, config: HookServerConfig) -> std::io::Result<Self> {
        let _ = std::fs::remove_file(path);
        let listener = UnixListener::bind(path)?;
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let config = Arc::new(config);
        let busy = Arc::new(AtomicUsize::new(0));
        let thread = std::thread::Builder::new()
            .name("paddock-hook-socket".into())
            .spawn(move || {
                for conn in listener.incoming() {
                    if flag.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    if busy.fetch_add(1, Ordering::SeqCst) >= MAX_CONCURRENT {
                        busy.fetch_sub(1, Ordering::SeqCst);
                        let _ = reply(
                            &conn,
                            &HookAnswer::block("too many hook events at once; blocked"),
                        );
                        continue;
                    }
                    let config = config.clone();
                    let busy = busy.clone();
                    // If no thread can be started, the connection is dropped
                    // with the closure: the client sees a closed socket and blocks.
                    let _ = std::thread::Builder::new()
                        .name("paddock-hook-event".into())
                        .spawn(move || {
                            serve_one(conn, &config);
                            busy.fetch_sub(1, Ordering::SeqCst);
                        });
                }
            })?;
        Ok(Self {
            path: path.to_path_buf(),
            stop,
            thread: Some(thread),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stop accepting; events in flight finish on their own threads.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = UnixStream::connect(&self.path);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Drop for HookServer {
    fn drop(&mut self) {
        if self.thread.is_some() {
            self.shutdown();
        }
    }
}

fn reply(mut conn: &UnixStream, answer: &HookAnswer) -> std::io::Result<()> {
    let wire = WireAnswer {
        exit_code: if answer.exit_code == 0 { 0 } else { EXIT_BLOCK },
        stdout: answer.stdout.clone(),
        stderr: answer.stderr.clone(),
    };
    let mut line = serde_json::to_vec(&wire).map_err(std::io::Error::other)?;
    line.push(b'\n');
    conn.write_all(&line)?;
    conn.flush()
}

fn read_request(conn: &UnixStream) -> Result<(HookRequest, Vec<u8>), String> {
    conn.set_read_timeout(Some(REQUEST_TIMEOUT))
        .map_err(|e| format!("cannot set a read timeout: {e}"))?;
    let mut reader = BufReader::new(conn);
    let mut header = Vec::new();
    reader
        .by_ref()
        .take(MAX_HEADER)
        .read_until(b'\n', &mut header)
        .map_err(|e| format!("cannot read the forwarded hook request: {e}"))?;
    if header.last() != Some(&b'\n') {
        return Err("the forwarded hook request has no complete header".into());
    }
    let req: HookRequest = serde_json::from_slice(&header)
        .map_err(|e| format!("malformed forwarded hook request ({e})"))?;
    if req.input_len > hook::MAX_INPUT {
        return Err("the hook event is larger than 32 MiB".into());
    }
    let mut input = vec![0u8; req.input_len];
    reader
        .read_exact(&mut input)
        .map_err(|e| format!("cannot read the forwarded hook event: {e}"))?;
    Ok((req, input))
}

/// The answer for one forwarded request (the server's side, without I/O).
pub fn answer(req: &HookRequest, input: &[u8], config: &HookServerConfig) -> HookAnswer {
    if let Some(t) = req.task.as_deref() {
        if t != config.task {
            return HookAnswer::block(format!(
                "this sandbox serves hooks for task {} only, not {t:?}; blocked",
                config.task
            ));
        }
    }
    let agent = match req.agent.as_deref() {
        None => None,
        Some(a) => match AgentKind::parse(a) {
            Some(k) => Some(k),
            None => {
                return HookAnswer::block(format!(
                    "unknown --agent {a:?} (claude or codex); blocked"
                ))
            }
        },
    };
    let opts = HookOptions {
        task: Some(config.task.clone()),
        agent,
        approval_timeout: Duration::from_secs(req.timeout_secs),
        home: Some(config.home.clone()),
    };
    hook::run(input, &opts)
}

fn serve_one(conn: UnixStream, config: &HookServerConfig) {
    let answer = match std::panic::catch_unwind(|| match read_request(&conn) {
        Ok((req, input)) => answer(&req, &input, config),
        Err(e) => HookAnswer::block(format!("{e}; blocked")),
    }) {
        Ok(a) => a,
        Err(_) => HookAnswer::block("internal error while answering the hook; blocked"),
    };
    let _ = reply(&conn, &answer);
}

/// The client's side: send one event to `socket` and wait for the answer at
/// most `approval timeout + ANSWER_MARGIN`. Any failure is an `Err` with the
/// reason (the caller blocks with it).
pub fn forward(socket: &Path, req: &HookRequest, input: &[u8]) -> Result<HookAnswer, String> {
    let wait = Duration::from_secs(req.timeout_secs).saturating_add(ANSWER_MARGIN);
    forward_within(socket, req, input, wait)
}

/// [`forward`] with an explicit limit on the wait for the answer.
pub fn forward_within(
    socket: &Path,
    req: &HookRequest,
    input: &[u8],
    wait: Duration,
) -> Result<HookAnswer, String> {
    let mut conn = UnixStream::connect(socket).map_err(|e| {
        format!(
            "cannot reach Paddock's hook socket {}: {e}",
            socket.display()
        )
    })?;
    conn.set_read_timeout(Some(wait))
        .and_then(|_| conn.set_write_timeout(Some(REQUEST_TIMEOUT)))
        .map_err(|e| format!("cannot set the hook socket's timeouts: {e}"))?;
    let mut header = serde_json::to_vec(req).map_err(|e| e.to_string())?;
    header.push(b'\n');
    conn.write_all(&header)
        .and_then(|_| conn.write_all(input))
        .and_then(|_| conn.flush())
        .map_err(|e| format!("cannot send the hook event to Paddock's hook socket: {e}"))?;
    let mut line = Vec::new();
    BufReader::new(&conn)
        .take(2 * hook::MAX_INPUT as u64)
        .read_until(b'\n', &mut line)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => format!(
                "no answer from Paddock's hook socket within {} s",
                wait.as_secs()
            ),
            _ => format!("cannot read the answer from Paddock's hook socket: {e}"),
        })?;
    if line.last() != Some(&b'\n') {
        return Err("Paddock's hook socket closed without a complete answer".into());
    }
    let wire: WireAnswer = serde_json::from_slice(&line)
        .map_err(|e| format!("malformed answer from Paddock's hook socket ({e})"))?;
    if wire.exit_code != 0 && wire.exit_code != EXIT_BLOCK {
        return Err(format!(
            "Paddock's hook socket answered exit code {} (only 0 or 2 are valid)",
            wire.exit_code
        ));
    }
    Ok(HookAnswer {
        exit_code: wire.exit_code,
        stdout: wire.stdout,
        stderr: wire.stderr,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> HookServerConfig {
        HookServerConfig {
            task: "t1".into(),
            home: PathBuf::from("/nonexistent/paddock-home"),
        }
    }

    fn req(task: Option<&str>, len: usize) -> HookRequest {
        HookRequest {
            task: task.map(str::to_string),
            agent: Some("claude".into()),
            timeout_secs: 1,
            input_len: len,
        }
    }

    #[test]
    fn a_request_for_another_task_is_refused() {
        let a = answer(&req(Some("other"), 2), b"{}", &config());
        assert_eq!(a.exit_code, EXIT_BLOCK);
        assert!(a.stderr.contains("serves hooks for task t1 only"), "{a:?}");
    }

    #[test]
    fn a_round_trip_over_the_socket_fails_closed_on_a_missing_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hook.sock");
        let server = HookServer::start(&path, config()).unwrap();
        let input = br#"{"hook_event_name":"PreToolUse","cwd":"/","tool_name":"Bash","tool_input":{"command":"ls"}}"#;
        let a = forward(&path, &req(Some("t1"), input.len()), input).unwrap();
        assert_eq!(a.exit_code, EXIT_BLOCK);
        let bad = forward(&path, &req(None, 4), b"{no ").unwrap();
        assert_eq!(bad.exit_code, EXIT_BLOCK);
        server.stop();
        assert!(forward(&path, &req(None, 2), b"{}").is_err());
    }

    #[test]
    fn a_server_that_never_answers_times_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mute.sock");
        let _l = UnixListener::bind(&path).unwrap();
        // Accepted by the kernel's backlog, never answered.
        let start = std::time::Instant::now();
        let e = forward_within(&path, &req(None, 2), b"{}", Duration::from_secs(1)).unwrap_err();
        assert!(e.contains("no answer"), "{e}");
        assert!(start.elapsed() >= Duration::from_secs(1));
    }

    #[test]
    fn a_malformed_or_out_of_range_answer_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        for (name, reply) in [
            ("garbage.sock", &b"not json\n"[..]),
            (
                "one.sock",
                &b"{\"exit_code\":1,\"stdout\":\"\",\"stderr\":\"\"}\n"[..],
            ),
            ("cut.sock", &b"{\"exit_code\":0"[..]),
        ] {
            let path = dir.path().join(name);
            let l = UnixListener::bind(&path).unwrap();
            let t = std::thread::spawn(move || {
                let (mut c, _) = l.accept().unwrap();
                let mut r = BufReader::new(&c);
                let mut header = Vec::new();
                r.read_until(b'\n', &mut header).unwrap();
                let mut body = [0u8; 2];
                r.read_exact(&mut body).unwrap();
                c.write_all(reply).unwrap();
            });
            let e = forward(&path, &req(None, 2), b"{}").unwrap_err();
            assert!(
                e.contains("malformed") || e.contains("only 0 or 2") || e.contains("complete"),
                "{name}: {e}"
            );
            t.join().unwrap();
        }
    }
}
