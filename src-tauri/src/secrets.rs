//! The Secrets step's commands: scan a task's repository (progress as
//! `secrets-scan-progress` events), move findings into the OS keychain, and
//! list what Paddock holds. The same engine calls as `paddock secrets`; no
//! value ever crosses to the UI (findings carry masked previews, held secrets
//! names and references).

use std::path::PathBuf;

use paddock_engine::network_view;
use paddock_engine::secrets::{
    self, HeldSecret, MoveReport, OsKeychain, ScanOptions, ScanProgress, ScanReport,
};
use paddock_engine::task::Task;
use paddock_engine::{PaddockHome, Store};
use tauri::{AppHandle, Emitter};

use crate::commands::AppState;

/// Emitted from the scan's worker threads, a few times a second, with a [`ScanProgress`].
pub const EVENT_PROGRESS: &str = "secrets-scan-progress";

fn open(home: &PaddockHome) -> Result<Store, String> {
    Store::open_home(home).map_err(|e| e.to_string())
}

fn resolve(store: &Store, task: Option<&str>) -> Result<Task, String> {
    network_view::resolve_task(store, task).map_err(|e| e.to_string())
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|e| format!("Paddock's worker stopped unexpectedly: {e}"))?
}

fn scan(
    root: &std::path::Path,
    progress: &(dyn Fn(&ScanProgress) + Sync),
) -> Result<ScanReport, String> {
    secrets::scan_tree(root, &ScanOptions::default(), progress)
        .map_err(|e| format!("scanning {}: {e}", root.display()))
}

/// Scan the repository of `task` (or of the newest active task).
#[tauri::command]
pub async fn secrets_scan(
    app: AppHandle,
    state: tauri::State<'_, AppState>,
    task: Option<String>,
) -> Result<ScanReport, String> {
    let home = state.home.clone();
    blocking(move || {
        let store = open(&home)?;
        let t = resolve(&store, task.as_deref())?;
        drop(store);
        let progress = move |p: &ScanProgress| {
            let _ = app.emit(EVENT_PROGRESS, p.clone());
        };
        scan(&PathBuf::from(&t.repo), &progress)
    })
    .await
}

/// Move the findings `finding_ids` (or every finding with `all`) of a fresh
/// scan into the keychain; each is replaced by `paddock://<project>/<NAME>`.
#[tauri::command]
pub async fn secrets_move(
    state: tauri::State<'_, AppState>,
    task: Option<String>,
    finding_ids: Vec<String>,
    all: bool,
) -> Result<MoveReport, String> {
    let home = state.home.clone();
    blocking(move || {
        let mut store = open(&home)?;
        let t = resolve(&store, task.as_deref())?;
        let root = PathBuf::from(&t.repo);
        let report = scan(&root, &|_| {})?;
        let picked: Vec<_> = if all {
            report.findings.clone()
        } else {
            let mut picked = Vec::new();
            for id in &finding_ids {
                match report.findings.iter().find(|f| &f.id == id) {
                    Some(f) => picked.push(f.clone()),
                    None => {
                        return Err(format!(
                            "no finding {id} in {} now; scan again",
                            root.display()
                        ))
                    }
                }
            }
            picked
        };
        secrets::move_findings(
            &mut store,
            &home,
            &OsKeychain,
            &t.repo_name,
            &root,
            Some(&t.id),
            &picked,
        )
        .map_err(|e| e.to_string())
    })
    .await
}

/// The secrets Paddock holds now: names, files and references, never values.
#[tauri::command]
pub async fn secrets_held(state: tauri::State<'_, AppState>) -> Result<Vec<HeldSecret>, String> {
    let home = state.home.clone();
    blocking(move || secrets::list(&open(&home)?, None, false).map_err(|e| e.to_string())).await
}
