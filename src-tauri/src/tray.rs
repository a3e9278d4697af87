//! The tray icon: Open Paddock, the live count of pending approvals, Quit.
//! The count is read from the engine's store every two seconds.

use std::time::Duration;

use tauri::image::Image;
use tauri::menu::{Menu, MenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager};

const ICON_IDLE: &[u8] = include_bytes!("../../assets/icons/tray.png");
const ICON_PENDING: &[u8] = include_bytes!("../../assets/icons/tray-pending.png");

pub fn show_main_window(app: &AppHandle) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.unminimize();
        let _ = w.show();
        let _ = w.set_focus();
    }
}

fn pending_label(count: Result<i64, String>) -> String {
    match count {
        Ok(n) => format!("Pending approvals: {n}"),
        Err(_) => "Pending approvals: unknown (store unreadable)".into(),
    }
}

fn read_pending(app: &AppHandle) -> Result<i64, String> {
    let state = app.state::<crate::commands::AppState>();
    let store = paddock_engine::Store::open_home(&state.home).map_err(|e| e.to_string())?;
    paddock_engine::approvals::pending_count(&store).map_err(|e| e.to_string())
}

pub fn install(app: &AppHandle) -> tauri::Result<()> {
    let open = MenuItem::with_id(app, "open", "Open Paddock", true, None::<&str>)?;
    let pending = MenuItem::with_id(
        app,
        "pending",
        pending_label(read_pending(app)),
        true,
        None::<&str>,
    )?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&open, &pending, &quit])?;
    let tray = TrayIconBuilder::with_id("paddock")
        .icon(Image::from_bytes(ICON_IDLE)?)
        .tooltip("Paddock")
        .menu(&menu)
        .on_menu_event(|app, event| match event.id().as_ref() {
            "open" | "pending" => show_main_window(app),
            "quit" => app.exit(0),
            _ => {}
        })
        .build(app)?;

    let app = app.clone();
    std::thread::spawn(move || {
        let mut last: Option<i64> = None;
        loop {
            let count = read_pending(&app);
            let now = count.as_ref().ok().copied();
            if now != last || count.is_err() {
                let _ = pending.set_text(pending_label(count));
                let icon = if now.unwrap_or(0) > 0 {
                    ICON_PENDING
                } else {
                    ICON_IDLE
                };
                if let Ok(img) = Image::from_bytes(icon) {
                    let _ = tray.set_icon(Some(img));
                }
                last = now;
            }
            std::thread::sleep(Duration::from_secs(2));
        }
    });
    Ok(())
}
