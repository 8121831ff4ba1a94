//! The allocator every service runs on: mimalloc, declared once here so that
//! every binary linking `common` uses it.
//!
//! Why not glibc's malloc: it raises its mmap threshold each time a large
//! mapped block is freed, so after the first argon2id login (a 19 MiB block)
//! every later one was carved from the arena of whichever blocking thread
//! ran it and stayed resident — a few console logins left the admin at
//! ≈ 97 MB; and in the gateway's profile malloc/free were a third of the
//! instructions per proxied request.
//!
//! mimalloc returns freed memory to the system after a purge delay, but only
//! when some thread next calls into it; an idle admin never would, and kept
//! the login's blocks. [`purge_at_once`] makes the purge immediate.

use libmimalloc_sys::{mi_option_set, mi_option_t};

/// The process-wide allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc's `mi_option_t` (the 16th option of
/// `include/mimalloc.h`); the Rust bindings do not name it.
const PURGE_DELAY: mi_option_t = 15;

/// Freed memory goes back to the system when it is freed, not a second
/// later on the next allocation. Every service calls it first thing.
#[allow(unsafe_code)]
pub fn purge_at_once() {
    // SAFETY: mi_option_set stores an integer option; any value is valid and
    // it may be called at any time, from any thread.
    unsafe { mi_option_set(PURGE_DELAY, 0) };
}
