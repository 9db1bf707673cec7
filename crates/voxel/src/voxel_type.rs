//! Element types of one channel, named as numpy and WEBKNOSSOS name them.

/// The element type of one channel of a voxel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VoxelType {
    U8,
    U16,
    U32,
    U64,
    F32,
    F64,
    I8,
    I16,
    I32,
    I64,
}

pub const VOXEL_TYPES: [VoxelType; 10] = [
    VoxelType::U8,
    VoxelType::U16,
    VoxelType::U32,
    VoxelType::U64,
    VoxelType::F32,
    VoxelType::F64,
    VoxelType::I8,
    VoxelType::I16,
    VoxelType::I32,
    VoxelType::I64,
];

impl VoxelType {
    /// Bytes of one element of one channel.
    pub fn size(self) -> usize {
        match self {
            VoxelType::U8 | VoxelType::I8 => 1,
            VoxelType::U16 | VoxelType::I16 => 2,
            VoxelType::U32 | VoxelType::I32 | VoxelType::F32 => 4,
            VoxelType::U64 | VoxelType::I64 | VoxelType::F64 => 8,
        }
    }

    /// The numpy / WEBKNOSSOS dtype name, also the Zarr v3 `data_type`.
    pub fn name(self) -> &'static str {
        match self {
            VoxelType::U8 => "uint8",
            VoxelType::U16 => "uint16",
            VoxelType::U32 => "uint32",
            VoxelType::U64 => "uint64",
            VoxelType::F32 => "float32",
            VoxelType::F64 => "float64",
            VoxelType::I8 => "int8",
            VoxelType::I16 => "int16",
            VoxelType::I32 => "int32",
            VoxelType::I64 => "int64",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        VOXEL_TYPES.into_iter().find(|t| t.name() == name)
    }
}
