//! `inkeep-explorer`: the desktop explorer for the Inkeep Analytics query API, and its
//! command-line entry points (`serve` runs the embedded demo API).

use std::io::IsTerminal as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};
use inkeep_explorer::app::{self, LaunchOptions, state::Tab};
use inkeep_explorer::demo::dataset::DatasetParams;
use inkeep_explorer::demo::server::{self, ServerConfig};

/// Explore the Inkeep Analytics API; without a subcommand, open the window.
#[derive(Debug, Parser)]
#[command(name = "inkeep-explorer", version, about)]
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
    end_date: Option<NaiveDate>,
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
    init_logging();
    let cli = Cli::parse();
    let result = match cli.command {
        None => open_window(cli.window),
        Some(Commands::Serve(args)) => serve(args),
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

/// Logs go to stderr (stdout carries the `listening on` line), filtered by `RUST_LOG`.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

/// The window: on the embedded demo API unless a key is configured.
fn open_window(args: WindowArgs) -> anyhow::Result<()> {
    let tab = args.tab.map(|tab| match tab {
        TabArg::Table => Tab::Table,
        TabArg::Chart => Tab::Chart,
        TabArg::Request => Tab::Request,
        TabArg::Response => Tab::Response,
    });
    app::run_native(LaunchOptions {
        query_file: args.query,
        preset: args.preset,
        run: args.run,
        tab,
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
