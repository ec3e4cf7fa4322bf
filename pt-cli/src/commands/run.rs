//! `pt run ARCHIVE INPUTS.pt [OUTPUT.pt] [--method NAME]`: runs a TorchScript method.

use std::path::{Path, PathBuf};

use clap::Args;
use pt_jit::{ScriptModule, Value};

/// `pt run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The TorchScript archive (`torch.jit.save`).
    pub archive: PathBuf,
    /// A list or tuple of positional arguments saved with `torch.save` (tensors, ints,
    /// floats, bools, strings, lists).
    pub inputs: PathBuf,
    /// Where to write the return value (`torch.load(weights_only=True)` opens it); without
    /// it, the value is printed as PyTorch prints it.
    pub output: Option<PathBuf>,
    /// The method to run.
    #[arg(long, default_value = "forward")]
    pub method: String,
}

/// Runs the command; returns the exit status.
pub fn run(args: &RunArgs) -> u8 {
    match execute(args) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("pt run: {e}");
            1
        }
    }
}

fn execute(args: &RunArgs) -> Result<(), String> {
    let module =
        pt_jit::load(&args.archive).map_err(|e| format!("{}: {e}", args.archive.display()))?;
    let inputs = pt_core::serialize::load(&args.inputs)
        .map_err(|e| format!("{}: {e}", args.inputs.display()))?;
    let positional = match pt_jit::convert(&inputs).map_err(|e| e.to_string())? {
        Value::Tuple(items) => items.to_vec(),
        Value::List(l) => l.to_vec(),
        other => {
            return Err(format!(
                "{}: expected a list or tuple of arguments, found a {}",
                args.inputs.display(),
                other.kind()
            ));
        }
    };
    let out = module
        .run_method(&args.method, positional)
        .map_err(|e| e.to_string())?;
    match &args.output {
        Some(path) => {
            let value = pt_jit::to_checkpoint_value(&out).map_err(|e| e.to_string())?;
            pt_core::serialize::save(&value, path)
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
        None => println!("{out}"),
    }
    Ok(())
}

/// Prints a TorchScript archive's methods with their signatures, and with `code` its code
/// records; for `pt inspect`.
pub fn print_methods(path: &Path, code: bool) -> Result<(), String> {
    let module: ScriptModule = pt_jit::load(path).map_err(|e| e.to_string())?;
    println!("TorchScript module {}", module.class_name());
    println!("methods:");
    for m in module.methods() {
        println!("  {}", m.signature);
    }
    let missing = module.missing_operators();
    if !missing.is_empty() {
        println!("operators pt-jit lacks ({}):", missing.len());
        for (name, at) in missing {
            println!("  {name} at {at}");
        }
    }
    if code {
        for (name, text) in module.code() {
            println!("\n# {name}\n{text}");
        }
    }
    Ok(())
}
