//! `inkeep-explorer`: the desktop explorer for the Inkeep Analytics query API, and its
//! command-line entry points (`serve` runs the embedded demo API, `run` a query without a
//! window — see [`inkeep_explorer::headless`]).

use std::io::IsTerminal as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{ArgGroup, Args, Parser, Subcommand};
use inkeep_explorer::api::client::{ApiKey, SERVER_URL_ENV};
use inkeep_explorer::api::query_file::parse_view_name;
use inkeep_explorer::api::view::View;
use inkeep_explorer::app::{self, LaunchOptions, state::ResultView};
use inkeep_explorer::data::compare::CompareOffset;
use inkeep_explorer::data::export::ExportFormat;
use inkeep_explorer::demo::dataset::DatasetParams;
use inkeep_explorer::demo::server::{self, ServerConfig};
use inkeep_explorer::headless::{self, Connection, DemoOptions, QuerySource, RunOptions};
use jiff::civil::Date;

/// Explore the Inkeep Analytics API; without a subcommand, open the window.
// (`--version` prints `build_info::VERSION_LINE`, as the About dialog does; a plain comment, so
// it stays out of --help and the man page.)
#[derive(Debug, Parser)]
#[command(name = "inkeep-explorer", version = inkeep_explorer::build_info::VERSION_LINE, about)]
struct Cli {
    /// What to do; none opens the window.
    #[command(subcommand)]
    command: Option<Commands>,
    /// Window automation (for smoke tests, docs and scripts).
    #[command(flatten)]
    window: WindowArgs,
}

/// Options of the window, used when no subcommand is given.
#[derive(Debug, Args)]
struct WindowArgs {
    /// Open with the query body in FILE (JSON) loaded.
    #[arg(long, value_name = "FILE", conflicts_with = "preset")]
    query: Option<PathBuf>,
    /// Open with the preset NAME loaded.
    #[arg(long, value_name = "NAME")]
    preset: Option<String>,
    /// Run the query as soon as the window is connected.
    #[arg(long)]
    run: bool,
    /// Show this tab.
    #[arg(long, value_enum)]
    tab: Option<TabArg>,
    /// Turn Compare on in the query's tab: previous, week, month or year.
    #[arg(long, value_name = "OFFSET", value_parser = parse_compare)]
    compare: Option<CompareOffset>,
    /// Write a PNG of the whole window once the run has finished and a frame was drawn.
    #[arg(long, value_name = "FILE")]
    screenshot: Option<PathBuf>,
    /// Close the window when done (after the run and the screenshot); exit status 1 if the run failed.
    #[arg(long)]
    exit: bool,
}

/// The result tabs, as named on the command line.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum TabArg {
    /// The grid.
    Table,
    /// The chart.
    Chart,
    /// The request body.
    Request,
    /// The raw answer.
    Response,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Commands {
    /// Serve the embedded demo Analytics API over HTTP (loopback only unless --allow-remote).
    Serve(ServeArgs),
    /// Run a query without a window and write the result (CSV to stdout unless --out).
    ///
    /// The key comes from INKEEPANALYTICS_API_INTEGRATION_KEY, the server from --server-url or
    /// INKEEPANALYTICS_SERVER_URL. Exit status: 0 done, 1 the run failed, 2 bad usage, an
    /// invalid query or an unknown preset.
    Run(RunArgs),
    /// Write the man pages (inkeep-explorer.1 and one per subcommand) into DIR, generated from
    /// these definitions; for packaging (scripts/package.sh), hence hidden.
    #[command(hide = true)]
    GenerateMan {
        /// The directory to write into (created if missing).
        #[arg(value_name = "DIR")]
        out_dir: PathBuf,
    },
}

/// Options of `run`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("source").required(true).args(["query", "preset"])))]
struct RunArgs {
    /// Run the query in FILE (JSON): a query body (for conversations unless --view says
    /// otherwise), or {"view": "feedback_view", "body": {…}} naming its view.
    #[arg(long, value_name = "FILE")]
    query: Option<PathBuf>,
    /// Run the preset NAME (case-insensitive; yours or a built-in one), on the preset's view.
    #[arg(long, value_name = "NAME")]
    preset: Option<String>,
    /// The view a plain query body is for: conversations, events, feedback or
    /// semantic_threads (or the wire names, conversations_view…) [default: conversations].
    /// A query file or preset naming another view is refused.
    #[arg(long, value_name = "NAME", value_parser = parse_view)]
    view: Option<View>,
    /// Query the embedded demo data instead of the Analytics API (no key needed).
    #[arg(long, conflicts_with = "server_url")]
    demo: bool,
    /// The Analytics API's base URL [default: INKEEPANALYTICS_SERVER_URL, else the public API].
    #[arg(long, value_name = "URL")]
    server_url: Option<String>,
    /// Output format [default: from the extension of --out, else csv].
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
    /// Write the result to FILE (atomically) instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Every matching row (through the export endpoint), not just the first page.
    #[arg(long)]
    all: bool,
    /// Do not write FILE.query.json describing the query beside a CSV or JSON file.
    #[arg(long)]
    no_sidecar: bool,
    /// Start a CSV with a byte order mark, so that Excel reads it as UTF-8.
    #[arg(long)]
    bom: bool,
    /// Also run the query over an earlier period and add `previous` and `change %` columns:
    /// the previous period (as long as the query's range), or the same period last week,
    /// month or year. The query needs a time range with a start and an end.
    #[arg(long, value_name = "OFFSET", value_parser = parse_compare, conflicts_with = "all")]
    compare: Option<CompareOffset>,
    /// Conversations in the demo dataset (for tests).
    #[arg(long, hide = true, default_value_t = 100_000)]
    demo_rows: u64,
    /// Seed of the demo dataset (for tests).
    #[arg(long, hide = true, default_value_t = 42)]
    demo_seed: u64,
    /// Last day of the demo dataset, YYYY-MM-DD (for tests); today when absent.
    #[arg(long, hide = true, value_name = "YYYY-MM-DD")]
    demo_end_date: Option<Date>,
    /// Rows in one demo answer (for tests).
    #[arg(long, hide = true, default_value_t = server::DEFAULT_PAGE_SIZE)]
    demo_page_size: usize,
}

/// `--compare OFFSET`: previous, week, month or year.
fn parse_compare(name: &str) -> Result<CompareOffset, String> {
    CompareOffset::from_name(name)
        .ok_or_else(|| format!("`{name}` is not an offset; use previous, week, month or year"))
}

/// `--view NAME`, in any form [`parse_view_name`] reads.
fn parse_view(name: &str) -> Result<View, String> {
    parse_view_name(name).map_err(|err| err.to_string())
}

/// The output formats, as named on the command line.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum FormatArg {
    /// Comma-separated values.
    Csv,
    /// A JSON array of row objects.
    Json,
    /// An Excel workbook (needs --out).
    Xlsx,
}

/// Options of `serve`.
#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value_t = server::DEFAULT_ADDR)]
    addr: SocketAddr,
    /// Number of demo conversations.
    #[arg(long, default_value_t = 100_000)]
    rows: u64,
    /// Seed of the demo data generator.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Last day of the demo data (YYYY-MM-DD, UTC); today when absent.
    #[arg(long, value_name = "YYYY-MM-DD")]
    end_date: Option<Date>,
    /// Accept only `Authorization: Bearer KEY`; without it any bearer token is accepted.
    #[arg(long, value_name = "KEY")]
    api_key: Option<String>,
    /// Most rows one query answer carries.
    #[arg(long, default_value_t = server::DEFAULT_PAGE_SIZE)]
    page_size: usize,
    /// Keep the database in FILE and reuse it when it holds the same dataset; in memory otherwise.
    #[arg(long, value_name = "FILE")]
    db: Option<PathBuf>,
    /// Allow a non-loopback --addr (requires --api-key).
    #[arg(long)]
    allow_remote: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // `run` is for scripts and cron: quiet unless something is wrong (RUST_LOG still rules).
    init_logging(if matches!(cli.command, Some(Commands::Run(_))) { "warn" } else { "info" });
    let result = match cli.command {
        None => open_window(cli.window),
        Some(Commands::Serve(args)) => serve(args),
        Some(Commands::Run(args)) => return ExitCode::from(run_headless(args)),
        Some(Commands::GenerateMan { out_dir }) => generate_man(&out_dir),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // `{:#}` prints the whole chain of causes on one line, without a backtrace.
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs go to stderr (stdout carries the `listening on` line, or the result of `run`),
/// filtered by `RUST_LOG`, else at `default_level`.
fn init_logging(default_level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

/// The window: on the embedded demo API unless a key is configured.
fn open_window(args: WindowArgs) -> anyhow::Result<()> {
    let tab = args.tab.map(|tab| match tab {
        TabArg::Table => ResultView::Table,
        TabArg::Chart => ResultView::Chart,
        TabArg::Request => ResultView::Request,
        TabArg::Response => ResultView::Response,
    });
    app::run_native(LaunchOptions {
        query_file: args.query,
        preset: args.preset,
        run: args.run,
        tab,
        compare: args.compare,
        screenshot: args.screenshot,
        exit: args.exit,
    })
}

/// `serve`: the demo API until Ctrl+C / SIGTERM, on a runtime of its own (the main thread
/// stays free for the window in other commands).
fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let dataset = DatasetParams {
        rows: args.rows,
        seed: args.seed,
        end_date: args.end_date.unwrap_or_else(|| DatasetParams::default().end_date),
    };
    let config = ServerConfig {
        addr: args.addr,
        dataset,
        api_key: args.api_key,
        page_size: args.page_size,
        db_path: args.db,
        allow_remote: args.allow_remote,
    };
    // Refuse a bad configuration before starting any thread.
    config.check()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("demo-api")
        .build()
        .context("could not start the async runtime")?;
    runtime.block_on(server::serve_until_signal(config)).context("the demo API stopped")?;
    Ok(())
}

/// `generate-man`: the man pages from the clap definitions, so they never drift from `--help`.
fn generate_man(out_dir: &std::path::Path) -> anyhow::Result<()> {
    use clap::CommandFactory as _;
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("could not create the man page folder ({})", out_dir.display()))?;
    clap_mangen::generate_to(Cli::command(), out_dir)
        .with_context(|| format!("could not write the man pages ({})", out_dir.display()))?;
    Ok(())
}

/// `run`: the query without a window; the environment is read here, the rest is in
/// [`inkeep_explorer::headless`].
fn run_headless(args: RunArgs) -> u8 {
    let source = match (args.query, args.preset) {
        (Some(path), _) => QuerySource::File(path),
        (None, Some(name)) => QuerySource::Preset(name),
        // clap's "source" group requires one of them.
        (None, None) => {
            eprintln!("error: name the query with --query FILE or --preset NAME");
            return headless::EXIT_USAGE;
        }
    };
    let connection = if args.demo {
        let dataset = DatasetParams {
            rows: args.demo_rows,
            seed: args.demo_seed,
            end_date: args.demo_end_date.unwrap_or_else(|| DatasetParams::default().end_date),
        };
        Connection::Demo(DemoOptions { dataset, page_size: args.demo_page_size })
    } else {
        let server_url = args.server_url.or_else(|| std::env::var(SERVER_URL_ENV).ok());
        Connection::Remote { server_url, api_key: ApiKey::from_env() }
    };
    let format = args.format.map(|format| match format {
        FormatArg::Csv => ExportFormat::Csv { bom: false },
        FormatArg::Json => ExportFormat::Json,
        FormatArg::Xlsx => ExportFormat::Xlsx,
    });
    let options = RunOptions {
        view: args.view,
        format,
        bom: args.bom,
        all: args.all,
        sidecar: !args.no_sidecar,
        compare: args.compare,
        config_dir: inkeep_explorer::presets::default_config_dir(),
        handle_signals: true,
        ..RunOptions::new(source, connection, args.out)
    };
    let stdout = std::io::stdout();
    // The result may be large: one buffer in front of stdout's line buffering.
    let mut out = std::io::BufWriter::with_capacity(256 * 1024, stdout.lock());
    let mut err = std::io::stderr().lock();
    headless::run(&options, &mut out, &mut err)
}
