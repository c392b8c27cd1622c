//! Test hooks: environment variables that exist for mirq's own tests, to
//! kill a run or fail a step of the output directory's transaction where a
//! test cannot otherwise reach it (as root, on a file system with room and
//! with `renameat2`). Not for users, and not run-time settings (those are
//! `Tuning`'s):
//!
//! - `MIRQ_TEST_KILL_AT=<step>` ends the process at a step of the commit
//!   (`staged`, `set_aside`, `switched`), as a kill would;
//! - `MIRQ_TEST_FAIL_AT=<step>` fails a step (`writable`, `exchange`,
//!   `remove_old`) with "permission denied";
//! - `MIRQ_TEST_NO_EXCHANGE=1` takes the two-rename switch, as where the
//!   file system has no exchange;
//! - `MIRQ_TEST_FREE_BYTES=<n>` stands in for the free space.

/// Ends the process as a kill would when `MIRQ_TEST_KILL_AT` names `step`:
/// the tests' way to check that every step leaves one complete set.
pub(super) fn test_hook(step: &str) {
    if std::env::var_os("MIRQ_TEST_KILL_AT").is_some_and(|s| s == step) {
        // SAFETY: _exit ends the process at once, as SIGKILL would: no
        // destructor, no flush, the kernel releases the lock.
        unsafe { libc::_exit(137) }
    }
}

/// Fails `step` with "permission denied" when `MIRQ_TEST_FAIL_AT` names it:
/// the tests' way, as root, to reach what a user without write permission
/// meets.
pub(super) fn test_fault(step: &str) -> std::io::Result<()> {
    if std::env::var_os("MIRQ_TEST_FAIL_AT").is_some_and(|s| s == step) {
        return Err(std::io::Error::from_raw_os_error(libc::EACCES));
    }
    Ok(())
}

/// Whether `MIRQ_TEST_NO_EXCHANGE=1` asks for the two-rename switch.
pub(super) fn no_exchange() -> bool {
    std::env::var_os("MIRQ_TEST_NO_EXCHANGE").is_some_and(|v| v == "1")
}

/// `MIRQ_TEST_FREE_BYTES`, when set: the free bytes it stands in for (none
/// when it is not a number).
pub(super) fn free_bytes_stand_in() -> Option<Option<u64>> {
    std::env::var("MIRQ_TEST_FREE_BYTES")
        .ok()
        .map(|v| v.parse().ok())
}
