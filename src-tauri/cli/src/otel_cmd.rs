//! `paddock otel …`: the agents' OpenTelemetry and Paddock.

use std::process::ExitCode;

use clap::Subcommand;

use crate::otel_serve_cmd;

#[derive(Subcommand)]
pub enum OtelCommand {
    /// Receive the agents' OTLP/HTTP telemetry on 127.0.0.1 (foreground) and
    /// add it to their tasks' timelines.
    Serve(otel_serve_cmd::ServeArgs),
}

pub fn run(command: OtelCommand) -> anyhow::Result<ExitCode> {
    match command {
        OtelCommand::Serve(args) => otel_serve_cmd::run(args),
    }
}
