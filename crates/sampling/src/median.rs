//! The median of a window, as the reference computes it: `np.median(window).astype(dtype)`.

use crate::element::Element;
use crate::sort::sort_window;

#[inline(always)]
pub(crate) fn median<T: Element>(window: &mut [T]) -> T {
    sort_window(window);
    let len = window.len();
    let largest = window[len - 1];
    // NaN sorts last, so it is in the window iff it is the largest; np.median then returns NaN.
    if largest.is_nan() {
        return largest;
    }
    T::numpy_mean(&window[(len - 1) / 2..len / 2 + 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_windows_take_the_middle_value() {
        assert_eq!(median(&mut [3u8, 1, 2]), 2);
        assert_eq!(median(&mut [7i16]), 7);
        assert_eq!(median(&mut [5i32, -1, 4, 4, 100]), 4);
    }

    #[test]
    fn even_windows_average_the_two_middle_values() {
        assert_eq!(median(&mut [0u8, 255]), 127);
        assert_eq!(median(&mut [0u8, 255, 0, 255]), 127);
        assert_eq!(median(&mut [-3i8, 0]), -1);
        assert_eq!(median(&mut [0i8, -3, 0, -3]), -1);
        assert_eq!(median(&mut [1u16, 1, 2, 2]), 1);
        assert_eq!(median(&mut [0.0f32, 1.0]), 0.5);
        assert_eq!(median(&mut [1.0f64, 1.0, 2.0, 2.0]), 1.5);
        assert_eq!(median(&mut [8u32, 1, 7, 2, 6, 3, 5, 4]), 4);
        assert_eq!(median(&mut [8i64, 1, 7, 2, 6, 3, 5, -4]), 4);
    }

    #[test]
    fn nan_in_the_window_gives_nan() {
        assert!(median(&mut [1.0f32, f32::NAN, 3.0, 4.0]).is_nan());
        assert!(median(&mut [f64::NAN, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]).is_nan());
        assert!(median(&mut [1.0f32, 2.0, f32::NAN]).is_nan());
        assert_eq!(median(&mut [f32::INFINITY, 0.0, f32::NEG_INFINITY]), 0.0);
    }

    #[test]
    fn wide_values_follow_numpys_f64_arithmetic() {
        assert_eq!(median(&mut [u64::MAX - 1, 0, u64::MAX, 1]), 1 << 63);
        assert_eq!(median(&mut [i64::MIN, i64::MIN, 0, 0, i64::MIN, 5, i64::MIN, 0]), i64::MIN / 2);
        assert_eq!(median(&mut [(1u64 << 53) + 1; 3]), 1 << 53);
    }
}
