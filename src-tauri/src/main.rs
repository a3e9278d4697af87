//! Paddock's desktop shell: Tauri commands and events over the engine, the
//! tray icon, and nothing else. Every state shown comes from `paddock_engine`.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod approvals;
mod commands;
mod network;
mod review;
mod secrets;
mod setup;
mod tasks;
mod tray;

use tauri::Manager;

fn start_telemetry(
    home: &paddock_engine::PaddockHome,
) -> Result<paddock_engine::otel_receiver::OtelReceiver, paddock_engine::otel_receiver::OtelError> {
    use paddock_engine::otel_receiver::{self, OtelListen, OtelReceiver, OtelSettings};
    let port = otel_receiver::configured_port()?;
    OtelReceiver::start(
        OtelSettings {
            database: home.database(),
            only_task: None,
        },
        &[OtelListen::Tcp(([127, 0, 0, 1], port).into())],
    )
}

fn main() {
    let result = tauri::Builder::default()
        // A second launch focuses the running window instead of starting another app.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            tray::show_main_window(app);
        }))
        // The native folder picker for choosing a task's repository.
        .plugin(tauri_plugin_dialog::init())
        .invoke_handler(tauri::generate_handler![
            commands::steps,
            commands::audit_status,
            commands::doctor,
            commands::app_info,
            tasks::inspect_repo,
            tasks::repo_branches,
            tasks::check_goal,
            tasks::create_task,
            tasks::list_tasks,
            tasks::discard_task,
            approvals::list_pending_approvals,
            approvals::decide_approval,
            approvals::list_rules,
            approvals::revoke_rule,
            approvals::policy_summary,
            approvals::save_user_rule,
            approvals::delete_user_rule,
            approvals::tray_state,
            review::review_queue,
            review::review_diff,
            review::review_file,
            review::review_mark,
            review::review_comment,
            review::review_comments,
            review::review_request_changes,
            review::review_note,
            review::review_merge,
            review::task_timeline,
            network::network_settings,
            network::set_network_preset,
            network::add_network_rule,
            network::remove_network_rule,
            network::task_connections,
            secrets::secrets_scan,
            secrets::secrets_move,
            secrets::secrets_held,
            setup::setup_resume,
            setup::setup_begin,
            setup::setup_view,
            setup::setup_go,
            setup::setup_ack,
            setup::launch_plan,
            setup::launch_agent,
            setup::wire_agent,
        ])
        .setup(|app| {
            let home = paddock_engine::PaddockHome::locate()?;
            // The agents' OpenTelemetry joins their tasks' timelines while the
            // app runs, if no other Paddock holds the port already.
            match start_telemetry(&home) {
                Ok(receiver) => {
                    app.manage(receiver);
                }
                Err(e) => eprintln!("paddock-app: telemetry receiver not started: {e}"),
            }
            app.manage(commands::AppState { home });
            tray::install(app.handle())?;
            Ok(())
        })
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("paddock-app: error: {e}");
        std::process::exit(1);
    }
}
