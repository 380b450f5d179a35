//! The `serve` command.

use super::*;

/// Kills the child when the test ends, whatever happens.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve_command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_inkeep-explorer"));
    command.arg("serve").args(args).env("RUST_LOG", "warn").env_remove("RUST_BACKTRACE");
    command
}

#[test]
fn cli_serve_prints_the_url_first_and_answers() {
    let mut child = ChildGuard(
        serve_command(&[
            "--addr",
            "127.0.0.1:0",
            "--rows",
            "2000",
            "--end-date",
            "2025-06-30",
            "--seed",
            "11",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut first = String::new();
        let _ = BufReader::new(stdout).read_line(&mut first);
        let _ = sender.send(first);
    });
    let first = receiver.recv_timeout(Duration::from_secs(60)).expect("a first line within a minute");
    let url = first.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("first line: {first:?}"));
    let port: u16 = url.strip_prefix("http://127.0.0.1:").expect("loopback URL").parse().unwrap();
    assert_ne!(port, 0, "the real port is printed");

    let answer = send(
        reqwest::Method::POST,
        &format!("{url}/query/conversations"),
        &[("authorization", "Bearer cli"), ("content-type", "application/json")],
        Some(r#"{"select":[{"type":"aggregation","aggregation":"count"}],"groupBy":[{"field":"organizationId"}]}"#.into()),
    );
    assert_eq!(answer.status, 200, "{}", answer.text());
    let expected: u64 = dataset::generate(&DatasetParams { rows: 2000, seed: 11, end_date: end_date() })
        .filter(|c| c.organization_id == "org_northwind")
        .count() as u64;
    let rows = answer.json()["data"]["result"].as_array().unwrap().clone();
    let northwind = rows.iter().find(|r| r["organizationId"] == "org_northwind").unwrap();
    assert_eq!(northwind["count"].as_u64(), Some(expected));

    // SIGTERM shuts it down gracefully, with success.
    #[cfg(unix)]
    {
        let status = Command::new("kill").args(["-TERM", &child.0.id().to_string()]).status().unwrap();
        assert!(status.success());
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = child.0.try_wait().unwrap() {
                assert!(status.success(), "graceful exit: {status}");
                break;
            }
            assert!(std::time::Instant::now() < deadline, "the server did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[test]
fn cli_serve_refuses_a_non_loopback_address() {
    let output = serve_command(&["--addr", "0.0.0.0:0", "--rows", "10"]).output().unwrap();
    assert!(!output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stdout.contains("listening"), "{stdout}");
    assert!(stderr.contains("not a loopback address") && stderr.contains("--allow-remote"), "{stderr}");

    let output = serve_command(&["--addr", "0.0.0.0:0", "--rows", "10", "--allow-remote"]).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--api-key"), "{stderr}");

    let output = serve_command(&["--end-date", "2025-13-01"]).output().unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("end-date"));
}
