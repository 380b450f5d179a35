//! Startup, shutdown, configuration.

use super::*;

#[test]
fn requests_before_the_dataset_is_ready_wait_for_it() {
    let rows = 30_000;
    let started = std::time::Instant::now();
    let server = DemoServer::start_in_background(ServerConfig::local(DatasetParams {
        rows,
        seed: 3,
        end_date: end_date(),
    }))
    .unwrap();
    assert!(started.elapsed() < Duration::from_secs(1), "start returns before the dataset is built");
    assert!(server.url().starts_with("http://127.0.0.1:"));
    let answer = post_bytes(&server, "/query/conversations", b"{}".to_vec());
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(answer.json()["data"]["total"], json!(rows));
    assert!(server.is_ready());
    let url = server.url();
    server.shutdown();
    let refused =
        runtime().block_on(async { client().post(format!("{url}/query/conversations")).send().await });
    assert!(refused.is_err(), "nothing listens after shutdown");
}

#[test]
fn start_on_an_existing_runtime() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let server = DemoServer::start(ServerConfig::local(DatasetParams {
            rows: 300,
            seed: 9,
            end_date: end_date(),
        }))
        .await
        .unwrap();
        let client = reqwest::Client::new();
        let answer = client
            .post(format!("{}/query/conversations", server.url()))
            .header("authorization", "Bearer t")
            .json(&json!({"select": [{"type": "aggregation", "aggregation": "count"}]}))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
        let body: Value = answer.json().await.unwrap();
        assert_eq!(body["data"]["result"][0]["count"], json!(300));
        server.shutdown();
    });
}

#[test]
fn non_loopback_addresses_need_allow_remote_and_a_key() {
    let remote = ServerConfig {
        addr: "0.0.0.0:0".parse().unwrap(),
        ..ServerConfig::local(DatasetParams { rows: 10, seed: 1, end_date: end_date() })
    };
    match DemoServer::start_in_background(remote.clone()) {
        Err(ServerError::RemoteNotAllowed { .. }) => {}
        other => panic!("expected RemoteNotAllowed, got {other:?}"),
    }
    let allowed_without_key = ServerConfig { allow_remote: true, ..remote.clone() };
    match DemoServer::start_in_background(allowed_without_key) {
        Err(ServerError::RemoteWithoutApiKey { .. }) => {}
        other => panic!("expected RemoteWithoutApiKey, got {other:?}"),
    }
    for bad_key in ["", "  ", "two words", "caf\u{e9}"] {
        let config =
            ServerConfig { api_key: Some(bad_key.to_string()), ..ServerConfig::local(remote.dataset) };
        assert!(
            matches!(DemoServer::start_in_background(config), Err(ServerError::InvalidApiKey)),
            "{bad_key:?}"
        );
    }
    let keyed = ServerConfig { api_key: Some(API_KEY.to_string()), ..remote.clone() };
    assert!(!format!("{keyed:?}").contains(API_KEY), "Debug never shows the key");
    // A port already taken is a clear bind error.
    let taken = ServerConfig { addr: server().local_addr(), ..ServerConfig::local(remote.dataset) };
    match DemoServer::start_in_background(taken) {
        Err(error @ ServerError::Bind { .. }) => assert!(error.to_string().contains("could not listen")),
        other => panic!("expected Bind, got {other:?}"),
    }
}
