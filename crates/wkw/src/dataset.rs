//! A WKW dataset: one directory with `header.wkw` and the data files `z<Z>/y<Y>/x<X>.wkw`.

use crate::bbox::{copy_region, BoundingBox, SharedBuffer};
use crate::control::Control;
use crate::data_file::DataFile;
use crate::error::{Error, ErrorKind, IoContext, Result};
use crate::file_writer::{write_all_blocks, write_atomically, Block, FileWriter};
use crate::header::{BlockType, Header};
use crate::huge_pages;
use crate::morton;
use crate::scratch::{with_buffer, BLOCK, STAGING};
use rayon::prelude::*;
use std::collections::HashMap;
use std::fs::{self, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub const HEADER_FILE: &str = "header.wkw";

/// Blocks read or written with one system call at most.
const RUN_BYTES: usize = 4 << 20;

pub const UNALIGNED_COMPRESSED_WRITE: &str = "When writing compressed files, each file has to be written as a whole. \
Please pad your data so that all cubes are complete and the write position is block-aligned.";

#[derive(Debug, Clone)]
pub struct Dataset {
    root: PathBuf,
    header: Header,
}

impl Dataset {
    /// Creates the directory (if needed) and its `header.wkw`; no data file is written.
    pub fn create(root: &Path, header: Header) -> Result<Dataset> {
        let header_path = root.join(HEADER_FILE);
        if header_path.exists() {
            return Err(Error::new(
                ErrorKind::AlreadyExists,
                format!("Header \"{}\" already exists", header_path.display()),
            ));
        }
        fs::create_dir_all(root).at("create the directory", root)?;
        let header = header.for_dataset();
        write_atomically(&header_path, &header.to_bytes())?;
        Ok(Dataset { root: root.to_owned(), header })
    }

    pub fn open(root: &Path) -> Result<Dataset> {
        let header_path = root.join(HEADER_FILE);
        let bytes = match fs::read(&header_path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::new(
                    ErrorKind::NotFound,
                    format!("No WKW dataset at \"{}\": \"{}\" is missing", root.display(), header_path.display()),
                ));
            }
            Err(e) => return Err(Error::io("read", &header_path, e)),
        };
        let header = Header::parse(&bytes, &header_path)?.for_dataset();
        Ok(Dataset { root: root.to_owned(), header })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Path of the data file of cube `[x, y, z]` (cube index = voxel / file edge).
    pub fn file_path(&self, [x, y, z]: [u64; 3]) -> PathBuf {
        self.root.join(format!("z{z}")).join(format!("y{y}")).join(format!("x{x}.wkw"))
    }

    /// Cube indices of the data files that exist, sorted by z, then y, then x.
    pub fn cube_files(&self) -> Result<Vec<[u64; 3]>> {
        let mut cubes = Vec::new();
        for (z, z_dir) in numbered_entries(&self.root, "z", "")? {
            for (y, y_dir) in numbered_entries(&z_dir, "y", "")? {
                for (x, _) in numbered_entries(&y_dir, "x", ".wkw")? {
                    cubes.push([x, y, z]);
                }
            }
        }
        cubes.sort_by_key(|&[x, y, z]| (z, y, x));
        Ok(cubes)
    }

    /// A reader that keeps the data files it opened, for many reads of nearby regions.
    pub fn reader(&self) -> Reader<'_> {
        Reader { dataset: self, files: Mutex::new(HashMap::new()) }
    }

    /// Reads `region` into `out` (Fortran order, all channels per voxel); missing data reads as 0.
    pub fn read(&self, region: &BoundingBox, out: &mut [u8]) -> Result<()> {
        self.reader().read(region, out)
    }

    /// Writes `data` (covering `region`) into the dataset. Compressed files can only be written as
    /// a whole; with `pad_compressed` the rest of each touched file is taken from disk instead.
    pub fn write(&self, region: &BoundingBox, data: &[u8], pad_compressed: bool) -> Result<()> {
        let voxel_size = self.header.voxel_size as usize;
        check_buffer(region, data.len(), voxel_size)?;
        let edge = self.header.file_edge();
        if self.header.block_type.is_compressed() && !pad_compressed && !region.is_aligned(edge) {
            return Err(Error::invalid(format!("{UNALIGNED_COMPRESSED_WRITE} (dataset \"{}\")", self.root.display())));
        }
        let source = Source { data, region, voxel_size };
        region.cells(edge).into_par_iter().try_for_each(|cube| self.write_file(cube, &source))
    }

    fn write_file(&self, cube: [u64; 3], source: &Source) -> Result<()> {
        let cube_box = BoundingBox::cell(cube, self.header.file_edge());
        let part = cube_box.intersect(source.region).expect("cube of the region");
        let path = self.file_path(cube);
        let old = if part == cube_box { None } else { DataFile::open(&path, &self.header)? };
        if let Some(old) = old.as_ref().filter(|f| !f.header().block_type.is_compressed()) {
            return write_raw_in_place(&path, old, cube_box.min, &part, source);
        }
        let block_type = old.as_ref().map_or(self.header.block_type, |f| f.header().block_type);
        let header = self.header.with_block_type(block_type);
        let writer = FileWriter::create(&path, &header)?;
        write_all_blocks(writer, &Control::default(), &|index, buffer| {
            let block_box = block_box(&header, cube_box.min, index);
            let overlap = block_box.intersect(&part);
            if overlap == Some(block_box) {
                source.copy_into(buffer, &block_box, &block_box);
                return Ok(Block::Filled);
            }
            let kept = match &old {
                Some(old) => read_block_of(old, cube_box.min, &header, index, overlap.is_none(), buffer)?,
                None if overlap.is_some() => {
                    buffer.fill(0);
                    Block::Filled
                }
                None => Block::Zero,
            };
            match overlap {
                None => Ok(kept),
                Some(overlap) => {
                    source.copy_into(buffer, &block_box, &overlap);
                    Ok(Block::Filled)
                }
            }
        })
    }

    /// Copies `region` of `source` into this dataset. Every data file of this dataset that `region`
    /// touches is written whole from blocks read from `source` (voxels outside `region` become 0),
    /// so memory stays at a few blocks per thread whatever the size of the region.
    pub fn copy_from(&self, source: &Dataset, region: &BoundingBox, control: &Control) -> Result<()> {
        if source.header.voxel_type != self.header.voxel_type || source.header.voxel_size != self.header.voxel_size {
            return Err(Error::invalid(format!(
                "Cannot copy {} × {} bytes from \"{}\" into {} × {} bytes in \"{}\"",
                source.header.voxel_type.name(),
                source.header.voxel_size,
                source.root.display(),
                self.header.voxel_type.name(),
                self.header.voxel_size,
                self.root.display()
            )));
        }
        let cubes = region.cells(self.header.file_edge());
        control.start(cubes.len() as u64);
        cubes.into_par_iter().try_for_each(|cube| {
            control.checkpoint()?;
            let cube_box = BoundingBox::cell(cube, self.header.file_edge());
            let part = cube_box.intersect(region).expect("cube of the region");
            // One reader per file: it keeps only the source files this file needs.
            let reader = source.reader();
            let writer = FileWriter::create(&self.file_path(cube), &self.header)?;
            write_all_blocks(writer, control, &|index, buffer| {
                let block = block_box(&self.header, cube_box.min, index);
                match block.intersect(&part) {
                    None => Ok(Block::Zero),
                    Some(overlap) => {
                        if overlap != block {
                            buffer.fill(0);
                        }
                        reader.read_into(&overlap, buffer, &block)?;
                        Ok(Block::Filled)
                    }
                }
            })?;
            control.file_done();
            Ok(())
        })
    }

    /// Compresses every data file with LZ4HC into the dataset at `target` (created here), or in
    /// place when `target` is this dataset's directory: each file is replaced by a rename, and
    /// `header.wkw` is switched to LZ4HC last.
    pub fn compress(&self, target: &Path, control: &Control) -> Result<Dataset> {
        let header = self.header.with_block_type(BlockType::Lz4Hc);
        let in_place = same_directory(&self.root, target);
        let target =
            if in_place { Dataset { root: self.root.clone(), header } } else { Dataset::create(target, header)? };
        let cubes = self.cube_files()?;
        control.start(cubes.len() as u64);
        cubes.into_par_iter().try_for_each(|cube| {
            control.checkpoint()?;
            if let Some(source) = DataFile::open(&self.file_path(cube), &self.header)? {
                let origin = BoundingBox::cell(cube, header.file_edge()).min;
                let writer = FileWriter::create(&target.file_path(cube), &header)?;
                write_all_blocks(writer, control, &|index, buffer| {
                    read_block_of(&source, origin, &header, index, true, buffer)
                })?;
            }
            control.file_done();
            Ok(())
        })?;
        if in_place {
            write_atomically(&self.root.join(HEADER_FILE), &header.to_bytes())?;
        }
        Ok(target)
    }
}

/// Reads regions of a dataset, keeping every data file it opened (with its jump table).
pub struct Reader<'d> {
    dataset: &'d Dataset,
    files: Mutex<HashMap<[u64; 3], Option<Arc<DataFile>>>>,
}

impl Reader<'_> {
    fn file(&self, cube: [u64; 3]) -> Result<Option<Arc<DataFile>>> {
        if let Some(file) = self.files.lock().unwrap().get(&cube) {
            return Ok(file.clone());
        }
        let file = DataFile::open(&self.dataset.file_path(cube), &self.dataset.header)?.map(Arc::new);
        self.files.lock().unwrap().insert(cube, file.clone());
        Ok(file)
    }

    /// Reads `region` into `out` (Fortran order, all channels per voxel); missing data reads as 0.
    pub fn read(&self, region: &BoundingBox, out: &mut [u8]) -> Result<()> {
        huge_pages::advise(out);
        self.read_into(region, out, region)
    }

    /// Reads `region` into the part it covers of `out`, a buffer covering `out_box`.
    pub fn read_into(&self, region: &BoundingBox, out: &mut [u8], out_box: &BoundingBox) -> Result<()> {
        let header = &self.dataset.header;
        let voxel_size = header.voxel_size as usize;
        check_buffer(out_box, out.len(), voxel_size)?;
        if !out_box.contains(region) {
            return Err(Error::invalid(format!("The box {region:?} is not inside the buffer's box {out_box:?}")));
        }
        let shared = SharedBuffer::new(out);
        let edge = header.file_edge();
        region.cells(edge).into_par_iter().try_for_each(|cube| {
            let cube_box = BoundingBox::cell(cube, edge);
            let part = cube_box.intersect(region).expect("cube of the region");
            match self.file(cube)? {
                // SAFETY: each cube fills its own part of the region.
                None => unsafe { shared.zero(out_box, &part, voxel_size) },
                Some(file) => read_part(&file, cube_box.min, &part, out_box, shared)?,
            }
            Ok(())
        })
    }
}

fn check_buffer(region: &BoundingBox, len: usize, voxel_size: usize) -> Result<()> {
    let expected = region.byte_len(voxel_size)?;
    if len != expected {
        return Err(Error::invalid(format!(
            "A buffer of {len} bytes does not match the box {:?} of size {:?} ({expected} bytes)",
            region.min, region.size
        )));
    }
    Ok(())
}

/// The voxels to write: `data` covers `region`.
struct Source<'a> {
    data: &'a [u8],
    region: &'a BoundingBox,
    voxel_size: usize,
}

impl Source<'_> {
    /// Copies `part` of the source into `block` (covering `block_box`).
    fn copy_into(&self, block: &mut [u8], block_box: &BoundingBox, part: &BoundingBox) {
        copy_region(block, block_box, self.data, self.region, part, self.voxel_size);
    }
}

/// Absolute box of block `index` of the file whose first voxel is `origin`.
fn block_box(header: &Header, origin: [u64; 3], index: u64) -> BoundingBox {
    let block_len = header.block_len() as u64;
    let local = BoundingBox::cell(morton::decode(index), block_len);
    BoundingBox::new([0, 1, 2].map(|i| origin[i] + local.min[i]), local.size)
}

/// Block `index` (in the geometry of `header`) of the file whose first voxel is `origin`, taken
/// from `file`. Stored bytes are reused unchanged when `unchanged` and the layouts agree.
fn read_block_of(
    file: &DataFile,
    origin: [u64; 3],
    header: &Header,
    index: u64,
    unchanged: bool,
    buffer: &mut [u8],
) -> Result<Block> {
    let same_layout = file.header().block_len_log2 == header.block_len_log2;
    if unchanged && same_layout && file.header().block_type == header.block_type {
        return Ok(Block::Compressed(file.read_compressed_block(index)?));
    }
    if same_layout {
        file.read_block(index, buffer)?;
    } else {
        let b = block_box(header, origin, index);
        read_part(file, origin, &b, &b, SharedBuffer::new(buffer))?;
    }
    Ok(Block::Filled)
}

/// Splits sorted block indices into runs of consecutive blocks of at most `max` blocks.
fn runs(indices: &[u64], max: u64) -> Vec<(u64, u64)> {
    let mut runs: Vec<(u64, u64)> = Vec::new();
    for &index in indices {
        match runs.last_mut() {
            Some((first, count)) if *first + *count == index && *count < max => *count += 1,
            _ => runs.push((index, 1)),
        }
    }
    runs
}

/// Sorted Morton indices of the blocks of the file at `origin` that `part` touches.
fn touched_blocks(header: &Header, origin: [u64; 3], part: &BoundingBox) -> Vec<u64> {
    let mut indices: Vec<u64> =
        part.relative_to(origin).cells(header.block_len() as u64).into_iter().map(morton::encode).collect();
    indices.sort_unstable();
    indices
}

/// Copies `part` of the file at `origin` into `out` (covering `out_box`).
///
/// Blocks are decoded a few at a time along x into a staging buffer laid out like the output,
/// which then goes to `out` in long contiguous rows. Copying each block's 32-byte rows straight
/// into a large output touches a new page every few rows, and those TLB misses made reads twice
/// as slow; the staging buffer stays small enough for the L2 cache.
fn read_part(
    file: &DataFile,
    origin: [u64; 3],
    part: &BoundingBox,
    out_box: &BoundingBox,
    out: SharedBuffer,
) -> Result<()> {
    let header = *file.header();
    let voxel_size = header.voxel_size as usize;
    let block_len = header.block_len() as u64;
    let local = part.relative_to(origin);
    let (lo, hi) = (local.min.map(|v| v / block_len), local.max().map(|v| (v - 1) / block_len));
    const STAGING_BYTES: usize = 512 << 10;
    let per_row = (STAGING_BYTES / header.block_bytes()).max(1) as u64;
    let rows: Vec<[u64; 3]> = (lo[2]..=hi[2])
        .flat_map(|bz| {
            (lo[1]..=hi[1]).flat_map(move |by| (lo[0]..=hi[0]).step_by(per_row as usize).map(move |bx| [bx, by, bz]))
        })
        .collect();
    rows.into_par_iter().try_for_each(|[first, by, bz]| {
        let last = (first + per_row - 1).min(hi[0]);
        let row_box = BoundingBox::new(
            [origin[0] + first * block_len, origin[1] + by * block_len, origin[2] + bz * block_len],
            [(last - first + 1) * block_len, block_len, block_len],
        )
        .intersect(part)
        .expect("row of the part");
        with_buffer(&STAGING, row_box.byte_len(voxel_size)?, |buffer| {
            with_buffer(&BLOCK, header.block_bytes(), |block| {
                for bx in first..=last {
                    let index = morton::encode([bx, by, bz]);
                    file.read_block(index, block)?;
                    let block_box = block_box(&header, origin, index);
                    let region = block_box.intersect(&row_box).expect("block of the row");
                    copy_region(buffer, &row_box, block, &block_box, &region, voxel_size);
                }
                Ok::<_, Error>(())
            })?;
            // SAFETY: rows of blocks are disjoint, so each fills its own part of `out`.
            unsafe { out.copy_from(out_box, buffer, &row_box, &row_box, voxel_size) };
            Ok(())
        })
    })
}

/// Writes `source` into an existing raw file: whole blocks directly, partial blocks by
/// read-modify-write. Header and length never change, so the file stays valid throughout.
fn write_raw_in_place(
    path: &Path,
    old: &DataFile,
    origin: [u64; 3],
    part: &BoundingBox,
    source: &Source,
) -> Result<()> {
    let header = *old.header();
    let file = OpenOptions::new().write(true).open(path).at("open for writing", path)?;
    let block_bytes = header.block_bytes();
    let indices = touched_blocks(&header, origin, part);
    let max = (RUN_BYTES / block_bytes).max(1) as u64;
    runs(&indices, max).into_par_iter().try_for_each(|(first, count)| {
        with_buffer(&STAGING, count as usize * block_bytes, |buffer| {
            for (i, block) in buffer.chunks_exact_mut(block_bytes).enumerate() {
                let index = first + i as u64;
                let block_box = block_box(&header, origin, index);
                let overlap = block_box.intersect(part).expect("touched block");
                if overlap != block_box {
                    old.read_block(index, block)?;
                }
                source.copy_into(block, &block_box, &overlap);
            }
            let offset = header.data_offset + first * block_bytes as u64;
            file.write_all_at(buffer, offset).at("write", path)
        })
    })
}

/// Entries of `dir` named `<prefix><number><suffix>`, with their numbers; a missing directory has none.
fn numbered_entries(dir: &Path, prefix: &str, suffix: &str) -> Result<Vec<(u64, PathBuf)>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io("list", dir, e)),
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.at("list", dir)?;
        let name = entry.file_name();
        let Some(digits) = name.to_str().and_then(|n| n.strip_prefix(prefix)).and_then(|n| n.strip_suffix(suffix))
        else {
            continue;
        };
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(n) = digits.parse() {
                found.push((n, entry.path()));
            }
        }
    }
    Ok(found)
}

fn same_directory(a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
