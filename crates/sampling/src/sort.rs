//! Sorting one window in numpy's order (NaN last), with sorting networks for the window sizes of
//! the usual factors: branch-free compare-exchanges beat a general sort by far on 4 or 8 values.

use crate::element::Element;

/// Knuth's optimal 5-comparator network for 4 values.
const NETWORK_4: [(usize, usize); 5] = [(0, 1), (2, 3), (0, 2), (1, 3), (1, 2)];

/// Batcher's / Knuth's optimal 19-comparator, depth-6 network for 8 values.
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

#[inline(always)]
pub(crate) fn sort_window<T: Element>(window: &mut [T]) {
    match window.len() {
        4 => apply(window, &NETWORK_4),
        8 => apply(window, &NETWORK_8),
        _ => window.sort_unstable_by(|a, b| a.sort_cmp(*b)),
    }
}

#[inline(always)]
fn apply<T: Element>(window: &mut [T], network: &[(usize, usize)]) {
    for &(i, j) in network {
        let (a, b) = (window[i], window[j]);
        // A select rather than min/max, so that NaN (unordered) is moved, never duplicated.
        let swap = b.sort_lt(a);
        window[i] = if swap { b } else { a };
        window[j] = if swap { a } else { b };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 0-1 principle: a comparator network sorts every input iff it sorts every 0/1 input.
    fn assert_sorts_all_binary_inputs(len: usize) {
        for bits in 0u32..1 << len {
            let mut window: Vec<u8> = (0..len).map(|i| (bits >> i & 1) as u8).collect();
            sort_window(&mut window);
            assert!(window.is_sorted(), "{bits:b} -> {window:?}");
        }
    }

    #[test]
    fn networks_sort_every_input() {
        assert_sorts_all_binary_inputs(4);
        assert_sorts_all_binary_inputs(8);
    }

    #[test]
    fn nan_sorts_last_and_is_kept() {
        for len in [4, 8, 5] {
            let mut window: Vec<f32> = (0..len).map(|i| if i == 1 { f32::NAN } else { (len - i) as f32 }).collect();
            sort_window(&mut window);
            assert!(window[len - 1].is_nan(), "{window:?}");
            assert!(window[..len - 1].is_sorted(), "{window:?}");
        }
    }

    #[test]
    fn other_sizes_sort_too() {
        let mut window = [5i64, -3, 9, 0, 9, i64::MIN, 2];
        sort_window(&mut window);
        assert_eq!(window, [i64::MIN, -3, 0, 2, 5, 9, 9]);
    }
}
