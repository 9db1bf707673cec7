//! The contract of a byte store.

use bytes::Bytes;
use std::fmt;
use std::sync::Arc;
use voxel::Result;

/// Files by key under one root. Every key is checked with [`crate::check_key`].
pub trait Store: Send + Sync + fmt::Debug {
    /// Where `key` lives, for messages: a path or a URL.
    fn location(&self, key: &str) -> String;

    /// Opens `key` for reads of byte ranges; `None` when it does not exist. Only regular files
    /// open: anything else (a FIFO, a device, a directory) is `Corrupt`.
    fn open(&self, key: &str) -> Result<Option<Arc<dyn StoredFile>>>;

    /// The whole content of `key`, `None` when it does not exist.
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let Some(file) = self.open(key)? else { return Ok(None) };
        let mut bytes = vec![0u8; usize::try_from(file.len()).expect("64-bit platform")];
        file.read_at(&mut bytes, 0)?;
        Ok(Some(bytes))
    }

    /// Replaces `key` with `bytes`: readers and a crash see the old or the new content, never a
    /// mix, and the new content is durable when this returns.
    fn put(&self, key: &str, bytes: &[u8]) -> Result<()> {
        let file = self.create(key)?;
        file.write_at(0, bytes)?;
        file.commit()
    }

    /// Starts a new content of `key`, written in pieces and put in place by [`NewFile::commit`];
    /// dropped without a commit, it leaves nothing behind.
    fn create(&self, key: &str) -> Result<Box<dyn NewFile>>;

    /// Opens an existing file for writes in place, where the store can do them (local files);
    /// `None` when `key` does not exist or the store cannot.
    fn open_for_update(&self, key: &str) -> Result<Option<Box<dyn UpdatableFile>>>;

    /// Names of the entries directly under `prefix` ("" for the root), without the temporary
    /// files of unfinished writes; a missing prefix has none.
    fn list(&self, prefix: &str) -> Result<Vec<String>>;

    /// Deletes `key`; a missing key is not an error.
    fn delete(&self, key: &str) -> Result<()>;

    /// Puts the content of `replacement`, a store beside this one of the same kind, in place of
    /// this store's in one step (readers see one or the other, a crash leaves one or the other),
    /// and deletes the old content. `replacement` is empty afterwards.
    fn replace_with(&self, replacement: &dyn Store) -> Result<()>;

    /// The store as `Any`, so that a store can recognise a replacement of its own kind.
    fn as_any(&self) -> &dyn std::any::Any;

    /// Locks numbered ranges of this store's lock, for the writers of every thread and process
    /// that use it: `exclusive` excludes every other holder of an overlapping range, shared
    /// excludes exclusive holders only. Waits until the locks are free.
    fn lock(&self, ranges: &[u64], exclusive: bool) -> Result<LockGuard>;
}

/// A file opened for reads.
pub trait StoredFile: Send + Sync {
    fn len(&self) -> u64;

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Fills `buf` from `offset`; bytes beyond the end of the file are `Corrupt`.
    fn read_at(&self, buf: &mut [u8], offset: u64) -> Result<()>;

    /// The bytes of each range `[start, end)`, in one call where the store can do better than
    /// one read per range.
    fn read_ranges(&self, ranges: &[(u64, u64)]) -> Result<Vec<Bytes>> {
        ranges
            .iter()
            .map(|&(start, end)| {
                let mut bytes = vec![0u8; end.saturating_sub(start) as usize];
                self.read_at(&mut bytes, start)?;
                Ok(Bytes::from(bytes))
            })
            .collect()
    }

    /// Whether each read costs a request, so that readers should gather theirs into
    /// [`StoredFile::read_ranges`].
    fn batch_reads(&self) -> bool {
        false
    }

    /// Whether the key still names this file (another writer may have replaced it since).
    fn is_current(&self) -> bool;
}

/// A new content of a key under construction.
pub trait NewFile: Send + Sync {
    fn write_at(&self, offset: u64, bytes: &[u8]) -> Result<()>;

    /// Sets the length: a raw WKW file is sized first and its unwritten blocks stay holes.
    fn set_len(&self, len: u64) -> Result<()>;

    /// Makes the content durable and puts it in place of the key's old one.
    fn commit(self: Box<Self>) -> Result<()>;
}

/// An existing file written in place.
pub trait UpdatableFile: Send + Sync {
    fn len(&self) -> u64;

    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn read_at(&self, buf: &mut [u8], offset: u64) -> Result<()>;
    fn write_at(&self, offset: u64, bytes: &[u8]) -> Result<()>;

    /// Locks the bytes `[start, end)` of the file against other writers in place.
    fn lock_bytes(&self, start: u64, end: u64) -> Result<LockGuard>;

    /// Makes the writes durable.
    fn sync(&self) -> Result<()>;
}

/// Held locks; dropping it releases them.
pub struct LockGuard {
    _release: Box<dyn Send + Sync>,
}

impl LockGuard {
    pub fn new(release: impl Send + Sync + 'static) -> Self {
        LockGuard { _release: Box::new(release) }
    }
}

/// Deletes `key` and every key under it, for stores whose "directories" are only prefixes of
/// keys (object stores; memory).
pub fn delete_tree(store: &dyn Store, key: &str) -> Result<()> {
    for name in store.list(key)? {
        delete_tree(store, &format!("{key}/{name}"))?;
    }
    store.delete(key)
}
