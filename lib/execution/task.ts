// A task is data, never code: a JSON description of target shards to write, which any process
// that reaches the dataset runs with `runTask` (`wk run-task <file>`, `wk worker`). Tasks of one
// step own disjoint target shards, write each of them whole and atomically, and may run twice.
import { invalidArgument } from '../errors'
import { type Vec3, toVec3 } from '../geometry/vec3'

/** A mag array a task reads or writes. */
export interface TaskArray {
  /** Its directory. */
  readonly path: string
  /** Its mag, for logs ("2-2-1"). */
  readonly mag: string
}

/** How a sampling task makes its target shards: the plan's step, in each mag's voxels. */
export interface SampleJob {
  readonly sourceOffset: Vec3
  readonly sourceSize: Vec3
  readonly targetOffset: Vec3
  readonly targetSize: Vec3
  readonly factors: Vec3
  /** An interpolation mode ("median", "mode", …), or "upsample". */
  readonly mode: string
  readonly bufferEdgeLen: number
}

/** One 2D image of a stack: a file, or a page of a multi-page TIFF, and its sample depth. */
export interface ImageSlice {
  readonly file: string
  readonly page?: number
  readonly depth: 'uchar' | 'ushort'
}

interface TaskBase {
  /** The run the task belongs to and its place in it: queue ids, log and result files. */
  readonly run: string
  readonly index: number
  /** For logs and messages: whose data this is. */
  readonly dataset: string
  readonly layer: string
  /** The target shards the task writes whole (shard coordinates of the target array). */
  readonly shards: readonly Vec3[]
  /** Bytes of working memory the task needs at most, declared to schedulers. */
  readonly memory: number
}

/** Makes target shards of a coarser or finer mag from a source mag. */
export interface SampleTask extends TaskBase {
  readonly kind: 'sample'
  readonly source: TaskArray
  readonly target: TaskArray
  readonly job: SampleJob
}

/** Copies a box of a source mag into target shards (another layout, format or compression). */
export interface CopyTask extends TaskBase {
  readonly kind: 'copy'
  readonly source: TaskArray
  readonly target: TaskArray
  readonly offset: Vec3
  readonly size: Vec3
}

/** Writes the slices `z, z + 1, …` of an image stack into the shards of one z-slab. */
export interface ImagesTask extends TaskBase {
  readonly kind: 'images'
  readonly target: TaskArray
  readonly slices: readonly ImageSlice[]
  readonly z: number
  readonly width: number
  readonly height: number
  readonly channels: 1 | 3
  readonly dtype: 'uint8' | 'uint16'
  /** Whether to report the largest value written (segmentation layers). */
  readonly largest: boolean
}

export type Task = SampleTask | CopyTask | ImagesTask

/** What a task reports back to the coordinator. */
export interface TaskResult {
  /** Thread-seconds per stage (sampling tasks). */
  readonly timings?: { files: number; readSeconds: number; kernelSeconds: number; compressSeconds: number; writeSeconds: number }
  /** The largest value written (image tasks of segmentation layers). */
  readonly largest?: number
}

function field<T>(value: Record<string, unknown>, name: string, check: (v: unknown) => v is T, what: string): T {
  const v = value[name]
  if (!check(v)) throw invalidArgument(`The task's "${name}" must be ${what}, but is ${JSON.stringify(v)}`)
  return v
}

const isString = (v: unknown): v is string => typeof v === 'string' && v.length > 0
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

function taskArray(value: Record<string, unknown>, name: string): TaskArray {
  const a = field(value, name, isObject, 'an object { path, mag }')
  return { path: field(a, 'path', isString, 'a path'), mag: field(a, 'mag', isString, 'a mag name') }
}

/**
 * Checks a task read from a file or a queue and returns it, so that a malformed one fails with
 * an error naming the field instead of somewhere in the native core.
 */
export function checkTask(value: unknown): Task {
  if (!isObject(value)) throw invalidArgument(`A task must be a JSON object, but is ${JSON.stringify(value)}`)
  const base = {
    run: field(value, 'run', isString, 'a run id'),
    index: field(value, 'index', isCount, 'a task index'),
    dataset: field(value, 'dataset', isString, 'a dataset path'),
    layer: field(value, 'layer', isString, 'a layer name'),
    shards: field(value, 'shards', Array.isArray, 'a list of shards').map((s, i) => toVec3(s, `shard ${i}`)),
    memory: field(value, 'memory', isCount, 'a number of bytes'),
  }
  switch (value.kind) {
    case 'sample': {
      const job = field(value, 'job', isObject, 'a sampling job')
      return {
        ...base,
        kind: 'sample',
        source: taskArray(value, 'source'),
        target: taskArray(value, 'target'),
        job: {
          sourceOffset: toVec3(job.sourceOffset, 'sourceOffset'),
          sourceSize: toVec3(job.sourceSize, 'sourceSize'),
          targetOffset: toVec3(job.targetOffset, 'targetOffset'),
          targetSize: toVec3(job.targetSize, 'targetSize'),
          factors: toVec3(job.factors, 'factors', 1),
          mode: field(job, 'mode', isString, 'an interpolation mode'),
          bufferEdgeLen: field(job, 'bufferEdgeLen', isCount, 'a positive integer'),
        },
      }
    }
    case 'copy':
      return {
        ...base,
        kind: 'copy',
        source: taskArray(value, 'source'),
        target: taskArray(value, 'target'),
        offset: toVec3(value.offset, 'offset'),
        size: toVec3(value.size, 'size'),
      }
    case 'images': {
      const slices = field(value, 'slices', Array.isArray, 'a list of image slices').map((s, i) => {
        if (!isObject(s)) throw invalidArgument(`Image slice ${i} of the task must be { file, page?, depth }`)
        const page = s.page === undefined ? undefined : field(s, 'page', isCount, 'a page number')
        const depth = field(s, 'depth', (v): v is 'uchar' | 'ushort' => v === 'uchar' || v === 'ushort', '"uchar" or "ushort"')
        return { file: field(s, 'file', isString, 'a file path'), depth, ...(page === undefined ? {} : { page }) }
      })
      const channels = field(value, 'channels', (v): v is 1 | 3 => v === 1 || v === 3, '1 or 3')
      const dtype = field(value, 'dtype', (v): v is 'uint8' | 'uint16' => v === 'uint8' || v === 'uint16', '"uint8" or "uint16"')
      return {
        ...base,
        kind: 'images',
        target: taskArray(value, 'target'),
        slices,
        z: field(value, 'z', isCount, 'a z coordinate'),
        width: field(value, 'width', isCount, 'a width'),
        height: field(value, 'height', isCount, 'a height'),
        channels,
        dtype,
        largest: field(value, 'largest', (v): v is boolean => typeof v === 'boolean', 'true or false'),
      }
    }
    default:
      throw invalidArgument(`A task's "kind" must be "sample", "copy" or "images", but is ${JSON.stringify(value.kind)}`)
  }
}

/** What a task counts in progress reports: its slices (image tasks) or its target shards. */
export function taskWeight(task: Task): number {
  return task.kind === 'images' ? task.slices.length : task.shards.length
}
