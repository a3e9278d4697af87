//! The Network step's commands: a task's presets and host rules (read and
//! changed through `paddock_engine::network_view`, every change an audit
//! event) and its live connections. Waiting connections are decided with the
//! approvals' own `decide_approval`.

use paddock_engine::network_view::{self, HostRuleVerdict, NetworkConnection, NetworkSettings};
use paddock_engine::Store;

use crate::commands::AppState;

fn open(state: &AppState) -> Result<Store, String> {
    Store::open_home(&state.home).map_err(|e| e.to_string())
}

fn task_id(store: &Store, task: Option<String>) -> Result<String, String> {
    network_view::resolve_task(store, task.as_deref())
        .map(|t| t.id)
        .map_err(|e| e.to_string())
}

/// The presets (with on/off) and host rules of `task`, or of the newest active task.
#[tauri::command]
pub fn network_settings(
    state: tauri::State<'_, AppState>,
    task: Option<String>,
) -> Result<NetworkSettings, String> {
    let store = open(&state)?;
    let id = task_id(&store, task)?;
    network_view::settings(&store, &id).map_err(|e| e.to_string())
}

#[tauri::command]
pub fn set_network_preset(
    state: tauri::State<'_, AppState>,
    task: Option<String>,
    name: String,
    on: bool,
) -> Result<NetworkSettings, String> {
    let mut store = open(&state)?;
    let id = task_id(&store, task)?;
    network_view::set_preset(&mut store, &id, &name, on).map_err(|e| e.to_string())
}

#[tauri::command]
pub fn add_network_rule(
    state: tauri::State<'_, AppState>,
    task: Option<String>,
    host: String,
    verdict: HostRuleVerdict,
) -> Result<NetworkSettings, String> {
    let mut store = open(&state)?;
    let id = task_id(&store, task)?;
    network_view::add_rule(&mut store, &id, &host, verdict).map_err(|e| e.to_string())
}

#[tauri::command]
pub fn remove_network_rule(
    state: tauri::State<'_, AppState>,
    task: Option<String>,
    id: i64,
) -> Result<NetworkSettings, String> {
    let mut store = open(&state)?;
    let task = task_id(&store, task)?;
    network_view::remove_rule(&mut store, &task, id).map_err(|e| e.to_string())
}

/// The task's connections, newest first (waiting ones carry their approval id).
#[tauri::command]
pub fn task_connections(
    state: tauri::State<'_, AppState>,
    task: Option<String>,
) -> Result<Vec<NetworkConnection>, String> {
    let store = open(&state)?;
    let id = task_id(&store, task)?;
    network_view::connections(&store, &id).map_err(|e| e.to_string())
}
