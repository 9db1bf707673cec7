//! The largest and smallest value of a window, with numpy's NaN propagation.

use crate::element::Element;

#[inline(always)]
pub(crate) fn max<T: Element>(window: &mut [T]) -> T {
    extremum(window, |candidate, current| candidate > current)
}

#[inline(always)]
pub(crate) fn min<T: Element>(window: &mut [T]) -> T {
    extremum(window, |candidate, current| candidate < current)
}

#[inline(always)]
fn extremum<T: Element>(window: &[T], beats: impl Fn(T, T) -> bool) -> T {
    let mut best = window[0];
    for &candidate in &window[1..] {
        if !best.is_nan() && (candidate.is_nan() || beats(candidate, best)) {
            best = candidate;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers() {
        assert_eq!(max(&mut [3u8, 255, 0, 7]), 255);
        assert_eq!(min(&mut [3u8, 255, 0, 7]), 0);
        assert_eq!(max(&mut [-3i8, -128, -1]), -1);
        assert_eq!(min(&mut [-3i8, -128, -1]), -128);
        assert_eq!(max(&mut [u64::MAX, 0, u64::MAX - 1, 1, 2, 3, 4, 5]), u64::MAX);
        assert_eq!(min(&mut [i64::MAX, i64::MIN, 0, 1]), i64::MIN);
        assert_eq!(max(&mut [i64::MIN]), i64::MIN);
    }

    #[test]
    fn floats_propagate_nan() {
        assert_eq!(max(&mut [0.5f32, -1.0, 2.5, 0.0]), 2.5);
        assert_eq!(min(&mut [0.5f64, -1.0, f64::NEG_INFINITY, 0.0]), f64::NEG_INFINITY);
        for position in 0..4 {
            let mut window = [1.0f32, 2.0, 3.0, 4.0];
            window[position] = f32::NAN;
            assert!(max(&mut window.clone()).is_nan(), "{window:?}");
            assert!(min(&mut window.clone()).is_nan(), "{window:?}");
        }
    }
}
