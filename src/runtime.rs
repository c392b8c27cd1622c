//! What every command runs on: its thread pool, its progress bar on stderr,
//! and returning freed heap memory to the operating system.
//!
//! A run frees large buffers between stages (each sample's hash table once it
//! is frozen, the per-sample insert lists once the cross-sample table is
//! built). glibc's allocator keeps such memory in its arenas, where it still
//! counts towards the process's resident memory: peak RSS would then be the
//! sum of every stage's buffers rather than the largest stage's.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

use crate::error::{Error, Result};

/// Hands free heap pages back to the operating system (glibc's
/// `malloc_trim`); does nothing with other C libraries.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only inspects and releases the allocator's free
    // memory; it is safe to call at any time from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Runs `work` in a rayon pool of `threads` threads (at least one): every
/// parallel step of a run uses that pool, never the global one.
pub fn in_thread_pool<T>(threads: usize, work: impl FnOnce() -> Result<T> + Send) -> Result<T>
where
    T: Send,
{
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .map_err(|e| Error::InvalidValue {
            what: "--threads",
            value: threads.to_string(),
            message: e.to_string(),
        })?;
    pool.install(work)
}

/// A spinner counting reads on stderr when `wanted` and stderr is a
/// terminal; a hidden bar otherwise.
pub fn progress_bar(wanted: bool) -> ProgressBar {
    if !wanted || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} {human_pos} reads trimmed ({per_sec}) {elapsed}")
            .expect("valid template"),
    );
    pb.enable_steady_tick(std::time::Duration::from_millis(200));
    pb
}
