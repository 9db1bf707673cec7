//! Writing whole data files: into a temporary file beside the target, renamed into place when
//! complete, so a crash or an abort never leaves a half-written `x<X>.wkw` behind.

use crate::control::Control;
use crate::error::{Error, IoContext, Result};
use crate::header::{Header, HEADER_SIZE};
use crate::lz4;
use crate::scratch::{with_buffer, COMPRESSED, PRODUCED};
use rayon::prelude::*;
use std::fs::{self, File, OpenOptions};
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Compressed bytes are collected up to this size before they go to disk.
const FLUSH_BYTES: usize = 8 << 20;
/// Raw bytes of the blocks produced and compressed in parallel between two appends.
const BATCH_BYTES: usize = 16 << 20;

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A name beside `path` that readers never take for a data file (they only read `x<N>.wkw`).
pub fn temporary_path(path: &Path) -> PathBuf {
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = path.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.{}-{n}.tmp", std::process::id()))
}

/// Writes `bytes` to `path` through a temporary file and a rename.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = temporary_path(path);
    let result = fs::write(&tmp, bytes).at("write", &tmp).and_then(|_| fs::rename(&tmp, path).at("rename into", path));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// A data file under construction. Raw blocks may be written in any order; compressed blocks are
/// appended in Morton order. Dropping an unfinished writer deletes its temporary file.
pub struct FileWriter {
    path: PathBuf,
    tmp: PathBuf,
    file: File,
    header: Header,
    jump_table: Vec<u64>,
    pending: Vec<u8>,
    position: u64,
    finished: bool,
}

impl FileWriter {
    /// Starts the data file `path` of a dataset with header `dataset`.
    pub fn create(path: &Path, dataset: &Header) -> Result<FileWriter> {
        let header = dataset.for_data_file();
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).at("create the directory", parent)?;
        }
        let tmp = temporary_path(path);
        let file = OpenOptions::new().read(true).write(true).create_new(true).open(&tmp).at("create", &tmp)?;
        let writer = FileWriter {
            path: path.to_owned(),
            tmp,
            file,
            header,
            jump_table: Vec::with_capacity(if header.block_type.is_compressed() {
                header.blocks_per_file() as usize
            } else {
                0
            }),
            pending: Vec::new(),
            position: header.data_offset,
            finished: false,
        };
        if !header.block_type.is_compressed() {
            // Full length from the start, as the reference does: unwritten blocks stay holes.
            let len = header.data_offset + header.blocks_per_file() * header.block_bytes() as u64;
            writer.file.set_len(len).at("resize", &writer.tmp)?;
            writer.file.write_all_at(&header.to_bytes(), 0).at("write", &writer.tmp)?;
        }
        Ok(writer)
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Writes raw block `index` at its place; safe to call from several threads.
    pub fn write_raw_block(&self, index: u64, block: &[u8]) -> Result<()> {
        debug_assert!(!self.header.block_type.is_compressed());
        let offset = self.header.data_offset + index * self.header.block_bytes() as u64;
        self.file.write_all_at(block, offset).at("write", &self.tmp)
    }

    /// Appends the next block (in Morton order) of a compressed file.
    pub fn append_compressed_block(&mut self, compressed: &[u8]) -> Result<()> {
        self.pending.extend_from_slice(compressed);
        self.position += compressed.len() as u64;
        self.jump_table.push(self.position);
        if self.pending.len() >= FLUSH_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        let start = self.position - self.pending.len() as u64;
        self.file.write_all_at(&self.pending, start).at("write", &self.tmp)?;
        self.pending.clear();
        Ok(())
    }

    /// Completes the file and renames it over `path`.
    pub fn finish(mut self) -> Result<()> {
        if self.header.block_type.is_compressed() {
            if self.jump_table.len() as u64 != self.header.blocks_per_file() {
                return Err(Error::invalid(format!(
                    "Only {} of {} blocks were written to \"{}\"",
                    self.jump_table.len(),
                    self.header.blocks_per_file(),
                    self.path.display()
                )));
            }
            self.flush()?;
            let mut head = Vec::with_capacity(HEADER_SIZE + 8 * self.jump_table.len());
            head.extend_from_slice(&self.header.to_bytes());
            for end in &self.jump_table {
                head.extend_from_slice(&end.to_le_bytes());
            }
            self.file.write_all_at(&head, 0).at("write", &self.tmp)?;
            self.file.set_len(self.position).at("resize", &self.tmp)?;
        }
        fs::rename(&self.tmp, &self.path).at("rename into", &self.path)?;
        self.finished = true;
        Ok(())
    }
}

impl Drop for FileWriter {
    fn drop(&mut self) {
        if !self.finished {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// What a producer made of one block.
pub enum Block {
    /// Every byte of the block buffer was written with the block's voxels.
    Filled,
    /// The block is all zeros.
    Zero,
    /// Already compressed bytes with the file's block type, stored unchanged.
    Compressed(Vec<u8>),
}

/// Writes every block of the file `writer` in Morton order. `produce(index, block)` is called in
/// parallel, with a buffer of one block whose content is unspecified (zeroing it first would cost
/// as much as a raw write); compression runs in parallel too, and only two batches of blocks are
/// held in memory: one being produced while the previous one is written.
pub fn write_all_blocks(
    writer: FileWriter,
    control: &Control,
    produce: &(dyn Fn(u64, &mut [u8]) -> Result<Block> + Sync),
) -> Result<()> {
    write_all_blocks_with(writer, control, &mut |_| Ok(()), &|_: &(), index, buffer| produce(index, buffer))
}

/// Fills the block of a Morton index from what its batch prepared.
pub type ProduceBlock<'a, S> = dyn Fn(&S, u64, &mut [u8]) -> Result<Block> + Sync + 'a;

/// [`write_all_blocks`] for producers that work on more than one block at a time: before the
/// blocks of a batch (a range of Morton indices) are produced, `prepare(range)` makes what they
/// share, and each `produce(&prepared, index, block)` takes its block from it.
pub fn write_all_blocks_with<S: Sync>(
    mut writer: FileWriter,
    control: &Control,
    prepare: &mut (dyn FnMut(Range<u64>) -> Result<S> + Send),
    produce: &ProduceBlock<'_, S>,
) -> Result<()> {
    let header = *writer.header();
    let n = header.blocks_per_file();
    let block_bytes = header.block_bytes();
    let batch = (BATCH_BYTES / block_bytes).max(rayon::current_num_threads() * 2) as u64;
    let batches = (0..n).step_by(batch as usize).map(|start| start..(start + batch).min(n));
    if !header.block_type.is_compressed() {
        for range in batches {
            control.checkpoint()?;
            let prepared = prepare(range.clone())?;
            let shared = &writer;
            range.into_par_iter().try_for_each(|index| {
                with_buffer(&PRODUCED, block_bytes, |buffer| match produce(&prepared, index, buffer)? {
                    Block::Filled if buffer.iter().any(|&b| b != 0) => {
                        control.timings.time(&control.timings.write, || shared.write_raw_block(index, buffer))
                    }
                    Block::Filled | Block::Zero => Ok(()),
                    Block::Compressed(bytes) => {
                        lz4::decompress(&bytes, buffer).map_err(Error::invalid)?;
                        shared.write_raw_block(index, buffer)
                    }
                })
            })?;
        }
        return writer.finish();
    }
    let compress = |raw: &[u8]| -> Result<Vec<u8>> {
        control.timings.time(&control.timings.compress, || {
            // Into a reused buffer: a fresh one of the compress bound per block was zero-filled
            // first, which cost as much memory traffic as a raw write.
            with_buffer(&COMPRESSED, lz4::compress_bound(raw.len()), |out| {
                let n = lz4::compress(raw, header.block_type, out).map_err(Error::invalid)?;
                Ok(out[..n].to_vec())
            })
        })
    };
    let zero_block = compress(&vec![0u8; block_bytes])?;
    let mut produce_batch = |range: Range<u64>| -> Result<Vec<Vec<u8>>> {
        control.checkpoint()?;
        let prepared = prepare(range.clone())?;
        range
            .into_par_iter()
            .map(|index| {
                with_buffer(&PRODUCED, block_bytes, |buffer| match produce(&prepared, index, buffer)? {
                    Block::Filled => compress(buffer),
                    Block::Zero => Ok(zero_block.clone()),
                    Block::Compressed(bytes) => Ok(bytes),
                })
            })
            .collect()
    };
    let mut previous: Vec<Vec<u8>> = Vec::new();
    for range in batches {
        let (produced, written) = rayon::join(
            || produce_batch(range),
            || {
                control.timings.time(&control.timings.write, || {
                    previous.iter().try_for_each(|block| writer.append_compressed_block(block))
                })
            },
        );
        written?;
        previous = produced?;
    }
    control.timings.time(&control.timings.write, || {
        previous.iter().try_for_each(|block| writer.append_compressed_block(block))?;
        writer.finish()
    })
}
