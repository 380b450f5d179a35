//! `inkeep-explorer run`: one query without a window, its result written to a file or to
//! stdout — for scripts and cron. One concern, the command's run from options to exit code,
//! hence one file past 800 lines; `--compare`'s second query and join are in `compare`.
//!
//! The steps, each with its own failure:
//!
//! 1. the output is checked (format, folder) before anything is sent, so a typo in `--out`
//!    fails at once rather than after a long query;
//! 2. the query comes from a query file ([`crate::api::query_file`]: a plain body, or one
//!    wrapped with the view it is for) or a preset, and so does its view; `--view` names the
//!    view of a plain body and must agree with a view the file or preset names. Relative
//!    times ("last 30 days") are resolved against the clock, then the query is validated
//!    against its view as the window would;
//! 3. it runs against the Analytics API (key from the environment) or the embedded demo
//!    API started in-process;
//! 4. one page of rows (`POST /query/<view>`) or, with `all`, every row through the view's
//!    export endpoint (`POST /query/<view>/export`), is written by the writers of [`crate::data::export`]. The export's
//!    CSV carries no row count, so `all` first asks the query endpoint for the `total` and
//!    then holds the rows received against it
//!    ([`check_all_rows`](crate::data::export::check_all_rows)): fewer is a failure
//!    (a download cut at a row boundary looks complete otherwise), more a success with a
//!    warning (rows were added in between).
//!
//! Files are written atomically: a failed or interrupted run (Ctrl+C, SIGTERM) leaves
//! nothing under the output name and an existing file there untouched. Output to stdout is
//! complete or absent too: `all` stages the download in a temporary file first.
//!
//! On success the only output besides the result is one summary line on stderr. Exit codes:
//! [`EXIT_SUCCESS`], [`EXIT_FAILURE`] for a run that failed, [`EXIT_USAGE`] for bad usage,
//! an invalid query or an unknown preset. Messages never contain the API key.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufReader, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use jiff::Timestamp;
use tokio_util::sync::CancellationToken;

use crate::api::client::{AnalyticsClient, ApiKey, ClientConfig, ClientError, DEFAULT_BASE_URL, KEY_ENV};
use crate::api::query::QueryBody;
use crate::api::query_file::{QueryFile, parse_query_file};
use crate::api::redact::redact_key;
use crate::api::validate::{self, validate_for_send};
use crate::api::view::View;
use crate::data::display::group_thousands;
use crate::data::export::{
    EXCEL_MAX_ROWS, ExportControl, ExportError, ExportFormat, ExportMeta, ExportOptions, ExportOutcome,
    StreamExport, excess_rows_warning, export_view, write_csv, write_json,
};
use crate::data::{Meta, ResultTable, TableView};
use crate::demo::dataset::DatasetParams;
use crate::demo::server::{DEFAULT_PAGE_SIZE, DemoServer, ServerConfig, ServerError};
use crate::presets::{PresetLookupError, find_preset};
use crate::relative_time::resolve_relative_times;
use crate::worker::DEMO_TOKEN;

mod compare;

use crate::data::compare::CompareOffset;

/// The run succeeded.
pub const EXIT_SUCCESS: u8 = 0;
/// The run failed: the server refused or could not be reached, or the file could not be written.
pub const EXIT_FAILURE: u8 = 1;
/// Bad usage: conflicting options, no key, an unreadable or invalid query, an unknown preset.
pub const EXIT_USAGE: u8 = 2;

/// Where the query comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuerySource {
    /// A query file: a plain query body, or one wrapped with its view
    /// ([`crate::api::query_file`]).
    File(PathBuf),
    /// A preset, by name (case-insensitive): the user's or a built-in one.
    Preset(String),
}

/// The embedded demo API, started in-process for the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoOptions {
    /// The dataset it serves.
    pub dataset: DatasetParams,
    /// The most rows one query answer carries.
    pub page_size: usize,
}

impl Default for DemoOptions {
    /// The window's demo: 100,000 conversations, seed 42, ending today, pages of 1,000 rows.
    fn default() -> DemoOptions {
        DemoOptions { dataset: DatasetParams::default(), page_size: DEFAULT_PAGE_SIZE }
    }
}

/// Which API answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Connection {
    /// The embedded demo API (any key is ignored: it never leaves for the demo).
    Demo(DemoOptions),
    /// The Analytics API.
    Remote {
        /// Base URL; [`DEFAULT_BASE_URL`] when `None`.
        server_url: Option<String>,
        /// The key (from [`KEY_ENV`]); the run refuses to start without one.
        api_key: Option<ApiKey>,
    },
}

/// Everything `run` needs; the command line fills it (the environment is read there, so
/// tests can set it here instead).
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The query.
    pub source: QuerySource,
    /// The view asked for (`--view`): the view of a plain query body. A file or preset that
    /// names another view is refused. `None`: the view the source names, else conversations.
    pub view: Option<View>,
    /// The API.
    pub connection: Connection,
    /// The format; from the extension of `out` when `None`, else CSV. A CSV gets a BOM
    /// when either this or `bom` asks for one.
    pub format: Option<ExportFormat>,
    /// Start a CSV with a UTF-8 byte order mark (Excel then reads it as UTF-8).
    pub bom: bool,
    /// The file to write; stdout when `None` (not for XLSX).
    pub out: Option<PathBuf>,
    /// Every matching row through the export endpoint, rather than the first page.
    pub all: bool,
    /// For CSV and JSON files: also write `<out>.query.json` describing the run.
    pub sidecar: bool,
    /// Where the user's presets are (`None`: built-in presets only).
    pub config_dir: Option<PathBuf>,
    /// Stop cleanly on Ctrl+C / SIGTERM (the command line sets it; tests do not, as the
    /// handlers would outlive the run in the test process).
    pub handle_signals: bool,
    /// Also run the query over an earlier period and write both side by side, with
    /// `previous` and `change %` columns (`--compare previous|week|month|year`).
    pub compare: Option<CompareOffset>,
}

impl RunOptions {
    /// Options with the defaults of the command line: first page, CSV unless `out` says
    /// otherwise, sidecar on, no BOM, no signal handling.
    pub fn new(source: QuerySource, connection: Connection, out: Option<PathBuf>) -> RunOptions {
        RunOptions {
            source,
            view: None,
            connection,
            format: None,
            bom: false,
            out,
            all: false,
            sidecar: true,
            config_dir: None,
            handle_signals: false,
            compare: None,
        }
    }
}

/// Why a run stopped. Each kind maps onto an exit code ([`RunError::exit_code`]).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Options that do not go together, or a missing key.
    #[error("{0}")]
    Usage(String),
    /// The query file could not be read or is not a query.
    #[error("{message} ({})", path.display())]
    QueryFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The preset does not exist.
    #[error(transparent)]
    Preset(#[from] PresetLookupError),
    /// The query breaks the API's rules.
    #[error("{origin} is not a valid query:{}", problem_lines(problems))]
    InvalidQuery {
        /// `the query file q.json`, `preset "Name"`.
        origin: String,
        /// Every problem, with its path.
        problems: Vec<validate::Problem>,
    },
    /// The client could not be built (bad URL, plain http to a remote host, bad key).
    #[error("cannot use the server: {}", .0.user_message())]
    Setup(ClientError),
    /// The embedded demo API did not start.
    #[error("the embedded demo API could not start: {0}")]
    Demo(#[from] ServerError),
    /// The request failed.
    #[error("{what} failed: {}", .error.user_message())]
    Request {
        /// `the query`, `the export of all rows`.
        what: &'static str,
        /// Why.
        error: ClientError,
    },
    /// Writing the file failed.
    #[error(transparent)]
    Export(ExportError),
    /// Writing to stdout failed (a closed pipe, a full disk).
    #[error("could not write the result to stdout: {0}")]
    Stdout(io::Error),
    /// Something local failed (the async runtime, a temporary file).
    #[error("{0}")]
    Local(String),
    /// Ctrl+C or SIGTERM.
    #[error("interrupted; nothing was written")]
    Interrupted,
}

fn problem_lines(problems: &[validate::Problem]) -> String {
    let mut out = String::new();
    for problem in problems {
        let path = if problem.path.is_empty() { "(whole query)" } else { problem.path.as_str() };
        let _ = write!(out, "\n  {path}: {}", problem.message);
    }
    out
}

impl RunError {
    /// [`EXIT_USAGE`] for what the caller must fix in the command or the query,
    /// [`EXIT_FAILURE`] for a run that failed.
    pub fn exit_code(&self) -> u8 {
        match self {
            RunError::Usage(_)
            | RunError::QueryFile { .. }
            | RunError::Preset(_)
            | RunError::InvalidQuery { .. }
            | RunError::Setup(_) => EXIT_USAGE,
            RunError::Demo(_)
            | RunError::Request { .. }
            | RunError::Export(_)
            | RunError::Stdout(_)
            | RunError::Local(_)
            | RunError::Interrupted => EXIT_FAILURE,
        }
    }

    /// The message for stderr: the error, then for a server's answer its status, code,
    /// title, detail, requestId and URL on lines of their own.
    pub fn report(&self) -> String {
        let mut out = format!("error: {self}");
        if let RunError::Request { error, .. } | RunError::Setup(error) = self {
            out.push_str(&client_error_details(error));
        }
        out
    }
}

/// The parts of a client error a support ticket needs, one per line.
fn client_error_details(error: &ClientError) -> String {
    let mut out = String::new();
    let mut line = |label: &str, value: &str| {
        if !value.trim().is_empty() {
            let _ = write!(out, "\n  {label}: {value}");
        }
    };
    if let Some(status) = error.status() {
        line("status", &status.to_string());
    }
    match error {
        ClientError::Api { problem, .. } => {
            if let Some(code) = problem.code() {
                line("code", code);
            }
            if let Some(title) = &problem.title {
                line("title", title);
            }
            if let Some(detail) = problem.message().filter(|m| Some(*m) != problem.title.as_deref()) {
                line("detail", detail);
            }
        }
        ClientError::Http { body_excerpt, .. } => line("body", body_excerpt),
        other => line("cause", &other.to_string()),
    }
    if let Some(request_id) = error.request_id() {
        line("requestId", request_id);
    }
    if let Some(url) = error.url().filter(|_| !matches!(error, ClientError::InvalidUrl { .. })) {
        line("url", url);
    }
    out
}

/// What a successful run wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSummary {
    /// The file, or `None` for stdout.
    pub path: Option<PathBuf>,
    /// The format written.
    pub format: ExportFormat,
    /// Data rows written.
    pub rows_written: u64,
    /// Rows matching the query, when the answer said (not with `all`, whose rows are all).
    pub total: Option<u64>,
    /// Every matching row was asked for.
    pub all: bool,
    /// The sidecar written beside the file, if any.
    pub sidecar: Option<PathBuf>,
    /// Data sheets of an XLSX file.
    pub sheets: u32,
    /// XLSX cells cut to Excel's limit.
    pub truncated_cells: u64,
    /// Something to know about the rows, said on stderr after the summary: more rows than
    /// the query counted (with `all`).
    pub warning: Option<String>,
    /// For a comparison: the change as a report says it, with the totals
    /// (`+12.2 % on last week (count 1,234, previous 1,100)`).
    pub comparison: Option<String>,
}

impl RunSummary {
    /// The one line for stderr: `wrote 1,000 of 48,210 matching rows to report.csv; pass
    /// --all for every row`.
    pub fn line(&self) -> String {
        let target = match &self.path {
            Some(path) => path.display().to_string(),
            None => "stdout".to_string(),
        };
        let rows = count(self.rows_written);
        let noun = if self.rows_written == 1 { "row" } else { "rows" };
        let mut line = match self.total {
            Some(total) if !self.all && total > self.rows_written => {
                format!(
                    "wrote {rows} of {} matching rows to {target}; pass --all for every row",
                    count(total)
                )
            }
            _ if self.all => format!("wrote {rows} {noun} (every matching row) to {target}"),
            _ => format!("wrote {rows} {noun} to {target}"),
        };
        if let Some(sidecar) = &self.sidecar {
            let _ = write!(line, ", the query to {}", sidecar.display());
        }
        if let Some(comparison) = &self.comparison {
            let _ = write!(line, "; {comparison}");
        }
        if self.sheets > 1 {
            let _ = write!(
                line,
                "; the rows span {} sheets (Excel holds {} rows a sheet)",
                self.sheets,
                count(u64::from(EXCEL_MAX_ROWS))
            );
        }
        if self.truncated_cells > 0 {
            let _ = write!(
                line,
                "; {} cells were cut to Excel's 32,767 characters (CSV keeps them whole)",
                count(self.truncated_cells)
            );
        }
        line
    }
}

fn count(number: u64) -> String {
    group_thousands(&number.to_string())
}

/// Runs the query as `options` say, writes the result, and prints the summary (on
/// success) or the problem (on failure) to `stderr`. Returns the exit code.
pub fn run(options: &RunOptions, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8 {
    let key = match &options.connection {
        Connection::Remote { api_key: Some(key), .. } => Some(key.clone()),
        _ => None,
    };
    let (code, message) = match execute(options, stdout) {
        Ok(summary) => {
            let mut message = summary.line();
            if let Some(warning) = &summary.warning {
                let _ = write!(message, "\nwarning: {warning}");
            }
            (EXIT_SUCCESS, message)
        }
        Err(error) => (error.exit_code(), error.report()),
    };
    let _ = writeln!(stderr, "{}", redact_key(&message, key.as_ref()));
    let _ = stderr.flush();
    code
}

/// The run, as a `Result`: the summary, or why it stopped.
pub fn execute(options: &RunOptions, stdout: &mut dyn Write) -> Result<RunSummary, RunError> {
    let format = output_format(options)?;
    let (origin, view, query) = load_query(options)?;
    let now = Timestamp::now();
    let body = resolve_relative_times(&query, now).map_err(|error| RunError::InvalidQuery {
        origin: origin.clone(),
        problems: vec![error.to_problem()],
    })?;
    validate_for_send(view, &body)
        .map_err(|problems| RunError::InvalidQuery { origin: origin.clone(), problems })?;
    let plan = match options.compare {
        Some(offset) => Some(compare::plan(options, view, &query, now, offset, &origin)?),
        None => None,
    };
    // A comparison sends its own current body (a lone relative bound closed): record that one.
    let body = plan.as_ref().map_or(body, |plan| plan.current_body.clone());

    // The demo server lives until the end of the run (dropping it shuts it down).
    let (client, _demo) = connect(&options.connection)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("headless-run")
        .enable_all()
        .build()
        .map_err(|err| RunError::Local(format!("could not start the async runtime: {err}")))?;
    let interrupt = Interrupt::default();
    if options.handle_signals {
        let interrupt = interrupt.clone();
        runtime.spawn(async move {
            crate::demo::server::shutdown_signal().await;
            interrupt.raise();
        });
    }
    let job =
        Job { options, format, view, body, now, client: &client, runtime: &runtime, interrupt: &interrupt };
    let result = match &plan {
        Some(plan) => job.compared(plan, stdout),
        None if options.all => job.all_rows(stdout),
        None => job.first_page(stdout),
    };
    // A failure caused by the interruption (a cancelled write, a dropped request) is reported
    // as the interruption; a run that completed before the signal was seen stays a success.
    result.map_err(|error| if interrupt.is_raised() { RunError::Interrupted } else { error })
}

/// The format to write, checked against the output before anything is sent.
fn output_format(options: &RunOptions) -> Result<ExportFormat, RunError> {
    let named = options.format.or_else(|| options.out.as_deref().and_then(ExportFormat::from_path));
    let format = match named.unwrap_or(ExportFormat::Csv { bom: false }) {
        ExportFormat::Csv { bom } => ExportFormat::Csv { bom: bom || options.bom },
        other if options.bom => {
            return Err(RunError::Usage(format!(
                "--bom applies to CSV only, but the output format is {}",
                other.extension()
            )));
        }
        other => other,
    };
    match &options.out {
        None if format == ExportFormat::Xlsx => {
            return Err(RunError::Usage(
                "an Excel workbook cannot go to stdout: name the file with --out FILE.xlsx".to_string(),
            ));
        }
        None => {}
        Some(path) => {
            if path.is_dir() {
                return Err(RunError::Usage(format!(
                    "--out names a folder, not a file ({})",
                    path.display()
                )));
            }
            if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty())
                && !dir.is_dir()
            {
                return Err(RunError::Usage(format!(
                    "the folder of --out does not exist ({})",
                    dir.display()
                )));
            }
        }
    }
    Ok(format)
}

/// Words naming where the query came from, the view it runs on, and the query as stored
/// (relative times unresolved).
fn load_query(options: &RunOptions) -> Result<(String, View, QueryBody), RunError> {
    let (origin, file) = match &options.source {
        QuerySource::File(path) => {
            let file_error = |message: String| RunError::QueryFile { path: path.clone(), message };
            let text = std::fs::read_to_string(path)
                .map_err(|err| file_error(format!("could not read the query file: {err}")))?;
            let file = parse_query_file(&text)
                .map_err(|err| file_error(format!("the query file is not a valid query: {err}")))?;
            (format!("the query in {}", path.display()), file)
        }
        QuerySource::Preset(name) => {
            let preset = find_preset(options.config_dir.as_deref(), name)?;
            // A preset always names its view (conversations when its file says none).
            let file = QueryFile { view: Some(preset.view), body: preset.query };
            (format!("preset \"{}\"", name.trim()), file)
        }
    };
    let view = file
        .view_with(options.view)
        .map_err(|conflict| RunError::Usage(format!("--view does not match {origin}: {conflict}")))?;
    Ok((origin, view, file.body))
}

/// The client, and the demo server it talks to when there is one.
fn connect(connection: &Connection) -> Result<(AnalyticsClient, Option<DemoServer>), RunError> {
    match connection {
        Connection::Demo(demo) => {
            let config = ServerConfig { page_size: demo.page_size, ..ServerConfig::local(demo.dataset) };
            // The server answers at once and builds the dataset in the background; requests
            // that arrive before it is ready wait for it (or get a 503 saying why it failed),
            // so the run needs no polling of its own.
            let server = DemoServer::start_in_background(config)?;
            let client = AnalyticsClient::new(ClientConfig::new(
                server.url(),
                Some(ApiKey::new(DEMO_TOKEN.to_string())),
            ))
            .map_err(RunError::Setup)?;
            Ok((client, Some(server)))
        }
        Connection::Remote { server_url, api_key } => {
            let Some(api_key) = api_key.clone().filter(|key| !key.is_empty()) else {
                return Err(RunError::Usage(format!(
                    "no API key: set {KEY_ENV} to the key of an Inkeep API integration, or pass --demo to \
                     query the embedded demo data"
                )));
            };
            let base_url = server_url
                .as_deref()
                .map(str::trim)
                .filter(|url| !url.is_empty())
                .unwrap_or(DEFAULT_BASE_URL);
            let client =
                AnalyticsClient::new(ClientConfig::new(base_url, Some(api_key))).map_err(RunError::Setup)?;
            Ok((client, None))
        }
    }
}

/// Ctrl+C / SIGTERM, seen both by async waits (the token) and by the writers (the flag they
/// check every few thousand rows).
#[derive(Debug, Clone, Default)]
struct Interrupt {
    token: CancellationToken,
    flag: Arc<AtomicBool>,
}

impl Interrupt {
    fn raise(&self) {
        self.flag.store(true, Ordering::Relaxed);
        self.token.cancel();
    }

    fn is_raised(&self) -> bool {
        self.flag.load(Ordering::Relaxed)
    }
}

/// One run, once the query and the client are ready.
struct Job<'a> {
    options: &'a RunOptions,
    format: ExportFormat,
    /// The view queried.
    view: View,
    /// The body as sent: relative times resolved.
    body: QueryBody,
    now: Timestamp,
    client: &'a AnalyticsClient,
    runtime: &'a tokio::runtime::Runtime,
    interrupt: &'a Interrupt,
}

impl Job<'_> {
    fn meta(&self, request_id: Option<String>, total: Option<u64>) -> ExportMeta {
        ExportMeta {
            view: self.view,
            body: self.body.clone(),
            server_url: self.client.base_url().to_string(),
            run_at: self.now,
            request_id,
            total,
            drilled_from: None,
            comparison: None,
        }
    }

    fn export_options(&self, sidecar: bool) -> ExportOptions {
        ExportOptions { sidecar, ..ExportOptions::default() }
    }

    /// The query's answer (`POST /query/<view>`): the first page of rows and the
    /// envelope's counts, and the server's request id.
    fn query(&self) -> Result<(ResultTable, Meta, Option<String>), RunError> {
        self.query_body(&self.body)
    }

    /// The answer to `body` on the job's view (the query, or a comparison's other period).
    fn query_body(&self, body: &QueryBody) -> Result<(ResultTable, Meta, Option<String>), RunError> {
        let raw = self
            .runtime
            .block_on(async {
                tokio::select! {
                    () = self.interrupt.token.cancelled() => None,
                    raw = self.client.query_raw(self.view, body) => Some(raw),
                }
            })
            .ok_or(RunError::Interrupted)?
            .map_err(|error| RunError::Request { what: "the query", error })?;
        let (table, meta) = build_table(self.view, body, &raw.bytes, raw.request_id.clone(), self.client)?;
        Ok((table, meta, raw.request_id))
    }

    /// The first page of rows (`POST /query/<view>`), as the window shows it.
    fn first_page(&self, stdout: &mut dyn Write) -> Result<RunSummary, RunError> {
        let (table, meta, request_id) = self.query()?;
        self.write_table(&table, &self.meta(request_id, Some(meta.total)), stdout)
    }

    /// Writes every row of `table` to the output (file or stdout), `meta` recorded beside it.
    fn write_table(
        &self,
        table: &ResultTable,
        meta: &ExportMeta,
        stdout: &mut dyn Write,
    ) -> Result<RunSummary, RunError> {
        let rows = table.all_rows();
        let cols: Vec<usize> = (0..table.column_count()).collect();
        let mut summary = RunSummary {
            path: self.options.out.clone(),
            format: self.format,
            rows_written: 0,
            total: meta.total,
            all: false,
            sidecar: None,
            sheets: 1,
            truncated_cells: 0,
            warning: None,
            comparison: None,
        };
        // The command line shows no progress; an interrupt (Ctrl+C) cancels.
        let mut no_report = |_| {};
        let mut control = ExportControl::new(&mut no_report, &self.interrupt.flag);
        let view = TableView { table, rows: &rows, columns: &cols };
        match &self.options.out {
            Some(path) => {
                let outcome = export_view(
                    view,
                    self.format,
                    path,
                    meta,
                    &self.export_options(self.options.sidecar),
                    &mut control,
                )
                .map_err(export_error)?;
                summary.absorb(outcome);
            }
            None => {
                let written = match self.format {
                    ExportFormat::Csv { bom } => write_csv(view, bom, &mut *stdout, &mut control),
                    ExportFormat::Json => write_json(view, &mut *stdout, &mut control),
                    ExportFormat::Xlsx => {
                        return Err(RunError::Local("an Excel workbook cannot go to stdout".to_string()));
                    }
                };
                summary.rows_written = written.map_err(|error| match error {
                    ExportError::Io { source, .. } => RunError::Stdout(source),
                    other => export_error(other),
                })?;
                stdout.flush().map_err(RunError::Stdout)?;
            }
        }
        Ok(summary)
    }

    /// Every row, through the export endpoint: into the file, or through a temporary file
    /// to stdout (so a download that breaks off prints nothing rather than half a result).
    /// The query answer's `total` comes first: the export refuses to keep fewer rows.
    fn all_rows(&self, stdout: &mut dyn Write) -> Result<RunSummary, RunError> {
        let (_, counted, request_id) = self.query()?;
        let total = counted.total;
        let staging = match &self.options.out {
            Some(_) => None,
            None => Some(
                tempfile::Builder::new()
                    .prefix("inkeep-explorer-run.")
                    .tempdir()
                    .map_err(|err| RunError::Local(format!("could not create a temporary folder: {err}")))?,
            ),
        };
        let (path, sidecar) = match (&self.options.out, &staging) {
            (Some(path), _) => (path.clone(), self.options.sidecar),
            (None, Some(dir)) => (dir.path().join(format!("export.{}", self.format.extension())), false),
            (None, None) => return Err(RunError::Local("no place to stage the download".to_string())),
        };
        // The export endpoint gives no total or request id: both are the query answer's, and
        // the export holds the rows it receives against that total.
        let mut export = StreamExport::begin(
            &path,
            self.format,
            self.meta(request_id, Some(total)),
            self.export_options(sidecar),
        )
        .map_err(export_error)?;
        self.runtime
            .block_on(async {
                tokio::select! {
                    () = self.interrupt.token.cancelled() => None,
                    done = self.client.export_csv(self.view, &self.body, &mut export, |_| {}) => Some(done),
                }
            })
            .ok_or(RunError::Interrupted)?
            .map_err(|error| RunError::Request { what: "the export of all rows", error })?;
        let outcome = export
            .finish(&mut ExportControl::new(&mut |_| {}, &self.interrupt.flag))
            .map_err(export_error)?;
        let mut summary = RunSummary {
            path: self.options.out.clone(),
            format: self.format,
            rows_written: 0,
            total: Some(total),
            all: true,
            sidecar: None,
            sheets: 1,
            truncated_cells: 0,
            warning: None,
            comparison: None,
        };
        summary.absorb(outcome);
        summary.warning = excess_rows_warning(summary.rows_written, Some(total));
        if staging.is_some() {
            summary.path = None;
            let file = File::open(&path)
                .map_err(|err| RunError::Local(format!("could not read the downloaded rows back: {err}")))?;
            io::copy(&mut BufReader::new(file), stdout).map_err(RunError::Stdout)?;
            stdout.flush().map_err(RunError::Stdout)?;
        }
        Ok(summary)
    }
}

impl RunSummary {
    fn absorb(&mut self, outcome: ExportOutcome) {
        self.rows_written = outcome.rows_written;
        self.sheets = outcome.sheets;
        self.truncated_cells = outcome.truncated_cells;
        self.sidecar = outcome.sidecar;
    }
}

fn export_error(error: ExportError) -> RunError {
    match error {
        ExportError::Cancelled => RunError::Interrupted,
        other => RunError::Export(other),
    }
}

/// The table of a query answer on `view` ([`ResultTable::from_answer`]), failures as run
/// errors naming the view's endpoint.
fn build_table(
    view: View,
    body: &QueryBody,
    bytes: &[u8],
    request_id: Option<String>,
    client: &AnalyticsClient,
) -> Result<(ResultTable, Meta), RunError> {
    ResultTable::from_answer(body, bytes).map_err(|source| RunError::Request {
        what: "the query",
        error: ClientError::Envelope { source, request_id, url: client.endpoint_url(view.query_path()) },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo_options(source: QuerySource, out: Option<PathBuf>) -> RunOptions {
        let dataset = DatasetParams {
            rows: 300,
            seed: 7,
            end_date: jiff::tz::Offset::UTC.to_datetime(Timestamp::now()).date(),
        };
        RunOptions::new(source, Connection::Demo(DemoOptions { dataset, page_size: 50 }), out)
    }

    fn run_to_strings(options: &RunOptions) -> (u8, String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run(options, &mut out, &mut err);
        (code, String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
    }

    #[test]
    fn xlsx_to_stdout_is_refused_before_anything_runs() {
        let mut options = demo_options(QuerySource::File("/nonexistent/q.json".into()), None);
        options.format = Some(ExportFormat::Xlsx);
        let (code, out, err) = run_to_strings(&options);
        assert_eq!(code, EXIT_USAGE);
        assert!(out.is_empty());
        assert!(err.contains("--out"), "{err}");
    }

    #[test]
    fn the_format_follows_the_extension_and_bom_only_fits_csv() {
        let mut options = demo_options(QuerySource::Preset("x".into()), Some("report.JSON".into()));
        assert_eq!(output_format(&options).unwrap(), ExportFormat::Json);
        options.out = Some("report.txt".into());
        assert_eq!(output_format(&options).unwrap(), ExportFormat::Csv { bom: false });
        options.bom = true;
        assert_eq!(output_format(&options).unwrap(), ExportFormat::Csv { bom: true });
        options.format = Some(ExportFormat::Json);
        assert!(matches!(output_format(&options), Err(RunError::Usage(_))));
    }

    #[test]
    fn without_a_key_the_run_says_which_variable_to_set() {
        let dir = tempfile::tempdir().unwrap();
        let query = dir.path().join("q.json");
        std::fs::write(&query, "{}").unwrap();
        let options = RunOptions::new(
            QuerySource::File(query),
            Connection::Remote { server_url: None, api_key: None },
            None,
        );
        let (code, _, err) = run_to_strings(&options);
        assert_eq!(code, EXIT_USAGE);
        assert!(err.contains(KEY_ENV) && err.contains("--demo"), "{err}");
    }

    #[test]
    fn a_count_query_against_the_demo_writes_the_total_to_stdout() {
        let dir = tempfile::tempdir().unwrap();
        let query = dir.path().join("q.json");
        std::fs::write(&query, r#"{"select":[{"type":"aggregation","aggregation":"count"}]}"#).unwrap();
        let options = demo_options(QuerySource::File(query), None);
        let (code, out, err) = run_to_strings(&options);
        assert_eq!(code, EXIT_SUCCESS, "{err}");
        assert_eq!(out, "count\r\n300\r\n");
        assert_eq!(err.trim(), "wrote 1 row to stdout");
    }

    #[test]
    fn the_summary_asks_for_all_when_rows_are_missing() {
        let summary = RunSummary {
            path: Some("r.csv".into()),
            format: ExportFormat::Csv { bom: false },
            rows_written: 1000,
            total: Some(48_210),
            all: false,
            sidecar: None,
            sheets: 1,
            truncated_cells: 0,
            warning: None,
            comparison: None,
        };
        assert_eq!(summary.line(), "wrote 1,000 of 48,210 matching rows to r.csv; pass --all for every row");
        let all = RunSummary { all: true, total: None, rows_written: 48_210, ..summary };
        assert_eq!(all.line(), "wrote 48,210 rows (every matching row) to r.csv");
    }
}
