//! Reading one data file `z<Z>/y<Y>/x<X>.wkw`: its own header, its jump table and its blocks.

use crate::error::{Error, IoContext, Result};
use crate::header::{BlockType, Header, HEADER_SIZE};
use crate::lz4;
use crate::scratch::{with_buffer, STORED};
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

pub struct DataFile {
    path: PathBuf,
    file: File,
    header: Header,
    /// For compressed files: the absolute end offset of every block, validated on open.
    jump_table: Vec<u64>,
    len: u64,
}

impl DataFile {
    /// Opens the data file at `path` of a dataset whose `header.wkw` is `dataset`. A missing file
    /// is `None` (it reads as zeros); a file no valid writer could have produced is `Corrupt`.
    pub fn open(path: &Path, dataset: &Header) -> Result<Option<DataFile>> {
        let file = match File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io("open", path, e)),
        };
        let len = file.metadata().at("read the size of", path)?.len();
        let mut bytes = [0u8; HEADER_SIZE];
        read_exact_or_corrupt(&file, &mut bytes, 0, path, "Header is truncated")?;
        let header = Header::parse(&bytes, path)?;
        if !dataset.is_layout_compatible(&header) {
            return Err(Error::corrupt(
                path,
                format!(
                    "Data file header ({} × {} bytes, file edge {}) does not match the dataset ({} × {} bytes, file edge {})",
                    header.voxel_type.name(),
                    header.voxel_size,
                    header.file_edge(),
                    dataset.voxel_type.name(),
                    dataset.voxel_size,
                    dataset.file_edge()
                ),
            ));
        }
        let expected_offset = header.for_data_file().data_offset;
        let jump_table = match header.block_type {
            BlockType::Raw if header.data_offset < HEADER_SIZE as u64 => {
                return Err(Error::corrupt(path, format!("Data offset {} is invalid", header.data_offset)));
            }
            BlockType::Raw => Vec::new(),
            _ if header.data_offset != expected_offset => {
                return Err(Error::corrupt(
                    path,
                    format!("Data offset {} is invalid, expected {expected_offset}", header.data_offset),
                ));
            }
            _ => read_jump_table(&file, &header, path)?,
        };
        Ok(Some(DataFile { path: path.to_owned(), file, header, jump_table, len }))
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Byte range `[start, end)` of block `index` in the file.
    fn span(&self, index: u64) -> (u64, u64) {
        match self.header.block_type {
            BlockType::Raw => {
                let start = self.header.data_offset + index * self.header.block_bytes() as u64;
                (start, start + self.header.block_bytes() as u64)
            }
            _ => {
                let i = index as usize;
                let start = if i == 0 { self.header.data_offset } else { self.jump_table[i - 1] };
                (start, self.jump_table[i])
            }
        }
    }

    /// Reads block `index` into `out`, decompressing if needed.
    pub fn read_block(&self, index: u64, out: &mut [u8]) -> Result<()> {
        let (start, end) = self.span(index);
        self.check_end(end)?;
        if self.header.block_type == BlockType::Raw {
            return read_exact_or_corrupt(&self.file, out, start, &self.path, "Block is truncated");
        }
        with_buffer(&STORED, (end - start) as usize, |stored| {
            read_exact_or_corrupt(&self.file, stored, start, &self.path, "Block is truncated")?;
            lz4::decompress(stored, out).map_err(|what| Error::corrupt(&self.path, format!("{what} (block {index})")))
        })
    }

    fn check_end(&self, end: u64) -> Result<()> {
        if end > self.len {
            return Err(Error::corrupt(
                &self.path,
                format!("Block ending at byte {end} is truncated (file ends at byte {})", self.len),
            ));
        }
        Ok(())
    }

    /// The stored bytes of block `index` of a compressed file, for copying it unchanged.
    pub fn read_compressed_block(&self, index: u64) -> Result<Vec<u8>> {
        let (start, end) = self.span(index);
        self.check_end(end)?;
        let mut bytes = vec![0u8; (end - start) as usize];
        read_exact_or_corrupt(&self.file, &mut bytes, start, &self.path, "Block is truncated")?;
        Ok(bytes)
    }
}

fn read_exact_or_corrupt(file: &File, buf: &mut [u8], offset: u64, path: &Path, what: &str) -> Result<()> {
    match file.read_exact_at(buf, offset) {
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Err(Error::corrupt(path, what)),
        other => other.at("read", path),
    }
}

/// Reads and checks the jump table: end offsets must increase, and no span may exceed what LZ4
/// can produce from one block, otherwise decoding would read garbage.
fn read_jump_table(file: &File, header: &Header, path: &Path) -> Result<Vec<u64>> {
    let n = header.blocks_per_file() as usize;
    let mut bytes = vec![0u8; 8 * n];
    read_exact_or_corrupt(file, &mut bytes, HEADER_SIZE as u64, path, "Jump table is truncated")?;
    let bound = lz4::compress_bound(header.block_bytes()) as u64;
    let mut previous = header.data_offset;
    let mut table = Vec::with_capacity(n);
    for (i, entry) in bytes.chunks_exact(8).enumerate() {
        let end = u64::from_le_bytes(entry.try_into().unwrap());
        if end <= previous || end - previous > bound {
            return Err(Error::corrupt(
                path,
                format!("Corrupt jump table (entry {i} is {end}, previous end {previous})"),
            ));
        }
        table.push(end);
        previous = end;
    }
    Ok(table)
}
