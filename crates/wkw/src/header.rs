//! The 16-byte header at the start of `header.wkw` and of every data file.

use array::{ArrayInfo, Compression, DataFormat};
use voxel::{Error, Result, VoxelType, VOXEL_TYPES};

pub const HEADER_SIZE: usize = 16;
const MAGIC: &[u8; 3] = b"WKW";
const VERSION: u8 = 1;

/// Largest block edge and blocks-per-file edge accepted on creation. The reference passes both
/// through a `uint8` and has no larger files in the wild.
pub const MAX_LEN: u32 = 128;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockType {
    Raw = 1,
    Lz4 = 2,
    Lz4Hc = 3,
}

impl BlockType {
    fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(BlockType::Raw),
            2 => Some(BlockType::Lz4),
            3 => Some(BlockType::Lz4Hc),
            _ => None,
        }
    }

    pub fn is_compressed(self) -> bool {
        self != BlockType::Raw
    }

    pub fn name(self) -> &'static str {
        match self {
            BlockType::Raw => "raw",
            BlockType::Lz4 => "lz4",
            BlockType::Lz4Hc => "lz4hc",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        [BlockType::Raw, BlockType::Lz4, BlockType::Lz4Hc].into_iter().find(|t| t.name() == name)
    }
}

/// The code of a voxel type in byte 6 of a header.
fn voxel_code(voxel_type: VoxelType) -> u8 {
    match voxel_type {
        VoxelType::U8 => 1,
        VoxelType::U16 => 2,
        VoxelType::U32 => 3,
        VoxelType::U64 => 4,
        VoxelType::F32 => 5,
        VoxelType::F64 => 6,
        VoxelType::I8 => 7,
        VoxelType::I16 => 8,
        VoxelType::I32 => 9,
        VoxelType::I64 => 10,
    }
}

fn voxel_type_of(code: u8) -> Option<VoxelType> {
    VOXEL_TYPES.into_iter().find(|&t| voxel_code(t) == code)
}

/// A parsed header. `block_len` is voxels per block edge and `file_len` blocks per file edge,
/// both stored as log2 in one byte (low nibble: block, high nibble: file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub block_len_log2: u8,
    pub file_len_log2: u8,
    pub block_type: BlockType,
    pub voxel_type: VoxelType,
    /// Bytes per voxel, all channels together.
    pub voxel_size: u8,
    /// Absolute offset of block 0 in a data file; 0 in `header.wkw`.
    pub data_offset: u64,
}

fn log2_of_power_of_two(name: &str, value: u32) -> Result<u8> {
    if value == 0 || !value.is_power_of_two() || value > MAX_LEN {
        return Err(Error::invalid(format!("{name} must be a power of two between 1 and {MAX_LEN}, but is {value}")));
    }
    Ok(value.trailing_zeros() as u8)
}

impl Header {
    /// The header of a new dataset (`header.wkw`, data offset 0).
    pub fn new(
        voxel_type: VoxelType,
        num_channels: u32,
        block_len: u32,
        file_len: u32,
        block_type: BlockType,
    ) -> Result<Header> {
        let block_len_log2 = log2_of_power_of_two("blockLen", block_len)?;
        let file_len_log2 = log2_of_power_of_two("fileLen", file_len)?;
        let voxel_size = num_channels as usize * voxel_type.size();
        if num_channels == 0 || voxel_size > u8::MAX as usize {
            return Err(Error::invalid(format!(
                "numChannels must be between 1 and {} for {}, but is {num_channels}",
                u8::MAX as usize / voxel_type.size(),
                voxel_type.name()
            )));
        }
        let header = Header {
            block_len_log2,
            file_len_log2,
            block_type,
            voxel_type,
            voxel_size: voxel_size as u8,
            data_offset: 0,
        };
        header.info().check("header.wkw", false)?;
        Ok(header)
    }

    /// Parses the first 16 bytes of `bytes`, read from `path`; every way a header can be invalid is
    /// a `Corrupt` error naming the path.
    pub fn parse(bytes: &[u8], path: &str) -> Result<Header> {
        if bytes.len() < HEADER_SIZE {
            return Err(Error::corrupt(path, format!("Header of {} bytes, expected 16", bytes.len())));
        }
        if &bytes[0..3] != MAGIC {
            return Err(Error::corrupt(path, format!("Sequence of magic bytes {:?} is invalid", &bytes[0..3])));
        }
        if bytes[3] != VERSION {
            return Err(Error::corrupt(path, format!("Version number '{}' is invalid", bytes[3])));
        }
        let block_type = BlockType::from_code(bytes[5])
            .ok_or_else(|| Error::corrupt(path, format!("Block type '{}' is invalid", bytes[5])))?;
        let voxel_type = voxel_type_of(bytes[6])
            .ok_or_else(|| Error::corrupt(path, format!("Voxel type '{}' is invalid", bytes[6])))?;
        let voxel_size = bytes[7];
        if voxel_size == 0 || !(voxel_size as usize).is_multiple_of(voxel_type.size()) {
            return Err(Error::corrupt(
                path,
                format!("Voxel size {voxel_size} is not a multiple of the {} size", voxel_type.name()),
            ));
        }
        let header = Header {
            block_len_log2: bytes[4] & 0x0f,
            file_len_log2: bytes[4] >> 4,
            block_type,
            voxel_type,
            voxel_size,
            data_offset: u64::from_le_bytes(bytes[8..16].try_into().unwrap()),
        };
        if header.block_len() > MAX_LEN * 8 || header.file_len() > MAX_LEN {
            return Err(Error::corrupt(
                path,
                format!("Unsupported lengths (block {}, file {} blocks)", header.block_len(), header.file_len()),
            ));
        }
        header.info().check(path, true)?;
        Ok(header)
    }

    pub fn to_bytes(&self) -> [u8; HEADER_SIZE] {
        let mut bytes = [0u8; HEADER_SIZE];
        bytes[0..3].copy_from_slice(MAGIC);
        bytes[3] = VERSION;
        bytes[4] = self.file_len_log2 << 4 | self.block_len_log2;
        bytes[5] = self.block_type as u8;
        bytes[6] = voxel_code(self.voxel_type);
        bytes[7] = self.voxel_size;
        bytes[8..16].copy_from_slice(&self.data_offset.to_le_bytes());
        bytes
    }

    /// Voxels per block edge.
    pub fn block_len(&self) -> u32 {
        1 << self.block_len_log2
    }

    /// Blocks per file edge.
    pub fn file_len(&self) -> u32 {
        1 << self.file_len_log2
    }

    /// Voxels per file edge (the `cubeLength` of the properties).
    pub fn file_edge(&self) -> u64 {
        1u64 << (self.block_len_log2 + self.file_len_log2)
    }

    pub fn blocks_per_file(&self) -> u64 {
        1u64 << (3 * self.file_len_log2 as u32)
    }

    pub fn block_voxels(&self) -> usize {
        1usize << (3 * self.block_len_log2 as u32)
    }

    pub fn block_bytes(&self) -> usize {
        self.block_voxels() * self.voxel_size as usize
    }

    pub fn num_channels(&self) -> usize {
        self.voxel_size as usize / self.voxel_type.size()
    }

    /// The header a data file of this dataset starts with: raw blocks begin right after it,
    /// compressed ones after the jump table of one end offset per block.
    pub fn for_data_file(&self) -> Header {
        let data_offset = match self.block_type {
            BlockType::Raw => HEADER_SIZE as u64,
            _ => HEADER_SIZE as u64 + 8 * self.blocks_per_file(),
        };
        Header { data_offset, ..*self }
    }

    /// The header `header.wkw` holds: data offset 0, whatever the block type.
    pub fn for_dataset(&self) -> Header {
        Header { data_offset: 0, ..*self }
    }

    pub fn with_block_type(&self, block_type: BlockType) -> Header {
        Header { block_type, ..*self }
    }

    /// Whether a data file with header `other` belongs to a dataset with this header: the same
    /// voxels in blocks and files of the same size (the block type may differ).
    pub fn is_layout_compatible(&self, other: &Header) -> bool {
        self.voxel_type == other.voxel_type
            && self.voxel_size == other.voxel_size
            && self.block_len_log2 == other.block_len_log2
            && self.file_len_log2 == other.file_len_log2
    }

    /// The layout in the terms every format shares.
    pub fn info(&self) -> ArrayInfo {
        ArrayInfo {
            data_format: DataFormat::Wkw,
            voxel_type: self.voxel_type,
            num_channels: self.num_channels(),
            chunk_shape: [self.block_len() as u64; 3],
            shard_shape: [self.file_edge(); 3],
            compression: match self.block_type {
                BlockType::Raw => Compression::None,
                BlockType::Lz4 => Compression::Lz4,
                BlockType::Lz4Hc => Compression::Lz4Hc,
            },
            shape: None,
        }
    }

    /// The block type that stands for `compression`.
    pub fn block_type_for(compression: Compression) -> Result<BlockType> {
        match compression {
            Compression::None => Ok(BlockType::Raw),
            Compression::Lz4 => Ok(BlockType::Lz4),
            Compression::Lz4Hc => Ok(BlockType::Lz4Hc),
            other => Err(Error::invalid(format!("WKW cannot compress with {}", other.name()))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(" ")
    }

    fn make(t: VoxelType, c: u32, block: u32, file: u32, bt: BlockType) -> Header {
        Header::new(t, c, block, file, bt).unwrap()
    }

    /// wkw-format.md §7.1: `header.wkw` bytes 0-7 and data-file bytes 8-15.
    #[test]
    fn writes_the_reference_header_bytes() {
        use BlockType::*;
        use VoxelType::*;
        let cases: &[(VoxelType, u32, u32, u32, BlockType, &str, &str)] = &[
            (U8, 1, 32, 32, Raw, "57 4B 57 01 55 01 01 01", "10 00 00 00 00 00 00 00"),
            (U8, 1, 32, 32, Lz4Hc, "57 4B 57 01 55 03 01 01", "10 00 04 00 00 00 00 00"),
            (U8, 1, 32, 32, Lz4, "57 4B 57 01 55 02 01 01", "10 00 04 00 00 00 00 00"),
            (U8, 3, 32, 32, Raw, "57 4B 57 01 55 01 01 03", "10 00 00 00 00 00 00 00"),
            (U16, 1, 32, 32, Raw, "57 4B 57 01 55 01 02 02", "10 00 00 00 00 00 00 00"),
            (U32, 1, 32, 32, Lz4Hc, "57 4B 57 01 55 03 03 04", "10 00 04 00 00 00 00 00"),
            (U64, 1, 32, 32, Lz4Hc, "57 4B 57 01 55 03 04 08", "10 00 04 00 00 00 00 00"),
            (F32, 1, 32, 32, Raw, "57 4B 57 01 55 01 05 04", "10 00 00 00 00 00 00 00"),
            (F64, 1, 32, 32, Raw, "57 4B 57 01 55 01 06 08", "10 00 00 00 00 00 00 00"),
            (I8, 1, 32, 32, Raw, "57 4B 57 01 55 01 07 01", "10 00 00 00 00 00 00 00"),
            (I16, 1, 32, 32, Raw, "57 4B 57 01 55 01 08 02", "10 00 00 00 00 00 00 00"),
            (I32, 1, 32, 32, Raw, "57 4B 57 01 55 01 09 04", "10 00 00 00 00 00 00 00"),
            (I64, 1, 32, 32, Raw, "57 4B 57 01 55 01 0A 08", "10 00 00 00 00 00 00 00"),
            (U16, 2, 32, 32, Raw, "57 4B 57 01 55 01 02 04", "10 00 00 00 00 00 00 00"),
            (F32, 3, 32, 32, Raw, "57 4B 57 01 55 01 05 0C", "10 00 00 00 00 00 00 00"),
            (U8, 1, 32, 1, Lz4Hc, "57 4B 57 01 05 03 01 01", "18 00 00 00 00 00 00 00"),
            (U8, 1, 32, 4, Lz4, "57 4B 57 01 25 02 01 01", "10 02 00 00 00 00 00 00"),
            (U8, 3, 8, 4, Raw, "57 4B 57 01 23 01 01 03", "10 00 00 00 00 00 00 00"),
            (U8, 1, 32, 16, Raw, "57 4B 57 01 45 01 01 01", "10 00 00 00 00 00 00 00"),
            (U8, 1, 1, 1, Raw, "57 4B 57 01 00 01 01 01", "10 00 00 00 00 00 00 00"),
            (U8, 1, 2, 2, Lz4Hc, "57 4B 57 01 11 03 01 01", "50 00 00 00 00 00 00 00"),
            (U8, 1, 64, 2, Raw, "57 4B 57 01 16 01 01 01", "10 00 00 00 00 00 00 00"),
        ];
        for &(t, c, b, f, bt, head, offset) in cases {
            let header = make(t, c, b, f, bt);
            let dataset_bytes = header.for_dataset().to_bytes();
            assert_eq!(hex(&dataset_bytes[..8]), head);
            assert_eq!(hex(&dataset_bytes[8..]), "00 00 00 00 00 00 00 00");
            assert_eq!(hex(&header.for_data_file().to_bytes()[8..]), offset, "{head}");
        }
    }

    /// wkw-format.md §2.3: compressed data offsets for every file length.
    #[test]
    fn compressed_data_offsets() {
        for (file_len, offset) in
            [(1, 24), (2, 80), (4, 528), (8, 4112), (16, 32784), (32, 262_160), (64, 2_097_168), (128, 16_777_232)]
        {
            let header = make(VoxelType::U8, 1, 1, file_len, BlockType::Lz4Hc);
            assert_eq!(header.for_data_file().data_offset, offset);
        }
    }

    #[test]
    fn parses_what_it_writes() {
        let header = make(VoxelType::U16, 2, 8, 4, BlockType::Lz4).for_data_file();
        let parsed = Header::parse(&header.to_bytes(), "h").unwrap();
        assert_eq!(parsed, header);
        assert_eq!(parsed.num_channels(), 2);
        assert_eq!(parsed.block_len(), 8);
        assert_eq!(parsed.file_len(), 4);
        assert_eq!(parsed.file_edge(), 32);
        assert_eq!(parsed.block_bytes(), 8 * 8 * 8 * 4);
    }

    #[test]
    fn reports_each_invalid_field() {
        let good = make(VoxelType::U8, 1, 32, 32, BlockType::Raw).to_bytes();
        let with = |i: usize, v: u8| {
            let mut b = good;
            b[i] = v;
            Header::parse(&b, "/d/header.wkw").unwrap_err().message
        };
        assert_eq!(with(2, b'X'), "Sequence of magic bytes [87, 75, 88] is invalid in \"/d/header.wkw\"");
        assert!(with(3, 2).starts_with("Version number '2' is invalid"));
        assert!(with(5, 4).starts_with("Block type '4' is invalid"));
        assert!(with(5, 0).starts_with("Block type '0' is invalid"));
        assert!(with(6, 11).starts_with("Voxel type '11' is invalid"));
        assert!(with(6, 0).starts_with("Voxel type '0' is invalid"));
        assert!(with(7, 0).starts_with("Voxel size 0"));
        assert!(Header::parse(&good[..15], "h").is_err());
        let mut odd = make(VoxelType::U16, 1, 32, 32, BlockType::Raw).to_bytes();
        odd[7] = 3;
        assert!(Header::parse(&odd, "h").is_err());
    }

    #[test]
    fn rejects_invalid_parameters() {
        assert!(Header::new(VoxelType::U8, 1, 0, 32, BlockType::Raw).is_err());
        assert!(Header::new(VoxelType::U8, 1, 3, 32, BlockType::Raw).is_err());
        assert!(Header::new(VoxelType::U8, 1, 32, 256, BlockType::Raw).is_err());
        assert!(Header::new(VoxelType::U8, 0, 32, 32, BlockType::Raw).is_err());
        assert!(Header::new(VoxelType::F64, 32, 32, 32, BlockType::Raw).is_err());
        assert!(Header::new(VoxelType::U8, 255, 32, 32, BlockType::Raw).is_ok());
        // 128³ blocks of 255 bytes per voxel would be 510 MiB each.
        assert!(Header::new(VoxelType::U8, 255, 128, 1, BlockType::Raw).is_err());
    }

    /// A header announcing 1024³ blocks of 255-byte voxels (255 GiB a block) is corrupt, not an
    /// allocation that aborts the process.
    #[test]
    fn rejects_blocks_too_large_to_allocate() {
        let mut bytes = make(VoxelType::U8, 1, 32, 32, BlockType::Raw).to_bytes();
        bytes[4] = 0x0A;
        bytes[7] = 255;
        let error = Header::parse(&bytes, "/d/header.wkw").unwrap_err();
        assert_eq!(error.kind, voxel::ErrorKind::Corrupt);
        assert!(error.message.contains("exceeds 256 MiB"), "{}", error.message);
    }
}
