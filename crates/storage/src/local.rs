//! Files of a local directory: atomic and durable replacement (temporary file, `fsync`,
//! `rename`, `fsync` of the directory), only regular files opened, byte-range locks shared with
//! other processes, and leftovers of killed writers cleaned up by the next writer of the file.

use crate::key::check_key;
use crate::ofd_lock::{lock_file, lock_ranges, unlock_range};
use crate::store::{LockGuard, NewFile, Store, StoredFile, UpdatableFile};
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use voxel::{Error, IoContext, Result};

/// The lock file of a store, in its root; hidden from listings like every name starting with ".".
pub const LOCK_FILE: &str = ".wklock";

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        LocalStore { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, key: &str) -> Result<PathBuf> {
        check_key(key)?;
        Ok(self.root.join(key))
    }

    /// Opens the regular file at `path` (following symlinks); anything else is `Corrupt`. The type
    /// is checked before opening, so that a FIFO never blocks the open, and again on the opened
    /// file, so that a swap in between is caught too.
    fn open_regular(&self, path: &Path, write: bool) -> Result<Option<File>> {
        match fs::metadata(path) {
            Ok(meta) if meta.is_file() => {}
            Ok(_) => return Err(not_regular(path)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io("inspect", path.display(), e)),
        }
        let opened =
            OpenOptions::new().read(true).write(write).custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC).open(path);
        let file = match opened {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io("open", path.display(), e)),
        };
        if !file.metadata().at("inspect", path)?.is_file() {
            return Err(not_regular(path));
        }
        Ok(Some(file))
    }
}

fn not_regular(path: &Path) -> Error {
    Error::corrupt(path.display(), "Not a regular file")
}

impl Store for LocalStore {
    fn location(&self, key: &str) -> String {
        self.root.join(key).display().to_string()
    }

    fn open(&self, key: &str) -> Result<Option<Arc<dyn StoredFile>>> {
        let path = self.path(key)?;
        let Some(file) = self.open_regular(&path, false)? else { return Ok(None) };
        let meta = file.metadata().at("inspect", &path)?;
        Ok(Some(Arc::new(LocalFile { file, len: meta.len(), identity: identity(&meta), path })))
    }

    fn create(&self, key: &str) -> Result<Box<dyn NewFile>> {
        let path = self.path(key)?;
        let dir = path.parent().expect("a key has a parent").to_owned();
        fs::create_dir_all(&dir).at("create the directory", &dir)?;
        let name = path.file_name().expect("a key names a file").to_string_lossy().into_owned();
        remove_stale_temporaries(&dir, &name);
        let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{name}.{}-{n}.tmp", std::process::id()));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .custom_flags(libc::O_CLOEXEC)
            .open(&tmp)
            .at("create", &tmp)?;
        Ok(Box::new(LocalNewFile { file, tmp, path, dir, committed: false }))
    }

    fn open_for_update(&self, key: &str) -> Result<Option<Box<dyn UpdatableFile>>> {
        let path = self.path(key)?;
        let Some(file) = self.open_regular(&path, true)? else { return Ok(None) };
        let len = file.metadata().at("inspect", &path)?.len();
        Ok(Some(Box::new(LocalUpdate { file: Arc::new(file), len, path })))
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>> {
        let dir = if prefix.is_empty() { self.root.clone() } else { self.path(prefix)? };
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) => {
                return Ok(Vec::new())
            }
            Err(e) => return Err(Error::io("list", dir.display(), e)),
        };
        let mut names = Vec::new();
        for entry in entries {
            let name = entry.at("list", &dir)?.file_name();
            if let Some(name) = name.to_str().filter(|n| !n.starts_with('.')) {
                names.push(name.to_owned());
            }
        }
        Ok(names)
    }

    fn delete(&self, key: &str) -> Result<()> {
        let path = self.path(key)?;
        match fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(Error::io("delete", path.display(), e)),
            _ => Ok(()),
        }
    }

    /// Exchanges the two directories in one `rename`, so both must be on one file system; where
    /// this store's directory is a symlink, its target is replaced.
    fn replace_with(&self, replacement: &dyn Store) -> Result<()> {
        let Some(replacement) = replacement.as_any().downcast_ref::<LocalStore>() else {
            return Err(Error::invalid(format!(
                "\"{}\" cannot be replaced by \"{}\", which is not a local directory",
                self.root.display(),
                replacement.location("")
            )));
        };
        let target = fs::canonicalize(&self.root).at("resolve", &self.root)?;
        exchange(&replacement.root, &target)?;
        sync_directory(target.parent().unwrap_or(Path::new("/")))?;
        // The old content is now at the replacement's path.
        fs::remove_dir_all(&replacement.root).at("delete", &replacement.root)
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn lock(&self, ranges: &[u64], exclusive: bool) -> Result<LockGuard> {
        fs::create_dir_all(&self.root).at("create the directory", &self.root)?;
        let ranges: Vec<(u64, u64)> = ranges.iter().map(|&r| (r, r + 1)).collect();
        Ok(LockGuard::new(lock_file(&self.root.join(LOCK_FILE), &ranges, exclusive)?))
    }
}

/// Deletes `.{name}.<pid>-<n>.tmp` files in `dir` whose writer process is gone: what a killed
/// writer left. Those of live processes are kept, whoever they are.
fn remove_stale_temporaries(dir: &Path, name: &str) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    let prefix = format!(".{name}.");
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(rest) = file_name.to_str().and_then(|n| n.strip_prefix(&prefix)).and_then(|n| n.strip_suffix(".tmp"))
        else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<i32>().ok()) else { continue };
        if !process_is_alive(pid) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Exchanges two directories in one step (`renameat2` with `RENAME_EXCHANGE`).
fn exchange(a: &Path, b: &Path) -> Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| CString::new(p.as_os_str().as_bytes()).map_err(|_| Error::invalid(format!("{p:?} holds NUL")));
    let (ca, cb) = (c(a)?, c(b)?);
    // SAFETY: both paths are NUL-terminated strings that outlive the call.
    let result =
        unsafe { libc::renameat2(libc::AT_FDCWD, ca.as_ptr(), libc::AT_FDCWD, cb.as_ptr(), libc::RENAME_EXCHANGE) };
    if result != 0 {
        return Err(Error::io(
            "exchange",
            format!("{}\" and \"{}", a.display(), b.display()),
            io::Error::last_os_error(),
        ));
    }
    Ok(())
}

fn process_is_alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks whether the process exists.
    unsafe { libc::kill(pid, 0) == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM) }
}

/// Makes the entries of `dir` durable: a rename is only on disk once its directory is synced.
fn sync_directory(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|d| d.sync_all()).at("sync the directory", dir)
}

/// What tells one content of a path from another: a writer of ours replaces the file (a new
/// inode), other writers (the Python `wkw`) may rewrite it in place (a new size or time).
type Identity = (u64, u64, u64, i64, i64);

fn identity(meta: &fs::Metadata) -> Identity {
    (meta.dev(), meta.ino(), meta.len(), meta.mtime(), meta.mtime_nsec())
}

struct LocalFile {
    file: File,
    path: PathBuf,
    len: u64,
    identity: Identity,
}

impl StoredFile for LocalFile {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_at(&self, buf: &mut [u8], offset: u64) -> Result<()> {
        read_exact_at(&self.file, &self.path, buf, offset)
    }

    fn is_current(&self) -> bool {
        fs::metadata(&self.path).is_ok_and(|m| identity(&m) == self.identity)
    }
}

fn read_exact_at(file: &File, path: &Path, buf: &mut [u8], offset: u64) -> Result<()> {
    match file.read_exact_at(buf, offset) {
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Err(Error::corrupt(
            path.display(),
            format!("The file ends before byte {}", offset.saturating_add(buf.len() as u64)),
        )),
        other => other.at("read", path),
    }
}

struct LocalNewFile {
    file: File,
    tmp: PathBuf,
    path: PathBuf,
    dir: PathBuf,
    committed: bool,
}

impl NewFile for LocalNewFile {
    fn write_at(&self, offset: u64, bytes: &[u8]) -> Result<()> {
        self.file.write_all_at(bytes, offset).at("write", &self.tmp)
    }

    fn set_len(&self, len: u64) -> Result<()> {
        self.file.set_len(len).at("resize", &self.tmp)
    }

    fn commit(mut self: Box<Self>) -> Result<()> {
        self.file.sync_data().at("sync", &self.tmp)?;
        fs::rename(&self.tmp, &self.path).at("rename into", &self.path)?;
        self.committed = true;
        sync_directory(&self.dir)
    }
}

impl Drop for LocalNewFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

struct LocalUpdate {
    file: Arc<File>,
    path: PathBuf,
    len: u64,
}

impl UpdatableFile for LocalUpdate {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_at(&self, buf: &mut [u8], offset: u64) -> Result<()> {
        read_exact_at(&self.file, &self.path, buf, offset)
    }

    fn write_at(&self, offset: u64, bytes: &[u8]) -> Result<()> {
        self.file.write_all_at(bytes, offset).at("write", &self.path)
    }

    fn lock_bytes(&self, start: u64, end: u64) -> Result<LockGuard> {
        lock_ranges(&self.file, &self.path, &[(start, end)], true)?;
        let file = self.file.clone();
        Ok(LockGuard::new(Unlock { file, start, end }))
    }

    fn sync(&self) -> Result<()> {
        self.file.sync_data().at("sync", &self.path)
    }
}

struct Unlock {
    file: Arc<File>,
    start: u64,
    end: u64,
}

impl Drop for Unlock {
    fn drop(&mut self) {
        let _ = unlock_range(&self.file, self.start, self.end);
    }
}
