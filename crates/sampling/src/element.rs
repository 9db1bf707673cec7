//! The element types a voxel buffer can hold, and the handful of numpy/scipy conventions the kernels
//! must reproduce per type (sort order with NaN, `np.median`'s mean, scipy's output rounding).

use std::cmp::Ordering;
use std::fmt::Debug;

mod sealed {
    pub trait Sealed {}
}

/// One channel value of a voxel: `u8`, `u16`, `u32`, `u64`, `i8`, `i16`, `i32`, `i64`, `f32` or `f64`.
///
/// Sealed, because the kernels' correctness depends on these exact ten types (their numpy semantics).
pub trait Element: sealed::Sealed + Copy + Default + PartialEq + PartialOrd + Debug + Send + Sync + 'static {
    /// True only for a float NaN.
    fn is_nan(self) -> bool;

    /// `self < other` in the order `np.sort` produces: NaN after every number. Unlike `f32::total_cmp`
    /// this keeps `-0.0 == 0.0`, which numpy's mode counts as one value.
    fn sort_lt(self, other: Self) -> bool;

    /// [`Element::sort_lt`] as an [`Ordering`], for the library sorts.
    fn sort_cmp(self, other: Self) -> Ordering;

    /// `self - previous == 0` as numpy's `np.diff(sorted) == 0` finds runs of equal values: equality,
    /// except that infinities (whose difference is NaN) and NaN never match anything.
    fn diff_is_zero(self, previous: Self) -> bool;

    fn to_f64(self) -> f64;

    /// Stores the result of a spline interpolation the way `scipy.ndimage` does: integers round half
    /// away from zero and clamp to the type's range, floats are cast without rounding.
    fn from_interpolated(value: f64) -> Self;

    /// `np.mean(values).astype(dtype)` for the one or two middle values of `np.median`: integers are
    /// averaged in f64 and truncated toward zero (so 64-bit values beyond 2^53 lose precision as in
    /// numpy), floats are averaged in their own precision (so two huge f32 values overflow to inf).
    fn numpy_mean(values: &[Self]) -> Self;

    /// Decodes one little-endian element from exactly `size_of::<Self>()` bytes.
    fn read_le(bytes: &[u8]) -> Self;

    /// Encodes into exactly `size_of::<Self>()` bytes, little-endian.
    fn write_le(self, bytes: &mut [u8]);
}

/// scipy's `CASE_INTERP_OUT_UINT` before the cast: `t + 0.5` for positives, 0 otherwise, so that the
/// truncating (and, in Rust, saturating) cast rounds half up and clamps negatives and NaN to 0.
fn round_unsigned(value: f64) -> f64 {
    if value > 0.0 {
        value + 0.5
    } else {
        0.0
    }
}

/// scipy's `CASE_INTERP_OUT_INT` before the cast: rounds half away from zero once the cast truncates.
fn round_signed(value: f64) -> f64 {
    if value > 0.0 {
        value + 0.5
    } else {
        value - 0.5
    }
}

macro_rules! byte_order {
    ($t:ty) => {
        fn read_le(bytes: &[u8]) -> Self {
            <$t>::from_le_bytes(bytes.try_into().expect("one element's bytes"))
        }

        fn write_le(self, bytes: &mut [u8]) {
            bytes.copy_from_slice(&self.to_le_bytes());
        }
    };
}

macro_rules! integer {
    ($($t:ty => $round:ident, $mean:ty);*) => {$(
        impl sealed::Sealed for $t {}

        impl Element for $t {
            fn is_nan(self) -> bool {
                false
            }

            fn sort_lt(self, other: Self) -> bool {
                self < other
            }

            fn sort_cmp(self, other: Self) -> Ordering {
                self.cmp(&other)
            }

            fn diff_is_zero(self, previous: Self) -> bool {
                self == previous
            }

            fn to_f64(self) -> f64 {
                self as f64
            }

            fn from_interpolated(value: f64) -> Self {
                $round(value) as $t
            }

            fn numpy_mean(values: &[Self]) -> Self {
                let sum: $mean = values.iter().map(|v| *v as $mean).sum();
                (sum / values.len() as $mean) as $t
            }

            byte_order!($t);
        }
    )*};
}

macro_rules! float {
    ($($t:ty),*) => {$(
        impl sealed::Sealed for $t {}

        impl Element for $t {
            fn is_nan(self) -> bool {
                <$t>::is_nan(self)
            }

            fn sort_lt(self, other: Self) -> bool {
                self < other || (other.is_nan() && !self.is_nan())
            }

            fn sort_cmp(self, other: Self) -> Ordering {
                self.partial_cmp(&other).unwrap_or_else(|| self.is_nan().cmp(&other.is_nan()))
            }

            fn diff_is_zero(self, previous: Self) -> bool {
                self - previous == 0.0
            }

            fn to_f64(self) -> f64 {
                self as f64
            }

            fn from_interpolated(value: f64) -> Self {
                value as $t
            }

            fn numpy_mean(values: &[Self]) -> Self {
                match *values {
                    [middle] => middle,
                    [lower, upper] => (lower + upper) / 2.0,
                    _ => unreachable!("np.median averages one or two middle values"),
                }
            }

            byte_order!($t);
        }
    )*};
}

// numpy averages integers in f64 and the cast truncates toward zero. For up to 32 bits, i64
// arithmetic is exact and its division truncates toward zero too, so it gives the same results
// while vectorising; 64-bit values need the f64 rounding.
integer!(u8 => round_unsigned, i64; u16 => round_unsigned, i64; u32 => round_unsigned, i64; u64 => round_unsigned, f64);
integer!(i8 => round_signed, i64; i16 => round_signed, i64; i32 => round_signed, i64; i64 => round_signed, f64);
float!(f32, f64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolated_integers_round_half_away_from_zero_and_clamp() {
        assert_eq!(u8::from_interpolated(2.5), 3);
        assert_eq!(u8::from_interpolated(2.49), 2);
        assert_eq!(u8::from_interpolated(267.6), 255);
        assert_eq!(u8::from_interpolated(-12.6), 0);
        assert_eq!(u8::from_interpolated(f64::NAN), 0);
        assert_eq!(i8::from_interpolated(-2.5), -3);
        assert_eq!(i8::from_interpolated(-2.49), -2);
        assert_eq!(i8::from_interpolated(2.5), 3);
        assert_eq!(i8::from_interpolated(-300.0), -128);
        assert_eq!(i8::from_interpolated(300.0), 127);
        assert_eq!(u16::from_interpolated(65535.4), 65535);
        assert_eq!(i32::from_interpolated(-7.5), -8);
        assert_eq!(u64::from_interpolated(1e30), u64::MAX);
        assert_eq!(i64::from_interpolated(-1e30), i64::MIN);
    }

    #[test]
    fn interpolated_floats_are_not_rounded() {
        assert_eq!(f32::from_interpolated(2.5), 2.5);
        assert_eq!(f32::from_interpolated(0.1), 0.1f32);
        assert_eq!(f64::from_interpolated(-12.6), -12.6);
        assert!(f32::from_interpolated(f64::NAN).is_nan());
    }

    #[test]
    fn numpy_mean_truncates_integers_toward_zero() {
        assert_eq!(u8::numpy_mean(&[0, 255]), 127);
        assert_eq!(i8::numpy_mean(&[-3, 0]), -1);
        assert_eq!(i8::numpy_mean(&[-128, -128]), -128);
        assert_eq!(i16::numpy_mean(&[-7]), -7);
        assert_eq!(u32::numpy_mean(&[u32::MAX, u32::MAX - 1]), u32::MAX - 1);
    }

    #[test]
    fn numpy_mean_of_64_bit_integers_goes_through_f64() {
        // 2^53 + 1 is not an f64; numpy's median returns 2^53 for it.
        assert_eq!(u64::numpy_mean(&[(1 << 53) + 1]), 1 << 53);
        assert_eq!(i64::numpy_mean(&[i64::MIN, i64::MIN]), i64::MIN);
        assert_eq!(i64::numpy_mean(&[i64::MIN, i64::MAX]), 0);
        assert_eq!(u64::numpy_mean(&[0, u64::MAX]), 1 << 63);
    }

    #[test]
    fn numpy_mean_of_floats_stays_in_their_precision() {
        assert_eq!(f32::numpy_mean(&[0.0, 1.0]), 0.5);
        assert_eq!(f32::numpy_mean(&[3.0e38, 3.0e38]), f32::INFINITY);
        assert_eq!(f32::numpy_mean(&[3.0e38]), 3.0e38);
        assert_eq!(f64::numpy_mean(&[-1.0, 2.0]), 0.5);
    }

    #[test]
    fn sort_order_puts_nan_last() {
        assert!(1.0f32.sort_lt(f32::NAN));
        assert!(!f32::NAN.sort_lt(1.0));
        assert!(!f32::NAN.sort_lt(f32::NAN));
        assert!(f64::NEG_INFINITY.sort_lt(f64::INFINITY));
        assert!(!0.0f64.sort_lt(-0.0));
        assert_eq!(f64::NAN.sort_cmp(f64::INFINITY), Ordering::Greater);
        assert_eq!(f64::NAN.sort_cmp(f64::NAN), Ordering::Equal);
        assert_eq!((-1i8).sort_cmp(1), Ordering::Less);
        assert!(!u64::MAX.sort_lt(u64::MAX));
    }

    #[test]
    fn diff_is_zero_like_numpy() {
        assert!(3u8.diff_is_zero(3));
        assert!(!0u64.diff_is_zero(u64::MAX));
        assert!(i8::MIN.diff_is_zero(i8::MIN));
        assert!(0.0f32.diff_is_zero(-0.0));
        assert!(1e30f64.diff_is_zero(1e30));
        assert!(!f32::INFINITY.diff_is_zero(f32::INFINITY));
        assert!(!f64::NEG_INFINITY.diff_is_zero(f64::NEG_INFINITY));
        assert!(!f64::NAN.diff_is_zero(f64::NAN));
        assert!(!f32::MIN_POSITIVE.diff_is_zero(f32::MIN_POSITIVE / 2.0));
    }

    #[test]
    fn bytes_are_little_endian() {
        let mut bytes = [0u8; 4];
        0x0403_0201u32.write_le(&mut bytes);
        assert_eq!(bytes, [1, 2, 3, 4]);
        assert_eq!(u32::read_le(&bytes), 0x0403_0201);
        assert_eq!(i16::read_le(&[0xfe, 0xff]), -2);
        assert_eq!(f32::read_le(&1.5f32.to_le_bytes()), 1.5);
    }
}
