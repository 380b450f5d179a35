//! Shared helpers of the tests that run the real binary (`cli_run.rs`, `cli_compare.rs`): a
//! temporary home per test, and `run --demo` on a small dataset that ends today.

// Every `tests/*.rs` is a crate of its own that compiles this module with `mod cli_support;`:
// a helper one file does not call is dead code there while another file uses it.
#![allow(dead_code)]
// Helpers panic on purpose: a failed step is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::{Command, Output};

use jiff::civil::Date;
use serde_json::Value;
use tempfile::TempDir;

/// The environment variable of the API key; the binary must not see the developer's.
pub const KEY_ENV: &str = "INKEEPANALYTICS_API_INTEGRATION_KEY";
/// The environment variable of the server URL.
pub const SERVER_URL_ENV: &str = "INKEEPANALYTICS_SERVER_URL";

/// The last day of the demo dataset: today, fixed once per test process so the binary and
/// the expectations use the same day ("last 30 days" finds rows).
pub fn end_date() -> Date {
    static END: std::sync::OnceLock<Date> = std::sync::OnceLock::new();
    *END.get_or_init(|| jiff::tz::Offset::UTC.to_datetime(jiff::Timestamp::now()).date())
}

/// The demo dataset and page size of a test file's `run --demo` calls.
#[derive(Debug, Clone, Copy)]
pub struct Demo {
    /// Conversations generated.
    pub rows: u64,
    /// The generator's seed.
    pub seed: u64,
    /// The demo API's page size.
    pub page_size: usize,
}

/// A temporary home for one test: config dir, query files, outputs.
pub struct Sandbox {
    pub dir: TempDir,
    demo: Demo,
}

impl Sandbox {
    /// A new empty home whose `run_demo` uses `demo`.
    pub fn new(demo: Demo) -> Sandbox {
        Sandbox { dir: tempfile::tempdir().unwrap(), demo }
    }

    /// A file in the sandbox.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `XDG_CONFIG_HOME` of the binary.
    pub fn config_home(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    /// Writes `body` as pretty JSON to `name` and returns its path.
    pub fn write_query(&self, name: &str, body: &Value) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, serde_json::to_vec_pretty(body).unwrap()).unwrap();
        path
    }

    /// The binary with a clean environment: no key, no server URL, config in the sandbox.
    pub fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_inkeep-explorer"));
        command
            .env_remove(KEY_ENV)
            .env_remove(SERVER_URL_ENV)
            .env_remove("RUST_LOG")
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.config_home())
            .current_dir(self.dir.path());
        command
    }

    /// `run --demo` on the sandbox's dataset, with `args` after it.
    pub fn run_demo(&self, args: &[&str]) -> Output {
        let Demo { rows, seed, page_size } = self.demo;
        let (rows, seed, page_size, end) =
            (rows.to_string(), seed.to_string(), page_size.to_string(), end_date().to_string());
        let mut command = self.command();
        command.args(["run", "--demo", "--demo-rows", &rows, "--demo-seed", &seed, "--demo-end-date", &end]);
        command.args(["--demo-page-size", &page_size]);
        command.args(args);
        command.output().unwrap()
    }
}
