//! Opens the explorer window (until `main.rs` wires the CLI to it).
//!
//! `cargo run --example window -- [--query FILE] [--run] [--tab T] [--screenshot FILE] [--exit]`

use std::path::PathBuf;

use inkeep_explorer::app::{LaunchOptions, run_native};

fn main() -> anyhow::Result<()> {
    let mut options = LaunchOptions::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--query" => options.query_file = args.next().map(PathBuf::from),
            "--preset" => options.preset = args.next(),
            "--run" => options.run = true,
            "--tab" => {
                options.tab = args.next().map(|t| t.parse()).transpose().map_err(anyhow::Error::msg)?
            }
            "--screenshot" => options.screenshot = args.next().map(PathBuf::from),
            "--exit" => options.exit = true,
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    run_native(options)
}
