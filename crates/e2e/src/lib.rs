//! The end-to-end suite lives in `tests/`; it starts the release binaries built by `./test.sh`.
