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
//!     reference, samplesheet, merge input; a hard link to an input file
//!     too), or lies inside an input directory (merge's), the paths
//!     compared after resolving symlinks, `.` and `..`; even with `--force`;
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
//!   file has a name mirq writes ([`checks::legacy_output`]); an empty one
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
//! The `MIRQ_TEST_*` environment variables ([`test_hooks`]) are the tests'
//! way to kill a run or fail a step; not for users.
//!
//! The files: [`checks`] resolves the output directory and refuses it before
//! work (each refusal a [`refusal::Refusal`]), [`switch`] puts a staged set in its place (and recovers what an
//! interrupted switch left), [`lock`] holds a run's lock; this file ties
//! them into [`StagedOutputs`].

mod checks;
mod lock;
mod refusal;
mod switch;
mod syncer;
mod test_hooks;

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::{Error, Result};
use syncer::Syncer;
pub use syncer::WriteBehind;

use checks::{
    check_free_space, check_hard_links, check_input_paths, check_not_cwd, check_not_mount_point,
    check_replaceable, check_tree_writable, check_writable, resolve, split_outdir,
};
pub use lock::OutdirLock;
use refusal::Refusal;
use switch::{recover, remove_leftovers, switch, sync_dir};
use test_hooks::{test_fault, test_hook};

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
    /// Syncs the written files beside the run.
    syncer: Syncer,
    committed: bool,
    _lock: OutdirLock,
}

impl StagedOutputs {
    /// Checks `outdir` (see the module documentation; `inputs`: every path
    /// the run reads; `force`: replace a directory holding files mirq did
    /// not write), locks it, restores or clears what interrupted runs left
    /// and creates the staging folder beside it.
    pub fn new(outdir: &Path, inputs: &[PathBuf], force: bool) -> Result<Self> {
        let refuse = |refusal: Refusal| Error::Outdir {
            path: outdir.to_path_buf(),
            message: refusal.to_string(),
        };
        let io = |err| Error::Write {
            path: outdir.to_path_buf(),
            err,
        };
        let target = resolve(outdir)?;
        let (parent, name) = split_outdir(&target)?;
        check_not_cwd(&target).map_err(refuse)?;
        check_not_mount_point(&target, &parent).map_err(refuse)?;
        check_input_paths(&target, inputs).map_err(refuse)?;
        fs::create_dir_all(&parent).map_err(io)?;
        check_writable(&parent).map_err(|r| refuse(Refusal::Parent(Box::new(r))))?;
        let lock = OutdirLock::acquire(&parent, &name, outdir)?;
        recover(&parent, &name, &target).map_err(refuse)?;
        check_hard_links(&target, inputs).map_err(refuse)?;
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
            syncer: Syncer::start(),
            committed: false,
            _lock: lock,
        })
    }

    /// Writes one file (path relative to the output directory) through
    /// `fill`; may be called from several threads. It is synced beside the
    /// run, and appears with every other file of the run at
    /// [`Self::commit`], which waits for every sync.
    pub fn write(
        &self,
        rel: &str,
        fill: impl FnOnce(&mut BufWriter<WriteBehind>) -> std::io::Result<()>,
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
        let mut w = BufWriter::new(WriteBehind::new(file));
        fill(&mut w).map_err(err)?;
        w.flush().map_err(err)?;
        let file = w
            .into_inner()
            .map_err(|e| err(e.into_error()))?
            .into_inner();
        self.syncer.sync(rel, file).map_err(err)?;
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
        if let Some((rel, err)) = self.syncer.finish() {
            return Err(Error::Write {
                path: self.outdir.join(rel),
                err,
            });
        }
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
            let _ = self.syncer.finish();
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

/// Takes the lock of an existing output directory, as a run does, for a
/// command that rewrites a file in it (`mirq report`).
pub fn lock(outdir: &Path) -> Result<OutdirLock> {
    let (parent, name) = split_outdir(&resolve(outdir)?)?;
    OutdirLock::acquire(&parent, &name, outdir)
}

#[cfg(test)]
mod tests {
    use super::checks::foreign_files;
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
}
