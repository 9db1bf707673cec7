//! Where the bytes of an array live (a local directory, S3, HTTP): a key-value store of whole files, read by byte ranges,
//! replaced atomically, and locked for the writers of several threads and processes. Formats
//! name their files by key and never touch the file system themselves, so a new backend is one
//! implementation of [`Store`].

mod key;
mod local;
mod lock_table;
mod memory;
mod ofd_lock;
mod remote;
mod store;

pub use key::check_key;
pub use local::LocalStore;
pub use memory::MemoryStore;
pub use ofd_lock::lock_directory;
pub use remote::{open_location, RemoteOptions};
pub use store::{delete_tree, LockGuard, NewFile, Store, StoredFile, UpdatableFile};
