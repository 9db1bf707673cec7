//! Writing one shard file whole, from a [`ChunkSource`]: batches of chunks are produced and
//! encoded in parallel while the previous batch goes to the file, so only two batches are ever
//! held in memory, whatever the size of the shard. The file appears complete or not at all.

use crate::chunk_source::{Chunk, ChunkSource};
use crate::format::{Framing, ShardFormat, ZeroChunks};
use bytes::Bytes;
use rayon::prelude::*;
use std::ops::Range;
use storage::{NewFile, Store};
use voxel::scratch::{with_buffer, PRODUCED};
use voxel::{BoundingBox, Control, Result};

/// Encoded bytes are collected up to this size before they go to the file.
const FLUSH_BYTES: usize = 8 << 20;
/// Raw bytes of the chunks produced and encoded in parallel between two appends.
const BATCH_BYTES: usize = 16 << 20;
/// Chunks per batch at least: every batch costs a round of waking the pool's threads, which for
/// shards of small chunks (most of them stored, in a rewrite) outweighed the work itself.
const MIN_BATCH_CHUNKS: usize = 512;
const MAX_BATCH_BYTES: usize = 64 << 20;

/// The box (array voxels) of the chunk in `slot` of the shard whose first voxel is `origin`.
pub fn chunk_box<F: ShardFormat>(format: &F, origin: [u64; 3], slot: u64) -> BoundingBox {
    let shape = format.info().chunk_shape;
    let chunk = format.chunk_of_slot(slot);
    BoundingBox::new([0, 1, 2].map(|i| origin[i] + chunk[i] * shape[i]), shape)
}

/// Writes every chunk of shard `shard` of `format` in `store` from `source`.
pub fn write_shard<F: ShardFormat>(
    format: &F,
    store: &dyn Store,
    shard: [u64; 3],
    source: &mut dyn ChunkSource,
    control: &Control,
) -> Result<()> {
    let info = format.info();
    let origin = BoundingBox::cell(shard, info.shard_shape).min;
    let key = format.shard_key(shard);
    let n = info.chunks_in_shard();
    let chunk_bytes = info.chunk_bytes();
    let floor = MIN_BATCH_CHUNKS.min(MAX_BATCH_BYTES / chunk_bytes);
    let batch = (BATCH_BYTES / chunk_bytes).max(floor).max(rayon::current_num_threads() * 2) as u64;
    let batches = (0..n).step_by(batch as usize).map(|start| start..(start + batch).min(n));
    let boxes = |range: Range<u64>| range.map(|slot| chunk_box(format, origin, slot)).collect::<Vec<_>>();
    match format.framing() {
        Framing::Fixed { header, offset } => {
            let file = store.create(&key)?;
            file.set_len(offset + n * chunk_bytes as u64)?;
            file.write_at(0, &header)?;
            for range in batches {
                control.checkpoint()?;
                let chunks = boxes(range.clone());
                source.prepare(&chunks)?;
                let source = &*source;
                chunks.into_par_iter().enumerate().try_for_each(|(i, chunk)| {
                    let slot = range.start + i as u64;
                    with_buffer(&PRODUCED, chunk_bytes, |buffer| {
                        let filled = match source.produce(&chunk, buffer)? {
                            Chunk::Filled => buffer.iter().any(|&b| b != 0),
                            Chunk::Zero => false,
                            Chunk::Stored(bytes) => {
                                format.decode(format.encoding(), &bytes, buffer, &key)?;
                                true
                            }
                        };
                        // Chunks of zeros stay holes of the file, as the reference leaves them.
                        if filled {
                            let at = offset + slot * chunk_bytes as u64;
                            control.timings.time(&control.timings.write, || file.write_at(at, buffer))?;
                        }
                        Ok(())
                    })
                })?;
            }
            control.timings.time(&control.timings.write, || file.commit())
        }
        Framing::Appended { reserve, zero_chunks } => {
            write_appended(format, store, &key, batches, &boxes, source, control, reserve, zero_chunks)
        }
        Framing::Single => {
            control.checkpoint()?;
            let chunks = boxes(0..1);
            source.prepare(&chunks)?;
            let stored = with_buffer(&PRODUCED, chunk_bytes, |buffer| {
                Ok::<_, voxel::Error>(match source.produce(&chunks[0], buffer)? {
                    Chunk::Filled if buffer.iter().any(|&b| b != 0) => Some(encode(format, buffer, control)?),
                    Chunk::Filled | Chunk::Zero => None,
                    Chunk::Stored(bytes) => Some(bytes.into()),
                })
            })?;
            control.timings.time(&control.timings.write, || match stored {
                Some(bytes) => store.put(&key, &bytes),
                None => store.delete(&key),
            })
        }
    }
}

fn encode<F: ShardFormat>(format: &F, raw: &[u8], control: &Control) -> Result<Vec<u8>> {
    control.timings.time(&control.timings.compress, || format.encode(raw))
}

/// The appended framing: encoded chunks go to the file in slot order.
#[allow(clippy::too_many_arguments)]
fn write_appended<F: ShardFormat>(
    format: &F,
    store: &dyn Store,
    key: &str,
    batches: impl Iterator<Item = Range<u64>>,
    boxes: &(dyn Fn(Range<u64>) -> Vec<BoundingBox> + Sync),
    source: &mut dyn ChunkSource,
    control: &Control,
    reserve: u64,
    zero_chunks: ZeroChunks,
) -> Result<()> {
    let chunk_bytes = format.info().chunk_bytes();
    let zero = match zero_chunks {
        ZeroChunks::Stored => Some(Bytes::from(encode(format, &vec![0u8; chunk_bytes], control)?)),
        ZeroChunks::Omitted => None,
    };
    let mut produce_batch = |range: Range<u64>| -> Result<Vec<Option<Bytes>>> {
        control.checkpoint()?;
        let chunks = boxes(range);
        source.prepare(&chunks)?;
        let source = &*source;
        chunks
            .into_par_iter()
            .map(|chunk| {
                with_buffer(&PRODUCED, chunk_bytes, |buffer| match source.produce(&chunk, buffer)? {
                    Chunk::Filled if zero.is_none() && buffer.iter().all(|&b| b == 0) => Ok(None),
                    Chunk::Filled => encode(format, buffer, control).map(|bytes| Some(bytes.into())),
                    Chunk::Zero => Ok(zero.clone()),
                    Chunk::Stored(bytes) => Ok(Some(bytes)),
                })
            })
            .collect()
    };
    let mut sink = Appender { file: None, store, key, position: reserve, pending: Vec::new(), spans: Vec::new() };
    let mut previous = Vec::new();
    for range in batches {
        let (produced, written) = rayon::join(
            || produce_batch(range),
            || control.timings.time(&control.timings.write, || sink.append_all(&previous)),
        );
        written?;
        previous = produced?;
    }
    control.timings.time(&control.timings.write, || {
        sink.append_all(&previous)?;
        // Nothing stored: the shard is all fill value, which is no file at all.
        if sink.spans.iter().all(Option::is_none) {
            return store.delete(key);
        }
        sink.flush()?;
        let Appender { file, spans, position: end, .. } = sink;
        let file = file.expect("flushed");
        let (head, tail) = format.finish(&spans)?;
        debug_assert!(head.len() as u64 <= reserve);
        if !head.is_empty() {
            file.write_at(0, &head)?;
        }
        file.write_at(end, &tail)?;
        file.set_len(end + tail.len() as u64)?;
        file.commit()
    })
}

struct Appender<'a> {
    /// Created with the first stored chunk.
    file: Option<Box<dyn NewFile>>,
    store: &'a dyn Store,
    key: &'a str,
    position: u64,
    pending: Vec<u8>,
    spans: Vec<Option<(u64, u64)>>,
}

impl Appender<'_> {
    fn append_all(&mut self, chunks: &[Option<Bytes>]) -> Result<()> {
        for chunk in chunks {
            match chunk {
                None => self.spans.push(None),
                Some(bytes) => {
                    let start = self.position;
                    self.pending.extend_from_slice(bytes);
                    self.position += bytes.len() as u64;
                    self.spans.push(Some((start, self.position)));
                }
            }
        }
        if self.pending.len() >= FLUSH_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if self.file.is_none() {
            self.file = Some(self.store.create(self.key)?);
        }
        let start = self.position - self.pending.len() as u64;
        self.file.as_ref().unwrap().write_at(start, &self.pending)?;
        self.pending.clear();
        Ok(())
    }
}
