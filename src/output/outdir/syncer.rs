//! Syncing a run's staged files to disk on a thread of their own, so that
//! waiting on the disk does not hold up the pool; the switch waits for every
//! sync ([`Syncer::finish`]) before the set is put in place.

use std::fs::File;
use std::io;
use std::sync::mpsc::{channel, Sender};
use std::sync::Mutex;
use std::thread::JoinHandle;

/// A file that failed to sync: its path relative to the output directory,
/// and the error.
pub(super) type SyncFailure = (String, io::Error);

/// Syncs a run's staged files on a thread of its own, so that waiting on
/// the disk does not hold up the pool: each file is handed over once
/// written, synced while the run goes on, and [`Syncer::finish`] waits for
/// every sync before the set is switched in. Where no thread can be
/// started, each file is synced as it is handed over.
pub(super) struct Syncer {
    /// Hands a written file (and its relative path) to the thread; None
    /// once finished, or where the thread could not be started.
    files: Mutex<Option<Sender<(String, File)>>>,
    /// The thread: it ends with the first file that failed to sync.
    thread: Mutex<Option<JoinHandle<Option<SyncFailure>>>>,
}

impl Syncer {
    /// Starts the thread (none where it cannot be started: files are then
    /// synced as they are handed over).
    pub(super) fn start() -> Self {
        let (files, received) = channel::<(String, File)>();
        let thread = std::thread::Builder::new()
            .name("mirq-sync".into())
            .spawn(move || {
                let mut failed = None;
                for (rel, file) in received {
                    if let (None, Err(err)) = (&failed, file.sync_all()) {
                        failed = Some((rel, err));
                    }
                }
                failed
            })
            .ok();
        Self {
            files: Mutex::new(thread.is_some().then_some(files)),
            thread: Mutex::new(thread),
        }
    }

    /// Syncs `file` (`rel` in the output directory): on the thread, or now
    /// where there is none (or it is finished).
    pub(super) fn sync(&self, rel: &str, file: File) -> io::Result<()> {
        let unsent = match &*self.files.lock().expect("sync sender") {
            Some(files) => files.send((rel.to_string(), file)).err().map(|e| e.0 .1),
            None => Some(file),
        };
        unsent.map_or(Ok(()), |file| file.sync_all())
    }

    /// Waits for every file handed over to be synced: the first that
    /// failed, if any. Files handed over later are synced at once.
    pub(super) fn finish(&self) -> Option<SyncFailure> {
        drop(self.files.lock().expect("sync sender").take());
        let thread = self.thread.lock().expect("sync thread").take()?;
        thread.join().unwrap_or_else(|_| {
            Some((
                String::new(),
                io::Error::other("the thread syncing the output files failed"),
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_handed_over_is_synced_by_finish() {
        let dir = tempfile::tempdir().unwrap();
        let syncer = Syncer::start();
        for i in 0..20 {
            let path = dir.path().join(format!("f{i}"));
            std::fs::write(&path, b"x").unwrap();
            syncer
                .sync(&format!("f{i}"), File::open(&path).unwrap())
                .unwrap();
        }
        assert!(syncer.finish().is_none());
        // after finish, files are synced at once
        let path = dir.path().join("late");
        std::fs::write(&path, b"y").unwrap();
        syncer.sync("late", File::open(&path).unwrap()).unwrap();
        assert!(syncer.finish().is_none());
    }
}
