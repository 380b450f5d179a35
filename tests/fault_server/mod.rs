//! A misbehaving Analytics API on loopback, for fault tests: a raw tokio `TcpListener` that
//! writes hand-made HTTP/1.1 responses byte by byte, so a test controls exactly what arrives
//! and when — a body cut after half its bytes, a reset (RST) mid-body, a trickle, a 2 GB
//! `Content-Length` with nothing behind it.
//!
//! Each request gets the next scripted [`Reply`] queued for its path, or the path's default
//! once the queue is empty. Every request is logged (path, body, arrival time) so a test can
//! count attempts. Complete answers say `Connection: close` and close: every attempt opens
//! a new connection, so a fault can never hide behind a pooled one.
//!
//! The window-driving helpers `tests/faults.rs` and `tests/load.rs` use are the shared
//! kittest ones in `tests/support`.

// Helpers panic on purpose: a failed step is a failed test. Not every test file uses
// every helper.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// The query endpoint.
pub const QUERY: &str = "/query/conversations";
/// The CSV export endpoint.
pub const EXPORT: &str = "/query/conversations/export";

/// One thing the server does on a connection, in order.
#[derive(Debug, Clone)]
pub enum Step {
    /// Write these bytes.
    Write(Vec<u8>),
    /// Write these bytes `chunk` bytes at a time with `gap` between writes (a trickle).
    Trickle {
        /// The bytes.
        bytes: Vec<u8>,
        /// Bytes per write.
        chunk: usize,
        /// Pause between writes.
        gap: Duration,
    },
    /// Keep the connection open, sending nothing, this long (or until the client closes).
    Hold(Duration),
}

/// How the connection ends after the steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// An orderly close (FIN).
    Close,
    /// An abortive close (RST): `SO_LINGER` 0, then drop.
    Reset,
}

/// A scripted answer.
#[derive(Debug, Clone)]
pub struct Reply {
    /// What is written, in order.
    pub steps: Vec<Step>,
    /// How the connection ends.
    pub end: End,
}

/// The head of a response: status line and headers, `Connection: close` included.
pub fn head(status: u16, reason: &str, headers: &[(&str, String)]) -> Vec<u8> {
    let mut text = format!("HTTP/1.1 {status} {reason}\r\nconnection: close\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    text.into_bytes()
}

impl Reply {
    /// A complete answer with a correct `Content-Length`.
    pub fn full(status: u16, content_type: &str, extra: &[(&str, &str)], body: impl Into<Vec<u8>>) -> Reply {
        let body = body.into();
        let mut headers = vec![("content-type", content_type.to_string())];
        headers.extend(extra.iter().map(|(name, value)| (*name, value.to_string())));
        headers.push(("content-length", body.len().to_string()));
        let mut bytes = head(status, reason(status), &headers);
        bytes.extend_from_slice(&body);
        Reply { steps: vec![Step::Write(bytes)], end: End::Close }
    }

    /// A 200 with the documented JSON envelope.
    pub fn envelope(rows: Value, total: u64, page_size: u64) -> Reply {
        Reply::full(
            200,
            "application/json",
            &[("x-request-id", "req_fault_ok")],
            envelope(rows, total, page_size),
        )
    }

    /// A problem+json error.
    pub fn problem(status: u16, code: &str, detail: &str, extra: &[(&str, &str)]) -> Reply {
        let body = json!({
            "title": reason(status), "status": status, "detail": detail, "code": code,
            "error": {"code": code, "message": detail}
        });
        Reply::full(status, "application/problem+json", extra, body.to_string())
    }

    /// Headers announcing all of `body`, then only its first `sent` bytes, then `end`.
    pub fn cut(content_type: &str, body: &[u8], sent: usize, end: End) -> Reply {
        let headers =
            [("content-type", content_type.to_string()), ("content-length", body.len().to_string())];
        let mut bytes = head(200, "OK", &headers);
        bytes.extend_from_slice(&body[..sent]);
        // A short pause lets the client read what was sent before an RST discards it.
        Reply { steps: vec![Step::Write(bytes), Step::Hold(Duration::from_millis(50))], end }
    }

    /// `Transfer-Encoding: chunked`, the first `sent` bytes of `body` as one chunk, and no
    /// terminating zero-length chunk: the stream just stops (closed).
    pub fn chunked_cut(content_type: &str, body: &[u8], sent: usize) -> Reply {
        let headers =
            [("content-type", content_type.to_string()), ("transfer-encoding", "chunked".to_string())];
        let mut bytes = head(200, "OK", &headers);
        bytes.extend_from_slice(format!("{sent:x}\r\n").as_bytes());
        bytes.extend_from_slice(&body[..sent]);
        bytes.extend_from_slice(b"\r\n");
        Reply { steps: vec![Step::Write(bytes), Step::Hold(Duration::from_millis(50))], end: End::Close }
    }

    /// Neither `Content-Length` nor chunked encoding (the body ends where the connection
    /// closes), the first `sent` bytes of `body`, then a close: to the client a cut that
    /// looks like an end.
    pub fn close_delimited_cut(content_type: &str, body: &[u8], sent: usize) -> Reply {
        let mut bytes = head(200, "OK", &[("content-type", content_type.to_string())]);
        bytes.extend_from_slice(&body[..sent]);
        Reply { steps: vec![Step::Write(bytes)], end: End::Close }
    }

    /// Headers announcing `content_length` bytes, then silence for `hold`.
    pub fn declared_then_silent(content_length: u64, hold: Duration) -> Reply {
        let headers = [
            ("content-type", "application/json".to_string()),
            ("content-length", content_length.to_string()),
        ];
        Reply { steps: vec![Step::Write(head(200, "OK", &headers)), Step::Hold(hold)], end: End::Close }
    }

    /// A correct answer whose body arrives `chunk` bytes every `gap`.
    pub fn trickle(body: &[u8], chunk: usize, gap: Duration) -> Reply {
        let headers =
            [("content-type", "application/json".to_string()), ("content-length", body.len().to_string())];
        Reply {
            steps: vec![
                Step::Write(head(200, "OK", &headers)),
                Step::Trickle { bytes: body.to_vec(), chunk, gap },
            ],
            end: End::Close,
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Whatever",
    }
}

/// The documented envelope.
pub fn envelope(rows: Value, total: u64, page_size: u64) -> String {
    let count = rows.as_array().map(Vec::len).unwrap_or(0);
    json!({"status": "ok", "data": {"result": rows, "total": total, "pageSize": page_size, "count": count}})
        .to_string()
}

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The path.
    pub path: String,
    /// The JSON body (`Null` when it was not JSON).
    pub body: Value,
    /// When its head had arrived.
    pub at: Instant,
}

#[derive(Default)]
struct Shared {
    queues: Mutex<HashMap<String, VecDeque<Reply>>>,
    defaults: Mutex<HashMap<String, Reply>>,
    seen: Mutex<Vec<Seen>>,
}

/// The server. Dropping it stops everything it runs.
pub struct FaultServer {
    url: String,
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    stopped: Option<std::sync::mpsc::Receiver<()>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl FaultServer {
    /// Starts on a free loopback port; every path answers 404 until a default is set.
    pub fn start() -> FaultServer {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("fault-server")
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared::default());
        let (stop, mut stop_signal) = tokio::sync::oneshot::channel::<()>();
        let (stopped_sender, stopped) = std::sync::mpsc::channel();
        let accept_shared = Arc::clone(&shared);
        runtime.spawn(async move {
            loop {
                tokio::select! {
                    _ = &mut stop_signal => break,
                    accepted = listener.accept() => {
                        if let Ok((stream, _)) = accepted {
                            tokio::spawn(serve(stream, Arc::clone(&accept_shared)));
                        }
                    }
                }
            }
            drop(listener);
            let _ = stopped_sender.send(());
        });
        FaultServer {
            url: format!("http://{addr}"),
            addr,
            shared,
            stop: Some(stop),
            stopped: Some(stopped),
            runtime: Some(runtime),
        }
    }

    /// The base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The address listened on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// What `path` answers once its queue is empty.
    pub fn set_default(&self, path: &str, reply: Reply) {
        self.shared.defaults.lock().unwrap().insert(path.to_string(), reply);
    }

    /// The answer to the next request on `path` (after those queued before it).
    pub fn queue(&self, path: &str, reply: Reply) {
        self.shared.queues.lock().unwrap().entry(path.to_string()).or_default().push_back(reply);
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.shared.seen.lock().unwrap().clone()
    }

    /// The requests on `path` so far.
    pub fn seen_on(&self, path: &str) -> Vec<Seen> {
        self.seen().into_iter().filter(|seen| seen.path == path).collect()
    }

    /// Stops listening and closes the port, returning once it is closed: from then on a
    /// connect is refused.
    pub fn close_port(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(stopped) = self.stopped.take() {
            stopped.recv_timeout(Duration::from_secs(30)).expect("the listener closes");
        }
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            // Held connections are abandoned, not awaited.
            runtime.shutdown_background();
        }
    }
}

/// A loopback port nothing listens on: bound, then released.
pub fn dead_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

async fn serve(mut stream: TcpStream, shared: Arc<Shared>) {
    let Some((path, body)) = read_request(&mut stream).await else { return };
    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
    shared.seen.lock().unwrap().push(Seen { path: path.clone(), body, at: Instant::now() });
    let reply = {
        let scripted = shared.queues.lock().unwrap().get_mut(&path).and_then(VecDeque::pop_front);
        scripted
            .or_else(|| shared.defaults.lock().unwrap().get(&path).cloned())
            .unwrap_or_else(|| Reply::problem(404, "not_found", &format!("no route for {path}"), &[]))
    };
    let mut completed = true;
    for step in &reply.steps {
        let result = match step {
            Step::Write(bytes) => stream.write_all(bytes).await.and(stream.flush().await),
            Step::Trickle { bytes, chunk, gap } => trickle(&mut stream, bytes, *chunk, *gap).await,
            Step::Hold(duration) => {
                hold(&mut stream, *duration).await;
                Ok(())
            }
        };
        if result.is_err() {
            // The client went away (a timeout, a cancel): nothing more to do.
            completed = false;
            break;
        }
    }
    if completed && reply.end == End::Reset {
        let _ = stream.set_zero_linger();
    } else if completed {
        let _ = stream.shutdown().await;
        // Give the client the chance to read to the end before the socket goes.
        hold(&mut stream, Duration::from_secs(5)).await;
    }
    drop(stream);
}

async fn trickle(stream: &mut TcpStream, bytes: &[u8], chunk: usize, gap: Duration) -> std::io::Result<()> {
    for piece in bytes.chunks(chunk.max(1)) {
        stream.write_all(piece).await?;
        stream.flush().await?;
        tokio::time::sleep(gap).await;
    }
    Ok(())
}

/// Waits `duration`, or less if the client closes its side first.
async fn hold(stream: &mut TcpStream, duration: Duration) {
    let mut scratch = [0u8; 1024];
    let _ = tokio::time::timeout(duration, async {
        loop {
            match stream.read(&mut scratch).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
}

/// Reads one request: the path and the body (by `Content-Length`).
async fn read_request(stream: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buffer = Vec::new();
    let mut scratch = [0u8; 8192];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|window| window == b"\r\n\r\n") {
            break at + 4;
        }
        let n = stream.read(&mut scratch).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&scratch[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_string();
    let path = head.split_whitespace().nth(1)?.to_string();
    let content_length: usize = head
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse().ok())
        .unwrap_or(0);
    while buffer.len() < head_end + content_length {
        let n = stream.read(&mut scratch).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&scratch[..n]);
    }
    Some((path, buffer[head_end..head_end + content_length].to_vec()))
}
