//! A tiny progress indicator on stderr for long loads: shown only when stderr is a
//! terminal and the file is large, erased when the work is done.
//!
//! The loader reports no progress of its own, so this shows what is known: the phase,
//! the file size and the elapsed time.

use std::io::{IsTerminal, Write};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::table::human_bytes;

/// Files at least this large get an indicator.
pub const THRESHOLD: u64 = 64 << 20;

/// A running indicator; stops and erases itself when dropped.
#[derive(Debug)]
pub struct Progress {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Progress {
    /// Starts an indicator for `what` (a file of `size` bytes) if stderr is a terminal and
    /// `size >= THRESHOLD`; otherwise does nothing.
    pub fn start(what: &str, size: u64, enabled: bool) -> Progress {
        if !enabled || size < THRESHOLD || !std::io::stderr().is_terminal() {
            return Progress {
                stop: None,
                thread: None,
            };
        }
        let (tx, rx) = mpsc::channel::<()>();
        let label = format!("{what} ({})", human_bytes(size));
        let thread = std::thread::spawn(move || {
            const FRAMES: [char; 4] = ['|', '/', '-', '\\'];
            let start = Instant::now();
            let mut i = 0usize;
            let mut err = std::io::stderr();
            loop {
                let secs = start.elapsed().as_secs_f64();
                let _ = write!(err, "\r{} {label} {secs:.1}s ", FRAMES[i % FRAMES.len()]);
                let _ = err.flush();
                i += 1;
                match rx.recv_timeout(Duration::from_millis(120)) {
                    Err(RecvTimeoutError::Timeout) => {}
                    _ => break,
                }
            }
            // Erase the line.
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        });
        Progress {
            stop: Some(tx),
            thread: Some(thread),
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
