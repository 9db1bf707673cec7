//! Files in memory: for tests and the fuzz harness, where every file operation must cost nothing.

use crate::key::check_key;
use crate::lock_table::LockTable;
use crate::store::{LockGuard, NewFile, Store, StoredFile, UpdatableFile};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};
use voxel::{Error, Result};

type Files = Arc<RwLock<BTreeMap<String, Arc<Vec<u8>>>>>;

#[derive(Default, Clone)]
pub struct MemoryStore {
    files: Files,
    locks: Arc<LockTable>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MemoryStore({} files)", self.files.read().unwrap().len())
    }
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` directly, as a test sets up a file.
    pub fn insert(&self, key: &str, bytes: Vec<u8>) {
        self.files.write().unwrap().insert(key.to_owned(), Arc::new(bytes));
    }

    pub fn keys(&self) -> Vec<String> {
        self.files.read().unwrap().keys().cloned().collect()
    }
}

impl Store for MemoryStore {
    fn location(&self, key: &str) -> String {
        format!("memory://{key}")
    }

    fn open(&self, key: &str) -> Result<Option<Arc<dyn StoredFile>>> {
        check_key(key)?;
        let bytes = self.files.read().unwrap().get(key).cloned();
        Ok(bytes.map(|bytes| Arc::new(MemoryFile { bytes, key: key.to_owned(), files: self.files.clone() }) as _))
    }

    fn create(&self, key: &str) -> Result<Box<dyn NewFile>> {
        check_key(key)?;
        Ok(Box::new(MemoryNewFile { key: key.to_owned(), bytes: Mutex::new(Vec::new()), files: self.files.clone() }))
    }

    fn open_for_update(&self, key: &str) -> Result<Option<Box<dyn UpdatableFile>>> {
        check_key(key)?;
        Ok(None)
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>> {
        let start = if prefix.is_empty() { String::new() } else { format!("{prefix}/") };
        let mut names: Vec<String> = self
            .files
            .read()
            .unwrap()
            .keys()
            .filter_map(|k| k.strip_prefix(&start))
            .map(|rest| rest.split('/').next().unwrap().to_owned())
            .collect();
        names.dedup();
        Ok(names)
    }

    fn delete(&self, key: &str) -> Result<()> {
        check_key(key)?;
        self.files.write().unwrap().remove(key);
        Ok(())
    }

    fn replace_with(&self, replacement: &dyn Store) -> Result<()> {
        let Some(replacement) = replacement.as_any().downcast_ref::<MemoryStore>() else {
            return Err(Error::invalid(format!("A memory store cannot be replaced by {}", replacement.location(""))));
        };
        let content = std::mem::take(&mut *replacement.files.write().unwrap());
        *self.files.write().unwrap() = content;
        Ok(())
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn lock(&self, ranges: &[u64], exclusive: bool) -> Result<LockGuard> {
        Ok(LockGuard::new(self.locks.lock(ranges, exclusive)))
    }
}

struct MemoryFile {
    bytes: Arc<Vec<u8>>,
    key: String,
    files: Files,
}

impl StoredFile for MemoryFile {
    fn len(&self) -> u64 {
        self.bytes.len() as u64
    }

    fn read_at(&self, buf: &mut [u8], offset: u64) -> Result<()> {
        let start = usize::try_from(offset).ok().filter(|&s| s <= self.bytes.len());
        match start.and_then(|s| self.bytes.get(s..s.checked_add(buf.len())?)) {
            Some(src) => {
                buf.copy_from_slice(src);
                Ok(())
            }
            None => Err(Error::corrupt(
                format!("memory://{}", self.key),
                format!("The file ends before byte {}", offset.saturating_add(buf.len() as u64)),
            )),
        }
    }

    fn is_current(&self) -> bool {
        self.files.read().unwrap().get(&self.key).is_some_and(|b| Arc::ptr_eq(b, &self.bytes))
    }
}

struct MemoryNewFile {
    key: String,
    bytes: Mutex<Vec<u8>>,
    files: Files,
}

impl NewFile for MemoryNewFile {
    fn write_at(&self, offset: u64, bytes: &[u8]) -> Result<()> {
        let mut content = self.bytes.lock().unwrap();
        let end = offset as usize + bytes.len();
        if content.len() < end {
            content.resize(end, 0);
        }
        content[offset as usize..end].copy_from_slice(bytes);
        Ok(())
    }

    fn set_len(&self, len: u64) -> Result<()> {
        self.bytes.lock().unwrap().resize(len as usize, 0);
        Ok(())
    }

    fn commit(self: Box<Self>) -> Result<()> {
        let bytes = std::mem::take(&mut *self.bytes.lock().unwrap());
        self.files.write().unwrap().insert(self.key.clone(), Arc::new(bytes));
        Ok(())
    }
}

