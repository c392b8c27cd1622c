//! The output directory as one transaction.
//!
//! What a reader may rely on: an output directory mirq wrote holds exactly
//! one run's complete set of files, never parts of two runs and never a
//! half-written file.
//!
//! - **Locked.** A run holds an exclusive lock (`flock`) on a hidden sibling
//!   file, `.<outdir>.mirq-lock`, from start to end; a second run into the
//!   same directory fails at once, naming the process that holds it.
//! - **Staged beside.** Every file is written into a hidden sibling folder,
//!   `.<outdir>.mirq-staging-<pid>`, on the same file system, and synced.
//! - **Switched whole.** When the run succeeded, the staging folder and the
//!   output directory trade places in one `renameat2(RENAME_EXCHANGE)` (on
//!   Linux; elsewhere two renames, between which the directory is briefly
//!   absent, never mixed), then the earlier run's set is deleted. Files an
//!   earlier run wrote and this one did not are gone with it.
//! - **Only mirq's.** An existing output directory is replaced only when it
//!   is empty (folders without files count as empty) or an earlier mirq run
//!   wrote it (its `stats.json` names a `mirq_version`); any other is refused.
//! - **Leftovers.** A run that fails or is killed leaves the earlier set as
//!   it was; its staging folder is removed then, or by the next run.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Files being written for one run, and the run's hold on its output
/// directory.
pub struct StagedOutputs {
    outdir: PathBuf,
    staging: PathBuf,
    committed: bool,
    _lock: OutdirLock,
}

impl StagedOutputs {
    /// Locks `outdir`, checks that it may be replaced, clears what dead runs
    /// left and creates the staging folder beside it.
    pub fn new(outdir: &Path) -> Result<Self> {
        let (parent, name) = split_outdir(outdir)?;
        let io = |err| Error::Write {
            path: outdir.to_path_buf(),
            err,
        };
        fs::create_dir_all(&parent).map_err(io)?;
        let lock = OutdirLock::acquire(&parent, &name, outdir)?;
        check_replaceable(outdir)?;
        remove_leftovers(&parent, &name);
        let staging = parent.join(format!(".{name}.mirq-staging-{}", std::process::id()));
        fs::create_dir_all(&staging).map_err(io)?;
        Ok(Self {
            outdir: outdir.to_path_buf(),
            staging,
            committed: false,
            _lock: lock,
        })
    }

    /// Writes one file (path relative to the output directory) through
    /// `fill`, synced; may be called from several threads. It appears with
    /// every other file of the run at [`Self::commit`].
    pub fn write(
        &self,
        rel: &str,
        fill: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
    ) -> Result<()> {
        let path = self.staging.join(rel);
        let err = |err| Error::Write {
            path: self.outdir.join(rel),
            err,
        };
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(err)?;
        }
        let file = File::create(&path).map_err(err)?;
        let mut w = BufWriter::new(file);
        fill(&mut w).map_err(err)?;
        w.flush().map_err(err)?;
        w.into_inner()
            .map_err(|e| err(e.into_error()))?
            .sync_all()
            .map_err(err)
    }

    /// The output directory, as given.
    pub fn outdir(&self) -> &Path {
        &self.outdir
    }

    /// Switches the staged set in for the output directory's contents (see
    /// the module documentation) and deletes the earlier set.
    pub fn commit(mut self) -> Result<()> {
        let err = |err| Error::Write {
            path: self.outdir.clone(),
            err,
        };
        test_hook("staged");
        if self.outdir.exists() {
            exchange(&self.staging, &self.outdir).map_err(err)?;
            test_hook("switched");
            // the staging path now holds the earlier set
            fs::remove_dir_all(&self.staging).map_err(err)?;
        } else {
            fs::rename(&self.staging, &self.outdir).map_err(err)?;
        }
        self.committed = true;
        Ok(())
    }
}

impl Drop for StagedOutputs {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

/// Ends the process as a kill would, at a named step of [`StagedOutputs::commit`],
/// when `MIRQ_TEST_KILL_AT` names it: the tests' way to check that every
/// step leaves one complete set. Not for users.
fn test_hook(step: &str) {
    if std::env::var_os("MIRQ_TEST_KILL_AT").is_some_and(|s| s == step) {
        // SAFETY: _exit ends the process at once, as SIGKILL would: no
        // destructor, no flush, the kernel releases the lock.
        unsafe { libc::_exit(137) }
    }
}

/// The output directory's parent (made absolute) and its own name.
/// Takes the lock of an existing output directory, as a run does, for a
/// command that rewrites a file in it (`mirq report`).
pub fn lock(outdir: &Path) -> Result<OutdirLock> {
    let (parent, name) = split_outdir(outdir)?;
    OutdirLock::acquire(&parent, &name, outdir)
}

fn split_outdir(outdir: &Path) -> Result<(PathBuf, String)> {
    let invalid = |message: &str| Error::InvalidValue {
        what: "--outdir",
        value: outdir.display().to_string(),
        message: message.into(),
    };
    let absolute = std::path::absolute(outdir).map_err(|err| Error::Write {
        path: outdir.to_path_buf(),
        err,
    })?;
    let absolute = match absolute.file_name() {
        Some(_) => absolute,
        // `..` and the like: the directory it names
        None => fs::canonicalize(&absolute).map_err(|_| invalid("not a directory name"))?,
    };
    let name = absolute
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| invalid("the directory's name must be UTF-8 and not the root"))?
        .to_string();
    let parent = absolute.parent().unwrap_or(Path::new("/")).to_path_buf();
    Ok((parent, name))
}

/// An existing output directory may be replaced when it is a directory that
/// is empty (of files) or that an earlier mirq run wrote.
fn check_replaceable(outdir: &Path) -> Result<()> {
    let refuse = |message: String| Error::Outdir {
        path: outdir.to_path_buf(),
        message,
    };
    let meta = match fs::metadata(outdir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(err) => {
            return Err(Error::Write {
                path: outdir.to_path_buf(),
                err,
            })
        }
    };
    if !meta.is_dir() {
        return Err(refuse(
            "is a file, not a directory: give a new or empty directory".into(),
        ));
    }
    if written_by_mirq(outdir) || !holds_files(outdir) {
        return Ok(());
    }
    Err(refuse(
        "holds files mirq did not write (no stats.json of a mirq run): mirq replaces its output \
         directory whole, so give a new or empty directory, or one an earlier mirq run wrote"
            .into(),
    ))
}

/// Whether `dir` holds a stats.json that names a mirq version.
fn written_by_mirq(dir: &Path) -> bool {
    fs::read_to_string(dir.join("stats.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .is_some_and(|v| v.get("mirq_version").is_some())
}

/// Whether `dir` or a folder below it holds anything but folders.
fn holds_files(dir: &Path) -> bool {
    let Ok(entries) = fs::read_dir(dir) else {
        return true;
    };
    entries.flatten().any(|e| match e.file_type() {
        Ok(t) if t.is_dir() => holds_files(&e.path()),
        _ => true,
    })
}

/// Removes the staging folders of dead runs into the same output directory
/// (the lock is held: no live run owns one).
fn remove_leftovers(parent: &Path, name: &str) {
    let prefix = format!(".{name}.mirq-staging-");
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        if e.file_name()
            .to_str()
            .is_some_and(|n| n.starts_with(&prefix))
        {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

/// Swaps two directories' names in one step where the system can.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| CString::new(p.as_os_str().as_bytes()).map_err(std::io::Error::other);
    let (ca, cb) = (c(a)?, c(b)?);
    // SAFETY: both are valid NUL-terminated paths; AT_FDCWD resolves them
    // as given.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        return Ok(());
    }
    let e = std::io::Error::last_os_error();
    match e.raw_os_error() {
        // file systems without RENAME_EXCHANGE
        Some(libc::EINVAL) | Some(libc::ENOSYS) => exchange_by_renames(a, b),
        _ => Err(e),
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    exchange_by_renames(a, b)
}

/// `b` to a temporary name, `a` to `b`, the temporary name to `a`: `b` is
/// briefly absent, never mixed.
fn exchange_by_renames(a: &Path, b: &Path) -> std::io::Result<()> {
    let mut tmp = a.as_os_str().to_owned();
    tmp.push(".old");
    let tmp = PathBuf::from(tmp);
    fs::rename(b, &tmp)?;
    fs::rename(a, b)?;
    fs::rename(&tmp, a)
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_appears_until_commit_and_dropped_runs_leave_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let staged = StagedOutputs::new(&out).unwrap();
        staged.write("a.tsv", |w| w.write_all(b"x\n")).unwrap();
        assert!(!out.join("a.tsv").exists());
        drop(staged);
        assert!(!out.exists());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0, "leftovers");

        let staged = StagedOutputs::new(&out).unwrap();
        staged
            .write("sub/b.fa", |w| w.write_all(b">s\nA\n"))
            .unwrap();
        staged.write("a.tsv", |w| w.write_all(b"x\n")).unwrap();
        staged.commit().unwrap();
        assert_eq!(fs::read_to_string(out.join("a.tsv")).unwrap(), "x\n");
        assert!(out.join("sub/b.fa").exists());
        assert_eq!(fs::read_dir(&out).unwrap().count(), 2);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "leftovers");
    }

    #[test]
    fn a_rerun_replaces_the_whole_set() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let run = |files: &[&str]| {
            let staged = StagedOutputs::new(&out).unwrap();
            for f in files {
                staged.write(f, |w| w.write_all(b"x")).unwrap();
            }
            staged
                .write("stats.json", |w| w.write_all(br#"{"mirq_version":"0"}"#))
                .unwrap();
            staged.commit().unwrap();
        };
        run(&["a", "old/b"]);
        run(&["a"]);
        assert!(out.join("a").exists() && !out.join("old").exists());
    }

    #[test]
    fn foreign_directories_files_and_locked_outdirs_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let foreign = dir.path().join("mine");
        fs::create_dir_all(foreign.join("empty/sub")).unwrap();
        assert!(StagedOutputs::new(&foreign).is_ok(), "folders only: empty");
        fs::write(foreign.join("notes.txt"), "mine").unwrap();
        let e = StagedOutputs::new(&foreign).err().unwrap().to_string();
        assert!(e.contains("did not write"), "{e}");
        let file = dir.path().join("file");
        fs::write(&file, "x").unwrap();
        let e = StagedOutputs::new(&file).err().unwrap().to_string();
        assert!(e.contains("is a file"), "{e}");
        let out = dir.path().join("out");
        let held = StagedOutputs::new(&out).unwrap();
        let e = StagedOutputs::new(&out).err().unwrap().to_string();
        assert!(
            e.contains(&format!("process {}", std::process::id())),
            "{e}"
        );
        drop(held);
        assert!(
            StagedOutputs::new(&out).is_ok(),
            "the lock ends with its run"
        );
    }
}
