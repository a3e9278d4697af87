//! Paddock's engine: every safety decision lives here, behind small APIs that
//! the desktop shell and the `paddock` CLI both call. Nothing in this crate
//! knows about Tauri, a window or a terminal.

pub mod agent_launch;
pub mod agents;
pub mod approvals;
pub mod approvals_view;
pub mod audit;
pub mod checklist;
pub mod doctor;
pub mod goal;
pub mod home;
pub mod hook;
pub mod hook_socket;
pub mod network;
pub mod network_view;
pub mod otel_export;
pub mod otel_receiver;
pub mod policy;
pub mod redact;
pub mod review;
pub mod sandbox;
pub mod secrets;
pub mod setup_progress;
pub mod store;
pub mod task;
pub mod terminal;
pub mod time;
pub mod workspace;

pub use home::PaddockHome;
pub use store::{Store, StoreError};

/// The engine's version, shown by `paddock version` and the app's About line.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
