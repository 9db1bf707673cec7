//! Objects of an S3 bucket or files behind HTTP(S), through the `object_store` crate, which
//! brings signing, retries with backoff on 5xx, timeouts and resets, and coalesced range reads.
//!
//! What an object store cannot give is said where it matters: there are no writes in place
//! (a changed shard is uploaded whole), no rename of a directory (a replacement is copied over
//! object by object) and no locks shared with other processes (writers in this process still
//! exclude each other; across processes the coordinator of a distributed run owns the
//! properties, and tasks own disjoint shards).

use crate::key::check_key;
use crate::lock_table::LockTable;
use crate::store::{LockGuard, NewFile, Store, StoredFile, UpdatableFile};
use bytes::Bytes;
use futures::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::http::HttpBuilder;
use object_store::path::Path as ObjectPath;
use object_store::{BackoffConfig, ClientOptions, ObjectStore, ObjectStoreExt, PutPayload, RetryConfig, WriteMultipart};
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::future::Future;
use std::os::unix::fs::FileExt;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::runtime::Runtime;
use voxel::{Error, ErrorKind, Result};

/// Objects up to this size go up in one request; larger ones as a multipart upload of parts of
/// this size, read from the local staging file part by part.
const PART_BYTES: usize = 16 << 20;

/// Endpoint and credentials of an S3 store; what is not given comes from the standard AWS
/// variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT_URL`).
#[derive(Debug, Clone, Default)]
pub struct RemoteOptions {
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
}

/// The store at a location: `s3://bucket/prefix`, `http(s)://host/path` (read-only), a
/// `file://` URL or a plain path.
pub fn open_location(location: &str, options: &RemoteOptions) -> Result<Arc<dyn Store>> {
    if let Some(rest) = location.strip_prefix("s3://") {
        return Ok(Arc::new(RemoteStore::s3(rest, options)?));
    }
    if location.starts_with("http://") || location.starts_with("https://") {
        return Ok(Arc::new(RemoteStore::http(location)?));
    }
    let path = location.strip_prefix("file://").unwrap_or(location);
    Ok(Arc::new(crate::LocalStore::new(path)))
}

/// The runtime the object stores' requests run on. Callers are native worker threads outside
/// any runtime, which block on their requests; the runtime's own threads only drive the I/O.
fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("wk-remote")
            .enable_all()
            .build()
            .expect("a runtime for remote I/O")
    })
}

fn block_on<T>(future: impl Future<Output = T>) -> T {
    runtime().block_on(future)
}

/// The lock table of each location, shared by every store opened on it in this process.
fn lock_table(url: &str) -> Arc<LockTable> {
    static TABLES: OnceLock<Mutex<HashMap<String, Arc<LockTable>>>> = OnceLock::new();
    TABLES.get_or_init(Default::default).lock().unwrap().entry(url.to_owned()).or_default().clone()
}

pub struct RemoteStore {
    store: Arc<dyn ObjectStore>,
    /// The key prefix of the root inside the bucket or server, without slashes at its ends.
    prefix: String,
    /// The root as a URL, for messages.
    url: String,
    writable: bool,
    locks: Arc<LockTable>,
}

impl std::fmt::Debug for RemoteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RemoteStore({})", self.url)
    }
}

fn client_options() -> ClientOptions {
    ClientOptions::new().with_connect_timeout(Duration::from_secs(10)).with_timeout(Duration::from_secs(60))
}

/// Transient failures (5xx, resets, timeouts, short bodies) are retried five times within about
/// three seconds of backoff, then reported: a server that keeps failing is an error in seconds,
/// not after the crate's default three minutes.
fn retry_config() -> RetryConfig {
    RetryConfig {
        backoff: BackoffConfig { init_backoff: Duration::from_millis(100), max_backoff: Duration::from_secs(2), base: 2.0 },
        max_retries: 5,
        retry_timeout: Duration::from_secs(60),
    }
}

impl RemoteStore {
    /// `rest` is `bucket/prefix` of an `s3://` URL.
    fn s3(rest: &str, options: &RemoteOptions) -> Result<Self> {
        let rest = rest.trim_end_matches('/');
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(Error::invalid(format!("\"s3://{rest}\" names no bucket")));
        }
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .with_client_options(client_options())
            .with_retry(retry_config());
        let set = |value: &Option<String>| value.clone().filter(|v| !v.is_empty());
        if let Some(endpoint) = set(&options.endpoint) {
            builder = builder.with_endpoint(endpoint);
        }
        if let Some(region) = set(&options.region) {
            builder = builder.with_region(region);
        }
        if let Some(key) = set(&options.access_key_id) {
            builder = builder.with_access_key_id(key);
        }
        if let Some(secret) = set(&options.secret_access_key) {
            builder = builder.with_secret_access_key(secret);
        }
        // A custom endpoint (MinIO, moto, Ceph) takes the bucket in the path, and may be plain HTTP.
        let endpoint = set(&options.endpoint).or_else(|| std::env::var("AWS_ENDPOINT_URL").ok());
        if let Some(endpoint) = endpoint {
            builder = builder
                .with_virtual_hosted_style_request(false)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        let url = format!("s3://{rest}");
        let store = builder.build().map_err(|e| Error::invalid(format!("Cannot open \"{url}\": {e}")))?;
        Ok(RemoteStore {
            store: Arc::new(store),
            prefix: prefix.trim_matches('/').to_owned(),
            locks: lock_table(&url),
            url,
            writable: true,
        })
    }

    fn http(url: &str) -> Result<Self> {
        let url = url.trim_end_matches('/').to_owned();
        let store = HttpBuilder::new()
            .with_url(url.clone())
            .with_client_options(client_options().with_allow_http(true))
            .with_retry(retry_config())
            .build()
            .map_err(|e| Error::invalid(format!("Cannot open \"{url}\": {e}")))?;
        Ok(RemoteStore { store: Arc::new(store), prefix: String::new(), locks: lock_table(&url), url, writable: false })
    }

    fn path(&self, key: &str) -> Result<ObjectPath> {
        check_key(key)?;
        Ok(self.object_path(key))
    }

    fn object_path(&self, key: &str) -> ObjectPath {
        match (self.prefix.is_empty(), key.is_empty()) {
            (true, _) => ObjectPath::from(key),
            (false, true) => ObjectPath::from(self.prefix.as_str()),
            (false, false) => ObjectPath::from(format!("{}/{key}", self.prefix)),
        }
    }

    fn check_writable(&self) -> Result<()> {
        if self.writable {
            return Ok(());
        }
        Err(Error::new(ErrorKind::ReadOnly, format!("\"{}\" is read-only: HTTP(S) datasets cannot be written", self.url)))
    }

    /// Every object under the root, as keys relative to it.
    fn all_keys(&self) -> Result<Vec<String>> {
        let root = self.object_path("");
        let location = self.location("");
        let objects: Vec<_> = block_on(self.store.list(Some(&root)).try_collect())
            .map_err(|e| remote_error("list", &location, e))?;
        let skip = if self.prefix.is_empty() { 0 } else { self.prefix.len() + 1 };
        Ok(objects.into_iter().map(|o| o.location.as_ref()[skip..].to_owned()).collect())
    }
}

/// An error of the object store while doing `action` on `location`: a missing object is
/// `NotFound`, everything else (403, no credentials, a server that keeps failing) `Io`.
fn remote_error(action: &str, location: &str, error: object_store::Error) -> Error {
    let kind = match error {
        object_store::Error::NotFound { .. } => ErrorKind::NotFound,
        _ => ErrorKind::Io,
    };
    Error::new(kind, format!("Could not {action} \"{location}\": {error}"))
}

impl Store for RemoteStore {
    fn location(&self, key: &str) -> String {
        if key.is_empty() {
            self.url.clone()
        } else {
            format!("{}/{key}", self.url)
        }
    }

    fn open(&self, key: &str) -> Result<Option<Arc<dyn StoredFile>>> {
        let path = self.path(key)?;
        let location = self.location(key);
        match block_on(self.store.head(&path)) {
            Ok(meta) => Ok(Some(Arc::new(RemoteFile { store: self.store.clone(), path, len: meta.size, location }))),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(remote_error("open", &location, e)),
        }
    }

    fn create(&self, key: &str) -> Result<Box<dyn NewFile>> {
        self.check_writable()?;
        let path = self.path(key)?;
        let location = self.location(key);
        // Staged in an unlinked local file: memory stays bounded whatever the shard's size, and a
        // killed writer leaves nothing behind, neither here nor in the bucket.
        let staging = tempfile::tempfile().map_err(|e| Error::io("stage", &location, e))?;
        Ok(Box::new(RemoteNewFile { store: self.store.clone(), path, location, staging }))
    }

    fn open_for_update(&self, key: &str) -> Result<Option<Box<dyn UpdatableFile>>> {
        check_key(key)?;
        Ok(None)
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>> {
        if !prefix.is_empty() {
            check_key(prefix)?;
        }
        let root = self.object_path(prefix);
        let location = self.location(prefix);
        let listing =
            block_on(self.store.list_with_delimiter(Some(&root))).map_err(|e| remote_error("list", &location, e))?;
        let name = |p: &ObjectPath| p.filename().map(str::to_owned);
        let mut names: Vec<String> = listing
            .common_prefixes
            .iter()
            .filter_map(name)
            .chain(listing.objects.iter().filter_map(|o| name(&o.location)))
            .collect();
        names.sort();
        names.dedup();
        Ok(names)
    }

    fn delete(&self, key: &str) -> Result<()> {
        self.check_writable()?;
        let path = self.path(key)?;
        match block_on(self.store.delete(&path)) {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(remote_error("delete", &self.location(key), e)),
        }
    }

    /// An object store has no rename of a prefix: each object of the replacement is copied over
    /// on the server (each copy atomic on its own), objects it lacks are deleted, then the
    /// replacement. Readers during the exchange can meet a mix of old and new objects.
    fn replace_with(&self, replacement: &dyn Store) -> Result<()> {
        self.check_writable()?;
        let Some(replacement) = replacement.as_any().downcast_ref::<RemoteStore>() else {
            return Err(Error::invalid(format!(
                "\"{}\" cannot be replaced by \"{}\", which is not in the same object store",
                self.url,
                replacement.location("")
            )));
        };
        let new_keys = replacement.all_keys()?;
        let kept: HashSet<&str> = new_keys.iter().map(String::as_str).collect();
        for key in &new_keys {
            let (from, to) = (replacement.object_path(key), self.object_path(key));
            block_on(self.store.copy(&from, &to)).map_err(|e| remote_error("copy", &self.location(key), e))?;
        }
        for key in self.all_keys()? {
            if !kept.contains(key.as_str()) {
                block_on(self.store.delete(&self.object_path(&key)))
                    .map_err(|e| remote_error("delete", &self.location(&key), e))?;
            }
        }
        for key in &new_keys {
            block_on(self.store.delete(&replacement.object_path(key)))
                .map_err(|e| remote_error("delete", &replacement.location(key), e))?;
        }
        Ok(())
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn lock(&self, ranges: &[u64], exclusive: bool) -> Result<LockGuard> {
        Ok(LockGuard::new(self.locks.lock(ranges, exclusive)))
    }
}

struct RemoteFile {
    store: Arc<dyn ObjectStore>,
    path: ObjectPath,
    len: u64,
    location: String,
}

impl RemoteFile {
    fn check(&self, bytes: &Bytes, start: u64, len: usize) -> Result<()> {
        if bytes.len() == len {
            return Ok(());
        }
        Err(Error::corrupt(
            &self.location,
            format!("The server sent {} bytes for the {len} bytes from byte {start}", bytes.len()),
        ))
    }
}

impl StoredFile for RemoteFile {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_at(&self, buf: &mut [u8], offset: u64) -> Result<()> {
        if buf.is_empty() {
            return Ok(());
        }
        let end = offset.checked_add(buf.len() as u64).filter(|&end| end <= self.len).ok_or_else(|| {
            Error::corrupt(&self.location, format!("The file ends before byte {}", offset.saturating_add(buf.len() as u64)))
        })?;
        let bytes = block_on(self.store.get_range(&self.path, offset..end))
            .map_err(|e| remote_error("read", &self.location, e))?;
        self.check(&bytes, offset, buf.len())?;
        buf.copy_from_slice(&bytes);
        Ok(())
    }

    /// Adjacent and nearby ranges go in one request, and up to ten requests at once.
    fn read_ranges(&self, ranges: &[(u64, u64)]) -> Result<Vec<Bytes>> {
        if let Some(&(_, end)) = ranges.iter().find(|&&(start, end)| start > end || end > self.len) {
            return Err(Error::corrupt(&self.location, format!("The file ends before byte {end}")));
        }
        let wanted: Vec<_> = ranges.iter().map(|&(start, end)| start..end).collect();
        let parts = block_on(self.store.get_ranges(&self.path, &wanted))
            .map_err(|e| remote_error("read", &self.location, e))?;
        for (bytes, &(start, end)) in parts.iter().zip(ranges) {
            self.check(bytes, start, (end - start) as usize)?;
        }
        Ok(parts)
    }

    fn batch_reads(&self) -> bool {
        true
    }

    /// An open array keeps what it read of a remote file: a replacement by another process is
    /// seen when the array is opened again.
    fn is_current(&self) -> bool {
        true
    }
}

struct RemoteNewFile {
    store: Arc<dyn ObjectStore>,
    path: ObjectPath,
    location: String,
    staging: File,
}

impl RemoteNewFile {
    fn staged(&self, buf: &mut [u8], offset: u64) -> Result<()> {
        self.staging.read_exact_at(buf, offset).map_err(|e| Error::io("read the staged copy of", &self.location, e))
    }
}

impl NewFile for RemoteNewFile {
    fn write_at(&self, offset: u64, bytes: &[u8]) -> Result<()> {
        self.staging.write_all_at(bytes, offset).map_err(|e| Error::io("stage", &self.location, e))
    }

    fn set_len(&self, len: u64) -> Result<()> {
        self.staging.set_len(len).map_err(|e| Error::io("stage", &self.location, e))
    }

    /// One PUT, or a multipart upload for large files: the object appears whole or not at all.
    fn commit(self: Box<Self>) -> Result<()> {
        let len = self.staging.metadata().map_err(|e| Error::io("stage", &self.location, e))?.len();
        let fail = |e| remote_error("upload", &self.location, e);
        if len <= PART_BYTES as u64 {
            let mut bytes = vec![0u8; len as usize];
            self.staged(&mut bytes, 0)?;
            block_on(self.store.put(&self.path, PutPayload::from(bytes))).map_err(fail)?;
            return Ok(());
        }
        block_on(async {
            let upload = self.store.put_multipart(&self.path).await.map_err(fail)?;
            let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
            let mut part = vec![0u8; PART_BYTES];
            let mut offset = 0;
            while offset < len {
                let n = PART_BYTES.min((len - offset) as usize);
                // At most two parts in flight besides the one being read.
                writer.wait_for_capacity(2).await.map_err(fail)?;
                self.staged(&mut part[..n], offset)?;
                writer.write(&part[..n]);
                offset += n as u64;
            }
            writer.finish().await.map_err(fail)?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_choose_their_store() {
        let options = RemoteOptions::default();
        assert_eq!(open_location("file:///data/ds", &options).unwrap().location("a"), "/data/ds/a");
        assert_eq!(open_location("/data/ds", &options).unwrap().location("b"), "/data/ds/b");
        let http = open_location("http://127.0.0.1:1/data/ds/", &options).unwrap();
        assert_eq!(http.location("color/1/zarr.json"), "http://127.0.0.1:1/data/ds/color/1/zarr.json");
        let s3 = open_location("s3://bucket/data/ds", &RemoteOptions { region: Some("eu-west-1".into()), ..options.clone() });
        assert_eq!(s3.unwrap().location("x"), "s3://bucket/data/ds/x");
        assert_eq!(open_location("s3:///ds", &options).unwrap_err().kind, ErrorKind::InvalidArgument);
    }

    #[test]
    fn web_servers_are_read_only_and_keys_stay_inside() {
        let http = open_location("http://127.0.0.1:1/ds", &RemoteOptions::default()).unwrap();
        assert_eq!(http.create("zarr.json").err().unwrap().kind, ErrorKind::ReadOnly);
        assert_eq!(http.delete("zarr.json").unwrap_err().kind, ErrorKind::ReadOnly);
        assert_eq!(http.open("../secret").err().unwrap().kind, ErrorKind::InvalidArgument);
    }
}
