//! `pt`: inspect, scan, compare and convert PyTorch checkpoints.
//!
//! Exit statuses: 0 success (`diff`: equal; `scan`: every file safe); 1 failure (`diff`:
//! different); 2 usage errors (`diff`, `scan`: a file that cannot be read); 3 `scan` found
//! an unsafe file.

mod cli;
mod commands;
mod diff;
mod input;
mod progress;
mod render;
mod table;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match &cli.command {
        Command::Inspect(a) => commands::inspect::run(a),
        Command::Scan(a) => commands::scan::run(a),
        Command::Diff(a) => commands::diff::run(a),
        Command::Convert(a) => commands::convert::run(a),
        Command::Run(a) => commands::run::run(a),
    };
    ExitCode::from(code)
}
