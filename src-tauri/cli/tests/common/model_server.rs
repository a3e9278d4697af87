//! A scripted model server on 127.0.0.1 for the real agents: the Anthropic
//! Messages API (Claude Code) and the OpenAI Responses API (Codex), both
//! streamed as SSE. Each turn of the main conversation asks for the next
//! shell command of the script; when the script is done it answers with text.
//! Every request body is kept, so a test can read what the model was told
//! (the tool results carrying Paddock's reasons).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Api {
    Anthropic,
    OpenAiResponses,
}

pub struct ModelServer {
    pub port: u16,
    pub requests: Arc<Mutex<Vec<Value>>>,
}

pub const FINAL_TEXT: &str = "All scripted steps are done.";

/// One scripted tool call: the tool's name and its input.
#[derive(Clone, Debug)]
pub struct Step {
    pub tool: String,
    pub input: Value,
}

impl Step {
    /// A shell command (Claude Code's `Bash`, Codex's `exec_command`).
    pub fn bash(command: impl Into<String>) -> Self {
        Self {
            tool: "Bash".into(),
            input: json!({"command": command.into(), "description": "scripted step"}),
        }
    }

    /// Any other tool (`Read`, `Edit`, `Write`, …) with its input.
    pub fn tool(tool: impl Into<String>, input: Value) -> Self {
        Self {
            tool: tool.into(),
            input,
        }
    }
}

/// The steps, then the text the model ends its turn with.
struct Script {
    steps: Vec<Step>,
    final_text: String,
}

impl ModelServer {
    pub fn start(api: Api, script: Vec<String>) -> Self {
        Self::start_steps(
            api,
            script.into_iter().map(Step::bash).collect(),
            FINAL_TEXT,
        )
    }

    /// Ask for `steps` in order, one per turn, then end the turn with `final_text`.
    pub fn start_steps(api: Api, steps: Vec<Step>, final_text: &str) -> Self {
        let script = Script {
            steps,
            final_text: final_text.to_owned(),
        };
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let reqs = requests.clone();
        let script = Arc::new(script);
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let reqs = reqs.clone();
                let script = script.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, api, &script, &reqs);
                });
            }
        });
        Self { port, requests }
    }

    pub fn bodies(&self) -> Vec<Value> {
        self.requests.lock().unwrap().clone()
    }

    /// Everything the agent sent, as one string (to look for a reason).
    pub fn all_text(&self) -> String {
        self.bodies()
            .iter()
            .map(|b| b.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn serve(
    stream: TcpStream,
    api: Api,
    script: &Script,
    reqs: &Mutex<Vec<Value>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let request_line = line.trim().to_string();
        if request_line.is_empty() {
            continue;
        }
        let mut len = 0usize;
        let mut chunked = false;
        loop {
            let mut h = String::new();
            reader.read_line(&mut h)?;
            let h = h.trim();
            if h.is_empty() {
                break;
            }
            let lower = h.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                len = v.trim().parse().unwrap_or(0);
            }
            if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
                chunked = true;
            }
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                let mut size = String::new();
                reader.read_line(&mut size)?;
                let n = usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16)
                    .unwrap_or(0);
                let mut chunk = vec![0; n + 2];
                reader.read_exact(&mut chunk)?;
                if n == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..n]);
            }
        } else {
            body.resize(len, 0);
            reader.read_exact(&mut body)?;
        }
        let path = request_line
            .split_whitespace()
            .nth(1)
            .unwrap_or("/")
            .to_string();
        let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        if !parsed.is_null() {
            reqs.lock()
                .unwrap()
                .push(json!({"path": path, "body": parsed}));
        }
        if !request_line.starts_with("POST") {
            write!(out, "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")?;
            continue;
        }
        if path.contains("count_tokens") {
            let b = r#"{"input_tokens": 10}"#;
            write!(out, "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{b}", b.len())?;
            continue;
        }
        let events = match api {
            Api::Anthropic => anthropic_reply(&parsed, script),
            Api::OpenAiResponses => responses_reply(&parsed, script),
        };
        let streamed = parsed
            .get("stream")
            .and_then(Value::as_bool)
            .unwrap_or(false)
            || api == Api::OpenAiResponses;
        if streamed {
            write!(out, "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\nconnection: close\r\n\r\n")?;
            for (name, data) in events.0 {
                write!(out, "event: {name}\ndata: {data}\n\n")?;
            }
            out.flush()?;
            return Ok(());
        }
        let b = events.1.to_string();
        write!(
            out,
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{b}",
            b.len()
        )?;
    }
}

type Reply = (Vec<(&'static str, Value)>, Value);

/// How many tool calls this conversation has made so far.
fn anthropic_turn(body: &Value) -> usize {
    body["messages"]
        .as_array()
        .map(|ms| {
            ms.iter()
                .filter(|m| m["role"] == "assistant")
                .flat_map(|m| m["content"].as_array().cloned().unwrap_or_default())
                .filter(|c| c["type"] == "tool_use")
                .count()
        })
        .unwrap_or(0)
}

fn anthropic_reply(body: &Value, script: &Script) -> Reply {
    let has_bash = body["tools"]
        .as_array()
        .is_some_and(|ts| ts.iter().any(|t| t["name"] == "Bash"));
    let turn = anthropic_turn(body);
    let model = body["model"].as_str().unwrap_or("claude-test").to_string();
    let start = json!({"type": "message_start", "message": {"id": format!("msg_{turn}"), "type": "message", "role": "assistant", "model": model, "content": [], "stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": 10, "output_tokens": 1}}});
    if has_bash && turn < script.steps.len() {
        let step = &script.steps[turn];
        let input = step.input.clone();
        let id = format!("toolu_{turn:02}");
        let events = vec![
            ("message_start", start),
            (
                "content_block_start",
                json!({"type": "content_block_start", "index": 0, "content_block": {"type": "tool_use", "id": id, "name": step.tool, "input": {}}}),
            ),
            (
                "content_block_delta",
                json!({"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": input.to_string()}}),
            ),
            (
                "content_block_stop",
                json!({"type": "content_block_stop", "index": 0}),
            ),
            (
                "message_delta",
                json!({"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": null}, "usage": {"output_tokens": 5}}),
            ),
            ("message_stop", json!({"type": "message_stop"})),
        ];
        let whole = json!({"id": format!("msg_{turn}"), "type": "message", "role": "assistant", "model": model, "content": [{"type": "tool_use", "id": id, "name": step.tool, "input": input}], "stop_reason": "tool_use", "stop_sequence": null, "usage": {"input_tokens": 10, "output_tokens": 5}});
        return (events, whole);
    }
    let text = if has_bash {
        script.final_text.as_str()
    } else {
        "ok"
    };
    let events = vec![
        ("message_start", start),
        (
            "content_block_start",
            json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        ),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text}}),
        ),
        (
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 0}),
        ),
        (
            "message_delta",
            json!({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null}, "usage": {"output_tokens": 5}}),
        ),
        ("message_stop", json!({"type": "message_stop"})),
    ];
    let whole = json!({"id": "msg_text", "type": "message", "role": "assistant", "model": model, "content": [{"type": "text", "text": text}], "stop_reason": "end_turn", "stop_sequence": null, "usage": {"input_tokens": 10, "output_tokens": 5}});
    (events, whole)
}

fn responses_reply(body: &Value, script: &Script) -> Reply {
    let turn = body["input"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter(|i| i["type"] == "function_call")
                .count()
        })
        .unwrap_or(0);
    let has_exec = body["tools"].as_array().is_some_and(|ts| {
        ts.iter()
            .any(|t| t["name"] == "exec_command" || t["name"] == "shell")
    });
    let rid = format!("resp_{turn}");
    let created = json!({"type": "response.created", "response": {"id": rid}});
    let completed = json!({"type": "response.completed", "response": {"id": rid, "usage": {"input_tokens": 10, "input_tokens_details": null, "output_tokens": 5, "output_tokens_details": null, "total_tokens": 15}}});
    let item = if has_exec && turn < script.steps.len() {
        let cmd = script.steps[turn].input["command"].clone();
        json!({"type": "function_call", "id": format!("fc_{turn}"), "call_id": format!("call_{turn:02}"), "name": "exec_command", "arguments": json!({"cmd": cmd}).to_string()})
    } else {
        json!({"type": "message", "role": "assistant", "id": format!("msg_{turn}"), "content": [{"type": "output_text", "text": script.final_text, "annotations": []}]})
    };
    let events = vec![
        ("response.created", created),
        (
            "response.output_item.done",
            json!({"type": "response.output_item.done", "output_index": 0, "item": item}),
        ),
        ("response.completed", completed),
    ];
    (events, Value::Null)
}
