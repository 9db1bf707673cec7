//! The WKW (webKnossos-wrap) format of WEBKNOSSOS datasets, byte-compatible with the reference
//! `webknossos-wrap` library: 32³-voxel blocks in Morton order, raw or LZ4/LZ4HC compressed,
//! grouped into data files of `file_len³` blocks. Knows nothing of Node.

pub mod bbox;
pub mod control;
pub mod data_file;
pub mod dataset;
pub mod error;
pub mod file_writer;
pub mod header;
pub mod huge_pages;
pub mod lz4;
pub mod morton;
mod scratch;

pub use bbox::BoundingBox;
pub use control::Control;
pub use dataset::{Dataset, Reader};
pub use error::{Error, ErrorKind, Result};
pub use header::{BlockType, Header, VoxelType};
