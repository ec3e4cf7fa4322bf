//! `pt diff A B`.

use crate::cli::DiffArgs;
use pt_core::diff::{compare_trees, flatten};

use crate::diff::render;
use crate::input::{self, open_for_diff};

/// Exit status when a file cannot be read.
pub const EXIT_TROUBLE: u8 = 2;

/// Runs the command; returns the exit status (0 equal, 1 different, 2 trouble).
pub fn run(args: &DiffArgs) -> u8 {
    if !(args.atol >= 0.0 && args.rtol >= 0.0) {
        eprintln!("pt diff: --atol and --rtol must be non-negative numbers");
        return EXIT_TROUBLE;
    }
    let mut trees = Vec::new();
    for (label, path) in [("A", &args.a), ("B", &args.b)] {
        match open_for_diff(path, args.key.as_deref(), &args.load) {
            Ok(o) => {
                if !args.quiet {
                    println!("{label}: {} ({})", path.display(), o.description);
                }
                trees.push(flatten(&o.value));
            }
            Err(e) => {
                eprintln!("pt diff: {}: {e}", path.display());
                if let Some(h) = input::hint(&e) {
                    eprintln!("hint: {h}");
                }
                return EXIT_TROUBLE;
            }
        }
    }
    let report = compare_trees(&trees[0], &trees[1], args.atol, args.rtol);
    print!("{}", render(&report, args.atol, args.rtol, args.quiet));
    u8::from(!report.is_equal())
}
