//! `paddock otel`: OpenTelemetry. `export` sends the audit log to an OTLP/HTTP
//! collector as log records (once, or `--follow`), `configure` stores the
//! collector, `status` shows how far each export got. The mapping, the
//! redaction and the cursor live in the engine (`otel_export`); see
//! src-tauri/engine/docs/otel.md. `serve` is the other direction: the
//! agents' own telemetry in (see `otel_serve_cmd`).

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use paddock_engine::otel_export::{self, Collector, ExportOptions, ExportReport, Protocol};
use paddock_engine::Store;

#[derive(Subcommand)]
pub enum OtelCommand {
    /// Send the audit events not exported yet to an OTLP/HTTP collector as log
    /// records; prints how many. The cursor moves only when the collector accepts.
    Export(ExportArgs),
    /// Store the collector `paddock otel export` uses when given no --endpoint.
    Configure(ConfigureArgs),
    /// The configured collector, and each export's cursor, lag and last error.
    Status {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Receive the agents' OTLP/HTTP telemetry on 127.0.0.1 (foreground) and
    /// add it to their tasks' timelines.
    Serve(crate::otel_serve_cmd::ServeArgs),
}

#[derive(Args)]
pub struct ExportArgs {
    /// The collector: a base URL (http://127.0.0.1:4318, `/v1/logs` is added)
    /// or the full logs URL. Default: the configured one.
    #[arg(long)]
    endpoint: Option<String>,
    /// The wire encoding: json or protobuf. Default: the configured one, else protobuf.
    #[arg(long, value_parser = parse_protocol)]
    protocol: Option<Protocol>,
    /// Only this task's events (with a cursor of their own).
    #[arg(long)]
    task: Option<String>,
    /// Keep exporting new events as they are written; while the collector is
    /// down, retry with backoff. Stops on a permanent error (a 4xx).
    #[arg(long)]
    follow: bool,
    /// With --follow: how often to look for new events.
    #[arg(long, default_value_t = 2, value_name = "N", requires = "follow")]
    interval_secs: u64,
    /// Records per request.
    #[arg(long, default_value_t = otel_export::DEFAULT_BATCH, value_name = "N")]
    batch_size: usize,
    /// How long one request may take.
    #[arg(long, default_value_t = otel_export::DEFAULT_TIMEOUT.as_secs(), value_name = "N")]
    timeout_secs: u64,
}

#[derive(Args)]
pub struct ConfigureArgs {
    /// The collector: a base URL (http://127.0.0.1:4318) or the full logs URL.
    #[arg(long)]
    endpoint: String,
    /// The wire encoding: json or protobuf.
    #[arg(long, value_parser = parse_protocol, default_value = "protobuf")]
    protocol: Protocol,
}

fn parse_protocol(s: &str) -> Result<Protocol, String> {
    Protocol::parse(s).ok_or_else(|| format!("unknown protocol {s:?} (use json or protobuf)"))
}

pub fn run(command: OtelCommand) -> anyhow::Result<ExitCode> {
    match command {
        OtelCommand::Export(args) => export(&crate::open_store()?, args),
        OtelCommand::Configure(args) => {
            let store = crate::open_store()?;
            let collector = Collector::new(&args.endpoint, args.protocol)?;
            otel_export::configure(&store, &collector).context("storing the collector")?;
            println!(
                "configured: paddock otel export sends to {} ({})",
                collector.url, collector.protocol
            );
            Ok(ExitCode::SUCCESS)
        }
        OtelCommand::Status { json } => status(&crate::open_store()?, json),
        OtelCommand::Serve(args) => crate::otel_serve_cmd::run(args),
    }
}

/// The collector from the flags, falling back to the configured one.
fn collector(store: &Store, args: &ExportArgs) -> anyhow::Result<Collector> {
    let configured = otel_export::configured(store).context("reading the configured collector")?;
    Ok(match (&args.endpoint, configured) {
        (Some(endpoint), configured) => {
            let protocol = args.protocol.unwrap_or_else(|| {
                // The configured encoding, when the flag names the same collector.
                configured
                    .filter(|c| {
                        Collector::new(endpoint, c.protocol).is_ok_and(|given| given.url == c.url)
                    })
                    .map(|c| c.protocol)
                    .unwrap_or(Protocol::Protobuf)
            });
            Collector::new(endpoint, protocol)?
        }
        (None, Some(c)) => match args.protocol {
            Some(p) => Collector::new(&c.url, p)?,
            None => c,
        },
        (None, None) => return Err(otel_export::ExportError::NotConfigured.into()),
    })
}

fn export(store: &Store, args: ExportArgs) -> anyhow::Result<ExitCode> {
    let collector = collector(store, &args)?;
    if let Some(t) = &args.task {
        paddock_engine::task::get(store, t)?;
    }
    let opts = ExportOptions {
        task: args.task.clone(),
        batch_size: args.batch_size.max(1),
        timeout: Duration::from_secs(args.timeout_secs.max(1)),
    };
    if !args.follow {
        let report = otel_export::export_pending(store, &collector, &opts)?;
        print_report(&collector, &report, true);
        return Ok(ExitCode::SUCCESS);
    }
    let interval = Duration::from_secs(args.interval_secs.max(1));
    const MAX_BACKOFF: Duration = Duration::from_secs(60);
    let mut backoff = interval;
    let mut last_error = String::new();
    println!(
        "following the audit log: exporting to {} ({}) every {} s; stop with Ctrl-C",
        collector.url,
        collector.protocol,
        interval.as_secs()
    );
    loop {
        match otel_export::export_pending(store, &collector, &opts) {
            Ok(report) => {
                if report.batches > 0 {
                    print_report(&collector, &report, false);
                }
                if !last_error.is_empty() {
                    eprintln!("paddock: the collector at {} answers again", collector.url);
                    last_error.clear();
                }
                backoff = interval;
                std::thread::sleep(interval);
            }
            Err(failed) => {
                if failed.report.batches > 0 {
                    print_report(&collector, &failed.report, false);
                }
                if !failed.error.is_retryable() {
                    return Err(failed.into());
                }
                let message = failed.error.to_string();
                let wait = failed
                    .error
                    .retry_after()
                    .map_or(backoff, |w| w.max(backoff))
                    .min(MAX_BACKOFF);
                if message != last_error {
                    eprintln!(
                        "paddock: {message}; retrying with backoff (next in {} s), nothing is lost",
                        wait.as_secs()
                    );
                    last_error = message;
                }
                std::thread::sleep(wait);
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

fn print_report(collector: &Collector, r: &ExportReport, always: bool) {
    if r.batches == 0 && always {
        println!(
            "exported 0 records to {}: nothing new since event {}",
            collector.url, r.last_event_id
        );
        return;
    }
    println!(
        "exported {} record(s) to {} ({}) in {} request(s); cursor at event {}",
        r.exported, collector.url, collector.protocol, r.batches, r.last_event_id
    );
    for message in &r.rejections {
        eprintln!("paddock: warning: the collector accepted the request but {message}");
    }
}

fn status(store: &Store, json: bool) -> anyhow::Result<ExitCode> {
    let configured = otel_export::configured(store).context("reading the configured collector")?;
    let cursors = otel_export::status(store).context("reading the export cursors")?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "configured": configured,
                "cursors": cursors,
            }))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    match &configured {
        Some(c) => println!("collector: {} ({})", c.url, c.protocol),
        None => println!("collector: none configured (paddock otel configure --endpoint URL)"),
    }
    if cursors.is_empty() {
        println!("no export yet");
    }
    for c in &cursors {
        let scope = c
            .task
            .as_deref()
            .map(|t| format!("task {t}"))
            .unwrap_or_else(|| "all events".into());
        println!(
            "{} [{scope}]: cursor at event {}, {} behind, {} exported, {} rejected",
            c.endpoint, c.last_event_id, c.lag, c.exported, c.rejected
        );
        println!(
            "    last attempt: {}   last success: {}",
            c.last_attempt_at.as_deref().unwrap_or("never"),
            c.last_success_at.as_deref().unwrap_or("never")
        );
        if let Some(e) = &c.last_error {
            println!("    last error: {e}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
