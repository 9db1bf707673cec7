//! Byte-range locks of open file descriptions (Linux `F_OFD_SETLKW`): unlike `flock` they lock
//! ranges, so one lock file serves every shard of an array; unlike classic POSIX record locks
//! they belong to one open file, so two threads of one process exclude each other as two
//! processes do, and closing another descriptor of the file releases nothing.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::path::Path;
use voxel::{Error, IoContext, Result};

/// Locks the ranges `[start, end)` of `file`, sorted so that two lockers never wait for each
/// other in a cycle; adjacent ranges are locked by one call. Blocks until they are free.
pub fn lock_ranges(file: &File, path: &Path, ranges: &[(u64, u64)], exclusive: bool) -> Result<()> {
    let mut sorted = ranges.to_vec();
    sorted.sort_unstable();
    let mut merged: Vec<(u64, u64)> = Vec::with_capacity(sorted.len());
    for (start, end) in sorted {
        match merged.last_mut() {
            Some(last) if last.1 >= start => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    for (start, end) in merged {
        set_lock(file, start, end, if exclusive { libc::F_WRLCK } else { libc::F_RDLCK }).at("lock", path)?;
    }
    Ok(())
}

/// Releases `[start, end)` of `file`.
pub fn unlock_range(file: &File, start: u64, end: u64) -> io::Result<()> {
    set_lock(file, start, end, libc::F_UNLCK)
}

fn set_lock(file: &File, start: u64, end: u64, kind: libc::c_int) -> io::Result<()> {
    let to_off = |v: u64| {
        libc::off_t::try_from(v).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "lock range beyond 2^63"))
    };
    // SAFETY: an all-zero flock is valid; the fields that matter are set below.
    let mut lock: libc::flock = unsafe { std::mem::zeroed() };
    lock.l_type = kind as libc::c_short;
    lock.l_whence = libc::SEEK_SET as libc::c_short;
    lock.l_start = to_off(start)?;
    lock.l_len = to_off(end - start)?;
    loop {
        // SAFETY: `lock` is a valid flock and the descriptor is open for the call.
        if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_OFD_SETLKW, &lock) } == 0 {
            return Ok(());
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

/// Opens (creating it if needed) the lock file at `path` and locks `ranges` in it. A lock file
/// that was deleted or replaced while we waited is opened again, so that every locker meets on
/// the file the path names.
pub fn lock_file(path: &Path, ranges: &[(u64, u64)], exclusive: bool) -> Result<File> {
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    loop {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o644)
            .custom_flags(libc::O_CLOEXEC)
            .open(path)
            .at("open the lock file", path)?;
        lock_ranges(&file, path, ranges, exclusive)?;
        let held = file.metadata().at("inspect the lock file", path)?;
        match std::fs::metadata(path) {
            Ok(named) if named.ino() == held.ino() && named.dev() == held.dev() => return Ok(file),
            Ok(_) => continue,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io("inspect the lock file", path.display(), e)),
        }
    }
}

/// Takes the exclusive `flock` of the directory `path` itself: a lock shared with every process
/// that needs no lock file, for directories whose listing belongs to someone else (a dataset's
/// root, where WEBKNOSSOS reads every name as a layer). Waits until it is free.
pub fn lock_directory(path: &Path) -> Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_CLOEXEC)
        .open(path)
        .at("open the directory", path)?;
    loop {
        // SAFETY: plain flock on a descriptor we own.
        if unsafe { libc::flock(dir.as_raw_fd(), libc::LOCK_EX) } == 0 {
            return Ok(dir);
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(Error::io("lock the directory", path.display(), error));
        }
    }
}
