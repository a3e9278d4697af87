//! The OS keychain behind a small trait: Secret Service on Linux, Keychain on
//! macOS, Credential Manager on Windows (the `keyring` crate). Errors carry a
//! description of what failed, never the value.

/// Where a secret is stored: the keychain's service and account for it.
pub fn service_for(project: &str) -> String {
    format!("paddock/{project}")
}

#[derive(Debug, thiserror::Error)]
pub enum KeychainError {
    #[error("no such entry in the keychain")]
    Missing,
    #[error("the keychain is not reachable or is locked ({0})")]
    Unavailable(String),
    #[error("the keychain stored something else than was given (read-back mismatch)")]
    Mismatch,
    #[error("keychain error: {0}")]
    Other(String),
}

/// A keychain: set, read back, delete.
pub trait Keychain {
    fn set(&self, service: &str, account: &str, value: &str) -> Result<(), KeychainError>;
    fn get(&self, service: &str, account: &str) -> Result<String, KeychainError>;
    fn delete(&self, service: &str, account: &str) -> Result<(), KeychainError>;
}

/// The platform's keychain.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsKeychain;

fn map(e: keyring::Error) -> KeychainError {
    // Described by kind only: some variants carry bytes of the secret.
    match e {
        keyring::Error::NoEntry => KeychainError::Missing,
        keyring::Error::NoStorageAccess(inner) => KeychainError::Unavailable(inner.to_string()),
        keyring::Error::PlatformFailure(inner) => KeychainError::Unavailable(inner.to_string()),
        keyring::Error::BadEncoding(_) => {
            KeychainError::Other("the stored value is not UTF-8".into())
        }
        keyring::Error::TooLong(what, max) => {
            KeychainError::Other(format!("{what} is longer than {max}"))
        }
        keyring::Error::Invalid(what, why) => KeychainError::Other(format!("{what}: {why}")),
        keyring::Error::Ambiguous(_) => {
            KeychainError::Other("more than one keychain entry matches".into())
        }
        _ => KeychainError::Other("unexpected keychain error".into()),
    }
}

fn entry(service: &str, account: &str) -> Result<keyring::Entry, KeychainError> {
    keyring::Entry::new(service, account).map_err(map)
}

impl Keychain for OsKeychain {
    fn set(&self, service: &str, account: &str, value: &str) -> Result<(), KeychainError> {
        entry(service, account)?.set_password(value).map_err(map)
    }

    fn get(&self, service: &str, account: &str) -> Result<String, KeychainError> {
        entry(service, account)?.get_password().map_err(map)
    }

    fn delete(&self, service: &str, account: &str) -> Result<(), KeychainError> {
        match entry(service, account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(map(e)),
        }
    }
}

/// Store `value` and read it back: only an identical read-back counts as stored.
pub fn store_confirmed(
    kc: &dyn Keychain,
    service: &str,
    account: &str,
    value: &str,
) -> Result<(), KeychainError> {
    kc.set(service, account, value)?;
    match kc.get(service, account) {
        Ok(back) if back == value => Ok(()),
        Ok(_) => Err(KeychainError::Mismatch),
        Err(e) => Err(e),
    }
}
