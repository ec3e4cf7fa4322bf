//! The command line, as clap derive types.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Inspect, scan, compare and convert PyTorch checkpoints without Python.
///
/// Nothing in a file is ever executed: pickles are read by an allowlisting machine
/// (as `torch.load(weights_only=True)`), or only decoded (`scan`).
#[derive(Debug, Parser)]
#[command(name = "pt", version, about, long_about)]
pub struct Cli {
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show every entry of a checkpoint: keys, dtypes, shapes, storages, sizes and totals.
    ///
    /// Exit status: 0 when the file loads, 1 when it is refused or unreadable.
    Inspect(InspectArgs),
    /// List the globals and opcodes the pickles use, and judge each file safe or unsafe.
    ///
    /// Nothing is loaded or executed. Exit status: 0 when every file is safe, 3 when any
    /// is unsafe, otherwise 2 when a file cannot be read or is not a checkpoint.
    Scan(ScanArgs),
    /// Compare two checkpoints (.pt of any flavour, TorchScript, .safetensors, sharded
    /// indexes or model directories) key by key.
    ///
    /// Exit status: 0 when equal within tolerance, 1 when they differ, 2 when a file
    /// cannot be read.
    Diff(DiffArgs),
    /// Convert between .pt and .safetensors (single or sharded), or rewrite any .pt as a
    /// current zip .pt.
    ///
    /// The output format follows OUT's extension (.safetensors, anything else is .pt), or
    /// is sharded safetensors in directory OUT with --max-shard-size.
    /// Exit status: 0 on success, 1 on any error (nothing is written then).
    Convert(ConvertArgs),
    /// Run a TorchScript archive's method on arguments saved with torch.save.
    ///
    /// Exit status: 0 on success, 1 on any error (nothing is written then).
    Run(crate::commands::run::RunArgs),
}

/// How to read `.pt` files.
#[derive(Debug, Args, Clone, Default)]
pub struct LoadArgs {
    /// Read whole-module pickles (`torch.save(model)`) in inert mode: unknown classes
    /// become inert records, nothing runs; the module's parameters and buffers are then
    /// taken under their state-dict keys. Modules such as `os`/`posix` stay refused.
    #[arg(long)]
    pub inert: bool,
    /// Where storages go, as torch.load's map_location: a location such as `cpu` (every
    /// storage), or `FROM=TO` pairs (repeat the option or separate with commas). Files
    /// tagged with a device (`cuda:0`, `mps`, …) load into host memory without it.
    #[arg(long = "map-location", value_name = "LOC|FROM=TO")]
    pub map_location: Vec<String>,
}

/// `pt inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The checkpoint: .pt of any flavour, .safetensors, a sharded *.index.json or a model
    /// directory.
    pub file: PathBuf,
    /// Print one JSON object (`format`, `version`, `byteorder`, `entries`) instead of the
    /// table; on failure `{"error": …}`.
    #[arg(long)]
    pub json: bool,
    /// Never show the progress indicator.
    #[arg(long)]
    pub no_progress: bool,
    /// For a TorchScript archive, also print its code.
    #[arg(long)]
    pub code: bool,
    /// Loading options.
    #[command(flatten)]
    pub load: LoadArgs,
}

/// `pt scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// The files to scan.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Print one JSON object per file, one per line.
    #[arg(long)]
    pub json: bool,
}

/// `pt diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The first file.
    pub a: PathBuf,
    /// The second file.
    pub b: PathBuf,
    /// Absolute tolerance, as torch.allclose's `atol`.
    #[arg(long, default_value_t = 1e-8)]
    pub atol: f64,
    /// Relative tolerance (to B's value), as torch.allclose's `rtol`.
    #[arg(long, default_value_t = 1e-5)]
    pub rtol: f64,
    /// Dotted path of the state dict inside both .pt files (`model`), instead of finding
    /// it. Ignored for .safetensors files.
    #[arg(long)]
    pub key: Option<String>,
    /// Print only the summary line.
    #[arg(long, short)]
    pub quiet: bool,
    /// Loading options.
    #[command(flatten)]
    pub load: LoadArgs,
}

/// `pt convert`.
#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// The input: .pt of any flavour, .safetensors, a sharded *.index.json or a model
    /// directory.
    pub input: PathBuf,
    /// The output: .safetensors, a directory (with --max-shard-size), or .pt (current zip
    /// format).
    pub output: PathBuf,
    /// Dotted path of the state dict inside the input (`model`), instead of finding it.
    #[arg(long)]
    pub key: Option<String>,
    /// Replace OUT if it exists.
    #[arg(long, short)]
    pub force: bool,
    /// Write sharded safetensors into the directory OUT, as Hugging Face names them
    /// (`model-00001-of-00003.safetensors` + `model.safetensors.index.json`), each shard at
    /// most this size (`2GB`, `500MB`, `1GiB`, or bytes).
    #[arg(long, value_name = "SIZE")]
    pub max_shard_size: Option<String>,
    /// Loading options.
    #[command(flatten)]
    pub load: LoadArgs,
}
