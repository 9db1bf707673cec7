//! Downsampling entry points: shape validation and the choice of kernel.

use crate::element::Element;
use crate::extremum::{Max, Min};
use crate::interpolation::InterpolationMode;
use crate::median::Median;
use crate::mode::Mode;
use crate::window::reduce_windows;
use crate::zoom::zoom;

/// Shape `[C, X/fx, Y/fy, Z/fz]` of the downsampled `[C, X, Y, Z]` buffer; an error unless every
/// factor is positive and divides its dimension.
pub fn downsampled_shape(shape: [usize; 4], factors: [usize; 3]) -> Result<[usize; 4], String> {
    let mut downsampled = shape;
    for (axis, (&size, &factor)) in ["x", "y", "z"].iter().zip(shape[1..].iter().zip(&factors)) {
        if factor == 0 || !size.is_multiple_of(factor) {
            return Err(format!(
                "cannot downsample shape {shape:?} by {factors:?}: {axis} size {size} is not a multiple of {factor}"
            ));
        }
    }
    for axis in 0..3 {
        downsampled[axis + 1] /= factors[axis];
    }
    Ok(downsampled)
}

/// Downsamples `input`, a `[C, X, Y, Z]` buffer (Fortran order, channels interleaved: element
/// `(c, x, y, z)` at `c + C*(x + X*(y + Y*z))`), by `factors` into a `[C, X/fx, Y/fy, Z/fz]` buffer.
/// Channels never mix.
///
/// Median, mode, max and min reduce each disjoint `fx × fy × fz` window to one voxel. Nearest,
/// bilinear and bicubic resample each channel like `scipy.ndimage.zoom(…, mode="nearest")`: output
/// voxel `o` samples the input at `o * (n - 1) / (n / f - 1)`, so the first and last voxels of each
/// axis keep their positions. Integer results of these round half away from zero and saturate.
///
/// Errors if `input.len()` does not match `shape` or a factor does not divide its dimension.
pub fn downsample<T: Element>(
    input: &[T],
    shape: [usize; 4],
    factors: [usize; 3],
    mode: InterpolationMode,
) -> Result<Vec<T>, String> {
    let mut output = vec![T::default(); downsampled_shape(shape, factors)?.iter().product()];
    downsample_into(input, shape, factors, mode, &mut output)?;
    Ok(output)
}

/// [`downsample`] into a caller-provided buffer, which must hold exactly the
/// [`downsampled_shape`]'s number of elements.
pub fn downsample_into<T: Element>(
    input: &[T],
    shape: [usize; 4],
    factors: [usize; 3],
    mode: InterpolationMode,
    output: &mut [T],
) -> Result<(), String> {
    let downsampled = downsampled_shape(shape, factors)?;
    let expected_input: usize = shape.iter().product();
    if input.len() != expected_input {
        return Err(format!("input has {} elements, shape {shape:?} needs {expected_input}", input.len()));
    }
    let expected_output: usize = downsampled.iter().product();
    if output.len() != expected_output {
        return Err(format!("output has {} elements, shape {downsampled:?} needs {expected_output}", output.len()));
    }
    if expected_output == 0 {
        return Ok(());
    }
    match mode {
        InterpolationMode::Median => reduce_windows::<T, Median>(input, shape, factors, output),
        InterpolationMode::Mode => reduce_windows::<T, Mode>(input, shape, factors, output),
        InterpolationMode::Max => reduce_windows::<T, Max>(input, shape, factors, output),
        InterpolationMode::Min => reduce_windows::<T, Min>(input, shape, factors, output),
        InterpolationMode::Nearest | InterpolationMode::Bilinear | InterpolationMode::Bicubic => {
            let order = mode.spline_order().expect("linear modes have a spline order");
            zoom(input, shape, factors, order, output)
        }
    }
    Ok(())
}
