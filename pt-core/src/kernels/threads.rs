//! The process-wide thread setting and the one rayon pool every kernel uses.
//!
//! Kernels split work into chunks whose boundaries depend only on the sizes and the thread
//! count, and each output element is computed by exactly one chunk, so results are the same
//! for a fixed thread count. Work below [`MIN_PARALLEL_WORK`] stays on the caller's thread.

use std::sync::{Arc, OnceLock, RwLock};

/// Approximate scalar operations below which an op never leaves the calling thread.
pub(crate) const MIN_PARALLEL_WORK: usize = 1 << 16;

struct Pool {
    threads: usize,
    pool: Option<Arc<rayon::ThreadPool>>,
}

fn state() -> &'static RwLock<Pool> {
    static STATE: OnceLock<RwLock<Pool>> = OnceLock::new();
    STATE.get_or_init(|| {
        let threads = std::env::var("PT_NUM_THREADS")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|&n| n > 0)
            .unwrap_or_else(default_threads);
        RwLock::new(Pool {
            threads,
            pool: None,
        })
    })
}

fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Sets the number of threads kernels use (PyTorch's `torch.set_num_threads`); `0` means
/// all cores. The default is all cores, or the `PT_NUM_THREADS` environment variable.
pub fn set_num_threads(n: usize) {
    let n = if n == 0 { default_threads() } else { n };
    let mut s = state().write().unwrap_or_else(|p| p.into_inner());
    if s.threads != n {
        s.threads = n;
        s.pool = None;
    }
}

/// The number of threads kernels use.
pub fn num_threads() -> usize {
    state().read().unwrap_or_else(|p| p.into_inner()).threads
}

/// The shared pool, built on first use with the current thread count.
fn pool() -> Option<Arc<rayon::ThreadPool>> {
    {
        let s = state().read().unwrap_or_else(|p| p.into_inner());
        if let Some(p) = &s.pool {
            return Some(Arc::clone(p));
        }
    }
    let mut s = state().write().unwrap_or_else(|p| p.into_inner());
    if s.pool.is_none() {
        let built = rayon::ThreadPoolBuilder::new()
            .num_threads(s.threads)
            .thread_name(|i| format!("pt-compute-{i}"))
            .build()
            .ok()?;
        s.pool = Some(Arc::new(built));
    }
    s.pool.clone()
}

/// How many threads an op of about `work` scalar operations should use.
pub(crate) fn threads_for(work: usize) -> usize {
    if work < MIN_PARALLEL_WORK {
        return 1;
    }
    let t = num_threads();
    if t <= 1 {
        return 1;
    }
    t.min(work / (MIN_PARALLEL_WORK / 2)).max(1)
}

/// Runs `f` inside the pool when more than one thread is wanted (so nested rayon calls,
/// including the GEMM's, use it), else on the caller's thread.
pub(crate) fn run<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
    if threads <= 1 || rayon::current_thread_index().is_some() {
        return f();
    }
    match pool() {
        Some(p) => p.install(f),
        None => f(),
    }
}

/// Calls `f(chunk_index, chunk)` for consecutive chunks of `out` of `chunk_len` elements
/// (the last may be shorter), in parallel when `work` (total scalar operations) is large.
pub(crate) fn for_each_chunk<T: Send>(
    out: &mut [T],
    chunk_len: usize,
    work: usize,
    f: impl Fn(usize, &mut [T]) + Send + Sync,
) {
    let chunk_len = chunk_len.max(1);
    let threads = threads_for(work);
    if threads <= 1 || out.len() <= chunk_len {
        for (i, c) in out.chunks_mut(chunk_len).enumerate() {
            f(i, c);
        }
        return;
    }
    use rayon::prelude::*;
    run(threads, || {
        out.par_chunks_mut(chunk_len)
            .enumerate()
            .for_each(|(i, c)| f(i, c));
    });
}

/// Splits `rows` rows of `row_len` elements into about one block per thread (whole rows),
/// and calls `f(first_row, block)`; serial for small work.
#[allow(dead_code)] // used as the element-wise kernels land
pub(crate) fn for_each_row_block<T: Send>(
    out: &mut [T],
    row_len: usize,
    work: usize,
    f: impl Fn(usize, &mut [T]) + Send + Sync,
) {
    let rows = out.len().checked_div(row_len).unwrap_or(0);
    if rows == 0 {
        return;
    }
    let threads = threads_for(work).min(rows);
    if threads <= 1 {
        f(0, out);
        return;
    }
    let per = rows.div_ceil(threads * 4).max(1);
    for_each_chunk(out, per * row_len, work, |i, c| f(i * per, c));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_everything_once() {
        let mut v = vec![0u32; 1 << 18];
        for_each_row_block(&mut v, 16, 1 << 20, |r0, block| {
            for (k, x) in block.iter_mut().enumerate() {
                *x = u32::try_from(r0 * 16 + k).unwrap();
            }
        });
        assert!(v.iter().enumerate().all(|(i, &x)| x as usize == i));
        assert!(num_threads() >= 1);
        assert_eq!(threads_for(10), 1);
    }
}
