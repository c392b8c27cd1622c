//! The lock that keeps two runs out of one output directory.

use std::fs::{self, File};
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// An exclusive `flock` on `.<outdir>.mirq-lock` beside the output
/// directory, holding the locker's process id; the file is removed when the
/// lock ends.
pub struct OutdirLock {
    path: PathBuf,
    file: File,
}

impl OutdirLock {
    /// Takes the lock of output directory `name` in `parent`, or fails at
    /// once naming the process that holds it (`outdir` as the user gave it,
    /// for messages).
    pub fn acquire(parent: &Path, name: &str, outdir: &Path) -> Result<Self> {
        use std::os::fd::AsRawFd;
        let path = parent.join(format!(".{name}.mirq-lock"));
        let io = |err| Error::Write {
            path: path.clone(),
            err,
        };
        loop {
            let mut file = fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .read(true)
                .write(true)
                .open(&path)
                .map_err(io)?;
            // SAFETY: flock on an open descriptor this function owns.
            let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
            if rc != 0 {
                let holder = fs::read_to_string(&path).unwrap_or_default();
                return Err(Error::Outdir {
                    path: outdir.to_path_buf(),
                    message: format!(
                        "another mirq run is writing it (process {}); wait for it or give another --outdir",
                        holder.trim()
                    ),
                });
            }
            // the lock counts only if the file is still the one at `path`
            // (a finishing run unlinks it after its lock ends)
            let same = match (file.metadata(), fs::metadata(&path)) {
                (Ok(a), Ok(b)) => a.ino() == b.ino() && a.dev() == b.dev(),
                _ => false,
            };
            if !same {
                continue;
            }
            file.set_len(0).map_err(io)?;
            write!(file, "{}", std::process::id()).map_err(io)?;
            return Ok(Self { path, file });
        }
    }
}

impl Drop for OutdirLock {
    fn drop(&mut self) {
        // unlink while still holding the lock: a waiter that opened the old
        // file sees it is no longer at the path and starts again
        let _ = fs::remove_file(&self.path);
        let _ = &self.file;
    }
}
