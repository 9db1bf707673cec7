//! Per-thread buffers reused across reads and writes: a fresh allocation of a block's size costs
//! page faults on every use, which showed up as a tenth of the time of large reads.

use std::cell::Cell;
use std::thread::LocalKey;

thread_local! {
    /// The stored (compressed) bytes of one block.
    pub static STORED: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
    /// One decoded block.
    pub static BLOCK: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
    /// One row of blocks along x, laid out like the output of a read; or a run of blocks being
    /// written to a raw file.
    pub static STAGING: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
    /// One block compressed, at its compress bound.
    pub static COMPRESSED: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
    /// One block produced for a file being written.
    pub static PRODUCED: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// Runs `work` with the first `len` bytes of this thread's buffer `key` (contents unspecified).
/// The buffer is taken out while `work` runs, so a nested use on the same thread (rayon may run
/// another task while `work` waits for a parallel loop) gets a buffer of its own.
pub fn with_buffer<R>(key: &'static LocalKey<Cell<Vec<u8>>>, len: usize, work: impl FnOnce(&mut [u8]) -> R) -> R {
    let mut buffer = key.take();
    if buffer.len() < len {
        buffer.resize(len, 0);
    }
    let result = work(&mut buffer[..len]);
    key.set(buffer);
    result
}
