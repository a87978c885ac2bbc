//! Keeps freed memory in the process on glibc. Training allocates and frees the same large
//! buffers every step (activations, gradients, im2col matrices); glibc's defaults return them
//! to the kernel (`munmap`, heap trimming) and every step then pays page faults to get them
//! back, about a third of a fashion-cnn step on the project's machines (`benches/README.md`).
//! Only speed changes: no value depends on where memory comes from.

/// Raises glibc's mmap and trim thresholds unless the user set `GLIBC_TUNABLES` (then theirs
/// apply). Called first thing in `main`, before any other thread exists.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub(crate) fn keep_freed_memory() {
    if std::env::var_os("GLIBC_TUNABLES").is_some() {
        return;
    }
    // SAFETY: `mallopt` only sets two malloc parameters (to values glibc accepts: 32 MiB is
    // its largest mmap threshold on 64-bit); no allocation is in flight on another thread.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
    }
}

/// Other platforms' allocators keep their defaults.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub(crate) fn keep_freed_memory() {}
