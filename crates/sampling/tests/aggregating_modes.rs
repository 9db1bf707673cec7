//! Median, mode, max and min: vectors from the reference library's tests, hand-computed windows,
//! and a brute-force comparison over many shapes and factors.

use sampling::{downsample, downsample_into, downsampled_shape, Element, InterpolationMode};
use InterpolationMode::{Max, Median, Min, Mode};

/// Buffer of shape `[1, X, Y, Z]` from numpy-style nested `arr[x][y][z]`.
fn from_nested<T: Copy, const X: usize, const Y: usize, const Z: usize>(nested: [[[T; Z]; Y]; X]) -> Vec<T> {
    let mut buffer = Vec::with_capacity(X * Y * Z);
    for z in 0..Z {
        for y in 0..Y {
            for x in nested.iter() {
                buffer.push(x[y][z]);
            }
        }
    }
    buffer
}

#[test]
fn reference_columns() {
    // The reference's test matrix; each column is one window of 3 values along x.
    let rows = [[1u8, 3, 4, 2, 2, 7], [5, 2, 2, 1, 4, 1], [3, 3, 2, 2, 1, 1]];
    let input: Vec<u8> = (0..6).flat_map(|column| rows.iter().map(move |row| row[column])).collect();
    assert_eq!(downsample(&input, [1, 3, 6, 1], [3, 1, 1], Mode).unwrap(), [1, 3, 2, 2, 1, 1]);
    assert_eq!(downsample(&input, [1, 3, 6, 1], [3, 1, 1], Median).unwrap(), [3, 3, 2, 2, 2, 1]);
}

#[test]
fn reference_blocks() {
    let input = from_nested([[[1u8, 3], [1, 4]], [[4, 2], [3, 1]]]);
    assert_eq!(downsample(&input, [1, 2, 2, 2], [2, 2, 2], Mode).unwrap(), [1]);
    let input = from_nested([[[1u32, 3], [1, 4]], [[4, 3], [3, 1]]]);
    assert_eq!(downsample(&input, [1, 2, 2, 2], [2, 2, 1], Mode).unwrap(), [1, 3]);
}

/// A 256³ buffer whose value is the z coordinate.
fn z_ramp() -> Vec<u8> {
    (0..256).flat_map(|z| std::iter::repeat_n(z as u8, 256 * 256)).collect()
}

#[test]
fn reference_z_ramp_mode() {
    // Each window holds 2k and 2k+1 four times each; the tie goes to 2k.
    let output = downsample(&z_ramp(), [1, 256, 256, 256], [2, 2, 2], Mode).unwrap();
    assert_eq!(output.len(), 128 * 128 * 128);
    for (i, value) in output.iter().enumerate() {
        assert_eq!(*value as usize, 2 * (i / (128 * 128)), "voxel {i}");
    }
}

#[test]
fn reference_z_ramp_upsample() {
    let output = sampling::upsample(&z_ramp(), [1, 256, 256, 256], [2, 2, 2]);
    assert_eq!(output.len(), 512 * 512 * 512);
    for (i, value) in output.iter().enumerate() {
        assert_eq!(*value as usize, i / (512 * 512) / 2, "voxel {i}");
    }
}

#[test]
fn hand_computed_2x2x2_window_for_each_type_class() {
    let shape = [1, 2, 2, 2];
    let factors = [2, 2, 2];
    let unsigned = [9u16, 2, 2, 7, 7, 7, 1, 300];
    assert_eq!(downsample(&unsigned, shape, factors, Median).unwrap(), [7]);
    assert_eq!(downsample(&unsigned, shape, factors, Mode).unwrap(), [7]);
    assert_eq!(downsample(&unsigned, shape, factors, Max).unwrap(), [300]);
    assert_eq!(downsample(&unsigned, shape, factors, Min).unwrap(), [1]);

    let signed = [-5i32, 3, -5, 3, 0, -1, 8, -9];
    // Sorted: -9 -5 -5 -1 0 3 3 8; median (-1 + 0) / 2 = -0.5 truncates to 0; -5 and 3 tie, -5 wins.
    assert_eq!(downsample(&signed, shape, factors, Median).unwrap(), [0]);
    assert_eq!(downsample(&signed, shape, factors, Mode).unwrap(), [-5]);
    assert_eq!(downsample(&signed, shape, factors, Max).unwrap(), [8]);
    assert_eq!(downsample(&signed, shape, factors, Min).unwrap(), [-9]);

    let float = [0.5f32, -2.0, 0.25, 0.25, 4.0, 1.0, 1.0, -0.75];
    // Sorted: -2 -0.75 0.25 0.25 0.5 1 1 4; median (0.25 + 0.5) / 2; 0.25 and 1 tie, 0.25 wins.
    assert_eq!(downsample(&float, shape, factors, Median).unwrap(), [0.375]);
    assert_eq!(downsample(&float, shape, factors, Mode).unwrap(), [0.25]);
    assert_eq!(downsample(&float, shape, factors, Max).unwrap(), [4.0]);
    assert_eq!(downsample(&float, shape, factors, Min).unwrap(), [-2.0]);
}

#[test]
fn sixty_four_bit_extremes() {
    let shape = [1, 2, 2, 1];
    let factors = [2, 2, 1];
    let unsigned = [u64::MAX, 0, u64::MAX, 1];
    assert_eq!(downsample(&unsigned, shape, factors, Max).unwrap(), [u64::MAX]);
    assert_eq!(downsample(&unsigned, shape, factors, Min).unwrap(), [0]);
    assert_eq!(downsample(&unsigned, shape, factors, Mode).unwrap(), [u64::MAX]);
    // (1 + 2^64 - 1) / 2 in f64 is exactly 2^63.
    assert_eq!(downsample(&unsigned, shape, factors, Median).unwrap(), [1 << 63]);

    let signed = [i64::MIN, i64::MAX, i64::MIN, -1];
    assert_eq!(downsample(&signed, shape, factors, Max).unwrap(), [i64::MAX]);
    assert_eq!(downsample(&signed, shape, factors, Min).unwrap(), [i64::MIN]);
    assert_eq!(downsample(&signed, shape, factors, Mode).unwrap(), [i64::MIN]);
    // (-2^63 + -1) / 2 in f64 is -2^62.
    assert_eq!(downsample(&signed, shape, factors, Median).unwrap(), [-(1 << 62)]);

    // Distinct values above 2^53 are kept exactly by everything but the median, which numpy
    // computes in f64.
    let wide = [(1u64 << 60) + 1, (1 << 60) + 1, (1 << 60) + 3, (1 << 60) + 3];
    assert_eq!(downsample(&wide, shape, factors, Mode).unwrap(), [(1 << 60) + 1]);
    assert_eq!(downsample(&wide, shape, factors, Max).unwrap(), [(1 << 60) + 3]);
    assert_eq!(downsample(&wide, shape, factors, Median).unwrap(), [1 << 60]);
}

#[test]
fn nan_windows() {
    let shape = [1, 4, 2, 1];
    let input = [f64::NAN, 1.0, 5.0, 5.0, 2.0, 3.0, 5.0, 5.0];
    for mode in [Median, Max, Min] {
        let output = downsample(&input, shape, [2, 2, 1], mode).unwrap();
        assert!(output[0].is_nan(), "{mode:?} {output:?}");
        assert_eq!(output[1], 5.0, "{mode:?}");
    }
    assert_eq!(downsample(&input, shape, [2, 2, 1], Mode).unwrap(), [1.0, 5.0]);
}

#[test]
fn channels_do_not_mix() {
    // Channel 0 counts up, channel 1 counts down from 1000, channel 2 is constant.
    let shape = [3, 4, 2, 2];
    let voxels = 4 * 2 * 2;
    let input: Vec<i16> = (0..voxels).flat_map(|v| [v as i16, 1000 - v as i16, -7]).collect();
    let max = downsample(&input, shape, [2, 2, 2], Max).unwrap();
    assert_eq!(max, [13, 1000, -7, 15, 998, -7]);
    let min = downsample(&input, shape, [2, 2, 2], Min).unwrap();
    assert_eq!(min, [0, 987, -7, 2, 985, -7]);
    let median = downsample(&input, shape, [2, 2, 2], Median).unwrap();
    // Middle pairs (5, 8), (992, 995), (7, 10) and (990, 993): halves truncate.
    assert_eq!(median, [6, 993, -7, 8, 991, -7]);
    let mode = downsample(&input, shape, [2, 2, 2], Mode).unwrap();
    assert_eq!(mode, [0, 987, -7, 2, 985, -7]);
}

#[test]
fn anisotropic_factors_by_hand() {
    // x = 0..4, y = 0..2, z = 0..2 with value x + 10 y + 100 z.
    let input: Vec<u32> = (0..16).map(|i| (i % 4) + 10 * (i / 4 % 2) + 100 * (i / 8)).collect();
    let shape = [1, 4, 2, 2];
    assert_eq!(downsample(&input, shape, [2, 2, 1], Max).unwrap(), [11, 13, 111, 113]);
    assert_eq!(downsample(&input, shape, [2, 1, 1], Min).unwrap(), [0, 2, 10, 12, 100, 102, 110, 112]);
    assert_eq!(downsample(&input, shape, [1, 1, 2], Max).unwrap(), [100, 101, 102, 103, 110, 111, 112, 113]);
    assert_eq!(downsample(&input, shape, [4, 1, 1], Median).unwrap(), [1, 11, 101, 111]);
    assert_eq!(downsample(&input, shape, [4, 2, 2], Mode).unwrap(), [0]);
}

/// What numpy computes for one window, written without the kernels' sorting networks.
fn brute_force<T: Element>(window: &[T], mode: InterpolationMode) -> T {
    if matches!(mode, Median | Max | Min) && window.iter().any(|v| v.is_nan()) {
        return *window.iter().find(|v| v.is_nan()).unwrap();
    }
    let mut sorted = window.to_vec();
    sorted.sort_by(|a, b| a.partial_cmp(b).unwrap_or_else(|| a.is_nan().cmp(&b.is_nan())));
    match mode {
        Max => sorted[sorted.len() - 1],
        Min => sorted[0],
        Median => {
            let len = sorted.len();
            T::numpy_mean(&sorted[(len - 1) / 2..len / 2 + 1])
        }
        Mode => {
            let count = |value: T| window.iter().filter(|v| **v == value).count();
            let best = sorted.iter().map(|v| count(*v)).max().unwrap();
            *sorted.iter().find(|v| count(**v) == best).unwrap()
        }
        _ => unreachable!(),
    }
}

fn brute_force_downsample<T: Element>(
    input: &[T],
    [c, sx, sy, sz]: [usize; 4],
    [fx, fy, fz]: [usize; 3],
    mode: InterpolationMode,
) -> Vec<T> {
    let mut output = Vec::new();
    for z in 0..sz / fz {
        for y in 0..sy / fy {
            for x in 0..sx / fx {
                for channel in 0..c {
                    let mut window = Vec::new();
                    for dz in 0..fz {
                        for dy in 0..fy {
                            for dx in 0..fx {
                                window
                                    .push(input[channel + c * (x * fx + dx + sx * (y * fy + dy + sy * (z * fz + dz)))]);
                            }
                        }
                    }
                    output.push(brute_force(&window, mode));
                }
            }
        }
    }
    output
}

/// Small value ranges so that windows contain repeats and ties.
fn values<T: Element>(len: usize, seed: u64, convert: impl Fn(u64) -> T) -> Vec<T> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            convert((state >> 33) % 7)
        })
        .collect()
}

fn compare_with_brute_force<T: Element>(convert: impl Fn(u64) -> T) {
    for (shape, factors) in [
        ([1, 8, 8, 8], [2, 2, 2]),
        ([2, 8, 4, 4], [2, 2, 1]),
        ([1, 4, 4, 8], [1, 1, 2]),
        ([3, 8, 2, 2], [2, 1, 1]),
        ([1, 4, 8, 4], [1, 2, 2]),
        ([2, 4, 4, 4], [2, 1, 2]),
        ([1, 16, 8, 4], [4, 4, 2]),
        ([2, 16, 2, 2], [8, 1, 1]),
        ([1, 9, 3, 3], [3, 3, 3]),
        ([2, 6, 4, 2], [3, 2, 1]),
        ([1, 5, 5, 5], [1, 1, 1]),
    ] {
        let input = values(shape.iter().product(), shape.iter().sum::<usize>() as u64, &convert);
        for mode in [Median, Mode, Max, Min] {
            let expected = brute_force_downsample(&input, shape, factors, mode);
            let output = downsample(&input, shape, factors, mode).unwrap();
            assert_eq!(output.len(), expected.len());
            for (i, (actual, expected)) in output.iter().zip(&expected).enumerate() {
                let same = actual == expected || (actual.is_nan() && expected.is_nan());
                assert!(same, "{mode:?} {shape:?} {factors:?} #{i}: {actual:?} != {expected:?}");
            }
        }
    }
}

#[test]
fn matches_brute_force_for_every_type_and_factor() {
    compare_with_brute_force(|v| v as u8 * 40);
    compare_with_brute_force(|v| v as u16 * 10_000);
    compare_with_brute_force(|v| v as u32 * 700_000_000);
    compare_with_brute_force(|v| u64::MAX - v * (u64::MAX / 7));
    compare_with_brute_force(|v| (v as i8 - 3) * 42);
    compare_with_brute_force(|v| (v as i16 - 3) * 10_000);
    compare_with_brute_force(|v| (v as i32 - 3) * 700_000_000);
    compare_with_brute_force(|v| (v as i64 - 3) * (i64::MAX / 3));
    compare_with_brute_force(|v| if v == 6 { f32::NAN } else { v as f32 * 0.3 - 1.0 });
    compare_with_brute_force(|v| if v == 6 { f64::NAN } else { v as f64 * 1e300 - 2e300 });
}

#[test]
fn non_divisible_shapes_are_errors() {
    let input = [0u8; 3 * 4 * 4];
    for mode in [Median, Mode, Max, Min, InterpolationMode::Nearest, InterpolationMode::Bicubic] {
        let error = downsample(&input, [1, 3, 4, 4], [2, 2, 2], mode).unwrap_err();
        assert!(error.contains("x size 3 is not a multiple of 2"), "{error}");
    }
    assert!(downsample(&input, [1, 4, 4, 3], [1, 1, 2], Mode).unwrap_err().contains("z size 3"));
    assert!(downsample(&input, [1, 4, 3, 4], [1, 2, 1], Mode).unwrap_err().contains("y size 3"));
    assert!(downsample(&input, [1, 4, 4, 3], [0, 1, 1], Mode).is_err());
    assert_eq!(downsampled_shape([2, 4, 6, 8], [2, 3, 8]), Ok([2, 2, 2, 1]));
}

#[test]
fn mismatched_buffers_are_errors() {
    assert!(downsample(&[0u8; 7], [1, 2, 2, 2], [2, 2, 2], Max).unwrap_err().contains("7 elements"));
    let mut output = [0u8; 2];
    let error = downsample_into(&[0u8; 8], [1, 2, 2, 2], [2, 2, 2], Max, &mut output).unwrap_err();
    assert!(error.contains("output has 2 elements"), "{error}");
}

#[test]
fn downsample_into_reuses_the_callers_buffer() {
    let mut output = [0u8; 2];
    downsample_into(&[1u8, 2, 3, 4], [1, 4, 1, 1], [2, 1, 1], Max, &mut output).unwrap();
    assert_eq!(output, [2, 4]);
    downsample_into(&[9u8, 2, 3, 8], [1, 4, 1, 1], [2, 1, 1], Min, &mut output).unwrap();
    assert_eq!(output, [2, 3]);
}

#[test]
fn empty_buffers() {
    assert_eq!(downsample::<u8>(&[], [1, 0, 2, 2], [2, 2, 2], Median).unwrap(), []);
    assert_eq!(downsample::<f32>(&[], [0, 2, 2, 2], [2, 2, 2], InterpolationMode::Bicubic).unwrap(), []);
}
