//! The values the secrets store holds, loaded once per process (lazily, from
//! the keychain) into [`crate::redact`]'s registry, so that every later
//! redaction — audit events, hook answers, notifications, the UI, exports,
//! the sandbox's environment — removes them, raw and encoded.

use std::path::PathBuf;
use std::sync::Mutex;

use super::keychain::OsKeychain;
use crate::audit::NewEvent;
use crate::store::Store;

static LOADED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Load the held values of `store`'s index into the redaction registry,
/// once per database per process. A database with no moved secrets costs one
/// query and no keychain access. Entries the keychain cannot give are skipped
/// (the pattern-based redaction still applies to them).
pub fn ensure_loaded(store: &Store) {
    let path = store.path().to_owned();
    {
        let Ok(mut loaded) = LOADED.lock() else {
            return;
        };
        if loaded.contains(&path) {
            return;
        }
        loaded.push(path);
    }
    if let Ok((values, _missing)) = super::vault::held_values(store, &OsKeychain) {
        crate::redact::add_known_secrets(values);
    }
}

/// [`ensure_loaded`] for the Paddock home named by the environment, when its
/// database exists (never creates one), once per process. For callers without
/// a store at hand: [`crate::redact::redact`] and the sandbox's env scrub.
pub fn ensure_loaded_from_environment() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(load_from_environment);
}

fn load_from_environment() {
    let root = match std::env::var_os(crate::home::HOME_ENV) {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => match dirs::data_dir() {
            Some(d) => d.join("paddock"),
            None => return,
        },
    };
    let db = root.join("paddock.db");
    if !db.is_file() {
        return;
    }
    if LOADED.lock().map(|l| l.contains(&db)).unwrap_or(true) {
        return;
    }
    if let Ok(store) = Store::open(&db) {
        ensure_loaded(&store);
    }
}

/// The event with every held value (raw or encoded) replaced in its reason
/// and payload. The one call [`crate::audit::record`] makes before writing.
pub fn redact_event(store: &Store, mut event: NewEvent) -> NewEvent {
    ensure_loaded(store);
    if !crate::redact::holds_known_secrets() {
        return event;
    }
    event.reason = crate::redact::redact_known(&event.reason).into_owned();
    event.payload = redact_known_json(&event.payload);
    event
}

fn redact_known_json(value: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(s) => Value::String(crate::redact::redact_known(s).into_owned()),
        Value::Array(a) => Value::Array(a.iter().map(redact_known_json).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| {
                    (
                        crate::redact::redact_known(k).into_owned(),
                        redact_known_json(v),
                    )
                })
                .collect(),
        ),
        other => other.clone(),
    }
}
