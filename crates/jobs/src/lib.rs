//! Long operations written against the storage seam ([`array::ChunkedArray`]): they know no
//! file format, and run the same on every one.

pub mod sample;
