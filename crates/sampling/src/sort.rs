//! Sorting windows in numpy's order (NaN last), with sorting networks for the window lengths of the
//! usual factors: branch-free compare-exchanges, applied to many windows at once, beat a general
//! sort by far on 4 or 8 values.

use crate::element::Element;

/// Knuth's optimal 5-comparator network for 4 values.
const NETWORK_4: [(usize, usize); 5] = [(0, 1), (2, 3), (0, 2), (1, 3), (1, 2)];

/// Batcher's optimal 19-comparator, depth-6 network for 8 values.
const NETWORK_8: [(usize, usize); 19] = [
    (0, 2),
    (1, 3),
    (4, 6),
    (5, 7),
    (0, 4),
    (1, 5),
    (2, 6),
    (3, 7),
    (0, 1),
    (2, 3),
    (4, 5),
    (6, 7),
    (2, 4),
    (3, 5),
    (1, 4),
    (3, 6),
    (1, 2),
    (3, 4),
    (5, 6),
];

/// Sorts each of the `L` transposed windows (`rows[k][lane]` is value `k` of window `lane`).
#[inline(always)]
pub(crate) fn sort_windows<T: Element, const L: usize>(rows: &mut [[T; L]]) {
    match rows.len() {
        4 => apply(rows, &NETWORK_4),
        8 => apply(rows, &NETWORK_8),
        _ => {
            assert_eq!(L, 1, "windows of other lengths come one at a time");
            rows.sort_unstable_by(|a, b| a[0].sort_cmp(b[0]));
        }
    }
}

#[inline(always)]
fn apply<T: Element, const L: usize>(rows: &mut [[T; L]], network: &[(usize, usize)]) {
    for &(i, j) in network {
        let (mut low, mut high) = (rows[i], rows[j]);
        for lane in 0..L {
            let (a, b) = (low[lane], high[lane]);
            // A select rather than min/max, so that NaN (unordered) is moved, never duplicated.
            let swap = b.sort_lt(a);
            low[lane] = if swap { b } else { a };
            high[lane] = if swap { a } else { b };
        }
        rows[i] = low;
        rows[j] = high;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::LANES;

    fn sorted<T: Element>(window: &[T]) -> Vec<T> {
        let mut rows: Vec<[T; 1]> = window.iter().map(|value| [*value]).collect();
        sort_windows(&mut rows);
        rows.into_iter().map(|[value]| value).collect()
    }

    /// The 0-1 principle: a comparator network sorts every input iff it sorts every 0/1 input.
    #[test]
    fn networks_sort_every_input() {
        for len in [4, 8] {
            for bits in 0u32..1 << len {
                let window: Vec<u8> = (0..len).map(|i| (bits >> i & 1) as u8).collect();
                assert!(sorted(&window).is_sorted(), "{bits:b}");
            }
        }
    }

    #[test]
    fn lanes_sort_independently() {
        let mut rows = [[0u16; LANES]; 8];
        for (k, row) in rows.iter_mut().enumerate() {
            for (lane, value) in row.iter_mut().enumerate() {
                *value = ((k * 5 + lane * 3) % 8) as u16 + 10 * lane as u16;
            }
        }
        sort_windows(&mut rows);
        for (lane, _) in rows[0].iter().enumerate() {
            let window: Vec<u16> = rows.iter().map(|row| row[lane]).collect();
            let expected: Vec<u16> = (0..8).map(|v| v + 10 * lane as u16).collect();
            assert_eq!(window, expected, "lane {lane}");
        }
    }

    #[test]
    fn nan_sorts_last_and_is_kept() {
        for len in [4, 8, 5] {
            let window: Vec<f32> = (0..len).map(|i| if i == 1 { f32::NAN } else { (len - i) as f32 }).collect();
            let window = sorted(&window);
            assert!(window[len - 1].is_nan(), "{window:?}");
            assert!(window[..len - 1].is_sorted(), "{window:?}");
        }
    }

    #[test]
    fn other_lengths_sort_too() {
        assert_eq!(sorted(&[5i64, -3, 9, 0, 9, i64::MIN, 2]), [i64::MIN, -3, 0, 2, 5, 9, 9]);
    }
}
