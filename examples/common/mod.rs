//! What the timing examples share (not an example itself: Cargo builds only
//! `examples/*.rs` and `examples/*/main.rs`).

/// CPU seconds the calling thread has used (less inflated than wall time on
/// a busy machine).
pub fn thread_cpu_seconds() -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec into `t`, which outlives
    // the call.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}
