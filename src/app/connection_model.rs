//! The connection feature: how the window reaches the API (the embedded demo or a server
//! with a key), the connection dialog's draft, "Test connection", and the JSON keys and
//! values fetched on this connection for the form's suggestions. [`Connection::update`]
//! applies a [`ConnectionCommand`] and the `on_…` methods the worker's answers; both return
//! [`Effect`]s (jobs, notices, a new connection, "settings changed") instead of reaching
//! into the tabs, whose runs a new connection stops through [`Effect::Connect`].
//! No egui: `connection_ui.rs` draws it.

use crate::api::client::{ApiKey, ClientError};
use crate::app::effects::Effect;
use crate::app::format::thousands;
use crate::app::query_form::{SuggestionRequest, Suggestions};
use crate::app::state::{ErrorDetails, NoticeKind};
use crate::secrets::{KeySource, SecretError};
use crate::settings::ConnectionChoice;
use crate::worker::{ConnectTarget, ConnectionInfo, ConnectionKind, Job, RemoteKey};

/// The state of the connection to the API.
#[derive(Debug, Clone, PartialEq)]
pub enum ConnectionStatus {
    /// A connect job is on its way.
    Connecting,
    /// Connected.
    Connected(ConnectionInfo),
    /// The last connect failed and there is no connection.
    Failed {
        /// Why.
        message: String,
    },
}

/// The outcome of "Test connection", in words.
#[derive(Debug, Clone, PartialEq)]
pub enum TestOutcome {
    /// The test query is on its way.
    Running,
    /// The server answered.
    Passed(String),
    /// It did not work, and why.
    Failed {
        /// In words a support manager understands.
        summary: String,
        /// Technical details.
        details: ErrorDetails,
    },
}

/// The connection dialog's own draft (what is typed before Connect is pressed).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConnectionDialog {
    /// The dialog is shown.
    pub open: bool,
    /// The server URL being edited.
    pub server_url: String,
    /// The key being typed; cleared as soon as it was handed to the worker.
    pub key_text: String,
    /// Save the typed key in the keychain.
    pub remember_key: bool,
}

/// The window's connection: its state, the dialog, and what was learnt on it.
#[derive(Debug)]
pub struct Connection {
    /// Connecting, connected or failed.
    pub status: ConnectionStatus,
    /// Test connection's outcome, for the connection shown.
    pub test_outcome: Option<TestOutcome>,
    /// The connection dialog.
    pub dialog: ConnectionDialog,
    /// The server URL for real connections (environment, settings or default).
    pub server_url: String,
    /// The server URL the user chose in the connection dialog (what settings keep; an
    /// environment override is not written back).
    pub saved_server_url: Option<String>,
    /// The key from `INKEEPANALYTICS_API_INTEGRATION_KEY`, when set.
    pub env_key: Option<ApiKey>,
    /// How the window connects at startup and after "Use demo data" / "Connect".
    pub choice: ConnectionChoice,
    /// JSON keys and values fetched on this connection (shared by every tab's form).
    pub suggestions: Suggestions,
}

/// What the connection bar and dialog ask for.
#[derive(Debug, Clone, PartialEq)]
pub enum ConnectionCommand {
    /// Show the connection dialog.
    OpenDialog,
    /// Hide the connection dialog (the typed key is forgotten).
    CloseDialog,
    /// Connect to the server URL of the dialog with the key typed there (or the current one).
    ConnectFromDialog,
    /// Switch to the embedded demo API.
    UseDemo,
    /// Run a cheap query on the current connection and explain the outcome.
    Test,
    /// Delete the key saved in the keychain.
    ForgetSavedKey,
    /// Fetch a suggestion list for the form.
    FetchSuggestion(SuggestionRequest),
}

impl Connection {
    /// A window's connection before its first connect: `server_url` for real connections,
    /// the choice and server the settings kept, the environment's key.
    pub fn new(
        server_url: String,
        saved_server_url: Option<String>,
        choice: ConnectionChoice,
        env_key: Option<ApiKey>,
    ) -> Connection {
        Connection {
            status: ConnectionStatus::Connecting,
            test_outcome: None,
            dialog: ConnectionDialog { remember_key: true, ..ConnectionDialog::default() },
            server_url,
            saved_server_url,
            env_key,
            choice,
            suggestions: Suggestions::default(),
        }
    }

    /// The connection, when there is one.
    pub fn info(&self) -> Option<&ConnectionInfo> {
        match &self.status {
            ConnectionStatus::Connected(info) => Some(info),
            _ => None,
        }
    }

    /// Why no run can start on the connection now, or `None` when one can.
    pub fn blocked_reason(&self) -> Option<String> {
        match &self.status {
            ConnectionStatus::Connected(_) => None,
            ConnectionStatus::Connecting => Some("Connecting to the server…".to_string()),
            ConnectionStatus::Failed { message } => Some(format!("Not connected: {message}")),
        }
    }

    /// The server a run goes to now: the connection's, else the one configured.
    pub fn current_server_url(&self) -> String {
        self.info().map_or_else(|| self.server_url.clone(), |info| info.base_url.clone())
    }

    /// The connect target for the saved connection choice.
    pub fn startup_target(&self) -> ConnectTarget {
        match self.choice {
            ConnectionChoice::Demo => ConnectTarget::Demo,
            ConnectionChoice::Automatic => {
                ConnectTarget::Automatic { base_url: self.server_url.clone(), env_key: self.env_key.clone() }
            }
            ConnectionChoice::Remote => ConnectTarget::Remote {
                base_url: self.server_url.clone(),
                key: match &self.env_key {
                    Some(key) => RemoteKey::FromEnvironment(key.clone()),
                    None => RemoteKey::Current,
                },
            },
        }
    }

    /// Applies a connection command.
    pub fn update(&mut self, command: ConnectionCommand) -> Vec<Effect> {
        match command {
            ConnectionCommand::OpenDialog => {
                self.dialog.open = true;
                self.dialog.server_url.clone_from(&self.server_url);
                self.dialog.key_text.clear();
            }
            ConnectionCommand::CloseDialog => {
                self.dialog.open = false;
                self.dialog.key_text.clear();
            }
            ConnectionCommand::ConnectFromDialog => {
                let base_url = self.dialog.server_url.trim().to_string();
                if base_url.is_empty() {
                    return vec![Effect::notify(NoticeKind::Warning, "Enter the server URL first.")];
                }
                // The typed key goes to the worker and is gone from the window's state at once.
                let typed = std::mem::take(&mut self.dialog.key_text);
                let key = if typed.trim().is_empty() {
                    RemoteKey::Current
                } else {
                    RemoteKey::Entered { key: ApiKey::new(typed), remember: self.dialog.remember_key }
                };
                self.server_url = base_url.clone();
                self.saved_server_url = Some(base_url.clone());
                self.choice = ConnectionChoice::Remote;
                return vec![
                    Effect::Connect(ConnectTarget::Remote { base_url, key }),
                    Effect::SettingsChanged,
                ];
            }
            ConnectionCommand::UseDemo => {
                self.dialog.key_text.clear();
                self.choice = ConnectionChoice::Demo;
                return vec![Effect::Connect(ConnectTarget::Demo), Effect::SettingsChanged];
            }
            ConnectionCommand::Test => {
                self.test_outcome = Some(TestOutcome::Running);
                return vec![Effect::Job(Job::TestConnection)];
            }
            ConnectionCommand::ForgetSavedKey => return vec![Effect::Job(Job::ForgetSavedKey)],
            ConnectionCommand::FetchSuggestion(request) => {
                let job = match request {
                    SuggestionRequest::Keys { view, field } => Job::FetchKeys { view, field },
                    SuggestionRequest::Values { view, field, key } => Job::FetchValues { view, field, key },
                };
                return vec![Effect::Job(job)];
            }
        }
        Vec::new()
    }

    /// A connect job was sent: "connecting" shows until it answers, unless a connection
    /// is kept meanwhile (a failed switch keeps the previous one).
    pub fn connecting(&mut self) {
        if !matches!(self.status, ConnectionStatus::Connected(_)) {
            self.status = ConnectionStatus::Connecting;
        }
        self.test_outcome = None;
    }

    /// The worker connected: what was learnt on the previous connection is forgotten.
    pub fn on_connected(&mut self, info: ConnectionInfo) -> Vec<Effect> {
        let effects = match &info.notice {
            Some(notice) => vec![Effect::Notify(NoticeKind::Warning, notice.clone())],
            None => Vec::new(),
        };
        if info.kind == ConnectionKind::Remote {
            self.server_url.clone_from(&info.base_url);
        }
        self.suggestions = Suggestions::default();
        self.test_outcome = None;
        self.status = ConnectionStatus::Connected(info);
        effects
    }

    /// A connect failed: the previous connection, if any, is still used.
    pub fn on_connect_failed(&mut self, message: &str) -> Vec<Effect> {
        if matches!(self.status, ConnectionStatus::Connected(_)) {
            let text = format!("{message} The previous connection is still used.");
            return vec![Effect::Notify(NoticeKind::Warning, text)];
        }
        self.status = ConnectionStatus::Failed { message: message.to_string() };
        Vec::new()
    }

    /// Keys of a JSON field fetched on connection `connection_id` (an empty list on
    /// failure: the form stops asking, and shows "nothing known").
    pub fn on_keys(
        &mut self,
        connection_id: u64,
        view: crate::api::view::View,
        field: crate::api::query::Field,
        keys: Option<Vec<String>>,
    ) {
        if self.info().is_some_and(|info| info.id == connection_id) {
            self.suggestions.keys.insert((view, field), keys.unwrap_or_default());
        }
    }

    /// Values at a key fetched on connection `connection_id` (empty on failure).
    pub fn on_values(
        &mut self,
        connection_id: u64,
        view: crate::api::view::View,
        field: crate::api::query::Field,
        key: String,
        values: Option<Vec<String>>,
    ) {
        if self.info().is_some_and(|info| info.id == connection_id) {
            self.suggestions.values.insert((view, field, key), values.unwrap_or_default());
        }
    }

    /// "Test connection" answered, for connection `connection_id`.
    pub fn on_tested(&mut self, connection_id: u64, result: Result<u64, ClientError>) {
        let Some(info) = self.info() else { return };
        if info.id != connection_id {
            return;
        }
        let outcome = match result {
            Ok(count) => TestOutcome::Passed(format!(
                "It works: {} answered and holds {} conversations.",
                if info.kind == ConnectionKind::Demo { "the demo API" } else { "the server" },
                thousands(count)
            )),
            Err(error) => TestOutcome::Failed {
                summary: explain_connection_error(&error),
                details: ErrorDetails::from_client_error(&error),
            },
        };
        self.test_outcome = Some(outcome);
    }

    /// The saved key was removed from the keychain (or not).
    pub fn on_key_forgotten(&mut self, result: Result<(), SecretError>) -> Vec<Effect> {
        match result {
            Ok(()) => {
                if let ConnectionStatus::Connected(info) = &mut self.status
                    && info.key_source == Some(KeySource::Keychain)
                {
                    info.key_source = Some(KeySource::SessionOnly);
                }
                vec![Effect::notify(NoticeKind::Info, "The saved key was removed from the keychain.")]
            }
            Err(error) => {
                // A plain sentence; the keychain's own error goes to the log.
                tracing::warn!(error = %error, "the saved key could not be removed");
                let text = match error {
                    SecretError::Unavailable(_) => {
                        "No system keychain found; there is no saved key to remove."
                    }
                    SecretError::Failed(_) => "The system keychain did not remove the saved key.",
                };
                vec![Effect::notify(NoticeKind::Warning, text)]
            }
        }
    }
}

/// A failed connection test in words a support manager can act on.
pub fn explain_connection_error(error: &ClientError) -> String {
    match error.status() {
        Some(401) => "The server rejected the API key (HTTP 401): the key is wrong, expired or revoked. \
                      Paste the current key of an API integration."
            .to_string(),
        Some(403) => "The key was recognised but may not read analytics (HTTP 403): it belongs to an \
                      integration that is not an API integration. Create an API integration in the Inkeep \
                      dashboard and use its key."
            .to_string(),
        Some(_) => error.user_message(),
        None => match error {
            ClientError::Connect { .. } | ClientError::Timeout { .. } => {
                let url = error.url().unwrap_or("the server URL");
                format!("Cannot reach the server at {url}: check the address and the network connection.")
            }
            _ => error.user_message(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connection() -> Connection {
        Connection::new("https://api.example.com".into(), None, ConnectionChoice::Automatic, None)
    }

    #[test]
    fn connection_errors_are_explained_by_status() {
        let problem = crate::api::response::Problem::new(401, "unauthorized", "Unauthorized", "bad key");
        let unauthorized =
            ClientError::Api { status: 401, problem: Box::new(problem.clone()), url: "u".into() };
        assert!(explain_connection_error(&unauthorized).contains("rejected the API key"));
        let forbidden = ClientError::Api { status: 403, problem: Box::new(problem), url: "u".into() };
        assert!(explain_connection_error(&forbidden).contains("not an API integration"));
        let network =
            ClientError::Connect { url: "https://example.invalid/query".into(), message: "dns".into() };
        assert_eq!(
            explain_connection_error(&network),
            "Cannot reach the server at https://example.invalid/query: check the address and the network connection."
        );
    }

    #[test]
    fn connecting_from_the_dialog_hands_the_key_over_and_forgets_it() {
        let mut connection = connection();
        connection.update(ConnectionCommand::OpenDialog);
        connection.dialog.server_url = " https://other.example ".into();
        connection.dialog.key_text = "secret".into();
        let effects = connection.update(ConnectionCommand::ConnectFromDialog);
        assert!(connection.dialog.key_text.is_empty(), "the typed key does not stay in the window");
        assert_eq!(connection.choice, ConnectionChoice::Remote);
        assert_eq!(connection.saved_server_url.as_deref(), Some("https://other.example"));
        assert!(
            matches!(effects.as_slice(), [
                Effect::Connect(ConnectTarget::Remote { base_url, key: RemoteKey::Entered { remember: true, .. } }),
                Effect::SettingsChanged,
            ] if base_url == "https://other.example"),
            "{effects:?}"
        );
    }

    #[test]
    fn an_empty_server_url_is_refused_and_nothing_connects() {
        let mut connection = connection();
        connection.dialog.server_url = "   ".into();
        let effects = connection.update(ConnectionCommand::ConnectFromDialog);
        assert!(matches!(effects.as_slice(), [Effect::Notify(NoticeKind::Warning, _)]), "{effects:?}");
        assert_eq!(connection.choice, ConnectionChoice::Automatic);
    }

    #[test]
    fn a_failed_switch_keeps_the_previous_connection() {
        let mut connection = connection();
        assert!(connection.on_connect_failed("no route").is_empty());
        assert_eq!(connection.status, ConnectionStatus::Failed { message: "no route".into() });
        assert!(connection.blocked_reason().is_some_and(|reason| reason.contains("no route")));
    }
}
