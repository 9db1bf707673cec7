//! How a downsampled voxel is derived from the voxels it replaces.

/// The downsampling modes of the reference `webknossos` Python library (`InterpolationModes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InterpolationMode {
    /// Median of each window, as `np.median` cast back to the element type.
    Median,
    /// Most frequent value of each window; ties go to the smallest value.
    Mode,
    /// Largest value of each window.
    Max,
    /// Smallest value of each window.
    Min,
    /// `scipy.ndimage.zoom` with spline order 0.
    Nearest,
    /// `scipy.ndimage.zoom` with spline order 1.
    Bilinear,
    /// `scipy.ndimage.zoom` with spline order 2: the reference calls its quadratic spline "bicubic".
    Bicubic,
}

const ALL: [InterpolationMode; 7] = [
    InterpolationMode::Median,
    InterpolationMode::Mode,
    InterpolationMode::Max,
    InterpolationMode::Min,
    InterpolationMode::Nearest,
    InterpolationMode::Bilinear,
    InterpolationMode::Bicubic,
];

impl InterpolationMode {
    /// Case-insensitive inverse of [`InterpolationMode::name`].
    pub fn parse(name: &str) -> Option<Self> {
        ALL.into_iter().find(|mode| mode.name().eq_ignore_ascii_case(name))
    }

    pub fn name(self) -> &'static str {
        match self {
            InterpolationMode::Median => "median",
            InterpolationMode::Mode => "mode",
            InterpolationMode::Max => "max",
            InterpolationMode::Min => "min",
            InterpolationMode::Nearest => "nearest",
            InterpolationMode::Bilinear => "bilinear",
            InterpolationMode::Bicubic => "bicubic",
        }
    }

    /// Whether the mode resamples with a spline (endpoint-aligned, see [`crate::downsample`]) instead
    /// of aggregating disjoint windows.
    pub fn is_linear(self) -> bool {
        self.spline_order().is_some()
    }

    pub(crate) fn spline_order(self) -> Option<usize> {
        match self {
            InterpolationMode::Nearest => Some(0),
            InterpolationMode::Bilinear => Some(1),
            InterpolationMode::Bicubic => Some(2),
            InterpolationMode::Median | InterpolationMode::Mode | InterpolationMode::Max | InterpolationMode::Min => {
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_is_case_insensitive_and_inverts_name() {
        for mode in ALL {
            assert_eq!(InterpolationMode::parse(mode.name()), Some(mode));
            assert_eq!(InterpolationMode::parse(&mode.name().to_uppercase()), Some(mode));
        }
        assert_eq!(InterpolationMode::parse("BiLinear"), Some(InterpolationMode::Bilinear));
        assert_eq!(InterpolationMode::parse("default"), None);
        assert_eq!(InterpolationMode::parse(""), None);
        assert_eq!(InterpolationMode::parse("medians"), None);
    }

    #[test]
    fn linear_modes_are_the_spline_ones() {
        let linear: Vec<_> = ALL.into_iter().filter(|mode| mode.is_linear()).collect();
        assert_eq!(linear, [InterpolationMode::Nearest, InterpolationMode::Bilinear, InterpolationMode::Bicubic]);
        assert_eq!(InterpolationMode::Bicubic.spline_order(), Some(2));
    }
}
