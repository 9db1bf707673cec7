//! The median of a window, as the reference computes it: `np.median(window).astype(dtype)`.

use crate::element::Element;
use crate::sort::sort_windows;
use crate::window::Kernel;

pub(crate) struct Median;

impl Kernel for Median {
    #[inline(always)]
    fn reduce<T: Element, const L: usize>(rows: &mut [[T; L]]) -> [T; L] {
        sort_windows(rows);
        let len = rows.len();
        let (lower, upper, largest) = (rows[(len - 1) / 2], rows[len / 2], rows[len - 1]);
        std::array::from_fn(|lane| {
            // NaN sorts last, so it is in the window iff it is the largest; np.median then returns NaN.
            if largest[lane].is_nan() {
                largest[lane]
            } else if len % 2 == 1 {
                T::numpy_mean(&[lower[lane]])
            } else {
                T::numpy_mean(&[lower[lane], upper[lane]])
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::reduce_one;

    fn median<T: Element>(window: &[T]) -> T {
        reduce_one::<Median, T>(window)
    }

    #[test]
    fn odd_windows_take_the_middle_value() {
        assert_eq!(median(&[3u8, 1, 2]), 2);
        assert_eq!(median(&[7i16]), 7);
        assert_eq!(median(&[5i32, -1, 4, 4, 100]), 4);
    }

    #[test]
    fn even_windows_average_the_two_middle_values() {
        assert_eq!(median(&[0u8, 255]), 127);
        assert_eq!(median(&[0u8, 255, 0, 255]), 127);
        assert_eq!(median(&[-3i8, 0]), -1);
        assert_eq!(median(&[0i8, -3, 0, -3]), -1);
        assert_eq!(median(&[1u16, 1, 2, 2]), 1);
        assert_eq!(median(&[0.0f32, 1.0]), 0.5);
        assert_eq!(median(&[1.0f64, 1.0, 2.0, 2.0]), 1.5);
        assert_eq!(median(&[8u32, 1, 7, 2, 6, 3, 5, 4]), 4);
        assert_eq!(median(&[8i64, 1, 7, 2, 6, 3, 5, -4]), 4);
        assert_eq!(median(&[-8i16, -1, -7, -2, -6, -3, -5, -4]), -4);
    }

    #[test]
    fn nan_in_the_window_gives_nan() {
        assert!(median(&[1.0f32, f32::NAN, 3.0, 4.0]).is_nan());
        assert!(median(&[f64::NAN, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]).is_nan());
        assert!(median(&[1.0f32, 2.0, f32::NAN]).is_nan());
        assert_eq!(median(&[f32::INFINITY, 0.0, f32::NEG_INFINITY]), 0.0);
    }

    #[test]
    fn wide_values_follow_numpys_f64_arithmetic() {
        assert_eq!(median(&[u64::MAX - 1, 0, u64::MAX, 1]), 1 << 63);
        assert_eq!(median(&[i64::MIN, i64::MIN, 0, 0, i64::MIN, 5, i64::MIN, 0]), i64::MIN / 2);
        assert_eq!(median(&[(1u64 << 53) + 1; 3]), 1 << 53);
    }
}
