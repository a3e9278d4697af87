//! The tray icon and the approvals watcher.
//!
//! Every second the watcher reads the pending requests from the engine's
//! store. When they change it rebuilds the tray menu (Open Paddock, the
//! pending count, the newest requests as "<task>: <command>" submenus with
//! Approve once / Deny, Quit), switches the icon, tells the UI, and raises a
//! desktop notification for each request it has not seen before — with
//! Approve / Deny actions when the notification server supports them.
//!
//! The same loop reads the tasks awaiting review: the menu's "Ready for
//! review: N" entry opens the review queue, and a task that enters
//! awaiting_review while the app runs raises "Paddock: <task> is ready for review".

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use paddock_engine::approvals_view::{self, PendingApproval};
use paddock_engine::policy::Verdict;
use paddock_engine::{PaddockHome, Store};
use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem, Submenu};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Emitter, Manager};

use crate::approvals::{self, TrayShown, TrayState, BY_NOTIFICATION, BY_TRAY};
use crate::commands::AppState;

const ICON_IDLE: &[u8] = include_bytes!("../../assets/icons/tray.png");
const ICON_PENDING: &[u8] = include_bytes!("../../assets/icons/tray-pending.png");

const POLL_EVERY: Duration = Duration::from_secs(1);

pub fn show_main_window(app: &AppHandle) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.unminimize();
        let _ = w.show();
        let _ = w.set_focus();
    }
}

fn home(app: &AppHandle) -> PaddockHome {
    app.state::<AppState>().home.clone()
}

fn build_menu(app: &AppHandle, state: &TrayState) -> tauri::Result<Menu<tauri::Wry>> {
    let menu = Menu::new(app)?;
    menu.append(&MenuItem::with_id(
        app,
        "open",
        "Open Paddock",
        true,
        None::<&str>,
    )?)?;
    menu.append(&MenuItem::with_id(
        app,
        "pending",
        &state.pending_label,
        true,
        None::<&str>,
    )?)?;
    menu.append(&MenuItem::with_id(
        app,
        "review",
        &state.review_label,
        true,
        None::<&str>,
    )?)?;
    for item in &state.items {
        let approve = MenuItem::with_id(
            app,
            format!("approve:{}", item.approval_id),
            &item.approve_label,
            true,
            None::<&str>,
        )?;
        let deny = MenuItem::with_id(
            app,
            format!("deny:{}", item.approval_id),
            &item.deny_label,
            true,
            None::<&str>,
        )?;
        let sub = Submenu::with_id_and_items(
            app,
            format!("request:{}", item.approval_id),
            &item.label,
            true,
            &[&approve, &deny],
        )?;
        menu.append(&sub)?;
    }
    menu.append(&PredefinedMenuItem::separator(app)?)?;
    menu.append(&MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?)?;
    Ok(menu)
}

fn on_menu(app: &AppHandle, id: &str) {
    match id {
        "open" => show_main_window(app),
        "pending" => {
            show_main_window(app);
            let _ = app.emit(approvals::EVENT_OPEN, ());
        }
        "review" => {
            show_main_window(app);
            let _ = app.emit(crate::review::EVENT_OPEN, ());
        }
        "quit" => app.exit(0),
        other => {
            let (verdict, rest) = if let Some(r) = other.strip_prefix("approve:") {
                (Verdict::Allow, r)
            } else if let Some(r) = other.strip_prefix("deny:") {
                (Verdict::Deny, r)
            } else {
                return;
            };
            let Ok(approval) = rest.parse::<i64>() else {
                return;
            };
            let home = home(app);
            let app = app.clone();
            // Off the event loop: the decision writes to SQLite.
            std::thread::spawn(move || {
                if let Err(e) = approvals::decide(&home, approval, verdict, BY_TRAY, None) {
                    eprintln!("paddock-app: tray decision on approval {approval}: {e}");
                }
                let _ = app.emit(approvals::EVENT_CHANGED, ());
            });
        }
    }
}

pub fn install(app: &AppHandle) -> tauri::Result<()> {
    app.manage(TrayShown::default());
    let first = approvals::tray_view(Ok(&[])).with_review(Ok(0));
    let tray = TrayIconBuilder::with_id("paddock")
        .icon(Image::from_bytes(ICON_IDLE)?)
        .tooltip("Paddock")
        .menu(&build_menu(app, &first)?)
        .on_menu_event(|app, event| on_menu(app, event.id().as_ref()))
        .build(app)?;
    let app = app.clone();
    std::thread::Builder::new()
        .name("paddock-approvals".into())
        .spawn(move || watch(app, tray))?;
    Ok(())
}

fn read_pending(
    store: &mut Option<Store>,
    home: &PaddockHome,
) -> Result<Vec<PendingApproval>, String> {
    if store.is_none() {
        *store = Some(Store::open_home(home).map_err(|e| e.to_string())?);
    }
    let s = store.as_ref().ok_or("no store")?;
    approvals_view::pending(s).map_err(|e| {
        // Reopen next time: the file may have been replaced or repaired.
        *store = None;
        e.to_string()
    })
}

fn read_awaiting(
    store: &mut Option<Store>,
    home: &PaddockHome,
) -> Result<Vec<paddock_engine::task::Task>, String> {
    if store.is_none() {
        *store = Some(Store::open_home(home).map_err(|e| e.to_string())?);
    }
    let s = store.as_ref().ok_or("no store")?;
    // On an error, reopen next time: the file may have been replaced or repaired.
    crate::review::awaiting(s).inspect_err(|_| *store = None)
}

fn watch(app: AppHandle, tray: TrayIcon) {
    let home = home(&app);
    let mut store: Option<Store> = None;
    let mut shown: Option<TrayState> = None;
    // Tasks awaiting review at the last read (None before the first read:
    // tasks already waiting when the app starts are counted, not announced).
    let mut awaiting_seen: Option<HashSet<String>> = None;
    // Approval id → the notification server's id, while the request waits.
    let mut notified: HashMap<i64, Option<u32>> = HashMap::new();
    let mut actions: Option<bool> = None;
    loop {
        let pending = read_pending(&mut store, &home);
        let awaiting = read_awaiting(&mut store, &home);
        let state = approvals::tray_view(pending.as_deref().map_err(Clone::clone))
            .with_review(awaiting.as_ref().map(Vec::len).map_err(Clone::clone));
        if shown.as_ref() != Some(&state) {
            match build_menu(&app, &state) {
                Ok(menu) => {
                    let _ = tray.set_menu(Some(menu));
                }
                Err(e) => eprintln!("paddock-app: cannot rebuild the tray menu: {e}"),
            }
            let icon = if state.icon == "pending" {
                ICON_PENDING
            } else {
                ICON_IDLE
            };
            if let Ok(img) = Image::from_bytes(icon) {
                let _ = tray.set_icon(Some(img));
            }
            let _ = tray.set_tooltip(Some(format!("Paddock — {}", state.pending_label)));
            if let Ok(mut s) = app.state::<TrayShown>().0.lock() {
                *s = Some(state.clone());
            }
            let _ = app.emit(approvals::EVENT_CHANGED, state.pending);
            if shown.as_ref().map(|s| s.review) != Some(state.review) {
                let _ = app.emit(crate::review::EVENT_CHANGED, state.review);
            }
            shown = Some(state);
        }
        if let Ok(tasks) = &awaiting {
            let now: HashSet<String> = tasks.iter().map(|t| t.id.clone()).collect();
            if let Some(before) = &awaiting_seen {
                // Oldest first, in the order they became ready.
                for t in tasks.iter().rev().filter(|t| !before.contains(&t.id)) {
                    notify_ready(t);
                }
            }
            awaiting_seen = Some(now);
        }
        if let Ok(list) = &pending {
            // Oldest first, so notifications arrive in the order the agent asked.
            for p in list.iter().rev() {
                if let std::collections::hash_map::Entry::Vacant(slot) =
                    notified.entry(p.approval.id)
                {
                    let with_actions = *actions.get_or_insert_with(server_has_actions);
                    slot.insert(notify(&app, &home, p, with_actions));
                }
            }
            // Decided elsewhere or expired: its notification has nothing left to ask.
            let live: HashSet<i64> = list.iter().map(|p| p.approval.id).collect();
            notified.retain(|id, shown| {
                if live.contains(id) {
                    return true;
                }
                if let Some(nid) = shown {
                    close_notification(*nid);
                }
                false
            });
        }
        std::thread::sleep(POLL_EVERY);
    }
}

/// "Paddock: <task> is ready for review" (no actions: the tray entry and the
/// window open the queue).
fn notify_ready(t: &paddock_engine::task::Task) {
    let (summary, body) = crate::review::ready_text(t);
    let shown = notify_rust::Notification::new()
        .appname("Paddock")
        .summary(&summary)
        .body(&body)
        .urgency(notify_rust::Urgency::Normal)
        .show();
    if let Err(e) = shown {
        eprintln!(
            "paddock-app: no desktop notification for task {} ready for review: {e}",
            t.id
        );
    }
}

fn server_has_actions() -> bool {
    notify_rust::get_capabilities()
        .map(|caps| caps.iter().any(|c| c == "actions"))
        .unwrap_or(false)
}

/// Close a notification the server still shows (by its id on the server).
fn close_notification(id: u32) {
    let closed = zbus::blocking::Connection::session().and_then(|c| {
        c.call_method(
            Some("org.freedesktop.Notifications"),
            "/org/freedesktop/Notifications",
            Some("org.freedesktop.Notifications"),
            "CloseNotification",
            &(id,),
        )
        .map(|_| ())
    });
    if let Err(e) = closed {
        eprintln!("paddock-app: cannot close notification {id}: {e}");
    }
}

/// Raise one notification; with actions, wait for the person's click on its
/// own thread. Returns the server's id for the notification, if one was shown.
fn notify(
    app: &AppHandle,
    home: &PaddockHome,
    p: &PendingApproval,
    with_actions: bool,
) -> Option<u32> {
    let text = approvals::notification_text(p);
    let mut n = notify_rust::Notification::new();
    n.appname("Paddock")
        .summary(&text.summary)
        .body(&text.body)
        .urgency(notify_rust::Urgency::Critical);
    if with_actions {
        n.action("default", "Open Paddock")
            .action("approve", "Approve once")
            .action("deny", "Deny");
    }
    let handle = match n.show() {
        Ok(h) => h,
        Err(e) => {
            eprintln!(
                "paddock-app: no desktop notification for approval {}: {e}",
                p.approval.id
            );
            return None;
        }
    };
    let server_id = handle.id();
    if !with_actions {
        return Some(server_id);
    }
    let id = p.approval.id;
    let home = home.clone();
    let app = app.clone();
    let _ = std::thread::Builder::new()
        .name(format!("paddock-notification-{id}"))
        .spawn(move || {
            handle.wait_for_action(|action| {
                let verdict = match action {
                    "approve" => Verdict::Allow,
                    "deny" => Verdict::Deny,
                    "default" => {
                        show_main_window(&app);
                        let _ = app.emit(approvals::EVENT_OPEN, ());
                        return;
                    }
                    _ => return,
                };
                if let Err(e) = approvals::decide(&home, id, verdict, BY_NOTIFICATION, None) {
                    eprintln!("paddock-app: notification decision on approval {id}: {e}");
                }
                let _ = app.emit(approvals::EVENT_CHANGED, ());
            });
        });
    Some(server_id)
}
