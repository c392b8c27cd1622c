//! What every command runs on: its thread pool, its progress bar on stderr,
//! and returning freed heap memory to the operating system.
//!
//! A run frees large buffers between stages (each sample's hash table once it
//! is frozen, the per-sample insert lists once the cross-sample table is
//! built). glibc's allocator keeps such memory in its arenas, where it still
//! counts towards the process's resident memory: peak RSS would then be the
//! sum of every stage's buffers rather than the largest stage's.

use std::io::IsTerminal;
use std::sync::Mutex;

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

/// This build's version and git commit (`unknown` outside a checkout).
pub const COMMIT: &str = env!("MIRQ_GIT_COMMIT");

/// What a run said on stderr (and what it notes without saying), in order:
/// the body of `mirq.log`.
static LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Says `line` on stderr and keeps it for `mirq.log`.
pub fn say(line: String) {
    eprintln!("{line}");
    note(line);
}

/// Keeps `line` for `mirq.log` without saying it (what `-q` silences).
pub fn note(line: String) {
    LOG.lock().expect("run log").push(line);
}

/// The lines kept so far, in order; the log starts empty again.
pub fn take_log() -> Vec<String> {
    std::mem::take(&mut *LOG.lock().expect("run log"))
}
