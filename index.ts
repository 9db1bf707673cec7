export { BoundingBox } from './lib/geometry/bounding-box'
export { type AddLayerOptions, type CopyDatasetOptions, Dataset, type LocationOptions } from './lib/model/dataset'
export type { StorageOptions } from './lib/storage/location'
export { type DType, type TypedArray, DTYPES, dtypeSize } from './lib/storage/dtype'
export { AbortError, type ErrorCode, WebknossosError } from './lib/errors'
export { type AddMagOptions, Layer } from './lib/model/layer'
export type { LongOp, Progress } from './lib/native/long-op'
export { Mag, type MagLike } from './lib/geometry/mag'
export { MagView } from './lib/model/mag-view'
export type { Category, DatasetViewConfiguration, LayerViewConfiguration } from './lib/model/properties'
export { SegmentationLayer } from './lib/model/segmentation-layer'
export { MAX_COORDINATE, type Vec3 } from './lib/geometry/vec3'
export { View } from './lib/model/view'
export type { VoxelArray, VoxelInput } from './lib/storage/voxel-array'
export { type ArrayInfo, type Compression, DATA_FORMATS, type DataFormat } from './lib/storage/mag-array'
export { type BlockType, WkwDataset, type WkwHeader } from './lib/storage/wkw'
export {
  type DownsampleMagListOptions,
  type DownsampleMagOptions,
  type DownsampleOptions,
  INTERPOLATION_MODES,
  type InterpolationMode,
  type SamplingTimings,
  type UpsampleOptions,
} from './lib/sampling/downsampling'
export { SAMPLING_MODES, type SamplingMode, downsamplingMags } from './lib/sampling/ladder'
export { type PlannedStep, SamplingPlan } from './lib/sampling/plan'
export { type Distributable, type ExecuteOptions, type Executor, TaskFailedError, describeTask } from './lib/execution/executor'
export { LocalExecutor } from './lib/execution/local-executor'
export { SlurmExecutor, type SlurmExecutorOptions } from './lib/execution/slurm-executor'
export { BullMqExecutor, type BullMqExecutorOptions } from './lib/execution/bullmq-executor'
export { type BullMqWorkerOptions, runBullMqWorker } from './lib/execution/bullmq-worker'
export { runTask, writeTaskResult } from './lib/execution/run-task'
export { type CopyTask, type ImagesTask, type SampleTask, type Task, type TaskResult, checkTask } from './lib/execution/task'
export { type Server, type ServeOptions, serve } from './lib/serving/server'
export { type ImageStackInfo, type ImportImagesOptions, scanImages } from './lib/images/import-images'

import { WkwDataset } from './lib/storage/wkw'

/** Low-level WKW access without the dataset layer, like the Python `wkw` package. */
export const wkw = { WkwDataset }
