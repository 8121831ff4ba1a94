//! The allocator every service runs on: mimalloc, declared once here so that
//! every binary linking `common` uses it. glibc's malloc kept freed memory:
//! it raises its mmap threshold each time a large mapped block is freed, so
//! after the first argon2id login (a 19 MiB block) every later one was carved
//! from the arena of whichever blocking thread ran it and stayed resident — a
//! few console logins left the admin at ≈ 97 MB. mimalloc returns freed
//! pages to the system and is faster on small allocations besides.

/// The process-wide allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
