//! Syncing a run's staged files to disk on threads of their own, so that
//! waiting on the disk does not hold up the pool; the switch waits for every
//! sync ([`Syncer::finish`]) before the set is put in place. While a file is
//! written, each stretch of it is sent to the disk at once ([`WriteBehind`]),
//! so that its sync waits for the last stretch only.

use std::fs::File;
use std::io::{self, Write};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// A file that failed to sync: its path relative to the output directory,
/// and the error.
pub(super) type SyncFailure = (String, io::Error);

/// Syncs a run's staged files on threads of their own, so that waiting on
/// the disk does not hold up the pool: each file is handed over once
/// written, synced while the run goes on, and [`Syncer::finish`] waits for
/// every sync before the set is switched in. Where no thread can be
/// started, each file is synced as it is handed over.
pub(super) struct Syncer {
    /// Hands a written file (and its relative path) to the threads; None
    /// once finished, or where no thread could be started.
    files: Mutex<Option<Sender<(String, File)>>>,
    /// The threads: each ends with the first file it failed to sync.
    threads: Mutex<Vec<JoinHandle<Option<SyncFailure>>>>,
}

/// Threads syncing files: several, so that the last files written (most
/// of them small) are synced side by side, their journal commits shared,
/// rather than one after another while the switch waits.
const SYNC_THREADS: usize = 4;

impl Syncer {
    /// Starts the threads (none where none can be started: files are then
    /// synced as they are handed over).
    pub(super) fn start() -> Self {
        let (files, received) = channel::<(String, File)>();
        let received = Arc::new(Mutex::new(received));
        let threads: Vec<_> = (0..SYNC_THREADS)
            .map_while(|_| {
                let received = Arc::clone(&received);
                std::thread::Builder::new()
                    .name("mirq-sync".into())
                    .spawn(move || sync_files(&received))
                    .ok()
            })
            .collect();
        Self {
            files: Mutex::new((!threads.is_empty()).then_some(files)),
            threads: Mutex::new(threads),
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

    /// Waits for every file handed over to be synced: one that failed, if
    /// any. Files handed over later are synced at once.
    pub(super) fn finish(&self) -> Option<SyncFailure> {
        drop(self.files.lock().expect("sync sender").take());
        let threads = std::mem::take(&mut *self.threads.lock().expect("sync threads"));
        let mut failed = None;
        for thread in threads {
            let failure = thread.join().unwrap_or_else(|_| {
                Some((
                    String::new(),
                    io::Error::other("a thread syncing the output files failed"),
                ))
            });
            failed = failed.or(failure);
        }
        failed
    }
}

/// A syncing thread: syncs the files it takes until the sender is gone;
/// the first that failed, if any (later ones are not synced).
fn sync_files(received: &Mutex<Receiver<(String, File)>>) -> Option<SyncFailure> {
    loop {
        let next = received.lock().expect("files to sync").recv();
        let Ok((rel, file)) = next else {
            return None;
        };
        if let Err(err) = file.sync_all() {
            return Some((rel, err));
        }
    }
}

/// Bytes written before their disk write is started.
const STRETCH: u64 = 1 << 20;

/// A file being written whose every MiB (`STRETCH` bytes) is handed to the
/// disk as soon as it is written (Linux's `sync_file_range`, which only
/// starts the write-back); elsewhere, a plain file.
pub struct WriteBehind {
    file: File,
    /// Bytes written.
    written: u64,
    /// Bytes whose write-back has been started.
    started: u64,
}

impl WriteBehind {
    pub(super) fn new(file: File) -> Self {
        Self {
            file,
            written: 0,
            started: 0,
        }
    }

    /// The file, written.
    pub(super) fn into_inner(self) -> File {
        self.file
    }

    /// Starts the disk write of the bytes written since the last start.
    fn start_write_back(&mut self) {
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            // SAFETY: a plain system call on an open descriptor; it only
            // schedules the write of pages already written. A failure is
            // left to the sync, which reports it.
            unsafe {
                libc::sync_file_range(
                    self.file.as_raw_fd(),
                    self.started as libc::off64_t,
                    (self.written - self.started) as libc::off64_t,
                    libc::SYNC_FILE_RANGE_WRITE,
                )
            };
        }
        self.started = self.written;
    }
}

impl Write for WriteBehind {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.written += n as u64;
        if self.written - self.started >= STRETCH {
            self.start_write_back();
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
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

    #[test]
    fn writing_behind_keeps_every_byte() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        let body: Vec<u8> = (0..3 * STRETCH + 12345).map(|i| (i % 251) as u8).collect();
        let mut w = io::BufWriter::new(WriteBehind::new(File::create(&path).unwrap()));
        for part in body.chunks(7777) {
            w.write_all(part).unwrap();
        }
        let behind = w.into_inner().map_err(|e| e.into_error()).unwrap();
        // three stretches handed to the disk while writing
        assert!((3 * STRETCH..=body.len() as u64).contains(&behind.started));
        behind.into_inner().sync_all().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), body);
    }
}
