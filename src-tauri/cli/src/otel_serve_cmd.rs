//! `paddock otel serve`: the OpenTelemetry receiver in the foreground, for
//! headless use (no app, no `paddock run` holding the port). It serves every
//! task of this Paddock home until it is stopped.

use std::process::ExitCode;

use anyhow::Context;
use paddock_engine::otel_receiver::{self, OtelListen, OtelReceiver, OtelSettings};
use paddock_engine::PaddockHome;

#[derive(clap::Args)]
pub struct ServeArgs {
    /// The loopback port (default: $PADDOCK_OTEL_PORT, else 4327). Agents
    /// set up with `paddock agent setup` send to the configured port.
    #[arg(long)]
    port: Option<u16>,
}

pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let home = PaddockHome::locate()?;
    let port = match args.port {
        Some(p) => p,
        None => otel_receiver::configured_port()?,
    };
    let receiver = OtelReceiver::start(
        OtelSettings {
            database: home.database(),
            only_task: None,
        },
        &[OtelListen::Tcp(([127, 0, 0, 1], port).into())],
    )
    .with_context(|| {
        format!("starting the telemetry receiver on 127.0.0.1:{port} (is the app or another `paddock run` holding it?)")
    })?;
    let addr = receiver
        .tcp_addr()
        .context("the receiver has no TCP address")?;
    println!(
        "paddock: receiving OpenTelemetry on http://{addr}/tasks/<task-id>/v1/logs (stop with Ctrl-C)"
    );
    // Serve until the process is stopped; the receiver runs on its own thread.
    loop {
        std::thread::park();
    }
}
