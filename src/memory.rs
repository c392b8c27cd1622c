//! Returning freed heap memory to the operating system.
//!
//! A run frees large buffers between stages (each sample's hash table once it
//! is frozen, the per-sample insert lists once the cross-sample table is
//! built). glibc's allocator keeps such memory in its arenas, where it still
//! counts towards the process's resident memory: peak RSS would then be the
//! sum of every stage's buffers rather than the largest stage's.

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
