export { type DType, type TypedArray, DTYPES } from './lib/dtype'
export { AbortError, type ErrorCode, WebknossosError } from './lib/errors'
export type { LongOp, Progress } from './lib/long-op'
export type { Vec3 } from './lib/vec3'
export type { VoxelArray, VoxelInput } from './lib/voxel-array'
export { type BlockType, WkwDataset, type WkwHeader } from './lib/wkw'

import { WkwDataset } from './lib/wkw'

/** Low-level WKW access without the dataset layer, like the Python `wkw` package. */
export const wkw = { WkwDataset }
