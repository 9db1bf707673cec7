//! The linear modes: `scipy.ndimage.zoom(channel, zoom=1 / factors, order, mode="nearest",
//! prefilter=True, grid_mode=False, output=dtype)` for each channel seen as an `[x, y, z]` array.
//!
//! The port follows scipy's operation order (`zoom`, `_prepad_for_spline_filter`, `spline_filter`,
//! `NI_ZoomShift`, `apply_filter` in `ni_splines.c`) so that results match bit for bit: integer
//! outputs round, and a different summation order would flip values that land near `.5`.

use crate::element::Element;

/// scipy pads each axis by this many edge samples before prefiltering for mode "nearest", so that
/// the filter's own mirror boundary sits far enough out (|pole|^12 ≈ 6e-10) not to matter.
const PREPAD: usize = 12;

/// The quadratic B-spline prefilter's pole, sqrt(8) - 3, as the f64 that scipy's literal denotes.
const POLE: f64 = -0.1715728752538099;

/// Resamples `input` (shape `[C, X, Y, Z]`) into `output` (shape `[C, X/fx, Y/fy, Z/fz]`) with a
/// B-spline of `order` 0, 1 or 2.
pub(crate) fn zoom<T: Element>(input: &[T], shape: [usize; 4], factors: [usize; 3], order: usize, output: &mut [T]) {
    if factors == [1, 1, 1] {
        // scipy returns the input as is when every zoom is 1 (gh-20999), skipping the spline round trip.
        output.copy_from_slice(input);
        return;
    }
    // The tap count as a constant lets the per-voxel tap loops unroll.
    match order {
        0 => zoom_with_taps::<T, 1>(input, shape, factors, output),
        1 => zoom_with_taps::<T, 2>(input, shape, factors, output),
        2 => zoom_with_taps::<T, 3>(input, shape, factors, output),
        _ => unreachable!("spline order {order}"),
    }
}

fn zoom_with_taps<T: Element, const TAPS: usize>(
    input: &[T],
    shape: [usize; 4],
    factors: [usize; 3],
    output: &mut [T],
) {
    let order = TAPS - 1;
    let [channels, size_x, size_y, _] = shape;
    let strides = if order == 2 {
        [1, size_x + 2, (size_x + 2) * (size_y + 2)]
    } else {
        [channels, channels * size_x, channels * size_x * size_y]
    };
    let axes =
        [0, 1, 2].map(|axis| AxisTaps::new(shape[axis + 1], shape[axis + 1] / factors[axis], order, strides[axis]));
    let (mut coefficients, mut lines) = (Vec::new(), Vec::new());
    for channel in 0..channels {
        let channel_output = output.iter_mut().skip(channel).step_by(channels);
        if order == 2 {
            prefilter(input, shape, channel, &mut coefficients, &mut lines);
            evaluate::<T, TAPS>(&axes, |offset| coefficients[offset], channel_output);
        } else {
            // Orders 0 and 1 interpolate the samples themselves: their B-spline coefficients are the data.
            evaluate::<T, TAPS>(&axes, |offset| input[channel + offset].to_f64(), channel_output);
        }
    }
}

/// Where and how strongly each output position of one axis samples the coefficient grid.
struct AxisTaps {
    points: Vec<Point>,
}

struct Point {
    /// Grid offsets (index times the axis' stride) of the taps.
    offset: [usize; 3],
    weight: [f64; 3],
}

impl AxisTaps {
    fn new(len_in: usize, len_out: usize, order: usize, stride: usize) -> Self {
        // grid_mode=False: the first and last samples of input and output coincide.
        let zoom = if len_out > 1 { (len_in - 1) as f64 / (len_out - 1) as f64 } else { 1.0 };
        let pad = if order > 1 { PREPAD } else { 0 };
        // Order 2 reaches one coefficient beyond the data on each side; the grid keeps exactly those.
        let margin = order / 2;
        let (first, last) = ((pad - margin) as isize, (pad + len_in - 1 + margin) as isize);
        let points = (0..len_out)
            .map(|k| {
                let mut coordinate = k as f64;
                coordinate *= zoom;
                coordinate += pad as f64;
                let nearest = if order % 2 == 1 { coordinate.floor() } else { (coordinate + 0.5).floor() };
                let start = nearest as isize - margin as isize;
                // Clamping is scipy's "nearest" extension at the data's end; the padded order-2 taps never
                // need it.
                let offset = [0, 1, 2].map(|tap| ((start + tap).clamp(first, last) - first) as usize * stride);
                Point { offset, weight: spline_weights(coordinate, order) }
            })
            .collect();
        AxisTaps { points }
    }
}

/// `get_spline_interpolation_weights`: the B-spline weights of the `order + 1` taps around `coordinate`.
fn spline_weights(coordinate: f64, order: usize) -> [f64; 3] {
    let x = coordinate - if order % 2 == 1 { coordinate.floor() } else { (coordinate + 0.5).floor() };
    let mut weight = [0.0; 3];
    match order {
        0 => {}
        1 => weight[0] = 1.0 - x,
        2 => {
            weight[1] = 0.75 - x * x;
            let y = 0.5 - x;
            weight[0] = 0.5 * y * y;
        }
        _ => unreachable!("spline order {order}"),
    }
    weight[order] = 1.0;
    for i in 0..order {
        weight[order] -= weight[i];
    }
    weight
}

/// `NI_ZoomShift`'s inner loop: the tensor-product sum over the taps, z tap fastest, each term
/// scaled by the x, then y, then z weight. `coefficient(offset)` reads the grid.
fn evaluate<'a, T: Element, const TAPS: usize>(
    [axis_x, axis_y, axis_z]: &[AxisTaps; 3],
    coefficient: impl Fn(usize) -> f64,
    mut output: impl Iterator<Item = &'a mut T>,
) {
    for pz in &axis_z.points {
        for py in &axis_y.points {
            // Offsets of the (y, z) tap pairs, shared by the whole output row.
            let rows: [[usize; TAPS]; TAPS] =
                std::array::from_fn(|b| std::array::from_fn(|c| py.offset[b] + pz.offset[c]));
            for px in &axis_x.points {
                let mut sum = 0.0;
                for (x_offset, x_weight) in px.offset.iter().zip(px.weight).take(TAPS) {
                    for (row, y_weight) in rows.iter().zip(py.weight) {
                        for (row_offset, z_weight) in row.iter().zip(pz.weight) {
                            let mut term = coefficient(x_offset + row_offset);
                            term *= x_weight;
                            term *= y_weight;
                            term *= z_weight;
                            sum += term;
                        }
                    }
                }
                *output.next().expect("output sized for the zoomed shape") = T::from_interpolated(sum);
            }
        }
    }
}

/// Lines prefiltered together. The filter is a chain of dependent multiply-adds along a line;
/// interleaving independent lines hides that latency (and vectorises) without changing any line's
/// arithmetic.
const LINES: usize = 8;

/// Fills `coefficients` (shape `[X+2, Y+2, Z+2]`, x fastest) with the order-2 spline coefficients
/// that `spline_filter(np.pad(channel, 12, mode="edge"), 2)` has at padded positions 11 ..= n+12,
/// the only ones the taps reach.
///
/// Filtering the full padded volume is unnecessary: scipy filters along x, then y, then z, and a
/// line that lies in the padding of another axis is a copy of the edge line, so its result is too.
/// Each pass therefore only filters lines through the data (or through the retained margin of
/// already filtered axes), with bit-identical results.
fn prefilter<T: Element>(
    input: &[T],
    [channels, size_x, size_y, size_z]: [usize; 4],
    channel: usize,
    coefficients: &mut Vec<f64>,
    lines: &mut Vec<[f64; LINES]>,
) {
    let [grid_x, grid_y, grid_z] = [size_x + 2, size_y + 2, size_z + 2];
    let at = |x: usize, y: usize, z: usize| x + grid_x * (y + grid_y * z);
    coefficients.clear();
    coefficients.resize(grid_x * grid_y * grid_z, 0.0);

    // Along x, through the input rows; row `row` is (y, z) = (row % Y, row / Y).
    filter_pass(
        coefficients,
        lines,
        [size_y * size_z, size_x],
        |_, index| input[index].to_f64(),
        |row| [channel + channels * size_x * row, channels],
        |row| [at(0, row % size_y + 1, row / size_y + 1), 1],
    );
    // Along y; line `line` is (x, z) = (line % (X+2), line / (X+2)).
    filter_pass(
        coefficients,
        lines,
        [grid_x * size_z, size_y],
        |coefficients, index| coefficients[index],
        |line| [at(line % grid_x, 1, line / grid_x + 1), grid_x],
        |line| [at(line % grid_x, 0, line / grid_x + 1), grid_x],
    );
    // Along z; line `line` is (x, y) = (line % (X+2), line / (X+2)).
    filter_pass(
        coefficients,
        lines,
        [grid_x * grid_y, size_z],
        |coefficients, index| coefficients[index],
        |line| [line + grid_x * grid_y, grid_x * grid_y],
        |line| [line, grid_x * grid_y],
    );
}

/// Prefilters `count` lines of `len` samples each and stores each line's retained coefficients
/// `k = 0 ..= len + 1` in `coefficients`. Line `line` has its samples at `source(line) = [start,
/// stride]`, read with `sample(coefficients, start + i * stride)`, and its results go to
/// `target(line)` likewise.
fn filter_pass(
    coefficients: &mut [f64],
    lines: &mut Vec<[f64; LINES]>,
    [count, len]: [usize; 2],
    sample: impl Fn(&[f64], usize) -> f64,
    source: impl Fn(usize) -> [usize; 2],
    target: impl Fn(usize) -> [usize; 2],
) {
    for first in (0..count).step_by(LINES) {
        let batch = LINES.min(count - first);
        // Lanes past the batch repeat its last line; they are not stored.
        let sources: [[usize; 2]; LINES] = std::array::from_fn(|lane| source(first + lane.min(batch - 1)));
        lines.clear();
        // scipy's edge padding.
        lines.extend((0..len + 2 * PREPAD).map(|i| {
            let i = i.saturating_sub(PREPAD).min(len - 1);
            sources.map(|[start, stride]| sample(coefficients, start + i * stride))
        }));
        spline_filter(lines);
        let targets: [[usize; 2]; LINES] = std::array::from_fn(|lane| target(first + lane.min(batch - 1)));
        // Coefficient by coefficient rather than line by line: a batch's lines are usually adjacent
        // in memory, so this writes contiguously even when a line's own stride is large.
        for (k, values) in lines[PREPAD - 1..PREPAD + len + 1].iter().enumerate() {
            for ([start, stride], value) in targets[..batch].iter().zip(values) {
                coefficients[start + k * stride] = *value;
            }
        }
    }
}

/// `apply_filter` of `ni_splines.c` for order 2 with the mirror-symmetric initialisation scipy uses
/// for mode "nearest" (`_init_causal_reflect`, `_init_anticausal_reflect`), on [`LINES`] lines at
/// once (`c[i][lane]` is sample `i` of line `lane`): turns samples into the coefficients of the
/// quadratic B-spline that interpolates them. Lines have at least 2 samples.
fn spline_filter(c: &mut [[f64; LINES]]) {
    let n = c.len();
    let z = POLE;
    let gain = (1.0 - z) * (1.0 - 1.0 / z);
    for value in c.iter_mut().flatten() {
        *value *= gain;
    }

    let z_n = z.powf(n as f64);
    let mut z_i = z;
    let mut sum: [f64; LINES] = std::array::from_fn(|lane| c[0][lane] + z_n * c[n - 1][lane]);
    for i in 1..n {
        let (front, back) = (c[i], c[n - 1 - i]);
        for lane in 0..LINES {
            sum[lane] += z_i * (front[lane] + z_n * back[lane]);
        }
        z_i *= z;
    }
    for (first, sum) in c[0].iter_mut().zip(sum) {
        *first += sum * z / (1.0 - z_n * z_n);
    }
    for i in 1..n {
        let previous = c[i - 1];
        for (value, previous) in c[i].iter_mut().zip(previous) {
            *value += z * previous;
        }
    }

    for last in &mut c[n - 1] {
        *last *= z / (z - 1.0);
    }
    for i in (0..n - 1).rev() {
        let next = c[i + 1];
        for (value, next) in c[i].iter_mut().zip(next) {
            *value = z * (next - *value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zoom_x<T: Element>(line: &[T], factor: usize, order: usize) -> Vec<T> {
        let mut output = vec![T::default(); line.len() / factor];
        zoom(line, [1, line.len(), 1, 1], [factor, 1, 1], order, &mut output);
        output
    }

    #[test]
    fn nearest_rounds_half_coordinates_up() {
        let line: Vec<u8> = (0..16).collect();
        assert_eq!(zoom_x(&line, 2, 0), [0, 2, 4, 6, 9, 11, 13, 15]);
        assert_eq!(zoom_x(&[0u8, 1, 2, 3, 4, 5], 2, 0), [0, 3, 5]);
    }

    #[test]
    fn ramp_from_the_reference() {
        let ramp: Vec<u8> = (0..8).map(|i| i * 10).collect();
        assert_eq!(zoom_x(&ramp, 2, 0), [0, 20, 50, 70]);
        assert_eq!(zoom_x(&ramp, 2, 1), [0, 23, 47, 70]);
        assert_eq!(zoom_x(&ramp, 2, 2), [0, 23, 47, 70]);
    }

    #[test]
    fn a_single_output_samples_the_first_input() {
        assert_eq!(zoom_x(&[5.0f32, 9.0], 2, 1), [5.0]);
        assert_eq!(zoom_x(&[5u16, 9, 1, 1], 4, 0), [5]);
    }

    #[test]
    fn weights_sum_to_one() {
        for order in 0..3 {
            for coordinate in [0.0, 0.25, 0.5, 0.75, 1.0, 13.4999, 13.5, 100.9] {
                let weights = spline_weights(coordinate, order);
                assert!((weights.iter().sum::<f64>() - 1.0).abs() < 1e-15, "{order} {coordinate} {weights:?}");
            }
        }
    }

    #[test]
    fn order_two_interpolates_the_samples() {
        // The prefilter makes the quadratic spline pass through the data at integer coordinates.
        let samples = [3.0, -1.0, 4.0, 1.0, -5.0, 9.0, 2.0, 6.0];
        let mut coefficients = vec![0.0; samples.len() + 2];
        let sample = |_: &[f64], i: usize| samples[i];
        filter_pass(&mut coefficients, &mut Vec::new(), [1, samples.len()], sample, |_| [0, 1], |_| [0, 1]);
        for (i, sample) in samples.iter().enumerate() {
            let value = 0.125 * coefficients[i] + 0.75 * coefficients[i + 1] + 0.125 * coefficients[i + 2];
            assert!((value - sample).abs() < 1e-9, "{i}: {value} vs {sample}");
        }
    }

    #[test]
    fn lines_of_a_batch_are_filtered_independently() {
        let count = LINES + 3;
        let len = 5;
        // Sample i of line l is samples[l + count * i].
        let samples: Vec<f64> = (0..count * len).map(|i| ((i * 7) % 11) as f64 - 5.0).collect();
        let sample = |_: &[f64], index: usize| samples[index];
        let mut together = vec![0.0; count * (len + 2)];
        filter_pass(
            &mut together,
            &mut Vec::new(),
            [count, len],
            sample,
            |line| [line, count],
            |line| [line * (len + 2), 1],
        );
        for line in 0..count {
            let mut alone = vec![0.0; len + 2];
            filter_pass(&mut alone, &mut Vec::new(), [1, len], sample, |_| [line, count], |_| [0, 1]);
            assert_eq!(alone, together[line * (len + 2)..][..len + 2], "line {line}");
        }
    }
}
