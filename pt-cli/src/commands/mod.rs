//! One module per subcommand; each `run` returns the process exit status.

pub mod convert;
pub mod diff;
pub mod inspect;
pub mod run;
pub mod scan;
