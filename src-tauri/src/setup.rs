//! The guided first run's commands: where the setup stands, moving through
//! it, acknowledgements, and starting the agent in the person's terminal.
//! Each asks the engine (`setup_progress`, `agent_launch`) and returns what
//! it said; the window decides nothing.

use paddock_engine::agent_launch::{
    self, LaunchAgent, LaunchEnv, LaunchOutcome, LaunchPlan, PaddockBinary,
};
use paddock_engine::checklist::StepId;
use paddock_engine::setup_progress::{self, AckKind, SetupStage, SetupView};
use paddock_engine::{PaddockHome, Store};

use crate::commands::AppState;

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|e| format!("Paddock's worker stopped unexpectedly: {e}"))?
}

fn open(home: &PaddockHome) -> Result<Store, String> {
    Store::open_home(home).map_err(|e| e.to_string())
}

/// The `paddock` shipped beside this app, else the one on PATH.
fn paddock_binary() -> Option<PaddockBinary> {
    let exe = std::env::current_exe().ok();
    agent_launch::find_paddock(exe.as_deref(), std::env::var_os("PATH").as_deref())
}

/// Where the person left the guided setup (none: nothing to resume).
#[tauri::command]
pub async fn setup_resume(state: tauri::State<'_, AppState>) -> Result<Option<SetupView>, String> {
    let home = state.home.clone();
    blocking(move || setup_progress::resume(&open(&home)?).map_err(|e| e.to_string())).await
}

/// Begin setting up a new task (the repository screen), recorded.
#[tauri::command]
pub async fn setup_begin(state: tauri::State<'_, AppState>) -> Result<SetupView, String> {
    let home = state.home.clone();
    blocking(move || setup_progress::begin(&mut open(&home)?).map_err(|e| e.to_string())).await
}

/// The setup of `task` at `stage`, measured now (nothing recorded).
#[tauri::command]
pub async fn setup_view(
    state: tauri::State<'_, AppState>,
    task: String,
    stage: SetupStage,
) -> Result<SetupView, String> {
    let home = state.home.clone();
    blocking(move || setup_progress::view(&open(&home)?, &task, stage).map_err(|e| e.to_string()))
        .await
}

/// Move to `stage`; the engine refuses to go past a step that may not be left.
#[tauri::command]
pub async fn setup_go(
    state: tauri::State<'_, AppState>,
    task: String,
    stage: SetupStage,
) -> Result<SetupView, String> {
    let home = state.home.clone();
    blocking(move || {
        setup_progress::go_to(&mut open(&home)?, &task, stage).map_err(|e| e.to_string())
    })
    .await
}

/// Record an acknowledgement (policy reviewed, review required, continue anyway).
#[tauri::command]
pub async fn setup_ack(
    state: tauri::State<'_, AppState>,
    task: String,
    step: String,
    kind: AckKind,
    stage: SetupStage,
) -> Result<SetupView, String> {
    let home = state.home.clone();
    blocking(move || {
        let step = StepId::ALL
            .into_iter()
            .find(|s| SetupStage::parse(&step).and_then(|st| st.step()) == Some(*s))
            .ok_or_else(|| format!("unknown step {step:?}"))?;
        setup_progress::acknowledge(&mut open(&home)?, &task, step, kind, stage)
            .map_err(|e| e.to_string())
    })
    .await
}

/// What "Start the agent" would do: the command, the terminal, the paddock binary.
#[tauri::command]
pub async fn launch_plan(
    state: tauri::State<'_, AppState>,
    task: String,
    agent: LaunchAgent,
    command: Option<String>,
) -> Result<LaunchPlan, String> {
    let home = state.home.clone();
    blocking(move || {
        let store = open(&home)?;
        agent_launch::plan(
            &home,
            &store,
            &task,
            agent,
            command.as_deref(),
            paddock_binary().as_ref(),
            &LaunchEnv::from_process(),
        )
        .map_err(|e| e.to_string())
    })
    .await
}

/// Wire the agent if needed and start it inside its fence in a terminal window.
#[tauri::command]
pub async fn launch_agent(
    state: tauri::State<'_, AppState>,
    task: String,
    agent: LaunchAgent,
    command: Option<String>,
) -> Result<LaunchOutcome, String> {
    let home = state.home.clone();
    blocking(move || {
        let mut store = open(&home)?;
        agent_launch::start(
            &home,
            &mut store,
            &task,
            agent,
            command.as_deref(),
            paddock_binary().as_ref(),
            &LaunchEnv::from_process(),
        )
        .map_err(|e| e.to_string())
    })
    .await
}

/// The Commands step's fix in place: wire the task's agent to Paddock
/// (`paddock agent setup`). Returns the files written.
#[tauri::command]
pub async fn wire_agent(
    state: tauri::State<'_, AppState>,
    task: String,
) -> Result<Vec<String>, String> {
    let home = state.home.clone();
    blocking(move || {
        let mut store = open(&home)?;
        agent_launch::wire_task_agent(
            &home,
            &mut store,
            &task,
            paddock_binary().as_ref(),
            &LaunchEnv::from_process(),
        )
        .map(|written| written.iter().map(|p| p.display().to_string()).collect())
        .map_err(|e| e.to_string())
    })
    .await
}
