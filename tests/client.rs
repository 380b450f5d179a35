//! Client fault tests: `AnalyticsClient` against a small axum server on 127.0.0.1 started by
//! each test. The server records every request it sees (headers, body, time), so the tests
//! count attempts and measure delays on the server side.

// Helpers outside `#[test]` functions panic on purpose too: a panic is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use futures_util::stream;
use inkeep_explorer::api::client::{
    AnalyticsClient, ApiKey, ClientConfig, ClientError, DEFAULT_MAX_RESPONSE_BYTES, TimeoutPhase,
};
use inkeep_explorer::api::query::{Aggregation, Field, QueryBody, Selection};
use inkeep_explorer::api::response::{
    EnvelopeError, Problem, PropertyField, PropertyKeysRequest, PropertyValuesRequest,
};
use inkeep_explorer::api::view::View;
use serde_json::{Value, json};
use tokio::sync::mpsc;

/// Every test must finish well within this; a hang is a failure, not a stuck suite.
const TEST_DEADLINE: Duration = Duration::from_secs(10);

#[derive(Clone, Debug)]
struct Hit {
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Bytes,
    at: Instant,
}

type Responder = Arc<dyn Fn(usize) -> Pin<Box<dyn Future<Output = Response> + Send>> + Send + Sync>;

struct Shared {
    hits: Mutex<Vec<Hit>>,
    respond: Responder,
}

struct TestServer {
    url: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl TestServer {
    /// Starts a server whose every answer comes from `respond(attempt_index)`.
    async fn start<F, Fut>(respond: F) -> TestServer
    where
        F: Fn(usize) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Response> + Send + 'static,
    {
        let respond: Responder = Arc::new(move |index| Box::pin(respond(index)));
        let shared = Arc::new(Shared { hits: Mutex::new(Vec::new()), respond });
        let app = Router::new().fallback(record).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        TestServer { url, shared, task }
    }

    fn hits(&self) -> Vec<Hit> {
        self.shared.hits.lock().unwrap().clone()
    }

    fn attempts(&self) -> usize {
        self.shared.hits.lock().unwrap().len()
    }

    async fn wait_for_attempts(&self, count: usize) {
        let deadline = Instant::now() + Duration::from_secs(3);
        while self.attempts() < count {
            assert!(Instant::now() < deadline, "server never saw {count} requests");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn record(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let index = {
        let mut hits = shared.hits.lock().unwrap();
        hits.push(Hit { method, path: uri.path().to_string(), headers, body, at: Instant::now() });
        hits.len() - 1
    };
    (shared.respond)(index).await
}

fn respond(status: u16, content_type: &str, body: impl Into<Body>) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("x-request-id", "hdr-req-1")
        .body(body.into())
        .unwrap()
}

fn envelope(rows: Value, total: u64) -> String {
    let count = rows.as_array().map(Vec::len).unwrap_or(0);
    json!({"status":"ok","data":{"result":rows,"total":total,"pageSize":1000,"count":count}}).to_string()
}

fn ok_envelope() -> Response {
    respond(200, "application/json", envelope(json!([{"type":"openai","count":7}]), 1))
}

fn problem_response(
    status: u16,
    code: &str,
    title: &str,
    detail: &str,
    request_id: Option<&str>,
) -> Response {
    let mut problem = Problem::new(status, code, title, detail);
    problem.request_id = request_id.map(str::to_string);
    respond(status, "application/problem+json", serde_json::to_string(&problem).unwrap())
}

/// A body that sends `chunks` with `gap` between them, then optionally fails (the server
/// then aborts the connection, as a crashed backend would).
fn chunked_body(chunks: Vec<Vec<u8>>, gap: Duration, fail_at_end: bool) -> Body {
    let items =
        stream::unfold((chunks.into_iter(), true, fail_at_end), move |(mut iter, first, fail)| async move {
            if !first {
                tokio::time::sleep(gap).await;
            }
            match iter.next() {
                Some(chunk) => Some((Ok::<_, std::io::Error>(Bytes::from(chunk)), (iter, false, fail))),
                None if fail => Some((Err(std::io::Error::other("backend crashed")), (iter, false, false))),
                None => None,
            }
        });
    Body::from_stream(items)
}

fn config(url: &str) -> ClientConfig {
    ClientConfig {
        base_url: url.to_string(),
        api_key: None,
        connect_timeout_secs: 1.0,
        request_timeout_secs: 2.0,
        max_retries: 3,
        max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        retry_base_delay_ms: 10,
        retry_max_delay_ms: 40,
    }
}

fn client(config: ClientConfig) -> AnalyticsClient {
    AnalyticsClient::new(config).unwrap()
}

/// Runs a client future with the test deadline, so a bug shows as a failure, not a hang.
async fn bounded<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(TEST_DEADLINE, future).await.expect("the client call hung")
}

fn sample_query() -> QueryBody {
    QueryBody {
        select: vec![Selection::field(Field::Type), Selection::count()],
        group_by: vec![inkeep_explorer::api::query::GroupBy::field(Field::Type)],
        notes: Some("client test".to_string()),
        ..QueryBody::default()
    }
}

#[tokio::test]
async fn query_success_sends_documented_headers_and_body() {
    let server = TestServer::start(|_| async { ok_envelope() }).await;
    let mut config = config(&server.url);
    config.api_key = Some(ApiKey::new("test-key-0123456789".to_string()));
    let client = client(config);
    let query = sample_query();

    let response = bounded(client.query(View::Conversations, &query)).await.unwrap();

    assert_eq!(response.total, 1);
    assert_eq!(response.page_size, 1000);
    assert_eq!(response.count, 1);
    assert_eq!(response.rows.len(), 1);
    assert_eq!(response.rows[0]["type"], json!("openai"));
    assert_eq!(response.rows[0]["count"], json!(7));
    assert_eq!(response.request_id.as_deref(), Some("hdr-req-1"));

    let hits = server.hits();
    assert_eq!(hits.len(), 1);
    let hit = &hits[0];
    assert_eq!(hit.method, Method::POST);
    assert_eq!(hit.path, "/query/conversations");
    assert_eq!(hit.headers["authorization"], "Bearer test-key-0123456789");
    assert_eq!(hit.headers["content-type"], "application/json");
    assert!(hit.headers["accept"].to_str().unwrap().contains("application/json"));
    assert!(hit.headers["user-agent"].to_str().unwrap().starts_with("inkeep-explorer/"));
    let sent: Value = serde_json::from_slice(&hit.body).unwrap();
    assert_eq!(
        sent,
        json!({"select":[{"type":"field","field":"type"},{"type":"aggregation","aggregation":"count"}],
               "groupBy":[{"field":"type"}],"notes":"client test"})
    );
}

#[tokio::test]
async fn no_authorization_header_without_a_key_and_raw_bytes_are_untouched() {
    let body = envelope(json!([{"id":"c1"}]), 1);
    let expected = body.clone();
    let server = TestServer::start(move |_| {
        let body = body.clone();
        async move { respond(200, "application/json", body) }
    })
    .await;
    let client = client(config(&format!("{}/", server.url)));
    assert_eq!(client.base_url(), server.url);

    let raw = bounded(client.query_raw(View::Conversations, &QueryBody::default())).await.unwrap();

    assert_eq!(raw.bytes, expected.as_bytes());
    assert_eq!(raw.request_id.as_deref(), Some("hdr-req-1"));
    let hits = server.hits();
    assert!(hits[0].headers.get("authorization").is_none());
    assert_eq!(&hits[0].body[..], b"{}");
}

#[tokio::test]
async fn documented_error_statuses_become_typed_problems() {
    let cases = [
        (400, "bad_request", "Bad Request"),
        (401, "unauthorized", "Unauthorized"),
        (403, "forbidden", "Forbidden"),
        (404, "not_found", "Not Found"),
        (422, "unprocessable_entity", "Unprocessable Entity"),
        (500, "internal_server_error", "Internal Server Error"),
    ];
    for (status, code, title) in cases {
        let server = TestServer::start(move |_| async move {
            problem_response(
                status,
                code,
                title,
                &format!("detail for {status}"),
                Some(&format!("req-{status}")),
            )
        })
        .await;
        let mut config = config(&server.url);
        config.max_retries = 2;
        let client = client(config);

        let err = bounded(client.query(View::Conversations, &QueryBody::default())).await.unwrap_err();

        let ClientError::Api { status: got, problem, url } = &err else { panic!("{status}: {err:?}") };
        assert_eq!(*got, status);
        assert_eq!(problem.title.as_deref(), Some(title));
        assert_eq!(problem.status, Some(status));
        assert_eq!(problem.detail.as_deref(), Some(format!("detail for {status}").as_str()));
        assert_eq!(problem.code(), Some(code));
        assert_eq!(problem.error.as_ref().map(|e| e.code.as_str()), Some(code));
        assert_eq!(url, &format!("{}/query/conversations", server.url));
        assert_eq!(err.status(), Some(status));
        assert_eq!(err.request_id(), Some(format!("req-{status}").as_str()));
        let message = err.to_string();
        assert!(message.contains(&format!("HTTP {status}")), "{message}");
        assert!(message.ends_with(&format!("{}/query/conversations", server.url)), "{message}");
        // 4xx is never retried; 5xx is, up to max_retries times.
        let expected_attempts = if status >= 500 { 3 } else { 1 };
        assert_eq!(server.attempts(), expected_attempts, "status {status}");
    }
}

#[tokio::test]
async fn user_messages_explain_auth_failures() {
    for (status, needle) in [(401, "key was not accepted"), (403, "API integration"), (429, "rate limiting")]
    {
        let server =
            TestServer::start(
                move |_| async move { problem_response(status, "x", "X", "no", Some("req-u")) },
            )
            .await;
        let mut config = config(&server.url);
        config.max_retries = 0;
        let err =
            bounded(client(config).query(View::Conversations, &QueryBody::default())).await.unwrap_err();
        let message = err.user_message();
        assert!(message.contains(needle), "{status}: {message}");
        assert!(message.contains("req-u"), "{status}: {message}");
    }
}

#[tokio::test]
async fn request_id_comes_from_the_header_when_the_problem_has_none() {
    let server =
        TestServer::start(|_| async { problem_response(400, "bad_request", "Bad Request", "nope", None) })
            .await;
    let err = bounded(client(config(&server.url)).query(View::Conversations, &QueryBody::default()))
        .await
        .unwrap_err();
    assert_eq!(err.request_id(), Some("hdr-req-1"));
    assert_eq!(server.attempts(), 1);
}

#[tokio::test]
async fn non_json_error_bodies_are_still_readable() {
    let html = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title><style>h1{}</style></head>\
                <body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>";
    let server = TestServer::start(move |index| async move {
        match index {
            0 => respond(502, "text/html", html),
            1 => respond(503, "text/plain", ""),
            _ => respond(504, "text/plain", "x".repeat(5000)),
        }
    })
    .await;
    let mut config = config(&server.url);
    config.max_retries = 0;
    let client = client(config);

    let err = bounded(client.query(View::Conversations, &QueryBody::default())).await.unwrap_err();
    let ClientError::Http { status, body_excerpt, request_id, .. } = &err else { panic!("{err:?}") };
    assert_eq!(*status, 502);
    assert_eq!(body_excerpt, "502 Bad Gateway 502 Bad Gateway nginx");
    assert_eq!(request_id.as_deref(), Some("hdr-req-1"));
    let message = err.to_string();
    assert!(
        message.starts_with("the request failed with HTTP 502 Bad Gateway: 502 Bad Gateway"),
        "{message}"
    );
    assert!(!message.contains('<'), "{message}");
    assert!(err.user_message().contains("had a problem (HTTP 502)"));

    let err = bounded(client.query(View::Conversations, &QueryBody::default())).await.unwrap_err();
    let ClientError::Http { status, body_excerpt, .. } = &err else { panic!("{err:?}") };
    assert_eq!((*status, body_excerpt.as_str()), (503, "(empty body)"));

    let err = bounded(client.query(View::Conversations, &QueryBody::default())).await.unwrap_err();
    let ClientError::Http { status, body_excerpt, .. } = &err else { panic!("{err:?}") };
    assert_eq!(*status, 504);
    assert_eq!(body_excerpt.chars().count(), 201, "excerpt trimmed to ~200 characters");
    assert_eq!(server.attempts(), 3);
}

#[tokio::test]
async fn retries_500_500_then_succeeds() {
    let server = TestServer::start(|index| async move {
        if index < 2 {
            problem_response(500, "internal_server_error", "Internal", "boom", None)
        } else {
            ok_envelope()
        }
    })
    .await;
    let response =
        bounded(client(config(&server.url)).query(View::Conversations, &QueryBody::default())).await.unwrap();
    assert_eq!(response.total, 1);
    assert_eq!(server.attempts(), 3);
    // Every attempt carries the same body.
    let hits = server.hits();
    assert!(hits.iter().all(|hit| hit.body == hits[0].body));
}

#[tokio::test]
async fn gives_up_after_max_retries() {
    let server = TestServer::start(|_| async { respond(503, "text/plain", "busy") }).await;
    let mut config = config(&server.url);
    config.max_retries = 2;
    let err = bounded(client(config).query(View::Conversations, &QueryBody::default())).await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(server.attempts(), 3, "one attempt plus two retries");
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let server = TestServer::start(|index| async move {
        if index == 0 {
            Response::builder()
                .status(429)
                .header("retry-after", "1")
                .header("content-type", "application/problem+json")
                .body(Body::from(
                    serde_json::to_string(&Problem::new(429, "too_many", "Too Many", "slow")).unwrap(),
                ))
                .unwrap()
        } else {
            ok_envelope()
        }
    })
    .await;
    let response =
        bounded(client(config(&server.url)).query(View::Conversations, &QueryBody::default())).await.unwrap();
    assert_eq!(response.count, 1);
    let hits = server.hits();
    assert_eq!(hits.len(), 2);
    let gap = hits[1].at - hits[0].at;
    // The configured backoff is 10-40 ms, so only Retry-After explains a gap this long.
    assert!(gap >= Duration::from_millis(950), "second attempt after {gap:?}");
    assert!(gap < Duration::from_millis(2500), "second attempt after {gap:?}");
}

#[tokio::test]
async fn retry_after_longer_than_the_cap_is_not_waited_for() {
    let server = TestServer::start(|_| async {
        Response::builder().status(429).header("retry-after", "3600").body(Body::from("slow down")).unwrap()
    })
    .await;
    let started = Instant::now();
    let err = bounded(client(config(&server.url)).query(View::Conversations, &QueryBody::default()))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(429));
    assert_eq!(server.attempts(), 1);
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn no_retry_on_400() {
    let server = TestServer::start(|_| async {
        problem_response(400, "bad_request", "Bad Request", "bad notes", None)
    })
    .await;
    let err = bounded(client(config(&server.url)).query(View::Conversations, &QueryBody::default()))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert!(err.user_message().contains("bad notes"), "{}", err.user_message());
    // Give a (wrong) delayed retry the chance to show up before counting.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(server.attempts(), 1);
}

#[tokio::test]
async fn slow_server_times_out() {
    let server = TestServer::start(|_| async {
        tokio::time::sleep(Duration::from_secs(5)).await;
        ok_envelope()
    })
    .await;
    let mut config = config(&server.url);
    config.request_timeout_secs = 0.3;
    let started = Instant::now();
    let err = bounded(client(config).query(View::Conversations, &QueryBody::default())).await.unwrap_err();
    let elapsed = started.elapsed();
    let ClientError::Timeout { phase, timeout_secs, .. } = &err else { panic!("{err:?}") };
    assert_eq!(*phase, TimeoutPhase::Response);
    assert_eq!(*timeout_secs, 0.3);
    assert!(elapsed >= Duration::from_millis(290) && elapsed < Duration::from_millis(1500), "{elapsed:?}");
    assert_eq!(server.attempts(), 1);
    assert!(err.to_string().contains("no complete answer within 0.3 s"), "{err}");
}

#[tokio::test]
async fn unreachable_server_is_a_connect_error_after_retries() {
    // A port that was just free: nothing listens there.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let mut config = config(&url);
    config.max_retries = 2;
    let started = Instant::now();
    let err = bounded(client(config).query(View::Conversations, &QueryBody::default())).await.unwrap_err();
    assert!(matches!(err, ClientError::Connect { .. }), "{err:?}");
    assert!(err.to_string().starts_with("cannot reach the server: "), "{err}");
    assert!(err.to_string().ends_with(&format!("{url}/query/conversations")), "{err}");
    assert!(err.user_message().starts_with("Cannot reach the server"));
    // Three attempts with 10-40 ms backoff.
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn dropping_the_future_cancels_the_request() {
    struct DropSignal(mpsc::UnboundedSender<()>);
    impl Drop for DropSignal {
        fn drop(&mut self) {
            let _ = self.0.send(());
        }
    }
    let (dropped_tx, mut dropped_rx) = mpsc::unbounded_channel();
    let server = TestServer::start(move |_| {
        let signal = DropSignal(dropped_tx.clone());
        async move {
            let _signal = signal;
            tokio::time::sleep(Duration::from_secs(30)).await;
            ok_envelope()
        }
    })
    .await;
    let client = client(config(&server.url));
    let query = QueryBody::default();
    // Boxed so that `drop` below really drops the future (a stack-pinned one lives to the end
    // of the scope).
    let mut pending = Box::pin(client.query(View::Conversations, &query));
    // Drive the request until the server has it, then drop the future.
    tokio::select! {
        _ = &mut pending => panic!("the stalled request completed"),
        _ = server.wait_for_attempts(1) => {}
    }
    drop(pending);
    // The server notices the closed connection and drops its handler.
    let noticed = tokio::time::timeout(Duration::from_secs(2), dropped_rx.recv()).await;
    assert!(matches!(noticed, Ok(Some(()))), "the server never saw the connection close");
    assert_eq!(server.attempts(), 1);
}

#[tokio::test]
async fn oversized_answer_with_content_length_is_refused() {
    let server = TestServer::start(|_| async { respond(200, "application/json", vec![b' '; 4096]) }).await;
    let mut config = config(&server.url);
    config.max_response_bytes = 1024;
    let err = bounded(client(config).query(View::Conversations, &QueryBody::default())).await.unwrap_err();
    let ClientError::TooLarge { limit_bytes, declared_bytes, .. } = &err else { panic!("{err:?}") };
    assert_eq!((*limit_bytes, *declared_bytes), (1024, Some(4096)));
    assert!(err.to_string().contains("the server announced 4 KiB, more than the limit of 1 KiB"), "{err}");
    assert_eq!(server.attempts(), 1, "a too-large answer is not retried");
}

#[tokio::test]
async fn oversized_chunked_answer_is_refused_while_streaming() {
    let server = TestServer::start(|_| async {
        let chunks = (0..10).map(|_| vec![b' '; 512]).collect();
        respond(200, "application/json", chunked_body(chunks, Duration::from_millis(1), false))
    })
    .await;
    let mut config = config(&server.url);
    config.max_response_bytes = 1024;
    let err = bounded(client(config).query(View::Conversations, &QueryBody::default())).await.unwrap_err();
    let ClientError::TooLarge { limit_bytes, declared_bytes, .. } = &err else { panic!("{err:?}") };
    assert_eq!((*limit_bytes, *declared_bytes), (1024, None));
    assert!(err.to_string().contains("more than the limit of 1 KiB"), "{err}");
    assert_eq!(server.attempts(), 1);
}

#[tokio::test]
async fn a_declared_2_gb_answer_fails_at_once() {
    let server = TestServer::start(|_| async {
        // Declares 2 GiB and then sends nothing: reading it would stall, allocating it would hurt.
        Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .header("content-length", "2147483648")
            .body(Body::from_stream(stream::pending::<Result<Bytes, std::io::Error>>()))
            .unwrap()
    })
    .await;
    let started = Instant::now();
    let err = bounded(client(config(&server.url)).query(View::Conversations, &QueryBody::default()))
        .await
        .unwrap_err();
    let ClientError::TooLarge { limit_bytes, declared_bytes, .. } = &err else { panic!("{err:?}") };
    assert_eq!((*limit_bytes, *declared_bytes), (DEFAULT_MAX_RESPONSE_BYTES, Some(2_147_483_648)));
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(err.user_message().contains("512 MiB"), "{}", err.user_message());
}

#[tokio::test]
async fn malformed_envelopes_name_the_problem() {
    let server = TestServer::start(|index| async move {
        match index {
            0 => respond(200, "application/json", r#"{"status":"ok"}"#),
            1 => respond(200, "text/html", "<html><body><h1>Welcome to our portal</h1></body></html>"),
            2 => respond(
                200,
                "application/json",
                r#"{"status":"ok","data":{"result":{},"total":1,"pageSize":1,"count":1}}"#,
            ),
            _ => respond(200, "application/json", r#"{"status":"error","data":{}}"#),
        }
    })
    .await;
    let client = client(config(&server.url));
    let expectations: [&dyn Fn(&EnvelopeError) -> bool; 4] = [
        &|e| *e == EnvelopeError::Missing { field: "data".to_string() },
        &|e| matches!(e, EnvelopeError::NotJson { excerpt, .. } if excerpt == "Welcome to our portal"),
        &|e| e.to_string() == "`data.result` is not an array",
        &|e| e.to_string() == "status was \"error\"",
    ];
    for expect in expectations {
        let err = bounded(client.query(View::Conversations, &QueryBody::default())).await.unwrap_err();
        let ClientError::Envelope { source, request_id, .. } = &err else { panic!("{err:?}") };
        assert!(expect(source), "{source:?}");
        assert_eq!(request_id.as_deref(), Some("hdr-req-1"));
        assert!(err.to_string().starts_with("the answer is not in the documented format: "), "{err}");
    }
    assert_eq!(server.attempts(), 4, "a malformed answer is not retried");
}

#[tokio::test]
async fn truncated_json_body_is_reported() {
    const CUT: &str = r#"{"status":"ok","data":{"result":[{"type":"ope"#;
    let server = TestServer::start(|_| async { respond(200, "application/json", CUT) }).await;
    let err = bounded(client(config(&server.url)).query(View::Conversations, &QueryBody::default()))
        .await
        .unwrap_err();
    let ClientError::Envelope { source, .. } = &err else { panic!("{err:?}") };
    assert_eq!(*source, EnvelopeError::Truncated { received_bytes: CUT.len() });
    assert!(err.to_string().contains("the JSON ends early"), "{err}");
}

#[tokio::test]
async fn connection_cut_mid_body_is_a_body_error() {
    let server = TestServer::start(|_| async {
        Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .header("content-length", "1000")
            .body(chunked_body(vec![b"{\"status\":\"ok\",".to_vec()], Duration::ZERO, true))
            .unwrap()
    })
    .await;
    let mut config = config(&server.url);
    config.max_retries = 1;
    let err = bounded(client(config).query(View::Conversations, &QueryBody::default())).await.unwrap_err();
    let ClientError::Body { message, .. } = &err else { panic!("{err:?}") };
    assert!(message.contains("of 1000 bytes"), "{message}");
    assert_eq!(server.attempts(), 2, "nothing reached the caller, so the query was retried once");
}

#[tokio::test]
async fn every_view_is_queried_and_exported_at_its_own_path() {
    // Each view asks three times: query, query_raw, export (the third answers CSV).
    let server = TestServer::start(|attempt| async move {
        if attempt % 3 == 2 { respond(200, "text/csv", "id\n".to_string()) } else { ok_envelope() }
    })
    .await;
    let client = client(config(&server.url));
    let semantic = QueryBody { query: Some("rotate keys".to_string()), ..QueryBody::default() };
    for view in View::ALL {
        let body = if view == View::SemanticThreads { semantic.clone() } else { QueryBody::default() };
        bounded(client.query(view, &body)).await.unwrap();
        bounded(client.query_raw(view, &body)).await.unwrap();
        let mut out = Vec::new();
        bounded(client.export_csv(view, &body, &mut out, |_| {})).await.unwrap();
        assert_eq!(out, b"id\n");
    }
    let paths: Vec<String> = server.hits().into_iter().map(|hit| hit.path).collect();
    let expected: Vec<String> =
        ["/query/conversations", "/query/events", "/query/feedback", "/query/semantic-threads"]
            .into_iter()
            .flat_map(|path| [path.to_string(), path.to_string(), format!("{path}/export")])
            .collect();
    assert_eq!(paths, expected);
    let last_query: Value = serde_json::from_slice(&server.hits()[9].body).unwrap();
    assert_eq!(last_query, json!({"query": "rotate keys"}), "the text search is sent as the `query` key");
}

fn csv_chunks() -> Vec<Vec<u8>> {
    let mut chunks = vec![b"type,count\n".to_vec()];
    for chunk in 0..5 {
        let rows: String = (0..100).map(|row| format!("type{chunk},{row}\n")).collect();
        chunks.push(rows.into_bytes());
    }
    chunks
}

#[tokio::test]
async fn export_streams_chunks_with_progress() {
    let chunks = csv_chunks();
    let expected: Vec<u8> = chunks.concat();
    let server = TestServer::start(move |_| {
        let chunks = chunks.clone();
        async move {
            respond(200, "text/csv; charset=utf-8", chunked_body(chunks, Duration::from_millis(20), false))
        }
    })
    .await;
    let mut out = Vec::new();
    let mut progress = Vec::new();
    let query = sample_query();

    let written =
        bounded(
            client(config(&server.url))
                .export_csv(View::Conversations, &query, &mut out, |bytes| progress.push(bytes)),
        )
        .await
        .unwrap();

    assert_eq!(out, expected);
    assert_eq!(written, expected.len() as u64);
    assert!(progress.len() >= 3, "progress reported per chunk: {progress:?}");
    assert!(progress.windows(2).all(|pair| pair[0] < pair[1]), "{progress:?}");
    assert_eq!(progress.last().copied(), Some(written));
    let hit = &server.hits()[0];
    assert_eq!(hit.path, "/query/conversations/export");
    assert!(hit.headers["accept"].to_str().unwrap().starts_with("text/csv"));
    assert_eq!(serde_json::from_slice::<Value>(&hit.body).unwrap(), serde_json::to_value(&query).unwrap());
}

#[tokio::test]
async fn export_cut_off_half_way_is_an_error_and_not_retried() {
    let server = TestServer::start(|_| async {
        Response::builder()
            .status(200)
            .header("content-type", "text/csv")
            .header("content-length", "10000")
            .body(chunked_body(vec![vec![b'a'; 3000]], Duration::ZERO, true))
            .unwrap()
    })
    .await;
    let mut out = Vec::new();
    let mut last_progress = 0;
    let err = bounded(client(config(&server.url)).export_csv(
        View::Conversations,
        &QueryBody::default(),
        &mut out,
        |bytes| last_progress = bytes,
    ))
    .await
    .unwrap_err();
    assert!(matches!(err, ClientError::Body { .. }), "{err:?}");
    assert!(err.to_string().contains("of 10000 bytes"), "{err}");
    assert_eq!(out.len(), 3000);
    assert_eq!(last_progress, 3000);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(server.attempts(), 1, "bytes were written, so no retry");
}

#[tokio::test]
async fn export_retries_before_the_first_byte() {
    let server = TestServer::start(|index| async move {
        if index == 0 {
            respond(503, "text/plain", "warming up")
        } else {
            respond(200, "text/csv", "a,b\n1,2\n")
        }
    })
    .await;
    let mut out = Vec::new();
    let written = bounded(client(config(&server.url)).export_csv(
        View::Conversations,
        &QueryBody::default(),
        &mut out,
        |_| {},
    ))
    .await
    .unwrap();
    assert_eq!(written, 8);
    assert_eq!(out, b"a,b\n1,2\n");
    assert_eq!(server.attempts(), 2);
}

#[tokio::test]
async fn export_refuses_an_html_page_and_reports_writer_errors() {
    let server = TestServer::start(|index| async move {
        if index == 0 {
            respond(200, "text/html", "<html>login</html>")
        } else {
            respond(200, "text/csv", "a\n1\n")
        }
    })
    .await;
    let client = client(config(&server.url));
    let mut out = Vec::new();
    let err = bounded(client.export_csv(View::Conversations, &QueryBody::default(), &mut out, |_| {}))
        .await
        .unwrap_err();
    let ClientError::Envelope { source: EnvelopeError::UnexpectedContentType { content_type, .. }, .. } =
        &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(content_type, "text/html");
    assert!(out.is_empty());

    struct FullDisk;
    impl std::io::Write for FullDisk {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk full"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let err = bounded(client.export_csv(View::Conversations, &QueryBody::default(), &mut FullDisk, |_| {}))
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Io { .. }), "{err:?}");
    assert_eq!(err.to_string(), "writing the export failed: disk full");
}

#[tokio::test]
async fn property_endpoints_send_their_bodies_and_read_results() {
    let server = TestServer::start(|index| async move {
        let body = if index == 0 {
            json!({"results":["source","plan"]})
        } else {
            json!({"results":["web","slack"]})
        };
        respond(200, "application/json", body.to_string())
    })
    .await;
    let client = client(config(&server.url));

    let keys =
        bounded(client.property_keys(&PropertyKeysRequest::new(PropertyField::Properties))).await.unwrap();
    let mut values_request = PropertyValuesRequest::new(PropertyField::UserProperties, "userType");
    values_request.limit = Some(20);
    let values = bounded(client.property_values(&values_request)).await.unwrap();

    assert_eq!(keys, ["source", "plan"]);
    assert_eq!(values, ["web", "slack"]);
    let hits = server.hits();
    assert_eq!(hits[0].path, "/query/property-keys");
    // Suggestions name the view being explored: without `views` the real server also
    // offers keys and values that exist only in the events, feedback or threads views.
    assert_eq!(
        serde_json::from_slice::<Value>(&hits[0].body).unwrap(),
        json!({"field":"properties","views":["conversations_view"]})
    );
    assert_eq!(hits[1].path, "/query/property-values");
    assert_eq!(
        serde_json::from_slice::<Value>(&hits[1].body).unwrap(),
        json!({"field":"userProperties","key":"userType","views":["conversations_view"],"limit":20})
    );
}

#[tokio::test]
async fn redirects_are_reported_not_followed() {
    let server = TestServer::start(|_| async {
        Response::builder()
            .status(StatusCode::MOVED_PERMANENTLY)
            .header("location", "https://elsewhere.example.com/query/conversations")
            .body(Body::empty())
            .unwrap()
    })
    .await;
    let err = bounded(client(config(&server.url)).query(View::Conversations, &QueryBody::default()))
        .await
        .unwrap_err();
    let ClientError::Http { status, body_excerpt, .. } = &err else { panic!("{err:?}") };
    assert_eq!(*status, 301);
    assert_eq!(body_excerpt, "redirected to https://elsewhere.example.com/query/conversations");
    assert_eq!(server.attempts(), 1);
}

#[test]
fn plain_http_is_refused_except_for_loopback() {
    for url in ["http://example.com", "http://api.analytics.inkeep.com/", "http://192.168.1.10:8787"] {
        let err = AnalyticsClient::new(config(url)).unwrap_err();
        assert!(matches!(err, ClientError::InsecureUrl { .. }), "{url}: {err:?}");
        assert!(err.user_message().contains("https://"));
    }
    for url in ["http://127.0.0.1:8787", "http://localhost:1/", "http://[::1]:8787", "https://example.com"] {
        assert!(AnalyticsClient::new(config(url)).is_ok(), "{url}");
    }
    assert!(matches!(AnalyticsClient::new(config("ftp://example.com")), Err(ClientError::InvalidUrl { .. })));
}

#[tokio::test]
async fn the_key_never_appears_in_debug_or_errors() {
    const KEY: &str = "sk-live-SECRET-0123456789abcdef";
    // A misbehaving proxy that echoes the Authorization header into its error page.
    let server = TestServer::start(|index| async move {
        let echoed = format!("<html><body>denied for Bearer {KEY}</body></html>");
        match index {
            0 => respond(401, "text/html", echoed),
            1 => respond(
                403,
                "application/problem+json",
                json!({"title":"Forbidden","detail":echoed}).to_string(),
            ),
            _ => respond(200, "text/html", echoed),
        }
    })
    .await;
    let mut config = config(&server.url);
    config.api_key = Some(ApiKey::new(KEY.to_string()));
    let debug_config = format!("{config:?}");
    let client = client(config);
    let mut texts = vec![debug_config, format!("{client:?}")];
    for _ in 0..3 {
        let err = bounded(client.query(View::Conversations, &QueryBody::default())).await.unwrap_err();
        texts.push(format!("{err:?}"));
        texts.push(err.to_string());
        texts.push(err.user_message());
    }
    assert_eq!(server.attempts(), 3);
    assert!(server.hits()[0].headers["authorization"].to_str().unwrap().ends_with(KEY), "the key was sent");
    for text in texts {
        assert!(!text.contains("SECRET"), "key leaked: {text}");
    }
}

#[tokio::test]
async fn raw_query_bytes_survive_a_large_grouped_result() {
    // 5 000 rows through the capped reader: checks the chunk loop keeps every byte in order.
    let rows: Vec<Value> =
        (0..5000).map(|i| json!({"type": format!("t{i}"), "sum_userMessageCount": i})).collect();
    let body = envelope(Value::Array(rows), 5000);
    let expected_len = body.len();
    let server = TestServer::start(move |_| {
        let body = body.clone();
        async move { respond(200, "application/json", body) }
    })
    .await;
    let query = QueryBody {
        select: vec![
            Selection::field(Field::Type),
            Selection::aggregate(Aggregation::Sum, Field::UserMessageCount),
        ],
        ..QueryBody::default()
    };
    let client = client(config(&server.url));
    let raw = bounded(client.query_raw(View::Conversations, &query)).await.unwrap();
    assert_eq!(raw.bytes.len(), expected_len);
    let response = bounded(client.query(View::Conversations, &query)).await.unwrap();
    assert_eq!(response.rows.len(), 5000);
    assert_eq!(response.rows[4999]["sum_userMessageCount"], json!(4999));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_run_on_spawned_tasks_with_a_shared_client() {
    // The worker spawns client calls on a multi-threaded runtime: the futures must be `Send`
    // and clones must share the client.
    let server = TestServer::start(|_| async { ok_envelope() }).await;
    let client = client(config(&server.url));
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.query(View::Conversations, &QueryBody::default()).await })
        })
        .collect();
    let export_client = client.clone();
    let export = tokio::spawn(async move {
        let mut out = Vec::new();
        let result =
            export_client.export_csv(View::Conversations, &QueryBody::default(), &mut out, |_| {}).await;
        // The server answers JSON on every path, which an export refuses.
        (result, out)
    });
    for task in tasks {
        assert_eq!(bounded(task).await.unwrap().unwrap().total, 1);
    }
    let (result, out) = bounded(export).await.unwrap();
    assert!(matches!(result, Err(ClientError::Envelope { .. })), "{result:?}");
    assert!(out.is_empty());
    assert_eq!(server.attempts(), 5);
}
