//! The output directory as one transaction.
//!
//! What a reader may rely on: an output directory mirq wrote holds exactly
//! one run's complete set of files, never parts of two runs and never a
//! half-written file; a run that fails, at any step, leaves the earlier
//! run's set as it was.
//!
//! - **Checked first.** [`StagedOutputs::new`] is called before a run reads
//!   its first FASTQ, and refuses, before any work:
//!   - `.`, `..` or any folder holding the current directory (give a
//!     subdirectory); a mount point (its device differs from its parent's)
//!     or `/`; a file; a dangling symlink;
//!   - a directory that is, or holds, one of the run's inputs (FASTQ,
//!     reference, samplesheet, merge input), even with `--force`;
//!   - a directory holding files mirq did not write, unless `--force` (they
//!     are then deleted with the earlier set);
//!   - a directory, a folder in it, or its parent that this user cannot
//!     write (a read-only file system included): replacing it needs write
//!     permission on all of them;
//!   - a file system with less than [`MIN_FREE_BYTES`] free for this user
//!     (`statvfs`); a run that needs more fails when the disk is full and,
//!     as every failed run, changes nothing.
//!
//!   `-o dir/.` is `-o dir`. A symlink to a directory is resolved once, at
//!   the start: the run writes into its target (the link stays) and the
//!   lock, staging and checks are the target's.
//! - **Only mirq's.** A run writes, last, `mirq_outputs.txt` ([`MANIFEST`]):
//!   the relative path of every file it wrote, one a line (no sizes:
//!   `mirq report` rewrites `report.html`). An existing directory with a
//!   manifest is mirq's when every file in it is listed; one without (an
//!   older mirq's) when its `stats.json` names a `mirq_version` and every
//!   file has a name mirq writes ([`legacy_output`]); an empty one
//!   (folders without files count as empty) always.
//! - **Locked.** A run holds an exclusive lock (`flock`) on a hidden sibling
//!   file, `.<outdir>.mirq-lock`, from start to end; a second run into the
//!   same directory fails at once, naming the process that holds it.
//! - **Staged beside.** Every file is written into a hidden sibling folder,
//!   `.<outdir>.mirq-staging-<pid>`, on the same file system, and synced.
//! - **Switched whole.** When the run succeeded, the staging folder and the
//!   output directory trade places in one `renameat2(RENAME_EXCHANGE)` on
//!   Linux. Where the file system cannot (EINVAL, as on NFS; other systems),
//!   two renames: the output directory to `.<outdir>.mirq-old-<pid>`, then
//!   the staging folder to the output directory; between them the directory
//!   is briefly absent, never mixed. The earlier set is then deleted; when
//!   that fails, the new set stays and a warning names the folder left.
//! - **Recovered.** A `.<outdir>.mirq-old-<pid>` folder holds a committed
//!   set, and is never deleted while the output directory is missing: the
//!   next run, under the lock and before any check, renames it back when a
//!   run died between the two renames, and deletes it otherwise. It then
//!   removes what dead runs staged.
//!
//! The `MIRQ_TEST_*` environment variables ([`test_hook`], [`test_fault`])
//! are the tests' way to kill a run or fail a step; not for users.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use crate::error::{Error, Result};

/// The list of the files a run wrote, written last into its output
/// directory.
pub const MANIFEST: &str = "mirq_outputs.txt";

/// Less free space than this (for this user) on the output directory's file
/// system is refused before work: 16 MiB, a small run's outputs with room.
pub const MIN_FREE_BYTES: u64 = 16 << 20;

/// Files being written for one run, and the run's hold on its output
/// directory.
pub struct StagedOutputs {
    /// As the user gave it, for messages.
    outdir: PathBuf,
    /// Where the set goes: absolute, a symlink resolved.
    target: PathBuf,
    staging: PathBuf,
    /// Where the fallback switch sets the earlier set aside.
    aside: PathBuf,
    written: Mutex<Vec<String>>,
    committed: bool,
    _lock: OutdirLock,
}

impl StagedOutputs {
    /// Checks `outdir` (see the module documentation; `inputs`: every path
    /// the run reads; `force`: replace a directory holding files mirq did
    /// not write), locks it, restores or clears what interrupted runs left
    /// and creates the staging folder beside it.
    pub fn new(outdir: &Path, inputs: &[PathBuf], force: bool) -> Result<Self> {
        let refuse = |message: String| Error::Outdir {
            path: outdir.to_path_buf(),
            message,
        };
        let io = |err| Error::Write {
            path: outdir.to_path_buf(),
            err,
        };
        let target = resolve(outdir)?;
        let (parent, name) = split_outdir(&target)?;
        check_not_cwd(&target).map_err(refuse)?;
        check_not_mount_point(&target, &parent).map_err(refuse)?;
        fs::create_dir_all(&parent).map_err(io)?;
        check_writable(&parent).map_err(|e| refuse(format!("its folder {e}")))?;
        let lock = OutdirLock::acquire(&parent, &name, outdir)?;
        recover(&parent, &name, &target).map_err(refuse)?;
        check_inputs(&target, inputs).map_err(refuse)?;
        check_replaceable(&target, force).map_err(refuse)?;
        check_tree_writable(&target).map_err(refuse)?;
        check_free_space(&parent).map_err(refuse)?;
        remove_leftovers(&parent, &name);
        let staging = parent.join(format!(".{name}.mirq-staging-{}", std::process::id()));
        let aside = parent.join(format!(".{name}.mirq-old-{}", std::process::id()));
        fs::create_dir_all(&staging).map_err(io)?;
        Ok(Self {
            outdir: outdir.to_path_buf(),
            target,
            staging,
            aside,
            written: Mutex::new(Vec::new()),
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
            .map_err(err)?;
        self.written
            .lock()
            .expect("written list")
            .push(rel.to_string());
        Ok(())
    }

    /// The output directory, as given.
    pub fn outdir(&self) -> &Path {
        &self.outdir
    }

    /// Writes the manifest, switches the staged set in for the output
    /// directory's contents (see the module documentation) and deletes the
    /// earlier set. Once the new set is in place this succeeds: an earlier
    /// set that cannot be deleted is named in a warning.
    pub fn commit(mut self) -> Result<()> {
        let err = |err| Error::Write {
            path: self.outdir.clone(),
            err,
        };
        let mut written = std::mem::take(&mut *self.written.lock().expect("written list"));
        written.sort();
        written.dedup();
        self.write(MANIFEST, |w| {
            written.iter().try_for_each(|rel| writeln!(w, "{rel}"))
        })?;
        test_hook("staged");
        let parent = self.target.parent().unwrap_or(Path::new("/")).to_path_buf();
        if fs::symlink_metadata(&self.target).is_ok() {
            let old = switch(&self.staging, &self.target, &self.aside).map_err(err)?;
            self.committed = true;
            let _ = sync_dir(&parent);
            test_hook("switched");
            if let Err(e) = test_fault("remove_old").and_then(|()| fs::remove_dir_all(&old)) {
                crate::runtime::say(format!(
                    "mirq: WARNING: {}: the new results are in place, but the earlier run's files \
                     could not be deleted from {} ({e}); delete that folder by hand",
                    self.outdir.display(),
                    old.display()
                ));
            }
        } else {
            fs::rename(&self.staging, &self.target).map_err(err)?;
            self.committed = true;
            let _ = sync_dir(&parent);
        }
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
/// when `MIRQ_TEST_KILL_AT` names it (`staged`, `set_aside`, `switched`):
/// the tests' way to check that every step leaves one complete set. Not for
/// users.
fn test_hook(step: &str) {
    if std::env::var_os("MIRQ_TEST_KILL_AT").is_some_and(|s| s == step) {
        // SAFETY: _exit ends the process at once, as SIGKILL would: no
        // destructor, no flush, the kernel releases the lock.
        unsafe { libc::_exit(137) }
    }
}

/// Fails a named step with "permission denied" when `MIRQ_TEST_FAIL_AT`
/// names it (`writable`, `exchange`, `remove_old`): the tests' way, as root,
/// to reach what a user without write permission meets. The other hooks:
/// `MIRQ_TEST_NO_EXCHANGE=1` takes the two-rename switch as where the file
/// system has no exchange, `MIRQ_TEST_FREE_BYTES` stands in for the free
/// space. Not for users.
fn test_fault(step: &str) -> std::io::Result<()> {
    if std::env::var_os("MIRQ_TEST_FAIL_AT").is_some_and(|s| s == step) {
        return Err(std::io::Error::from_raw_os_error(libc::EACCES));
    }
    Ok(())
}

/// Takes the lock of an existing output directory, as a run does, for a
/// command that rewrites a file in it (`mirq report`).
pub fn lock(outdir: &Path) -> Result<OutdirLock> {
    let (parent, name) = split_outdir(&resolve(outdir)?)?;
    OutdirLock::acquire(&parent, &name, outdir)
}

/// `outdir` made absolute, `dir/.` as `dir`, and a symlink (a chain of them)
/// resolved to its target; a dangling one is refused, unless its target is
/// a run's output directory set aside by an interrupted switch.
fn resolve(outdir: &Path) -> Result<PathBuf> {
    let invalid = |message: String| Error::Outdir {
        path: outdir.to_path_buf(),
        message,
    };
    let mut path = absolute(outdir)?;
    for _ in 0..40 {
        match fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => {
                let to = fs::read_link(&path).map_err(|err| Error::Io {
                    path: path.clone(),
                    err,
                })?;
                let base = path.parent().unwrap_or(Path::new("/"));
                path = absolute(&base.join(to))?;
            }
            Ok(_) => return Ok(path),
            Err(_) if path == absolute(outdir)? => return Ok(path),
            Err(_) => {
                let (parent, name) = split_outdir(&path)?;
                if !asides(&parent, &name).is_empty() {
                    return Ok(path);
                }
                return Err(invalid(format!(
                    "is a symlink to {}, which does not exist: create that directory, or give \
                     another --outdir",
                    path.display()
                )));
            }
        }
    }
    Err(invalid("too many levels of symlinks".into()))
}

/// `path` made absolute, `.` components dropped; a path ending in `..` is
/// canonicalized (the directory it names).
fn absolute(path: &Path) -> Result<PathBuf> {
    let absolute = std::path::absolute(path).map_err(|err| Error::Write {
        path: path.to_path_buf(),
        err,
    })?;
    let cleaned: PathBuf = absolute
        .components()
        .filter(|c| *c != Component::CurDir)
        .collect();
    if cleaned.file_name().is_some() {
        return Ok(cleaned);
    }
    fs::canonicalize(&cleaned).map_err(|_| Error::InvalidValue {
        what: "--outdir",
        value: path.display().to_string(),
        message: "not a directory name".into(),
    })
}

/// The output directory's parent and its own name (`outdir` absolute).
fn split_outdir(outdir: &Path) -> Result<(PathBuf, String)> {
    let name = outdir
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Error::InvalidValue {
            what: "--outdir",
            value: outdir.display().to_string(),
            message: "the directory's name must be UTF-8 and not the root".into(),
        })?
        .to_string();
    let parent = outdir.parent().unwrap_or(Path::new("/")).to_path_buf();
    Ok((parent, name))
}

/// The current directory, or a folder holding it, would be moved away
/// under the shell (`-o .`, `-o ..`).
fn check_not_cwd(target: &Path) -> std::result::Result<(), String> {
    let (Ok(cwd), Ok(dir)) = (std::env::current_dir(), fs::canonicalize(target)) else {
        return Ok(());
    };
    if cwd.starts_with(&dir) {
        return Err(
            "is the current directory or holds it: mirq replaces its output directory whole; \
             give a subdirectory, e.g. -o results"
                .into(),
        );
    }
    Ok(())
}

/// A mount point (or `/`) cannot be renamed: refused before work.
fn check_not_mount_point(target: &Path, parent: &Path) -> std::result::Result<(), String> {
    let (Ok(dir), Ok(up)) = (fs::metadata(target), fs::metadata(parent)) else {
        return Ok(());
    };
    if dir.is_dir() && (dir.dev() != up.dev() || dir.ino() == up.ino()) {
        return Err(
            "is a mount point: mirq replaces its output directory whole, which a mount point \
             cannot be; give a subdirectory of it"
                .into(),
        );
    }
    Ok(())
}

/// `dir` must be writable and searchable by this user (the effective ids;
/// a read-only file system fails too).
fn check_writable(dir: &Path) -> std::result::Result<(), String> {
    use std::os::unix::ffi::OsStrExt;
    let says = |e: std::io::Error| {
        format!(
            "{} is not writable ({e}): mirq replaces its output directory whole, which needs \
             write permission on it, the folders in it and its parent; fix the permissions or \
             give another --outdir",
            dir.display()
        )
    };
    let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
        return Ok(());
    };
    // SAFETY: a valid NUL-terminated path; faccessat only reads it.
    let rc = unsafe {
        libc::faccessat(
            libc::AT_FDCWD,
            c.as_ptr(),
            libc::W_OK | libc::X_OK,
            libc::AT_EACCESS,
        )
    };
    if rc != 0 {
        return Err(says(std::io::Error::last_os_error()));
    }
    Ok(())
}

/// The output directory and every folder in it must be writable: deleting
/// the earlier set, and moving a directory (its `..`), need it.
fn check_tree_writable(target: &Path) -> std::result::Result<(), String> {
    let Ok(meta) = fs::symlink_metadata(target) else {
        return Ok(());
    };
    if !meta.is_dir() {
        return Ok(());
    }
    let whole = |e: String| format!("holds a folder that is not writable: {e}");
    if let Err(e) = test_fault("writable") {
        return Err(whole(format!("{} is not writable ({e})", target.display())));
    }
    let mut dirs = vec![target.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        check_writable(&dir).map_err(whole)?;
        for e in fs::read_dir(&dir).into_iter().flatten().flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                dirs.push(e.path());
            }
        }
    }
    Ok(())
}

/// Less than [`MIN_FREE_BYTES`] free for this user is refused
/// (`MIRQ_TEST_FREE_BYTES` stands in for the file system's answer in the
/// tests; not for users).
fn check_free_space(parent: &Path) -> std::result::Result<(), String> {
    let free = match std::env::var("MIRQ_TEST_FREE_BYTES") {
        Ok(v) => v.parse().ok(),
        Err(_) => free_bytes(parent),
    };
    match free {
        Some(free) if free < MIN_FREE_BYTES => Err(format!(
            "its file system has {} KiB free, less than the {} MiB a run needs at least: free \
             some space or give another --outdir",
            free >> 10,
            MIN_FREE_BYTES >> 20
        )),
        _ => Ok(()),
    }
}

/// Bytes free for this user on `dir`'s file system, where it can be known.
fn free_bytes(dir: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    // SAFETY: statvfs fills the zeroed struct it is given.
    let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: a valid NUL-terminated path and a valid struct pointer.
    if unsafe { libc::statvfs(c.as_ptr(), &mut s) } != 0 {
        return None;
    }
    Some((s.f_bavail as u64).saturating_mul(s.f_frsize as u64))
}

/// An existing output directory may be replaced when it is a directory that
/// is empty (of files) or that only mirq wrote, or with `force`.
fn check_replaceable(target: &Path, force: bool) -> std::result::Result<(), String> {
    let meta = match fs::symlink_metadata(target) {
        Ok(m) => m,
        Err(_) => return Ok(()),
    };
    if !meta.is_dir() {
        return Err("is a file, not a directory: give a new or empty directory".into());
    }
    let foreign = foreign_files(target);
    if foreign.is_empty() || force {
        return Ok(());
    }
    let shown: Vec<&str> = foreign.iter().take(3).map(String::as_str).collect();
    Err(format!(
        "holds files mirq did not write ({}{}): mirq replaces its output directory whole and \
         would delete them; move them out, give a new or empty directory, or pass --force to \
         replace it anyway",
        shown.join(", "),
        if foreign.len() > 3 { ", …" } else { "" }
    ))
}

/// The files under `dir` (relative paths) that no mirq run wrote: those its
/// manifest does not list; without a manifest, those without a name mirq
/// writes when a `stats.json` names a mirq version, else all.
fn foreign_files(dir: &Path) -> Vec<String> {
    let files = files_under(dir);
    if let Ok(text) = fs::read_to_string(dir.join(MANIFEST)) {
        let listed: HashSet<&str> = text.lines().collect();
        return files
            .into_iter()
            .filter(|f| f != MANIFEST && !listed.contains(f.as_str()))
            .collect();
    }
    let older_mirq = written_by_mirq(dir);
    files
        .into_iter()
        .filter(|f| !(older_mirq && legacy_output(f)))
        .collect()
}

/// Whether `rel` has the name of a file a mirq run without a manifest wrote:
/// `*.tsv`, `*.tsv.gz`, `*.gff3`, `stats.json`, `mirq.log`, `report.html`
/// at the top, `collapsed/*.fa`, `qc/*.length.tsv`, `multiqc/mirq_*`.
fn legacy_output(rel: &str) -> bool {
    match rel.split_once('/') {
        None => {
            ["stats.json", "mirq.log", "report.html"].contains(&rel)
                || [".tsv", ".tsv.gz", ".gff3"]
                    .iter()
                    .any(|ext| rel.ends_with(ext))
        }
        Some(("collapsed", f)) => !f.contains('/') && f.ends_with(".fa"),
        Some(("qc", f)) => !f.contains('/') && f.ends_with(".length.tsv"),
        Some(("multiqc", f)) => !f.contains('/') && f.starts_with("mirq_"),
        Some(_) => false,
    }
}

/// Whether `dir` holds a stats.json that names a mirq version.
fn written_by_mirq(dir: &Path) -> bool {
    fs::read_to_string(dir.join("stats.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .is_some_and(|v| v.get("mirq_version").is_some())
}

/// Relative paths of everything under `dir` but folders (symlinks not
/// followed); an unreadable folder counts as a file.
fn files_under(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = fs::read_dir(dir) else {
            out.push(rel_of(base, dir));
            return;
        };
        for e in entries.flatten() {
            match e.file_type() {
                Ok(t) if t.is_dir() => walk(base, &e.path(), out),
                _ => out.push(rel_of(base, &e.path())),
            }
        }
    }
    fn rel_of(base: &Path, p: &Path) -> String {
        p.strip_prefix(base)
            .unwrap_or(p)
            .to_string_lossy()
            .into_owned()
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Refuses an output directory that is one of the run's input directories
/// or holds one of its inputs (by path, through symlinks, or a file by a
/// hard link). Inputs that are not files or directories (pipes) are left
/// out.
fn check_inputs(target: &Path, inputs: &[PathBuf]) -> std::result::Result<(), String> {
    let dir = match fs::canonicalize(target) {
        Ok(d) => d,
        Err(_) => {
            let (Some(parent), Some(name)) = (target.parent(), target.file_name()) else {
                return Ok(());
            };
            match fs::canonicalize(parent) {
                Ok(p) => p.join(name),
                Err(_) => return Ok(()),
            }
        }
    };
    let mut inodes = HashSet::new();
    for input in inputs {
        let (Ok(path), Ok(meta)) = (fs::canonicalize(input), fs::metadata(input)) else {
            continue;
        };
        if meta.is_dir() && dir == path {
            return Err(format!(
                "is the run's input directory {}: give another --outdir",
                input.display()
            ));
        }
        if !(meta.is_dir() || meta.is_file()) {
            continue;
        }
        if path.starts_with(&dir) {
            return Err(format!(
                "holds the run's input {}: mirq replaces its output directory whole and would \
                 delete it; give another --outdir",
                input.display()
            ));
        }
        if meta.is_file() {
            inodes.insert((meta.dev(), meta.ino()));
        }
    }
    if inodes.is_empty() || !dir.is_dir() {
        return Ok(());
    }
    for rel in files_under(&dir) {
        let Ok(m) = fs::symlink_metadata(dir.join(&rel)) else {
            continue;
        };
        if inodes.contains(&(m.dev(), m.ino())) {
            return Err(format!(
                "holds the run's input file as {rel} (a hard link): mirq replaces its output \
                 directory whole; give another --outdir"
            ));
        }
    }
    Ok(())
}

/// The folders an interrupted fallback switch set aside for output
/// directory `name`: `.<name>.mirq-old-<pid>`, and the
/// `.<name>.mirq-staging-<pid>.old` of mirq 0.x before it.
fn asides(parent: &Path, name: &str) -> Vec<PathBuf> {
    let (old, staging) = (
        format!(".{name}.mirq-old-"),
        format!(".{name}.mirq-staging-"),
    );
    let Ok(entries) = fs::read_dir(parent) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| {
            e.file_name().to_str().is_some_and(|n| {
                n.starts_with(&old) || (n.starts_with(&staging) && n.ends_with(".old"))
            })
        })
        .map(|e| e.path())
        .collect();
    found.sort();
    found
}

/// Under the lock, before anything else: when the output directory is
/// missing and a folder set aside by an interrupted fallback switch holds
/// the committed set, renames it back; set-aside folders are deleted only
/// while the output directory exists.
fn recover(parent: &Path, name: &str, target: &Path) -> std::result::Result<(), String> {
    let found = asides(parent, name);
    let mut rest = found.as_slice();
    if fs::symlink_metadata(target).is_err() {
        let Some((first, others)) = found.split_first() else {
            return Ok(());
        };
        fs::rename(first, target).map_err(|e| {
            format!(
                "an interrupted run left the earlier results in {} and they cannot be moved \
                 back ({e}); rename that folder to the output directory by hand",
                first.display()
            )
        })?;
        let _ = sync_dir(parent);
        crate::runtime::say(format!(
            "mirq: {}: restored the earlier run's results from {} (a run was interrupted while \
             switching its outputs)",
            target.display(),
            first.display()
        ));
        rest = others;
    }
    for old in rest {
        let _ = fs::remove_dir_all(old);
    }
    Ok(())
}

/// Removes the staging folders of dead runs into the same output directory
/// (the lock is held: no live run owns one; set-aside folders are
/// [`recover`]'s).
fn remove_leftovers(parent: &Path, name: &str) {
    let prefix = format!(".{name}.mirq-staging-");
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        if e.file_name()
            .to_str()
            .is_some_and(|n| n.starts_with(&prefix) && !n.ends_with(".old"))
        {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

/// Syncs a directory's entries (renames in it) to disk.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Puts the staged set at `target`; returns where the earlier set now is
/// (`staging` after an exchange, `aside` after the fallback).
fn switch(staging: &Path, target: &Path, aside: &Path) -> std::io::Result<PathBuf> {
    test_fault("exchange")?;
    if std::env::var_os("MIRQ_TEST_NO_EXCHANGE").is_some_and(|v| v == "1")
        || !exchange(staging, target)?
    {
        switch_by_renames(staging, target, aside)?;
        return Ok(aside.to_path_buf());
    }
    Ok(staging.to_path_buf())
}

/// Swaps two directories' names in one step; false where the file system
/// cannot.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<bool> {
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
        return Ok(true);
    }
    let e = std::io::Error::last_os_error();
    match e.raw_os_error() {
        // file systems without RENAME_EXCHANGE
        Some(libc::EINVAL) | Some(libc::ENOSYS) => Ok(false),
        _ => Err(e),
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<bool> {
    Ok(false)
}

/// `target` to `aside`, then `staging` to `target`: `target` is briefly
/// absent, never mixed. A kill between the two leaves the committed set in
/// `aside`, which the next run's [`recover`] renames back; a failed second
/// rename is undone at once.
fn switch_by_renames(staging: &Path, target: &Path, aside: &Path) -> std::io::Result<()> {
    let parent = target.parent().unwrap_or(Path::new("/"));
    fs::rename(target, aside)?;
    let _ = sync_dir(parent);
    test_hook("set_aside");
    if let Err(e) = fs::rename(staging, target) {
        // back as it was; if even that fails, the next run's recover() does it
        let _ = fs::rename(aside, target);
        return Err(e);
    }
    Ok(())
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
        let staged = StagedOutputs::new(&out, &[], false).unwrap();
        staged.write("a.tsv", |w| w.write_all(b"x\n")).unwrap();
        assert!(!out.join("a.tsv").exists());
        drop(staged);
        assert!(!out.exists());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0, "leftovers");

        let staged = StagedOutputs::new(&out, &[], false).unwrap();
        staged
            .write("sub/b.fa", |w| w.write_all(b">s\nA\n"))
            .unwrap();
        staged.write("a.tsv", |w| w.write_all(b"x\n")).unwrap();
        staged.commit().unwrap();
        assert_eq!(fs::read_to_string(out.join("a.tsv")).unwrap(), "x\n");
        assert!(out.join("sub/b.fa").exists());
        assert_eq!(
            fs::read_dir(&out).unwrap().count(),
            3,
            "a.tsv, sub, the manifest"
        );
        assert_eq!(
            fs::read_to_string(out.join(MANIFEST)).unwrap(),
            "a.tsv\nsub/b.fa\n"
        );
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "leftovers");
    }

    #[test]
    fn a_rerun_replaces_the_whole_set() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let run = |files: &[&str]| {
            let staged = StagedOutputs::new(&out, &[], false).unwrap();
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
        assert!(
            StagedOutputs::new(&foreign, &[], false).is_ok(),
            "folders only: empty"
        );
        fs::write(foreign.join("notes.txt"), "mine").unwrap();
        let e = StagedOutputs::new(&foreign, &[], false)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("did not write"), "{e}");
        let file = dir.path().join("file");
        fs::write(&file, "x").unwrap();
        let e = StagedOutputs::new(&file, &[], false)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("is a file"), "{e}");
        let out = dir.path().join("out");
        let held = StagedOutputs::new(&out, &[], false).unwrap();
        let e = StagedOutputs::new(&out, &[], false)
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains(&format!("process {}", std::process::id())),
            "{e}"
        );
        drop(held);
        assert!(
            StagedOutputs::new(&out, &[], false).is_ok(),
            "the lock ends with its run"
        );
    }

    #[test]
    fn older_runs_without_a_manifest_are_judged_by_mirq_file_names() {
        for mine in [
            "stats.json",
            "mature_counts.tsv",
            "inserts.tsv.gz",
            "isomirs.gff3",
            "collapsed/a.fa",
            "qc/a.length.tsv",
            "multiqc/mirq_x_mqc.json",
        ] {
            assert!(legacy_output(mine), "{mine}");
        }
        for foreign in [
            "notes.txt",
            "reads.fastq.gz",
            "collapsed/x/a.fa",
            "mine/a.tsv",
        ] {
            assert!(!legacy_output(foreign), "{foreign}");
        }
    }

    #[test]
    fn a_manifest_names_mirqs_files_and_force_overrides_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let staged = StagedOutputs::new(&out, &[], false).unwrap();
        staged.write("notes.txt", |w| w.write_all(b"x")).unwrap();
        staged.commit().unwrap();
        assert!(foreign_files(&out).is_empty(), "listed: mirq's");
        fs::write(out.join("extra.tsv"), "y").unwrap();
        assert_eq!(foreign_files(&out), ["extra.tsv"]);
        let e = StagedOutputs::new(&out, &[], false)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("extra.tsv") && e.contains("--force"), "{e}");
        StagedOutputs::new(&out, &[], true)
            .unwrap()
            .commit()
            .unwrap();
        assert!(!out.join("extra.tsv").exists());
    }

    #[test]
    fn recovery_restores_a_set_aside_outdir_and_clears_one_beside_a_live_outdir() {
        const COMMITTED: &str = r#"{"mirq_version":"0"}"#;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let aside = dir.path().join(".out.mirq-old-12345");
        fs::create_dir_all(&aside).unwrap();
        fs::write(aside.join("stats.json"), COMMITTED).unwrap();
        // an old mirq's staging `.old` folder counts too, and staging
        // leftovers are not taken for committed sets
        let staging = dir.path().join(".out.mirq-staging-7");
        fs::create_dir_all(&staging).unwrap();
        let staged = StagedOutputs::new(&out, &[], false).unwrap();
        assert_eq!(
            fs::read_to_string(out.join("stats.json")).unwrap(),
            COMMITTED
        );
        assert!(!aside.exists() && !staging.exists());
        drop(staged);
        let old = dir.path().join(".out.mirq-staging-9.old");
        fs::create_dir_all(&old).unwrap();
        drop(StagedOutputs::new(&out, &[], true).unwrap());
        assert!(
            !old.exists(),
            "the outdir exists: the set-aside folder is stale"
        );
        assert_eq!(
            fs::read_to_string(out.join("stats.json")).unwrap(),
            COMMITTED
        );
    }

    #[test]
    fn mount_points_and_inputs_are_checked_by_path() {
        assert!(check_not_mount_point(Path::new("/proc"), Path::new("/")).is_err());
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        assert!(check_not_mount_point(&out, dir.path()).is_ok());
        fs::create_dir_all(out.join("in")).unwrap();
        fs::write(out.join("in/r.fq"), "@r").unwrap();
        let e = check_inputs(&out, &[out.join("in/r.fq")]).unwrap_err();
        assert!(e.contains("holds the run's input"), "{e}");
        let e = check_inputs(&out, std::slice::from_ref(&out)).unwrap_err();
        assert!(e.contains("is the run's input directory"), "{e}");
        assert!(check_inputs(&out.join("in/new"), &[out.join("in")]).is_ok());
        assert!(check_inputs(&out, &[PathBuf::from("/dev/null")]).is_ok());
    }
}
