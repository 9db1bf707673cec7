//! Upsampling by nearest-neighbour replication.

use crate::element::Element;

/// Upsamples `input` (shape `[C, X, Y, Z]`) by integer `factors`: the result has shape
/// `[C, X*fx, Y*fy, Z*fz]` and `out(c, x, y, z) = in(c, x / fx, y / fy, z / fz)`.
///
/// Panics if `input.len()` does not match `shape` or a factor is 0.
pub fn upsample<T: Element>(input: &[T], shape: [usize; 4], factors: [usize; 3]) -> Vec<T> {
    let mut output = vec![T::default(); input.len() * factors.iter().product::<usize>()];
    upsample_into(input, shape, factors, &mut output);
    output
}

/// [`upsample`] into a caller-provided buffer of `C * X*fx * Y*fy * Z*fz` elements.
///
/// Panics if the buffer sizes do not match `shape` and `factors`, or a factor is 0.
pub fn upsample_into<T: Element>(input: &[T], shape: [usize; 4], factors: [usize; 3], output: &mut [T]) {
    let [channels, size_x, size_y, size_z] = shape;
    let [fx, fy, fz] = factors;
    assert!(factors.iter().all(|&f| f > 0), "upsampling factors must be positive, got {factors:?}");
    assert_eq!(input.len(), shape.iter().product::<usize>(), "input length does not match shape {shape:?}");
    assert_eq!(output.len(), input.len() * fx * fy * fz, "output length does not match the upsampled shape");

    let voxel = channels;
    let row_in = voxel * size_x;
    let row_out = row_in * fx;
    let slice_out = row_out * size_y * fy;
    // Each input row is expanded once; the rows and slices that repeat it are block copies.
    for z in 0..size_z {
        let slice_start = z * fz * slice_out;
        for y in 0..size_y {
            let row_start = slice_start + y * fy * row_out;
            let source = &input[row_in * (y + size_y * z)..][..row_in];
            let row = &mut output[row_start..row_start + row_out];
            for (voxel_in, voxels_out) in source.chunks_exact(voxel).zip(row.chunks_exact_mut(voxel * fx)) {
                for voxel_out in voxels_out.chunks_exact_mut(voxel) {
                    voxel_out.copy_from_slice(voxel_in);
                }
            }
            for copy in 1..fy {
                output.copy_within(row_start..row_start + row_out, row_start + copy * row_out);
            }
        }
        for copy in 1..fz {
            output.copy_within(slice_start..slice_start + slice_out, slice_start + copy * slice_out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn z_factor_repeats_along_z() {
        assert_eq!(upsample(&[1u8, 2], [1, 1, 1, 2], [1, 1, 2]), [1, 1, 2, 2]);
    }

    #[test]
    fn every_voxel_comes_from_its_source() {
        for (shape, factors) in [
            ([1, 2, 3, 2], [2, 2, 2]),
            ([3, 2, 2, 1], [3, 1, 2]),
            ([2, 1, 3, 2], [1, 4, 1]),
            ([1, 3, 1, 1], [5, 1, 1]),
            ([2, 2, 2, 2], [1, 1, 1]),
        ] {
            let [c, sx, sy, sz] = shape;
            let [fx, fy, fz] = factors;
            let input: Vec<i32> = (0..shape.iter().product::<usize>() as i32).map(|i| i * 7 - 20).collect();
            let output = upsample(&input, shape, factors);
            let [ox, oy, oz] = [sx * fx, sy * fy, sz * fz];
            assert_eq!(output.len(), c * ox * oy * oz);
            for z in 0..oz {
                for y in 0..oy {
                    for x in 0..ox {
                        for channel in 0..c {
                            let source = input[channel + c * (x / fx + sx * (y / fy + sy * (z / fz)))];
                            assert_eq!(output[channel + c * (x + ox * (y + oy * z))], source, "{shape:?} {factors:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn empty_input_gives_empty_output() {
        assert!(upsample::<f32>(&[], [1, 0, 4, 4], [2, 2, 2]).is_empty());
    }

    #[test]
    #[should_panic(expected = "input length")]
    fn wrong_input_length_panics() {
        upsample(&[1u8, 2, 3], [1, 2, 1, 1], [2, 2, 2]);
    }
}
