//! The disjoint `fx × fy × fz` windows that the aggregating modes reduce to one voxel each.

use crate::element::Element;

/// Reduces every window of `input` (shape `[C, X, Y, Z]`, each spatial dimension divisible by its
/// factor) to one value of `output` (shape `[C, X/fx, Y/fy, Z/fz]`), channel by channel. `reduce`
/// may reorder the window it is handed.
pub(crate) fn reduce_windows<T: Element>(
    input: &[T],
    shape: [usize; 4],
    factors: [usize; 3],
    output: &mut [T],
    reduce: impl Fn(&mut [T]) -> T,
) {
    let offsets = window_offsets(shape, factors);
    // With the window length known at compile time the gather unrolls and the reducers select their
    // sorting networks statically.
    match offsets.len() {
        4 => reduce_fixed::<T, 4>(input, shape, factors, output, &offsets, reduce),
        8 => reduce_fixed::<T, 8>(input, shape, factors, output, &offsets, reduce),
        _ => {
            let mut window = vec![T::default(); offsets.len()];
            for_each_window(shape, factors, output, |origin| {
                for (value, offset) in window.iter_mut().zip(&offsets) {
                    *value = input[origin + offset];
                }
                reduce(&mut window)
            });
        }
    }
}

fn reduce_fixed<T: Element, const N: usize>(
    input: &[T],
    shape: [usize; 4],
    factors: [usize; 3],
    output: &mut [T],
    offsets: &[usize],
    reduce: impl Fn(&mut [T]) -> T,
) {
    let offsets: [usize; N] = offsets.try_into().expect("window length matches N");
    for_each_window(shape, factors, output, |origin| {
        let mut window = offsets.map(|offset| input[origin + offset]);
        reduce(&mut window)
    });
}

/// Buffer offsets of a window's voxels relative to its first voxel.
fn window_offsets([channels, size_x, size_y, _]: [usize; 4], [fx, fy, fz]: [usize; 3]) -> Vec<usize> {
    let mut offsets = Vec::with_capacity(fx * fy * fz);
    for dz in 0..fz {
        for dy in 0..fy {
            for dx in 0..fx {
                offsets.push(channels * (dx + size_x * (dy + size_y * dz)));
            }
        }
    }
    offsets
}

/// Calls `window_value(origin)` for the buffer index of each window's first voxel in output order,
/// so that reads advance along x.
fn for_each_window<T>(
    [channels, size_x, size_y, size_z]: [usize; 4],
    [fx, fy, fz]: [usize; 3],
    output: &mut [T],
    mut window_value: impl FnMut(usize) -> T,
) {
    let mut output = output.iter_mut();
    for z in (0..size_z).step_by(fz) {
        for y in (0..size_y).step_by(fy) {
            let row = channels * size_x * (y + size_y * z);
            for x in (0..size_x).step_by(fx) {
                for channel in 0..channels {
                    *output.next().expect("output sized for the windows") = window_value(row + channels * x + channel);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reduces each window to the sum of its position-weighted values, which reveals both membership
    /// and gather order.
    fn fingerprint(window: &mut [u64]) -> u64 {
        window.iter().enumerate().map(|(i, v)| (i as u64 + 1) * v).sum()
    }

    fn fingerprints(shape: [usize; 4], factors: [usize; 3]) -> Vec<u64> {
        let input: Vec<u64> = (0..shape.iter().product::<usize>() as u64).map(|i| 1 << (i % 60)).collect();
        let windows = (0..3).map(|a| shape[a + 1] / factors[a]).product::<usize>() * shape[0];
        let mut output = vec![0; windows];
        reduce_windows(&input, shape, factors, &mut output, fingerprint);
        output
    }

    /// The same fingerprints computed naively from the window definition.
    fn expected_fingerprints([c, sx, sy, sz]: [usize; 4], [fx, fy, fz]: [usize; 3]) -> Vec<u64> {
        let mut expected = Vec::new();
        for z in 0..sz / fz {
            for y in 0..sy / fy {
                for x in 0..sx / fx {
                    for channel in 0..c {
                        let mut window = Vec::new();
                        for dz in 0..fz {
                            for dy in 0..fy {
                                for dx in 0..fx {
                                    let i = channel + c * (x * fx + dx + sx * (y * fy + dy + sy * (z * fz + dz)));
                                    window.push(1 << (i % 60));
                                }
                            }
                        }
                        expected.push(fingerprint(&mut window));
                    }
                }
            }
        }
        expected
    }

    #[test]
    fn windows_cover_exactly_their_block_for_every_path() {
        for (shape, factors) in [
            ([1, 4, 4, 4], [2, 2, 2]),
            ([3, 4, 2, 6], [2, 2, 2]),
            ([2, 4, 4, 2], [2, 2, 1]),
            ([2, 2, 6, 4], [1, 2, 2]),
            ([1, 4, 2, 4], [2, 1, 2]),
            ([2, 8, 2, 2], [8, 1, 1]),
            ([1, 3, 3, 3], [3, 3, 3]),
            ([2, 4, 4, 2], [1, 1, 1]),
            ([1, 8, 4, 4], [4, 4, 2]),
        ] {
            assert_eq!(fingerprints(shape, factors), expected_fingerprints(shape, factors), "{shape:?} {factors:?}");
        }
    }
}
