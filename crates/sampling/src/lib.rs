//! Down- and upsampling kernels for voxel buffers: pure in-memory array math, matching the reference
//! `webknossos` Python library (`_downsampling_utils.py`) value for value.
//!
//! A buffer of shape `[C, X, Y, Z]` is stored in Fortran order with channels interleaved: element
//! `(c, x, y, z)` is at index `c + C*(x + X*(y + Y*z))`. Channels are always processed independently.
//! The kernels are single-threaded; callers parallelise over tiles.
//!
//! [`InterpolationMode`] lists the modes. Median, mode, max and min follow the reference's numpy
//! code, including its NaN handling; nearest, bilinear and bicubic (a quadratic spline, as in the
//! reference) reproduce `scipy.ndimage.zoom` bit for bit. The only intended differences are where
//! numpy or scipy convert an out-of-range double to a 64-bit integer, which is undefined in C and
//! yields 0 or `i64::MIN` there: here such values saturate (a median of `u64::MAX` values, or a
//! linear mode on values near `u64::MAX` / `i64::MAX`, keeps the maximum). NaN stored into an
//! integer by a linear mode becomes 0.

mod dispatch;
mod downsample;
mod element;
mod extremum;
mod interpolation;
mod median;
mod mode;
mod sort;
mod upsample;
mod window;
mod zoom;

pub use dispatch::{downsample_bytes, upsample_bytes};
pub use downsample::{downsample, downsample_into, downsampled_shape};
pub use element::Element;
pub use interpolation::InterpolationMode;
pub use upsample::{upsample, upsample_into};
/// The voxel types the byte-level entry points and [`with_element_type!`] dispatch on.
pub use voxel::VoxelType;
