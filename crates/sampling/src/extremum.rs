//! The largest and smallest value of a window, with numpy's NaN propagation.

use crate::element::Element;
use crate::window::Kernel;

pub(crate) struct Max;

pub(crate) struct Min;

impl Kernel for Max {
    #[inline(always)]
    fn reduce<T: Element, const L: usize>(rows: &mut [[T; L]]) -> [T; L] {
        extremum(rows, |candidate, best| candidate > best)
    }
}

impl Kernel for Min {
    #[inline(always)]
    fn reduce<T: Element, const L: usize>(rows: &mut [[T; L]]) -> [T; L] {
        extremum(rows, |candidate, best| candidate < best)
    }
}

#[inline(always)]
fn extremum<T: Element, const L: usize>(rows: &[[T; L]], beats: impl Fn(T, T) -> bool) -> [T; L] {
    let mut best = rows[0];
    for row in &rows[1..] {
        for lane in 0..L {
            let (candidate, current) = (row[lane], best[lane]);
            // Once `current` is NaN, `beats` is false and only another NaN replaces it: NaN sticks.
            let replace = candidate.is_nan() || beats(candidate, current);
            best[lane] = if replace { candidate } else { current };
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::reduce_one;

    #[test]
    fn integers() {
        assert_eq!(reduce_one::<Max, _>(&[3u8, 255, 0, 7]), 255);
        assert_eq!(reduce_one::<Min, _>(&[3u8, 255, 0, 7]), 0);
        assert_eq!(reduce_one::<Max, _>(&[-3i8, -128, -1]), -1);
        assert_eq!(reduce_one::<Min, _>(&[-3i8, -128, -1]), -128);
        assert_eq!(reduce_one::<Max, _>(&[u64::MAX, 0, u64::MAX - 1, 1, 2, 3, 4, 5]), u64::MAX);
        assert_eq!(reduce_one::<Min, _>(&[i64::MAX, i64::MIN, 0, 1]), i64::MIN);
        assert_eq!(reduce_one::<Max, _>(&[i64::MIN]), i64::MIN);
    }

    #[test]
    fn floats_propagate_nan() {
        assert_eq!(reduce_one::<Max, _>(&[0.5f32, -1.0, 2.5, 0.0]), 2.5);
        assert_eq!(reduce_one::<Min, _>(&[0.5f64, -1.0, f64::NEG_INFINITY, 0.0]), f64::NEG_INFINITY);
        for position in 0..4 {
            let mut window = [1.0f32, 2.0, 3.0, 4.0];
            window[position] = f32::NAN;
            assert!(reduce_one::<Max, _>(&window).is_nan(), "{window:?}");
            assert!(reduce_one::<Min, _>(&window).is_nan(), "{window:?}");
        }
    }
}
