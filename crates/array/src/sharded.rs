//! The engine every format runs on: reads of any box, writes of any box, whole shards from a
//! source, locks and the cache of open shard files. A format only says where a
//! shard's chunks are and how they are encoded ([`ShardFormat`]).

use crate::chunk_source::{Chunk, ChunkSource};
use crate::chunked::ChunkedArray;
use crate::format::{Framing, ShardFormat, ShardLayout, Spans};
use crate::info::ArrayInfo;
use crate::shard_writer::{chunk_box, write_shard};
use bytes::Bytes;
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use storage::{LockGuard, Store, StoredFile};
use voxel::scratch::{with_buffer, BLOCK, STAGING, STORED};
use voxel::{copy_region, BoundingBox, Control, Error, Result, SharedBuffer};

/// Lock range of the whole array; shards take the ranges after it.
const ARRAY_LOCK: u64 = 0;

/// Unencoded chunks are read or written with one call at most.
const RUN_BYTES: usize = 4 << 20;

/// Open shard files kept per array; beyond this the cache starts afresh, so that an array never
/// holds more file descriptors than this.
const MAX_OPEN_SHARDS: usize = 256;

/// The lock range of a shard: its Morton index for shards below 2^20 per axis (every dataset in
/// practice), a hash above, which at worst makes two shards share a lock.
fn shard_lock(shard: [u64; 3]) -> u64 {
    if shard.iter().all(|&c| c < 1 << 20) {
        let spread = |v: u64| (0..20).fold(0u64, |acc, bit| acc | ((v >> bit) & 1) << (3 * bit));
        1 + (spread(shard[0]) | spread(shard[1]) << 1 | spread(shard[2]) << 2)
    } else {
        let h = shard.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &c| (h ^ c).wrapping_mul(0x0100_0000_01b3));
        (1 << 61) + (h >> 3)
    }
}

/// The longest stored chunk any encoding makes of `raw` bytes; a longer span is corrupt.
fn stored_bound(raw: usize) -> u64 {
    raw as u64 + raw as u64 / 64 + 4096
}

/// A shard file and its framing.
pub struct OpenShard<E> {
    file: Arc<dyn StoredFile>,
    layout: ShardLayout<E>,
    location: String,
}

struct State<F> {
    format: Arc<F>,
    /// The metadata file as it was read: when it is replaced, the format is read again.
    metadata: Option<Arc<dyn StoredFile>>,
}

/// Open shard files by shard coordinates.
type ShardCache<E> = Mutex<HashMap<[u64; 3], Arc<OpenShard<E>>>>;

pub struct ShardedArray<F: ShardFormat> {
    store: Arc<dyn Store>,
    state: RwLock<State<F>>,
    open_shards: ShardCache<F::Encoding>,
}

impl<F: ShardFormat> std::fmt::Debug for ShardedArray<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ShardedArray({})", self.store.location(""))
    }
}

impl<F: ShardFormat> ShardedArray<F> {
    pub fn open(store: Arc<dyn Store>) -> Result<Self> {
        let format = F::open(&*store)?;
        let metadata = store.open(format.metadata_key())?;
        Ok(ShardedArray {
            store,
            state: RwLock::new(State { format: Arc::new(format), metadata }),
            open_shards: Mutex::new(HashMap::new()),
        })
    }

    /// Writes the metadata of a new array and opens it.
    pub fn create(store: Arc<dyn Store>, format: F) -> Result<Self> {
        format.save(&*store)?;
        Self::open(store)
    }

    /// The format as the metadata says now; read again when another writer replaced it.
    pub fn format(&self) -> Result<Arc<F>> {
        {
            let state = self.state.read().unwrap();
            if state.metadata.as_ref().is_some_and(|m| m.is_current()) {
                return Ok(state.format.clone());
            }
        }
        self.reload()
    }

    fn reload(&self) -> Result<Arc<F>> {
        let format = Arc::new(F::open(&*self.store)?);
        let metadata = self.store.open(format.metadata_key())?;
        *self.state.write().unwrap() = State { format: format.clone(), metadata };
        self.open_shards.lock().unwrap().clear();
        Ok(format)
    }

    /// The open file of shard `shard`, `None` when it has none.
    fn shard(&self, format: &F, shard: [u64; 3]) -> Result<Option<Arc<OpenShard<F::Encoding>>>> {
        if let Some(open) = self.open_shards.lock().unwrap().get(&shard) {
            if open.file.is_current() {
                return Ok(Some(open.clone()));
            }
        }
        let key = format.shard_key(shard);
        let Some(file) = self.store.open(&key)? else {
            self.forget(shard);
            return Ok(None);
        };
        let location = self.store.location(&key);
        let layout = format.read_layout(&*file, &location)?;
        if let Spans::Fixed { offset, stride } = layout.spans {
            if format.info().chunks_in_shard().checked_mul(stride).and_then(|len| len.checked_add(offset)).is_none() {
                return Err(Error::corrupt(&location, format!("Data offset {offset} is invalid")));
            }
        }
        let open = Arc::new(OpenShard { file, layout, location });
        let mut cache = self.open_shards.lock().unwrap();
        if cache.len() >= MAX_OPEN_SHARDS {
            cache.clear();
        }
        cache.insert(shard, open.clone());
        Ok(Some(open))
    }

    fn forget(&self, shard: [u64; 3]) {
        self.open_shards.lock().unwrap().remove(&shard);
    }

    /// Reads the chunk in `slot` of `open` into `out` (one chunk); `false` when it is not stored.
    fn read_chunk(
        &self,
        format: &F,
        open: &OpenShard<F::Encoding>,
        slot: u64,
        out: &mut [u8],
        prefetched: &Prefetched,
    ) -> Result<bool> {
        let Some((start, end)) = open.layout.span(slot) else { return Ok(false) };
        if end > open.file.len() {
            return Err(Error::corrupt(
                &open.location,
                format!("Chunk {slot} ending at byte {end} is truncated (the file ends at byte {})", open.file.len()),
            ));
        }
        let len = end - start;
        if format.is_unencoded(open.layout.encoding) {
            if len != out.len() as u64 {
                return Err(Error::corrupt(&open.location, format!("Chunk {slot} has {len} bytes, not {}", out.len())));
            }
            match prefetched.get(start, end) {
                Some(bytes) => out.copy_from_slice(&bytes),
                None => open.file.read_at(out, start)?,
            }
            return Ok(true);
        }
        if len > stored_bound(out.len()) {
            return Err(Error::corrupt(
                &open.location,
                format!("Chunk {slot} of {len} bytes is longer than any encoding of {} bytes", out.len()),
            ));
        }
        if let Some(stored) = prefetched.get(start, end) {
            return format.decode(open.layout.encoding, &stored, out, &open.location).map(|()| true);
        }
        with_buffer(&STORED, len as usize, |stored| {
            open.file.read_at(stored, start)?;
            format.decode(open.layout.encoding, stored, out, &open.location)
        })?;
        Ok(true)
    }

    /// The stored bytes of the chunk in `slot` of `open`, from `prefetched` when it holds them.
    fn stored_chunk(
        &self,
        format: &F,
        open: &OpenShard<F::Encoding>,
        slot: u64,
        prefetched: &Prefetched,
    ) -> Result<Option<Bytes>> {
        let Some((start, end)) = open.layout.span(slot) else { return Ok(None) };
        if end > open.file.len() || end - start > stored_bound(format.info().chunk_bytes()) {
            return Err(Error::corrupt(&open.location, format!("Chunk {slot} ending at byte {end} is invalid")));
        }
        if let Some(bytes) = prefetched.get(start, end) {
            return Ok(Some(bytes));
        }
        let mut bytes = vec![0u8; (end - start) as usize];
        open.file.read_at(&mut bytes, start)?;
        Ok(Some(bytes.into()))
    }

    /// Copies `part` of the shard at `origin` into `out` (covering `out_box`).
    ///
    /// Chunks are decoded a few at a time along x into a staging buffer laid out like the output,
    /// which then goes to `out` in long contiguous rows. Copying each chunk's short rows straight
    /// into a large output touches a new page every few rows, and those TLB misses made reads
    /// twice as slow; the staging buffer stays small enough for the L2 cache.
    fn read_part(
        &self,
        format: &F,
        open: &OpenShard<F::Encoding>,
        origin: [u64; 3],
        part: &BoundingBox,
        out_box: &BoundingBox,
        out: SharedBuffer,
    ) -> Result<()> {
        let info = format.info();
        let (voxel_size, chunk, chunk_bytes) = (info.voxel_size(), info.chunk_shape, info.chunk_bytes());
        let local = part.relative_to(origin);
        let lo = [0, 1, 2].map(|i| local.min[i] / chunk[i]);
        let hi = [0, 1, 2].map(|i| (local.max()[i] - 1) / chunk[i]);
        const STAGING_BYTES: usize = 512 << 10;
        let per_row = (STAGING_BYTES / chunk_bytes).max(1) as u64;
        let slots = (lo[2]..=hi[2])
            .flat_map(|cz| (lo[1]..=hi[1]).flat_map(move |cy| (lo[0]..=hi[0]).map(move |cx| format.slot([cx, cy, cz]))));
        let prefetched = Prefetched::read_batched(open, slots, stored_bound(chunk_bytes))?;
        let rows: Vec<[u64; 3]> = (lo[2]..=hi[2])
            .flat_map(|cz| {
                (lo[1]..=hi[1])
                    .flat_map(move |cy| (lo[0]..=hi[0]).step_by(per_row as usize).map(move |cx| [cx, cy, cz]))
            })
            .collect();
        rows.into_par_iter().try_for_each(|[first, cy, cz]| {
            let last = (first + per_row - 1).min(hi[0]);
            let row_box = BoundingBox::new(
                [origin[0] + first * chunk[0], origin[1] + cy * chunk[1], origin[2] + cz * chunk[2]],
                [(last - first + 1) * chunk[0], chunk[1], chunk[2]],
            )
            .intersect(part)
            .expect("row of the part");
            with_buffer(&STAGING, row_box.byte_len(voxel_size)?, |staging| {
                with_buffer(&BLOCK, chunk_bytes, |block| {
                    for cx in first..=last {
                        let slot = format.slot([cx, cy, cz]);
                        let chunk_box = chunk_box(format, origin, slot);
                        if !self.read_chunk(format, open, slot, block, &prefetched)? {
                            block.fill(0);
                        }
                        let region = chunk_box.intersect(&row_box).expect("chunk of the row");
                        copy_region(staging, &row_box, block, &chunk_box, &region, voxel_size);
                    }
                    Ok::<_, Error>(())
                })?;
                // SAFETY: rows of chunks are disjoint, so each fills its own part of `out`.
                unsafe { out.copy_from(out_box, staging, &row_box, &row_box, voxel_size) };
                Ok(())
            })
        })
    }

    /// Writes `part` of `data` (covering `region`) into the existing unencoded shard file `open`
    /// in place: whole chunks directly, partial ones read, modified and written back, each run of
    /// chunks under a lock of its bytes. Its framing and length never change, so the file stays
    /// valid throughout. `false` when the store cannot write in place.
    fn write_in_place(
        &self,
        format: &F,
        shard: [u64; 3],
        open: &OpenShard<F::Encoding>,
        part: &BoundingBox,
        data: Data,
    ) -> Result<bool> {
        let Spans::Fixed { offset, stride } = open.layout.spans else { return Ok(false) };
        let Some(file) = self.store.open_for_update(&format.shard_key(shard))? else { return Ok(false) };
        let info = format.info();
        let chunk_bytes = info.chunk_bytes();
        let origin = BoundingBox::cell(shard, info.shard_shape).min;
        let mut slots: Vec<u64> =
            part.relative_to(origin).cells(info.chunk_shape).into_iter().map(|chunk| format.slot(chunk)).collect();
        slots.sort_unstable();
        let runs = runs(&slots, (RUN_BYTES / chunk_bytes).max(1) as u64);
        runs.into_par_iter().try_for_each(|(first, count)| {
            let (start, end) = (offset + first * stride, offset + (first + count) * stride);
            if end > file.len() {
                return Err(Error::corrupt(&open.location, format!("The file ends before byte {end}")));
            }
            let _lock = file.lock_bytes(start, end)?;
            with_buffer(&STAGING, count as usize * chunk_bytes, |buffer| {
                for (i, chunk) in buffer.chunks_exact_mut(chunk_bytes).enumerate() {
                    let chunk_box = chunk_box(format, origin, first + i as u64);
                    let overlap = chunk_box.intersect(part).expect("touched chunk");
                    if overlap != chunk_box {
                        file.read_at(chunk, start + i as u64 * stride)?;
                    }
                    data.copy_into(chunk, &chunk_box, &overlap, info.voxel_size());
                }
                file.write_at(start, buffer)
            })
        })?;
        file.sync()?;
        Ok(true)
    }

    /// Writes `part` of `data` into shard `shard`, holding its lock.
    fn write_part(&self, format: &F, shard: [u64; 3], part: &BoundingBox, data: Data) -> Result<()> {
        let shard_box = BoundingBox::cell(shard, format.info().shard_shape);
        let whole = *part == shard_box;
        let in_place = !whole && matches!(format.framing(), Framing::Fixed { .. });
        if in_place {
            // Writers in place of disjoint chunks work in parallel: they share the shard's lock
            // and lock only the bytes of their chunks. Whoever replaces the file excludes them.
            let _shared = self.store.lock(&[shard_lock(shard)], false)?;
            self.forget(shard);
            if let Some(open) = self.shard(format, shard)? {
                if format.is_unencoded(open.layout.encoding) && self.write_in_place(format, shard, &open, part, data)? {
                    return Ok(());
                }
            }
        }
        let _exclusive = self.store.lock(&[shard_lock(shard)], true)?;
        self.forget(shard);
        let old = if whole { None } else { self.shard(format, shard)? };
        if let Some(open) = &old {
            if in_place
                && format.is_unencoded(open.layout.encoding)
                && self.write_in_place(format, shard, open, part, data)?
            {
                return Ok(());
            }
        }
        let mut source =
            Overlay { array: self, format, old: old.as_deref(), part: *part, data, prefetched: Prefetched::default() };
        let result = write_shard(format, &*self.store, shard, &mut source, &Control::default());
        self.forget(shard);
        result
    }
}

/// Splits sorted slots into runs of consecutive slots of at most `max` slots.
fn runs(slots: &[u64], max: u64) -> Vec<(u64, u64)> {
    let mut runs: Vec<(u64, u64)> = Vec::new();
    for &slot in slots {
        match runs.last_mut() {
            Some((first, count)) if *first + *count == slot && *count < max => *count += 1,
            _ => runs.push((slot, 1)),
        }
    }
    runs
}

fn check_buffer(region: &BoundingBox, len: usize, voxel_size: usize) -> Result<()> {
    let expected = region.byte_len(voxel_size)?;
    if len != expected {
        return Err(Error::invalid(format!(
            "A buffer of {len} bytes does not match the box at {:?} of size {:?} ({expected} bytes)",
            region.min, region.size
        )));
    }
    Ok(())
}

/// Voxels to write: `bytes` cover `region`.
#[derive(Clone, Copy)]
struct Data<'a> {
    bytes: &'a [u8],
    region: &'a BoundingBox,
}

impl Data<'_> {
    /// Copies `part` of the data into `chunk` (covering `chunk_box`).
    fn copy_into(&self, chunk: &mut [u8], chunk_box: &BoundingBox, part: &BoundingBox, voxel_size: usize) {
        copy_region(chunk, chunk_box, self.bytes, self.region, part, voxel_size);
    }
}

/// The slot in its shard of the chunk `chunk` (a box in the array's voxels).
fn slot_of<F: ShardFormat>(format: &F, chunk: &BoundingBox) -> u64 {
    let shard_shape = format.info().shard_shape;
    format.slot([0, 1, 2].map(|i| (chunk.min[i] % shard_shape[i]) / chunk.size[i]))
}

/// The stored bytes of a batch of chunks, read ahead: chunks a shard writer appended in slot
/// order lie back to back, and one read of them is far cheaper than a read per chunk; from a
/// remote store, the chunks of a whole read go in a few coalesced requests at once.
#[derive(Default)]
struct Prefetched {
    /// Segments of the file by start offset, not overlapping.
    segments: Vec<(u64, Bytes)>,
}

/// Gaps between the chunks of a batch beyond this share of the bytes read make a prefetch wasteful.
const MAX_PREFETCH_WASTE: u64 = 1 << 20;

impl Prefetched {
    /// The span from the first to the last chunk of `slots` in one read.
    fn read<E>(open: &OpenShard<E>, slots: impl Iterator<Item = u64>) -> Result<Prefetched> {
        let spans: Vec<(u64, u64)> = slots.filter_map(|slot| open.layout.span(slot)).collect();
        let (Some(start), Some(end)) = (spans.iter().map(|s| s.0).min(), spans.iter().map(|s| s.1).max()) else {
            return Ok(Prefetched::default());
        };
        let used: u64 = spans.iter().map(|(a, b)| b.saturating_sub(*a)).sum();
        // Out-of-order or corrupt spans fall back to reads per chunk, which check each one.
        if end > open.file.len() || end - start > used + MAX_PREFETCH_WASTE {
            return Ok(Prefetched::default());
        }
        let mut bytes = vec![0u8; (end - start) as usize];
        open.file.read_at(&mut bytes, start)?;
        Ok(Prefetched { segments: vec![(start, bytes.into())] })
    }

    /// Each chunk of `slots` in one call to the store, when its reads are requests; nothing
    /// otherwise. Spans that are not plausible are left to the checks of the reads per chunk.
    fn read_batched<E>(open: &OpenShard<E>, slots: impl Iterator<Item = u64>, max_len: u64) -> Result<Prefetched> {
        if !open.file.batch_reads() {
            return Ok(Prefetched::default());
        }
        let mut spans: Vec<(u64, u64)> = slots
            .filter_map(|slot| open.layout.span(slot))
            .filter(|&(start, end)| start < end && end <= open.file.len() && end - start <= max_len)
            .collect();
        spans.sort_unstable();
        spans.dedup();
        spans.dedup_by(|next, previous| next.0 < previous.1);
        let bytes = open.file.read_ranges(&spans)?;
        Ok(Prefetched { segments: spans.iter().map(|s| s.0).zip(bytes).collect() })
    }

    /// The bytes from `start` to `end` of the file, sharing the prefetched buffer.
    fn get(&self, start: u64, end: u64) -> Option<Bytes> {
        let i = self.segments.partition_point(|(s, _)| *s <= start).checked_sub(1)?;
        let (segment_start, bytes) = &self.segments[i];
        let from = (start - segment_start) as usize;
        let to = from + (end - start) as usize;
        (to <= bytes.len()).then(|| bytes.slice(from..to))
    }
}

/// A shard's chunks after a write of `part` of `data`: the written voxels over what the shard
/// held. Chunks the write does not touch keep their stored bytes when the encoding is the same.
struct Overlay<'a, F: ShardFormat> {
    array: &'a ShardedArray<F>,
    format: &'a F,
    old: Option<&'a OpenShard<F::Encoding>>,
    part: BoundingBox,
    data: Data<'a>,
    prefetched: Prefetched,
}

impl<F: ShardFormat> ChunkSource for Overlay<'_, F> {
    fn prepare(&mut self, chunks: &[BoundingBox]) -> Result<()> {
        if let Some(old) = self.old.filter(|old| old.layout.encoding == self.format.encoding()) {
            let kept = chunks.iter().filter(|chunk| chunk.intersect(&self.part).is_none());
            self.prefetched = Prefetched::read(old, kept.map(|chunk| slot_of(self.format, chunk)))?;
        }
        Ok(())
    }

    fn produce(&self, chunk: &BoundingBox, buffer: &mut [u8]) -> Result<Chunk> {
        let voxel_size = self.format.info().voxel_size();
        let overlap = chunk.intersect(&self.part);
        if overlap == Some(*chunk) {
            self.data.copy_into(buffer, chunk, chunk, voxel_size);
            return Ok(Chunk::Filled);
        }
        let slot = slot_of(self.format, chunk);
        let stored = match self.old {
            Some(old) if overlap.is_none() && old.layout.encoding == self.format.encoding() => {
                let stored = self.array.stored_chunk(self.format, old, slot, &self.prefetched)?;
                return Ok(stored.map_or(Chunk::Zero, Chunk::Stored));
            }
            Some(old) => self.array.read_chunk(self.format, old, slot, buffer, &self.prefetched)?,
            None => false,
        };
        match overlap {
            None if stored => Ok(Chunk::Filled),
            None => Ok(Chunk::Zero),
            Some(overlap) => {
                if !stored {
                    buffer.fill(0);
                }
                self.data.copy_into(buffer, chunk, &overlap, voxel_size);
                Ok(Chunk::Filled)
            }
        }
    }
}

impl<F: ShardFormat> ChunkedArray for ShardedArray<F> {
    fn info(&self) -> Result<ArrayInfo> {
        Ok(self.format()?.info().clone())
    }

    fn location(&self) -> String {
        self.store.location("").trim_end_matches('/').to_owned()
    }

    fn read_into(&self, region: &BoundingBox, out: &mut [u8], out_box: &BoundingBox) -> Result<()> {
        let format = self.format()?;
        let info = format.info();
        let voxel_size = info.voxel_size();
        check_buffer(out_box, out.len(), voxel_size)?;
        if !out_box.contains(region) {
            return Err(Error::invalid(format!("The box {region:?} is not inside the buffer's box {out_box:?}")));
        }
        let shared = SharedBuffer::new(out);
        region.cells(info.shard_shape).into_par_iter().try_for_each(|shard| {
            let shard_box = BoundingBox::cell(shard, info.shard_shape);
            let part = shard_box.intersect(region).expect("shard of the region");
            match self.shard(&format, shard)? {
                // SAFETY: each shard fills its own part of the region.
                None => unsafe { shared.zero(out_box, &part, voxel_size) },
                Some(open) => self.read_part(&format, &open, shard_box.min, &part, out_box, shared)?,
            }
            Ok(())
        })
    }

    fn write(&self, region: &BoundingBox, data: &[u8]) -> Result<()> {
        let format = self.format()?;
        check_buffer(region, data.len(), format.info().voxel_size())?;
        if region.is_empty() {
            return Ok(());
        }
        self.grow_to(region.max())?;
        // The metadata is read under the lock: a recompression that held it may have replaced it.
        let _array = self.store.lock(&[ARRAY_LOCK], false)?;
        let format = self.format()?;
        let data = Data { bytes: data, region };
        for shard in region.cells(format.info().shard_shape) {
            let part =
                BoundingBox::cell(shard, format.info().shard_shape).intersect(region).expect("shard of the region");
            self.write_part(&format, shard, &part, data)?;
        }
        Ok(())
    }

    fn write_shard(&self, shard: [u64; 3], source: &mut dyn ChunkSource, control: &Control) -> Result<()> {
        let format = self.format()?;
        let result = write_shard(&*format, &*self.store, shard, source, control);
        self.forget(shard);
        result
    }

    fn shards(&self) -> Result<Vec<[u64; 3]>> {
        self.format()?.list_shards(&*self.store)
    }

    fn lock_shards(&self, shards: &[[u64; 3]]) -> Result<LockGuard> {
        // Shards locked are about to be written: the recorded extent must hold them first.
        let shard_shape = self.format()?.info().shard_shape;
        if let Some(end) = shards
            .iter()
            .map(|s| [0, 1, 2].map(|i| (s[i] + 1) * shard_shape[i]))
            .reduce(|a, b| [0, 1, 2].map(|i| a[i].max(b[i])))
        {
            self.grow_to(end)?;
        }
        let array = self.store.lock(&[ARRAY_LOCK], false)?;
        let mut ranges: Vec<u64> = shards.iter().map(|&s| shard_lock(s)).collect();
        ranges.sort_unstable();
        ranges.dedup();
        let shards = self.store.lock(&ranges, true)?;
        Ok(LockGuard::new((shards, array)))
    }

    fn lock_all(&self) -> Result<LockGuard> {
        self.store.lock(&[ARRAY_LOCK], true)
    }

    fn grow_to(&self, end: [u64; 3]) -> Result<()> {
        let covered = |f: &F| f.info().shape.is_none_or(|shape| (0..3).all(|i| end[i] <= shape[i]));
        if covered(&*self.format()?) {
            return Ok(());
        }
        let _all = self.store.lock(&[ARRAY_LOCK], true)?;
        let mut format = (*self.reload()?).clone();
        if !covered(&format) && format.grow_to(end) {
            format.save(&*self.store)?;
            self.reload()?;
        }
        Ok(())
    }

    fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }
}
