//! The commands the UI may call. Each opens the engine's store, asks the
//! engine, and returns what it said; errors reach the UI as one readable line.

use paddock_engine::{audit, checklist, doctor, PaddockHome, Store};
use serde::Serialize;

pub struct AppState {
    pub home: PaddockHome,
}

fn open(state: &AppState) -> Result<Store, String> {
    Store::open_home(&state.home).map_err(|e| e.to_string())
}

#[tauri::command]
pub async fn steps(state: tauri::State<'_, AppState>) -> Result<Vec<checklist::StepState>, String> {
    // Measuring the steps walks the audit log and scans the task's repository
    // for secrets: keep that off the UI thread.
    let home = state.home.clone();
    tauri::async_runtime::spawn_blocking(move || {
        let store = Store::open_home(&home).map_err(|e| e.to_string())?;
        Ok(checklist::steps(&store))
    })
    .await
    .map_err(|e| format!("measuring the steps failed: {e}"))?
}

#[tauri::command]
pub fn audit_status(state: tauri::State<'_, AppState>) -> Result<audit::ChainReport, String> {
    let store = open(&state)?;
    audit::verify(&store).map_err(|e| e.to_string())
}

#[tauri::command]
pub async fn doctor() -> Vec<doctor::DoctorCheck> {
    // The checks start processes and talk to D-Bus: keep them off the UI thread.
    tauri::async_runtime::spawn_blocking(doctor::run_all)
        .await
        .unwrap_or_default()
}

#[derive(Serialize)]
pub struct AppInfo {
    version: String,
    home: String,
}

#[tauri::command]
pub fn app_info(state: tauri::State<'_, AppState>) -> AppInfo {
    AppInfo {
        version: paddock_engine::VERSION.into(),
        home: state.home.root().display().to_string(),
    }
}
