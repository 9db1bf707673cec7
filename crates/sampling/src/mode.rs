//! The most frequent value of a window, as the reference's `_mode` finds it: sort, then take the
//! first longest run of zero differences, so ties go to the smallest value, and every NaN and
//! infinity counts as a value of its own.

use crate::element::Element;
use crate::sort::sort_windows;
use crate::window::Kernel;

pub(crate) struct Mode;

impl Kernel for Mode {
    #[inline(always)]
    fn reduce<T: Element, const L: usize>(rows: &mut [[T; L]]) -> [T; L] {
        // Segmentations are mostly uniform windows inside one segment: no sorting needed then.
        // Without early exits, so that the comparison vectorises across lanes.
        let mut differs = false;
        for row in &rows[1..] {
            for lane in 0..L {
                differs |= !row[lane].diff_is_zero(rows[0][lane]);
            }
        }
        if !differs {
            return rows[0];
        }
        sort_windows(rows);
        let mut most_frequent = rows[0];
        let mut most_count = [1u32; L];
        let mut run = [1u32; L];
        for k in 1..rows.len() {
            let (previous, current) = (rows[k - 1], rows[k]);
            for lane in 0..L {
                run[lane] = if current[lane].diff_is_zero(previous[lane]) { run[lane] + 1 } else { 1 };
                let longer = run[lane] > most_count[lane];
                most_count[lane] = if longer { run[lane] } else { most_count[lane] };
                most_frequent[lane] = if longer { current[lane] } else { most_frequent[lane] };
            }
        }
        most_frequent
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::reduce_one;

    fn mode<T: Element>(window: &[T]) -> T {
        reduce_one::<Mode, T>(window)
    }

    #[test]
    fn most_frequent_value_wins() {
        assert_eq!(mode(&[3u8, 3, 1, 2]), 3);
        assert_eq!(mode(&[4i16, -2, 4, -2, 4, 9, 9, 0]), 4);
        assert_eq!(mode(&[7u32, 7, 7, 7, 7]), 7);
        assert_eq!(mode(&[0.5f32, 0.25, 0.5, 1.0]), 0.5);
        assert_eq!(mode(&[1u8, 2, 2, 2, 2, 2, 2, 3]), 2);
    }

    #[test]
    fn ties_go_to_the_smallest_value() {
        assert_eq!(mode(&[1u8, 5, 3]), 1);
        assert_eq!(mode(&[2u8, 2, 1, 1]), 1);
        assert_eq!(mode(&[9i8, -9, 9, -9, 0, 0, 5, 5]), -9);
        assert_eq!(mode(&[u64::MAX, u64::MAX, u64::MAX - 1, u64::MAX - 1]), u64::MAX - 1);
        assert_eq!(mode(&[i64::MAX, i64::MIN]), i64::MIN);
        assert_eq!(mode(&[5u16, 4, 3, 2, 1, 0, 7, 6]), 0);
    }

    #[test]
    fn each_nan_and_infinity_is_unique() {
        assert_eq!(mode(&[f32::NAN, f32::NAN, 1.0, 2.0]), 1.0);
        assert_eq!(mode(&[f32::INFINITY, f32::INFINITY, 2.0, 1.0]), 1.0);
        assert_eq!(mode(&[f64::NEG_INFINITY, f64::NEG_INFINITY, 2.0, 1.0, 9.0, 9.0, 9.0, 0.5]), 9.0);
        assert_eq!(mode(&[f64::NEG_INFINITY, f64::NEG_INFINITY, 2.0, 1.0]), f64::NEG_INFINITY);
        assert_eq!(mode(&[-0.0f32, 0.0, 0.0, 1.0, 1.0, 1.0, 2.0, 2.0]), 0.0);
        assert_eq!(mode(&[f64::NAN, 3.0, f64::NAN, 3.0, f64::NAN, f64::NAN, 0.0, 1.0]), 3.0);
        assert!(mode(&[f32::NAN, f32::NAN, f32::NAN, f32::NAN]).is_nan());
    }
}
