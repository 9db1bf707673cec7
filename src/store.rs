//! Byte stores of any location (a directory, `s3://`, `http(s)://`) for the files that
//! TypeScript owns: the properties JSON and the Zarr group metadata of remote datasets.

use crate::task::{spawn, Work};
use napi::bindgen_prelude::{AsyncTask, Buffer};
use napi_derive::napi;
use std::sync::Arc;
use storage::{RemoteOptions, Store};

/// Endpoint and credentials of an S3 location; unset fields come from the AWS variables.
#[napi(object)]
#[derive(Default)]
pub struct StorageOptions {
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
}

pub fn remote_options(options: Option<StorageOptions>) -> RemoteOptions {
    let o = options.unwrap_or_default();
    RemoteOptions {
        endpoint: o.endpoint,
        region: o.region,
        access_key_id: o.access_key_id,
        secret_access_key: o.secret_access_key,
    }
}

#[napi]
pub struct NativeStore {
    store: Arc<dyn Store>,
}

/// The store rooted at `location`.
#[napi(ts_return_type = "Promise<NativeStore>")]
pub fn open_store(location: String, storage: Option<StorageOptions>) -> AsyncTask<Work<NativeStore>> {
    let options = remote_options(storage);
    spawn(move || Ok(NativeStore { store: storage::open_location(&location, &options)? }))
}

#[napi]
impl NativeStore {
    /// The content of `key`, `null` when it does not exist.
    #[napi(ts_return_type = "Promise<Buffer | null>")]
    pub fn get(&self, key: String) -> AsyncTask<Work<Option<Buffer>>> {
        let store = self.store.clone();
        spawn(move || Ok(store.get(&key)?.map(Buffer::from)))
    }

    /// Replaces `key` with `bytes` in one step.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn put(&self, key: String, bytes: Buffer) -> AsyncTask<Work<()>> {
        let store = self.store.clone();
        let bytes = bytes.to_vec();
        spawn(move || store.put(&key, &bytes))
    }

    /// Names directly under `prefix`.
    #[napi(ts_return_type = "Promise<string[]>")]
    pub fn list(&self, prefix: String) -> AsyncTask<Work<Vec<String>>> {
        let store = self.store.clone();
        spawn(move || store.list(&prefix))
    }

    /// Deletes `key` and everything under it.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn delete_tree(&self, key: String) -> AsyncTask<Work<()>> {
        let store = self.store.clone();
        spawn(move || storage::delete_tree(&*store, &key))
    }
}
