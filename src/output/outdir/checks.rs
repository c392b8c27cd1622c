//! Resolving the output directory, and every refusal before work: the
//! current directory, a mount point, what this user cannot write, too little
//! free space, files mirq did not write, and the run's inputs.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

use super::refusal::Refusal;
use super::switch::asides;
use super::test_hooks::{free_bytes_stand_in, test_fault};
use super::{MANIFEST, MIN_FREE_BYTES};
use crate::error::{Error, Result};

/// `outdir` made absolute, `dir/.` as `dir`, and a symlink (a chain of them)
/// resolved to its target; a dangling one is refused, unless its target is
/// a run's output directory set aside by an interrupted switch.
pub(super) fn resolve(outdir: &Path) -> Result<PathBuf> {
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
pub(super) fn split_outdir(outdir: &Path) -> Result<(PathBuf, String)> {
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
pub(super) fn check_not_cwd(target: &Path) -> std::result::Result<(), Refusal> {
    let (Ok(cwd), Ok(dir)) = (std::env::current_dir(), fs::canonicalize(target)) else {
        return Ok(());
    };
    if cwd.starts_with(&dir) {
        return Err(Refusal::CurrentDir);
    }
    Ok(())
}

/// A mount point (or `/`) cannot be renamed: refused before work.
pub(super) fn check_not_mount_point(
    target: &Path,
    parent: &Path,
) -> std::result::Result<(), Refusal> {
    let (Ok(dir), Ok(up)) = (fs::metadata(target), fs::metadata(parent)) else {
        return Ok(());
    };
    if dir.is_dir() && (dir.dev() != up.dev() || dir.ino() == up.ino()) {
        return Err(Refusal::MountPoint);
    }
    Ok(())
}

/// `dir` must be writable and searchable by this user (the effective ids;
/// a read-only file system fails too).
pub(super) fn check_writable(dir: &Path) -> std::result::Result<(), Refusal> {
    use std::os::unix::ffi::OsStrExt;
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
        return Err(Refusal::NotWritable {
            dir: dir.to_path_buf(),
            err: std::io::Error::last_os_error(),
        });
    }
    Ok(())
}

/// The output directory and every folder in it must be writable: deleting
/// the earlier set, and moving a directory (its `..`), need it.
pub(super) fn check_tree_writable(target: &Path) -> std::result::Result<(), Refusal> {
    let Ok(meta) = fs::symlink_metadata(target) else {
        return Ok(());
    };
    if !meta.is_dir() {
        return Ok(());
    }
    if let Err(err) = test_fault("writable") {
        return Err(Refusal::InnerFault {
            dir: target.to_path_buf(),
            err,
        });
    }
    let mut dirs = vec![target.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        check_writable(&dir).map_err(|r| Refusal::Inner(Box::new(r)))?;
        for e in fs::read_dir(&dir).into_iter().flatten().flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                dirs.push(e.path());
            }
        }
    }
    Ok(())
}

/// Less than [`MIN_FREE_BYTES`] free for this user is refused (a test hook,
/// [`free_bytes_stand_in`], may stand in for the file system's answer).
pub(super) fn check_free_space(parent: &Path) -> std::result::Result<(), Refusal> {
    let free = free_bytes_stand_in().unwrap_or_else(|| free_bytes(parent));
    match free {
        Some(free) if free < MIN_FREE_BYTES => Err(Refusal::LowSpace {
            free,
            needed: MIN_FREE_BYTES,
        }),
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
pub(super) fn check_replaceable(target: &Path, force: bool) -> std::result::Result<(), Refusal> {
    let meta = match fs::symlink_metadata(target) {
        Ok(m) => m,
        Err(_) => return Ok(()),
    };
    if !meta.is_dir() {
        return Err(Refusal::NotADirectory);
    }
    let foreign = foreign_files(target);
    if foreign.is_empty() || force {
        return Ok(());
    }
    Err(Refusal::ForeignFiles { files: foreign })
}

/// The files under `dir` (relative paths) that no mirq run wrote: those its
/// manifest does not list; without a manifest, those without a name mirq
/// writes when a `stats.json` names a mirq version, else all.
pub(super) fn foreign_files(dir: &Path) -> Vec<String> {
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

/// Refuses an output directory that is one of the run's inputs, holds one
/// or lies inside an input directory (`mirq merge`'s), the paths compared
/// after resolving symlinks, `.` and `..`; before anything is written.
/// Inputs that are not files or directories (pipes) are left out.
pub(super) fn check_input_paths(
    target: &Path,
    inputs: &[PathBuf],
) -> std::result::Result<(), Refusal> {
    let Some(dir) = resolved(target) else {
        return Ok(());
    };
    for input in inputs {
        let (Ok(path), Ok(meta)) = (fs::canonicalize(input), fs::metadata(input)) else {
            continue;
        };
        if !(meta.is_dir() || meta.is_file()) {
            continue;
        }
        let clash = if dir == path {
            "is"
        } else if path.starts_with(&dir) {
            "holds"
        } else if meta.is_dir() && dir.starts_with(&path) {
            "lies inside"
        } else {
            continue;
        };
        return Err(Refusal::Input {
            how: clash,
            input: input.clone(),
        });
    }
    Ok(())
}

/// Refuses an output directory holding a hard link to one of the run's
/// input files (after [`check_input_paths`], once what an interrupted run
/// set aside is back).
pub(super) fn check_hard_links(
    target: &Path,
    inputs: &[PathBuf],
) -> std::result::Result<(), Refusal> {
    let Some(dir) = resolved(target).filter(|d| d.is_dir()) else {
        return Ok(());
    };
    let mut inodes = HashMap::new();
    for input in inputs {
        if let Some(meta) = fs::metadata(input).ok().filter(|m| m.is_file()) {
            inodes.insert((meta.dev(), meta.ino()), input);
        }
    }
    if inodes.is_empty() {
        return Ok(());
    }
    for rel in files_under(&dir) {
        let Ok(m) = fs::symlink_metadata(dir.join(&rel)) else {
            continue;
        };
        if let Some(input) = inodes.get(&(m.dev(), m.ino())) {
            return Err(Refusal::HardLink {
                input: input.to_path_buf(),
                rel,
            });
        }
    }
    Ok(())
}

/// `target` (absolute) with the longest part that exists resolved
/// (symlinks, `..`) and the rest, not created yet, taken as written.
fn resolved(target: &Path) -> Option<PathBuf> {
    let mut rest = Vec::new();
    let mut at = target;
    loop {
        if let Ok(mut out) = fs::canonicalize(at) {
            for part in rest.iter().rev() {
                match part {
                    Component::ParentDir => {
                        out.pop();
                    }
                    Component::Normal(name) => out.push(name),
                    _ => {}
                }
            }
            return Some(out);
        }
        rest.push(at.components().next_back()?);
        at = at.parent()?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn mount_points_and_inputs_are_checked_by_path() {
        assert!(check_not_mount_point(Path::new("/proc"), Path::new("/")).is_err());
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        assert!(check_not_mount_point(&out, dir.path()).is_ok());
        fs::create_dir_all(out.join("in")).unwrap();
        fs::write(out.join("in/r.fq"), "@r").unwrap();
        let e = check_input_paths(&out, &[out.join("in/r.fq")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("holds the run's input"), "{e}");
        let e = check_input_paths(&out, std::slice::from_ref(&out))
            .unwrap_err()
            .to_string();
        assert!(e.contains("is the run's input"), "{e}");
        let e = check_input_paths(&out.join("in/new/deeper"), &[out.join("in")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("lies inside the run's input"), "{e}");
        let e = check_input_paths(&out.join("in/r.fq/x"), &[out.join("in/r.fq")]);
        assert!(e.is_ok(), "only an input directory can hold the outdir");
        assert!(check_input_paths(&out.join("beside"), &[out.join("in")]).is_ok());
        fs::hard_link(out.join("in/r.fq"), dir.path().join("r.fq")).unwrap();
        let e = check_hard_links(&out, &[dir.path().join("r.fq")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("(a hard link)"), "{e}");
        assert!(check_input_paths(&out, &[PathBuf::from("/dev/null")]).is_ok());
    }
}
