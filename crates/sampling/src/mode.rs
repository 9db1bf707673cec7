//! The most frequent value of a window, as the reference's `_mode` finds it: sort, then take the
//! first longest run, so ties go to the smallest value.

use crate::element::Element;
use crate::sort::sort_window;

#[inline(always)]
pub(crate) fn mode<T: Element>(window: &mut [T]) -> T {
    sort_window(window);
    let mut most_frequent = window[0];
    let mut most_count = 1;
    let mut run = 1;
    for i in 1..window.len() {
        // `==` as in numpy's `np.diff(sort) == 0`: every NaN is a run of its own.
        run = if window[i] == window[i - 1] { run + 1 } else { 1 };
        if run > most_count {
            most_count = run;
            most_frequent = window[i];
        }
    }
    most_frequent
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_frequent_value_wins() {
        assert_eq!(mode(&mut [3u8, 3, 1, 2]), 3);
        assert_eq!(mode(&mut [4i16, -2, 4, -2, 4, 9, 9, 0]), 4);
        assert_eq!(mode(&mut [7u32, 7, 7, 7, 7]), 7);
        assert_eq!(mode(&mut [0.5f32, 0.25, 0.5, 1.0]), 0.5);
    }

    #[test]
    fn ties_go_to_the_smallest_value() {
        assert_eq!(mode(&mut [1u8, 5, 3]), 1);
        assert_eq!(mode(&mut [2u8, 2, 1, 1]), 1);
        assert_eq!(mode(&mut [9i8, -9, 9, -9, 0, 0, 5, 5]), -9);
        assert_eq!(mode(&mut [u64::MAX, u64::MAX, u64::MAX - 1, u64::MAX - 1]), u64::MAX - 1);
        assert_eq!(mode(&mut [i64::MAX, i64::MIN]), i64::MIN);
    }

    #[test]
    fn each_nan_is_unique() {
        assert_eq!(mode(&mut [f32::NAN, f32::NAN, 1.0, 2.0]), 1.0);
        assert_eq!(mode(&mut [f64::NAN, 3.0, f64::NAN, 3.0, f64::NAN, f64::NAN, 0.0, 1.0]), 3.0);
        assert!(mode(&mut [f32::NAN, f32::NAN, f32::NAN, f32::NAN]).is_nan());
    }
}
