//! Byte-level entry points for callers that only know the voxel type at run time.

use crate::downsample::downsample;
use crate::element::Element;
use crate::interpolation::InterpolationMode;
use crate::upsample::upsample;
use voxel::VoxelType;

/// Runs `$body` with `$t` bound to the element type of `$voxel_type`, a [`VoxelType`].
#[macro_export]
macro_rules! with_element_type {
    ($voxel_type:expr, $t:ident => $body:expr) => {
        $crate::with_element_type!(@match $voxel_type, $t, $body,
            U8 u8, U16 u16, U32 u32, U64 u64, I8 i8, I16 i16, I32 i32, I64 i64, F32 f32, F64 f64)
    };
    (@match $voxel_type:expr, $t:ident, $body:expr, $($variant:ident $type:ty),*) => {
        match $voxel_type {
            $($crate::VoxelType::$variant => {
                type $t = $type;
                $body
            })*
        }
    };
}

/// [`crate::downsample`] on little-endian bytes of `voxel_type` elements; returns bytes likewise.
pub fn downsample_bytes(
    voxel_type: VoxelType,
    input: &[u8],
    shape: [usize; 4],
    factors: [usize; 3],
    mode: InterpolationMode,
) -> Result<Vec<u8>, String> {
    check_whole_elements(voxel_type, input)?;
    with_element_type!(voxel_type, T => Ok(encode(&downsample(&decode::<T>(input), shape, factors, mode)?)))
}

/// [`crate::upsample`] on little-endian bytes of `voxel_type` elements; returns bytes likewise.
///
/// Panics under the same conditions as [`crate::upsample`], or if `input` is not a whole number of
/// elements.
pub fn upsample_bytes(voxel_type: VoxelType, input: &[u8], shape: [usize; 4], factors: [usize; 3]) -> Vec<u8> {
    if let Err(message) = check_whole_elements(voxel_type, input) {
        panic!("{message}");
    }
    with_element_type!(voxel_type, T => encode(&upsample(&decode::<T>(input), shape, factors)))
}

fn check_whole_elements(voxel_type: VoxelType, input: &[u8]) -> Result<(), String> {
    if input.len().is_multiple_of(voxel_type.size()) {
        Ok(())
    } else {
        Err(format!("{} bytes are not a whole number of {} elements", input.len(), voxel_type.name()))
    }
}

fn decode<T: Element>(bytes: &[u8]) -> Vec<T> {
    bytes.chunks_exact(size_of::<T>()).map(T::read_le).collect()
}

fn encode<T: Element>(values: &[T]) -> Vec<u8> {
    let mut bytes = vec![0; size_of_val(values)];
    for (value, chunk) in values.iter().zip(bytes.chunks_exact_mut(size_of::<T>())) {
        value.write_le(chunk);
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes_of<T: Element>(values: &[T]) -> Vec<u8> {
        encode(values)
    }

    #[test]
    fn every_voxel_type_downsamples_its_own_elements() {
        let shape = [1, 2, 2, 2];
        macro_rules! check {
            ($($voxel_type:ident: $t:ty),*) => {$(
                let input: Vec<$t> = (1..=8).map(|v| v as $t).collect();
                let output = downsample_bytes(VoxelType::$voxel_type, &bytes_of(&input), shape, [2, 2, 2],
                    InterpolationMode::Max).unwrap();
                assert_eq!(output, bytes_of(&[8 as $t]), "{}", VoxelType::$voxel_type.name());
            )*};
        }
        check!(U8: u8, U16: u16, U32: u32, U64: u64, I8: i8, I16: i16, I32: i32, I64: i64, F32: f32, F64: f64);
    }

    #[test]
    fn wide_and_signed_values_survive_the_byte_round_trip() {
        let input = [i64::MIN, -1, 5, i64::MAX];
        let output =
            downsample_bytes(VoxelType::I64, &bytes_of(&input), [1, 4, 1, 1], [2, 1, 1], InterpolationMode::Min)
                .unwrap();
        assert_eq!(output, bytes_of(&[i64::MIN, 5]));
        let input = [u64::MAX, 0];
        let output = upsample_bytes(VoxelType::U64, &bytes_of(&input), [2, 1, 1, 1], [1, 1, 2]);
        assert_eq!(output, bytes_of(&[u64::MAX, 0, u64::MAX, 0]));
        let input = [-0.5f32, 1e30];
        let output =
            downsample_bytes(VoxelType::F32, &bytes_of(&input), [1, 2, 1, 1], [2, 1, 1], InterpolationMode::Max);
        assert_eq!(output.unwrap(), bytes_of(&[1e30f32]));
    }

    #[test]
    fn partial_elements_are_an_error() {
        let error = downsample_bytes(VoxelType::U16, &[1, 2, 3], [1, 1, 1, 1], [1, 1, 1], InterpolationMode::Mode);
        assert!(error.unwrap_err().contains("uint16"));
    }

    #[test]
    fn shape_mismatch_is_an_error() {
        let error = downsample_bytes(VoxelType::U16, &[0; 6], [1, 2, 1, 1], [2, 1, 1], InterpolationMode::Mode);
        assert!(error.unwrap_err().contains("3 elements"));
    }

    #[test]
    #[should_panic(expected = "whole number")]
    fn upsampling_partial_elements_panics() {
        upsample_bytes(VoxelType::F64, &[0; 12], [1, 1, 1, 1], [2, 2, 2]);
    }
}
