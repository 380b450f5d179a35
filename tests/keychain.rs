//! The API key in the system keychain, through the window as a user saves it.
//!
//! - `a_key_saved_in_the_real_keychain_is_found_by_a_fresh_app_and_forgotten` talks to a real
//!   Secret Service, so it is ignored by a plain `cargo test`. `.ci/run` runs it inside
//!   `dbus-run-session` with a throwaway, unlocked `gnome-keyring-daemon`:
//!   `cargo test --test keychain -- --ignored`. It refuses to run where a key is already
//!   saved, so it never overwrites someone's real key.
//! - `without_a_keychain_the_window_says_so_in_one_sentence` runs everywhere: where this
//!   process has no session bus it uses the real Secret Service store (which then fails as
//!   it does for users without one); where a bus exists it switches the keychain off rather
//!   than touch the real one.

// Helpers outside #[test] functions panic on purpose too: a failed step is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::{Arc, Mutex};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use inkeep_explorer::app::connection_model::TestOutcome;
use inkeep_explorer::app::{AppEnv, ExplorerApp};
use inkeep_explorer::secrets::{KeySource, Keychain, NO_KEYCHAIN_MESSAGE};
use inkeep_explorer::settings::Settings;
use inkeep_explorer::worker::{ConnectionInfo, ConnectionKind};
use serde_json::json;
use support::*;

fn info(harness: &Harness<'_, ExplorerApp>) -> ConnectionInfo {
    app(harness).connection_info().cloned().expect("connected")
}

/// Types a server URL and a key into the connection dialog and connects, remembering the key.
fn connect_with_key(harness: &mut Harness<'_, ExplorerApp>, url: &str, key: &str) {
    click(harness, "Connection…");
    type_into(harness, "Server URL", url);
    type_into(harness, "API key", key);
    assert!(app(harness).connection.dialog.remember_key, "the dialog remembers the key unless told not to");
    click(harness, "Connect");
    step_until(harness, "the real connection", connected(ConnectionKind::Remote));
}

/// A stand-in API on loopback that answers every query with a count and records the
/// `Authorization` header it was sent.
struct FakeApi {
    url: String,
    authorization: Arc<Mutex<Vec<String>>>,
    _server: LocalApi,
}

fn fake_api() -> FakeApi {
    let authorization = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&authorization);
    let query = move |headers: axum::http::HeaderMap| {
        let seen = Arc::clone(&seen);
        async move {
            let header = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
            seen.lock().unwrap().push(header);
            axum::Json(json!({
                "status": "ok",
                "data": {"result": [{"count": 7}], "total": 1, "pageSize": 1, "count": 1}
            }))
        }
    };
    let server = serve_locally(axum::Router::new().route("/query/conversations", axum::routing::post(query)));
    FakeApi { url: server.url.clone(), authorization, _server: server }
}

/// The window's environment with the real system keychain, as `AppEnv::from_process` has it,
/// and a private config dir (the settings carry the connection choice across the restart).
fn system_env(config_dir: &std::path::Path) -> AppEnv {
    AppEnv {
        config_dir: Some(config_dir.to_path_buf()),
        keychain: Arc::new(Keychain::system()),
        ..AppEnv::isolated(200)
    }
}

#[test]
#[ignore = "needs a Secret Service; .ci/run runs it in a private D-Bus session with gnome-keyring"]
fn a_key_saved_in_the_real_keychain_is_found_by_a_fresh_app_and_forgotten() {
    match Keychain::system().load() {
        Ok(None) => {}
        Ok(Some(_)) => panic!("a key is already saved in this keychain; run this test through .ci/run"),
        Err(err) => panic!("no usable Secret Service ({err}); run this test through .ci/run"),
    }
    let fake = fake_api();
    let dir = tempfile::tempdir().unwrap();
    let key = format!("ci-real-keychain-{}", std::process::id());

    // First app: the key typed in the connection dialog goes to the keychain.
    {
        let mut harness = window(system_env(dir.path()), None);
        step_until(&mut harness, "the demo connection", connected(ConnectionKind::Demo));
        connect_with_key(&mut harness, &fake.url, &key);
        let first = info(&harness);
        assert_eq!(first.key_source, Some(KeySource::Keychain), "notice: {:?}", first.notice);
        assert_eq!(first.notice, None);
        // Written by the worker shortly after the change.
        let path = Settings::path_in(dir.path());
        step_until_outside(&mut harness, "the settings to be written", || {
            std::fs::read_to_string(&path).is_ok_and(|text| text.contains(&fake.url))
        });
        assert!(!std::fs::read_to_string(&path).unwrap().contains(&key), "the key is never in a file");
    }
    // Seen from outside the app, through a keychain handle of its own.
    assert_eq!(Keychain::system().load().unwrap().as_deref(), Some(key.as_str()));

    // A fresh app, as the window builds it: its own keychain handle, nothing in memory.
    let mut harness = window(system_env(dir.path()), None);
    step_until(&mut harness, "the saved connection", connected(ConnectionKind::Remote));
    let restarted = info(&harness);
    assert_eq!(restarted.base_url, fake.url);
    assert_eq!(restarted.key_source, Some(KeySource::Keychain), "the key was found again");
    // And it is the very key: the server receives it.
    click(&mut harness, "Connection…");
    click(&mut harness, "Test connection");
    step_until(&mut harness, "the connection test", |s| {
        matches!(s.connection.test_outcome, Some(TestOutcome::Passed(_)))
    });
    assert_eq!(fake.authorization.lock().unwrap().last().cloned(), Some(format!("Bearer {key}")));

    click(&mut harness, "Forget saved key");
    step_until(&mut harness, "the key to be forgotten", |s| {
        s.connection_info().is_some_and(|info| info.key_source == Some(KeySource::SessionOnly))
    });
    assert_eq!(Keychain::system().load().unwrap(), None, "the key is gone from the keychain");
}

/// True when this process could reach a D-Bus session bus (and so perhaps a real keychain).
fn session_bus_reachable() -> bool {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some() {
        return true;
    }
    let runtime_bus = std::env::var_os("XDG_RUNTIME_DIR")
        .is_some_and(|dir| std::path::Path::new(&dir).join("bus").exists());
    let any_user_bus = std::fs::read_dir("/run/user")
        .map(|dirs| dirs.flatten().any(|dir| dir.path().join("bus").exists()))
        .unwrap_or(false);
    runtime_bus || any_user_bus
}

#[test]
fn without_a_keychain_the_window_says_so_in_one_sentence() {
    let keychain = if session_bus_reachable() { Keychain::disabled() } else { Keychain::system() };
    let fake = fake_api();
    let env = AppEnv { keychain: Arc::new(keychain), ..AppEnv::isolated(200) };
    let mut harness = window(env, None);
    step_until(&mut harness, "the demo connection", connected(ConnectionKind::Demo));
    connect_with_key(&mut harness, &fake.url, "typed-key");

    let connection = info(&harness);
    assert_eq!(connection.key_source, Some(KeySource::SessionOnly));
    assert_eq!(connection.notice.as_deref(), Some(NO_KEYCHAIN_MESSAGE));
    let details = connection.notice_details.clone().expect("the cause is kept for Details");
    assert!(!details.trim().is_empty());
    assert!(!NO_KEYCHAIN_MESSAGE.contains(details.as_str()));
    // The dialog and the status bar show the sentence alone; the cause is under Details.
    assert!(harness.query_all_by_label(NO_KEYCHAIN_MESSAGE).count() >= 1, "the sentence is shown");
    assert!(harness.query_by_label_contains(&details).is_none(), "the cause is folded away");
    harness.get_all_by_label("Details").next().expect("a Details section").click();
    harness.run_ok();
    assert!(harness.query_by_label_contains(&details).is_some(), "Details shows the cause: {details}");
}
