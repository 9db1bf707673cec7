export { BoundingBox } from './lib/bounding-box'
export { type AddLayerOptions, type CopyDatasetOptions, Dataset } from './lib/dataset'
export { type DType, type TypedArray, DTYPES } from './lib/dtype'
export { AbortError, type ErrorCode, WebknossosError } from './lib/errors'
export { type AddMagOptions, Layer } from './lib/layer'
export type { LongOp, Progress } from './lib/long-op'
export { Mag, type MagLike } from './lib/mag'
export { MagView } from './lib/mag-view'
export type { Category, DatasetViewConfiguration, LayerViewConfiguration } from './lib/properties'
export { SegmentationLayer } from './lib/segmentation-layer'
export type { Vec3 } from './lib/vec3'
export { View } from './lib/view'
export type { VoxelArray, VoxelInput } from './lib/voxel-array'
export { type BlockType, WkwDataset, type WkwHeader } from './lib/wkw'

import { WkwDataset } from './lib/wkw'

/** Low-level WKW access without the dataset layer, like the Python `wkw` package. */
export const wkw = { WkwDataset }
