//! What every command runs on: its thread pool, its progress bar on stderr,
//! its messages ([`streams`]: stdout and stderr written without panicking),
//! long files made in parallel and written in order ([`ordered`]), and
//! returning freed heap memory to the operating system.
//!
//! A run frees large buffers between stages (each sample's hash table once it
//! is frozen, the per-sample insert lists once the cross-sample table is
//! built). glibc's allocator keeps such memory in its arenas, where it still
//! counts towards the process's resident memory: peak RSS would then be the
//! sum of every stage's buffers rather than the largest stage's.

pub mod ordered;
pub mod streams;

use std::io::IsTerminal;
use std::sync::Mutex;

use std::fmt::Write;

use indicatif::{MultiProgress, ProgressBar, ProgressState, ProgressStyle};

use crate::error::{Error, Result};
use crate::numbers::per_second;

/// `n` zeros whose pages are written before anything reads them: the kernel
/// maps a zeroed allocation's (`vec![0; n]`'s) untouched pages to one shared
/// zero page on a first read, so a table read before it is written (counts,
/// bit sets) would fault twice per page, the second time with a TLB flush
/// on every core the process runs on. (A plain write of zeros is not enough:
/// the compiler turns allocating and zeroing back into a zeroed
/// allocation.)
pub fn written_zeros<T: Copy + Default>(n: usize) -> Vec<T> {
    let mut v = vec![T::default(); n];
    let per_page = (4096 / std::mem::size_of::<T>().max(1)).max(1);
    for i in (0..n).step_by(per_page) {
        // SAFETY: `i < n`: a valid, aligned element of `v`.
        unsafe { std::ptr::write_volatile(v.as_mut_ptr().add(i), T::default()) };
    }
    v
}

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

/// Progress on stderr: one bar per sample read (bytes of its files as
/// stored, with rate and ETA), then aligning (inserts done of total), then
/// writing. Nothing at all when not wanted (`-q`) or when stderr is not a
/// terminal.
pub struct Progress {
    bars: Option<MultiProgress>,
}

impl Progress {
    /// Progress shown when `wanted` and stderr is a terminal.
    pub fn new(wanted: bool) -> Self {
        let shown = wanted && std::io::stderr().is_terminal();
        Self {
            bars: shown.then(MultiProgress::new),
        }
    }

    fn add(&self, bar: ProgressBar, template: &str) -> ProgressBar {
        self.add_styled(bar, template, |style| style)
    }

    /// [`Progress::add`], with the style extended (e.g. by template keys of
    /// its own).
    fn add_styled(
        &self,
        bar: ProgressBar,
        template: &str,
        extend: impl FnOnce(ProgressStyle) -> ProgressStyle,
    ) -> ProgressBar {
        let Some(bars) = &self.bars else {
            return ProgressBar::hidden();
        };
        let style = ProgressStyle::with_template(template)
            .expect("valid template")
            .progress_chars("=> ");
        bar.set_style(extend(style));
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        bars.add(bar)
    }

    /// A bar over `total` bytes of `name`'s files (a spinner when the size
    /// is unknown: pipes).
    pub fn reading(&self, name: &str, total: u64) -> ProgressBar {
        let bar = ProgressBar::new(total).with_prefix(name.to_string());
        if total == 0 {
            return self.add(
                bar,
                "{spinner} {prefix:24!} {bytes} read ({bytes_per_sec}) {elapsed}",
            );
        }
        self.add(
            bar,
            "{spinner} {prefix:24!} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, ETA {eta})",
        )
    }

    /// A bar over `total` items of a stage, with their rate
    /// (`aligning inserts`, unit `inserts`: `204.5k inserts/s`).
    pub fn stage(&self, what: &str, unit: &str, total: u64) -> ProgressBar {
        let bar = ProgressBar::new(total).with_prefix(what.to_string());
        let unit = unit.to_string();
        self.add_styled(
            bar,
            "{spinner} {prefix:24!} [{bar:30}] {human_pos}/{human_len} ({rate}, ETA {eta})",
            |style| {
                style.with_key("rate", move |state: &ProgressState, w: &mut dyn Write| {
                    let _ = w.write_str(&per_second(state.per_sec(), &unit));
                })
            },
        )
    }

    /// A spinner for a stage of unknown length (`writing`).
    pub fn spinner(&self, what: &str) -> ProgressBar {
        let bar = ProgressBar::new_spinner().with_prefix(what.to_string());
        self.add(bar, "{spinner} {prefix:24!} {elapsed}")
    }

    /// Removes every bar from the terminal.
    pub fn clear(&self) {
        if let Some(bars) = &self.bars {
            let _ = bars.clear();
        }
    }
}

/// This build's version and git commit (`unknown` outside a checkout).
pub const COMMIT: &str = env!("MIRQ_GIT_COMMIT");

/// What a run said on stderr (and what it notes without saying), in order:
/// the body of `mirq.log`.
static LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Says `line` on stderr (while stderr can be written) and keeps it for
/// `mirq.log`, control characters escaped in both.
pub fn say(line: String) {
    streams::to_stderr(&line);
    note(line);
}

/// Information, not a warning: said when `shown` (not `-q`), kept for
/// `mirq.log` either way.
pub fn tell(line: String, shown: bool) {
    if shown {
        say(line);
    } else {
        note(line);
    }
}

/// Keeps `line` for `mirq.log` without saying it (what `-q` silences),
/// control characters escaped.
pub fn note(line: String) {
    let line = match streams::escape_controls(&line) {
        std::borrow::Cow::Borrowed(_) => line,
        escaped => escaped.into_owned(),
    };
    LOG.lock().expect("run log").push(line);
}

/// The lines kept so far, in order; the log starts empty again.
pub fn take_log() -> Vec<String> {
    std::mem::take(&mut *LOG.lock().expect("run log"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn written_zeros_are_zeros_of_the_length_asked() {
        for n in [0, 1, 1023, 1024, 1025, 5000] {
            let words = super::written_zeros::<u32>(n);
            assert_eq!(words.len(), n);
            assert!(words.iter().all(|&w| w == 0));
            let wide = super::written_zeros::<[u64; 32]>(n / 100);
            assert_eq!(wide.len(), n / 100);
            assert!(wide.iter().flatten().all(|&w| w == 0));
        }
    }
}
