//! The end-to-end suite: the real release binaries (gateway, callback, admin,
//! business, wxsim) wired like `start.sh`, on SQLite or on MySQL when
//! `WXC_TEST_MYSQL_URL` is set. Build them first:
//! `cargo build --release -p gateway -p callback -p admin -p business -p wxsim`
//! (`./test.sh` does).

mod attacks;
mod faults;
mod support;
mod walk;
