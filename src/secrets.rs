//! The API key: read from the environment, or kept in the OS keychain (through
//! `keyring-core`), never in a plain file.
//!
//! The store is chosen at compile time, one per platform, each a target-specific dependency
//! so a Linux build compiles none of the others: the Secret Service on Linux (tested in CI
//! against gnome-keyring), the login keychain on macOS, the Credential Manager on Windows
//! (both compiled only on their platform, and not tested here). Any other platform gets a
//! clear "no keychain" error and the key is kept for the session only.
//!
//! Keychain calls block (they talk D-Bus), so the window makes them on the worker, never
//! on the UI thread. When no keychain is available the caller keeps the key in memory for
//! the session and says so; this module never falls back to a file.
//!
//! Tests inject a store ([`Keychain::with_store`], e.g. `keyring_core::mock::Store`) or
//! switch the keychain off ([`Keychain::disabled`]) so they never touch the real one.

use std::sync::{Arc, OnceLock};

use keyring_core::{CredentialStore, Entry};

/// The keychain "service" under which the key is stored.
pub const KEYCHAIN_SERVICE: &str = "inkeep-explorer";

/// The keychain "user" (account) under which the key is stored.
pub const KEYCHAIN_ACCOUNT: &str = "api-integration-key";

/// The environment variable the official SDK reads the key from.
pub const KEY_ENV_VAR: &str = "INKEEPANALYTICS_API_INTEGRATION_KEY";

/// What the window says when the key cannot be saved because there is no keychain (no
/// Secret Service, no session bus): one plain sentence; the error goes into the details.
pub const NO_KEYCHAIN_MESSAGE: &str = "No system keychain found; the key is kept for this session only.";

/// What the window says when the saved key could not be read at startup.
pub const KEYCHAIN_UNREADABLE_MESSAGE: &str =
    "The saved key could not be read from the system keychain; showing demo data.";

/// What the window says when a keychain exists but refused to save the key.
pub const KEYCHAIN_REFUSED_MESSAGE: &str =
    "The system keychain did not save the key; it is kept for this session only.";

/// Where the key in use came from; shown in the connection badge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    /// `INKEEPANALYTICS_API_INTEGRATION_KEY`.
    Environment,
    /// The OS keychain.
    Keychain,
    /// Typed in this session and kept in memory only (no keychain, or not saved).
    SessionOnly,
}

impl KeySource {
    /// A short phrase for the badge: "key from environment".
    pub fn describe(self) -> &'static str {
        match self {
            KeySource::Environment => "key from environment",
            KeySource::Keychain => "key from keychain",
            KeySource::SessionOnly => "key for this session only",
        }
    }
}

/// Why the keychain could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// There is no keychain to talk to (no Secret Service, no session bus, switched off).
    #[error("no keychain is available: {0}")]
    Unavailable(String),
    /// The keychain answered with an error.
    #[error("the keychain refused: {0}")]
    Failed(String),
}

impl SecretError {
    /// The one sentence a user reads when saving the key failed with this error
    /// ([`NO_KEYCHAIN_MESSAGE`] when there is no keychain). The error itself, a D-Bus or
    /// Secret Service message that means little to most users, goes into the details
    /// ([`SecretError::details`]).
    pub fn save_message(&self) -> &'static str {
        match self {
            SecretError::Unavailable(_) => NO_KEYCHAIN_MESSAGE,
            SecretError::Failed(_) => KEYCHAIN_REFUSED_MESSAGE,
        }
    }

    /// The technical details, for a "Details" section and the log.
    pub fn details(&self) -> String {
        self.to_string()
    }
}

/// Which credential store to use.
enum Backend {
    /// The platform's store, connected on first use.
    System(OnceLock<Result<Arc<CredentialStore>, String>>),
    /// An injected store (tests: `keyring_core::mock::Store`).
    Store(Arc<CredentialStore>),
    /// No keychain at all.
    Disabled,
}

/// Access to the one keychain entry holding the API key.
pub struct Keychain {
    backend: Backend,
}

impl std::fmt::Debug for Keychain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.backend {
            Backend::System(_) => "system",
            Backend::Store(_) => "injected",
            Backend::Disabled => "disabled",
        };
        f.debug_struct("Keychain").field("backend", &kind).finish()
    }
}

impl Keychain {
    /// The platform keychain (Secret Service), connected lazily on first use.
    pub fn system() -> Keychain {
        Keychain { backend: Backend::System(OnceLock::new()) }
    }

    /// A given credential store.
    pub fn with_store(store: Arc<CredentialStore>) -> Keychain {
        Keychain { backend: Backend::Store(store) }
    }

    /// No keychain: every call reports [`SecretError::Unavailable`].
    pub fn disabled() -> Keychain {
        Keychain { backend: Backend::Disabled }
    }

    fn store(&self) -> Result<Arc<CredentialStore>, SecretError> {
        match &self.backend {
            Backend::Store(store) => Ok(store.clone()),
            Backend::Disabled => Err(SecretError::Unavailable("the keychain is switched off".to_string())),
            Backend::System(cell) => {
                cell.get_or_init(connect_system_store).clone().map_err(SecretError::Unavailable)
            }
        }
    }

    fn entry(&self) -> Result<Entry, SecretError> {
        let store = self.store()?;
        Entry::new_in_store(&store, KEYCHAIN_SERVICE, KEYCHAIN_ACCOUNT)
            .map_err(|err| SecretError::Failed(err.to_string()))
    }

    /// The saved key, `None` when nothing is saved. Blocks: call off the UI thread.
    pub fn load(&self) -> Result<Option<String>, SecretError> {
        match self.entry()?.get_password() {
            Ok(key) if key.trim().is_empty() => Ok(None),
            Ok(key) => Ok(Some(key)),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(err) => Err(classify(err)),
        }
    }

    /// Saves the key, replacing any saved one. Blocks: call off the UI thread.
    pub fn save(&self, key: &str) -> Result<(), SecretError> {
        self.entry()?.set_password(key).map_err(classify)
    }

    /// Deletes the saved key; deleting nothing is not an error. Blocks: call off the UI thread.
    pub fn forget(&self) -> Result<(), SecretError> {
        match self.entry()?.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(err) => Err(classify(err)),
        }
    }
}

/// Reads the key from the environment variable, ignoring an empty value.
pub fn key_from_env() -> Option<String> {
    std::env::var(KEY_ENV_VAR).ok().filter(|key| !key.trim().is_empty())
}

#[cfg(target_os = "linux")]
fn connect_system_store() -> Result<Arc<CredentialStore>, String> {
    // Without a session bus the connection fails at once; it does not hang.
    match zbus_secret_service_keyring_store::Store::new() {
        Ok(store) => Ok(store as Arc<CredentialStore>),
        Err(err) => Err(err.to_string()),
    }
}

#[cfg(target_os = "macos")]
fn connect_system_store() -> Result<Arc<CredentialStore>, String> {
    // The user's login keychain (the "legacy" keychain every macOS app can use unsigned).
    match apple_native_keyring_store::keychain::Store::new() {
        Ok(store) => Ok(store as Arc<CredentialStore>),
        Err(err) => Err(err.to_string()),
    }
}

#[cfg(windows)]
fn connect_system_store() -> Result<Arc<CredentialStore>, String> {
    // The user's Credential Manager (generic credentials).
    match windows_native_keyring_store::Store::new() {
        Ok(store) => Ok(store as Arc<CredentialStore>),
        Err(err) => Err(err.to_string()),
    }
}

#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
fn connect_system_store() -> Result<Arc<CredentialStore>, String> {
    Err("this build has no keychain support for this platform yet".to_string())
}

fn classify(err: keyring_core::Error) -> SecretError {
    match err {
        keyring_core::Error::NoStorageAccess(_) | keyring_core::Error::NoDefaultStore => {
            SecretError::Unavailable(err.to_string())
        }
        keyring_core::Error::PlatformFailure(_) => SecretError::Unavailable(err.to_string()),
        other => SecretError::Failed(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mock() -> Keychain {
        Keychain::with_store(keyring_core::mock::Store::new().unwrap())
    }

    #[test]
    fn save_load_forget_round_trip_in_the_mock_store() {
        let keychain = mock();
        assert_eq!(keychain.load().unwrap(), None);
        keychain.save("secret-1").unwrap();
        assert_eq!(keychain.load().unwrap().as_deref(), Some("secret-1"));
        keychain.save("secret-2").unwrap();
        assert_eq!(keychain.load().unwrap().as_deref(), Some("secret-2"));
        keychain.forget().unwrap();
        assert_eq!(keychain.load().unwrap(), None);
        // Forgetting twice is fine.
        keychain.forget().unwrap();
    }

    #[test]
    fn a_disabled_keychain_says_it_is_unavailable() {
        let keychain = Keychain::disabled();
        assert!(matches!(keychain.load(), Err(SecretError::Unavailable(_))));
        assert!(matches!(keychain.save("x"), Err(SecretError::Unavailable(_))));
    }

    #[test]
    fn a_store_without_access_reads_as_no_keychain_with_the_error_in_the_details() {
        let store = keyring_core::mock::Store::new().unwrap();
        let keychain = Keychain::with_store(store.clone());
        let entry = Entry::new_in_store(&(store as Arc<CredentialStore>), KEYCHAIN_SERVICE, KEYCHAIN_ACCOUNT)
            .unwrap();
        let cred: &keyring_core::mock::Cred = entry.as_any().downcast_ref().unwrap();
        // What the Secret Service store reports when the D-Bus call fails.
        let bus_error = "org.freedesktop.DBus.Error.ServiceUnknown: The name is not activatable";
        cred.set_error(keyring_core::Error::PlatformFailure(bus_error.into()));
        let err = keychain.save("k").unwrap_err();
        assert_eq!(err.save_message(), NO_KEYCHAIN_MESSAGE);
        assert!(!err.save_message().contains("DBus"), "the headline stays plain");
        assert!(err.details().contains(bus_error), "{}", err.details());

        cred.set_error(keyring_core::Error::Invalid("x".into(), "locked".into()));
        let err = keychain.save("k").unwrap_err();
        assert_eq!(err.save_message(), KEYCHAIN_REFUSED_MESSAGE);
        assert!(err.details().contains("locked"), "{}", err.details());
    }

    #[test]
    fn store_errors_are_reported_not_swallowed() {
        let store = keyring_core::mock::Store::new().unwrap();
        let keychain = Keychain::with_store(store.clone());
        keychain.save("k").unwrap();
        let entry = Entry::new_in_store(&(store as Arc<CredentialStore>), KEYCHAIN_SERVICE, KEYCHAIN_ACCOUNT)
            .unwrap();
        let cred: &keyring_core::mock::Cred = entry.as_any().downcast_ref().unwrap();
        cred.set_error(keyring_core::Error::Invalid("x".into(), "locked".into()));
        assert!(matches!(keychain.load(), Err(SecretError::Failed(_))));
        // The error was one-shot; the key is still there.
        assert_eq!(keychain.load().unwrap().as_deref(), Some("k"));
    }
}
