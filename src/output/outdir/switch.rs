//! Putting a staged set in the output directory's place: one exchange, or
//! two renames where the file system cannot; and, under the next run's lock,
//! recovering what an interrupted switch set aside and clearing what dead
//! runs staged.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use super::refusal::Refusal;
use super::test_hooks::{no_exchange, test_fault, test_hook};

/// The folders an interrupted fallback switch set aside for output
/// directory `name`: `.<name>.mirq-old-<pid>`, and the
/// `.<name>.mirq-staging-<pid>.old` of mirq 0.x before it.
pub(super) fn asides(parent: &Path, name: &str) -> Vec<PathBuf> {
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
pub(super) fn recover(
    parent: &Path,
    name: &str,
    target: &Path,
) -> std::result::Result<(), Refusal> {
    let found = asides(parent, name);
    let mut rest = found.as_slice();
    if fs::symlink_metadata(target).is_err() {
        let Some((first, others)) = found.split_first() else {
            return Ok(());
        };
        fs::rename(first, target).map_err(|err| Refusal::Unrecoverable {
            aside: first.clone(),
            err,
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
pub(super) fn remove_leftovers(parent: &Path, name: &str) {
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
pub(super) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Puts the staged set at `target`; returns where the earlier set now is
/// (`staging` after an exchange, `aside` after the fallback).
pub(super) fn switch(staging: &Path, target: &Path, aside: &Path) -> std::io::Result<PathBuf> {
    test_fault("exchange")?;
    if no_exchange() || !exchange(staging, target)? {
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
