//! What every part of the core shares: boxes of voxels and copies between buffers, voxel types,
//! errors, cancellation and progress, per-thread scratch buffers. Knows nothing of file formats.

pub mod bbox;
pub mod control;
pub mod error;
pub mod huge_pages;
pub mod limits;
pub mod scratch;
pub mod voxel_type;

pub use bbox::{copy_region, BoundingBox, SharedBuffer, MAX_COORDINATE};
pub use control::{Control, Timings};
pub use error::{Error, ErrorKind, IoContext, Result};
pub use voxel_type::{VoxelType, VOXEL_TYPES};
