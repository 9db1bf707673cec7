// The plan of a downsampling or upsampling: every decision (mags, factors, interpolation,
// target layout, the shards each step writes) is made here, once, before anything is written.
// `Layer.downsample` and the CLI run plans on any executor, so none of them re-derives a rule.
import { WebknossosError, invalidArgument } from '../errors'
import type { BoundingBox } from '../geometry/bounding-box'
import type { Mag } from '../geometry/mag'
import type { Vec3 } from '../geometry/vec3'
import { createMagArray } from '../model/layer'
import type { Layer } from '../model/layer'
import type { MagView } from '../model/mag-view'
import type { SamplingTimings } from '../native/binding'
import { type Distributable } from '../execution/executor'
import { LocalExecutor } from '../execution/local-executor'
import { finishStep, runStep } from '../execution/step'
import type { SampleJob, TaskResult } from '../execution/task'
import { type LongOp, checkLongOp } from '../native/long-op'
import { type ArraySpec, SHARD_WRITER_BYTES } from '../storage/mag-array'
import { targetShards } from '../storage/shards'
import { joinPath, resolvePath } from '../storage/location'

/** One step: `target` made from `source`; boxes in each mag's voxels. */
export interface PlannedStep {
  readonly source: Mag
  readonly target: Mag
  /** Per axis: target/source mag when downsampling, source/target when upsampling. */
  readonly factors: Vec3
  readonly sourceBox: BoundingBox
  readonly targetBox: BoundingBox
  /** The target shards the step writes: those holding voxels made from source shards that exist. */
  readonly shards: readonly Vec3[]
}

/**
 * Bytes a sampling task holds at most per native thread: the source of one tile (16 MiB) and
 * its result. None of it grows with the layer or the mag factors.
 */
const TILE_BYTES = 16 << 20

/** The per-axis factor between two mags, which must divide each other. */
function factorsBetween(fine: Mag, coarse: Mag): Vec3 {
  const f: Vec3 = [coarse.x / fine.x, coarse.y / fine.y, coarse.z / fine.z]
  if (!f.every((v) => Number.isInteger(v) && v >= 1)) throw invalidArgument(`Mag ${coarse} is not a multiple of mag ${fine} on every axis`)
  return f
}

export class SamplingPlan {
  private constructor(
    readonly layer: Layer,
    readonly kind: 'down' | 'up',
    readonly from: MagView,
    /** The interpolation mode of every step ("median", "mode", …), or "upsample". */
    readonly mode: string,
    /** The layout of every new mag. */
    readonly spec: ArraySpec,
    readonly bufferEdgeLen: number,
    readonly steps: readonly PlannedStep[],
  ) {}

  /**
   * Plans making each mag of `mags` from the one before it (the first from `from`). Everything
   * is checked here: the layer is not empty, no target mag exists, the mags divide each other.
   */
  static async create(
    layer: Layer,
    kind: 'down' | 'up',
    from: MagView,
    mags: readonly Mag[],
    mode: string,
    opts: { compress: boolean; bufferEdgeLen?: number } & LongOp,
  ): Promise<SamplingPlan> {
    checkLongOp(opts)
    if (opts.bufferEdgeLen !== undefined && !(Number.isSafeInteger(opts.bufferEdgeLen) && opts.bufferEdgeLen >= 1)) {
      throw invalidArgument(`bufferEdgeLen must be a positive integer, but is ${opts.bufferEdgeLen}`)
    }
    const bbox = layer.boundingBox
    if (bbox.isEmpty()) throw invalidArgument(`Layer "${layer.name}" has an empty bounding box: there is nothing to sample`)
    const existing = mags.filter((m) => layer.mags.has(m.toLayerName()))
    if (existing.length > 0) throw new WebknossosError('ERR_WK_ALREADY_EXISTS', `Mag ${existing.join(', ')} already exists in layer "${layer.name}"`)
    const spec = layer.magSpec({ chunkShape: from.info.chunkShape, shardShape: from.info.shardShape, compress: opts.compress })
    const steps: PlannedStep[] = []
    let sourceShards = await from.array.shards()
    let sourceShape = from.info.shardShape
    for (const [i, target] of mags.entries()) {
      const source = i === 0 ? from.mag : mags[i - 1]
      const [fine, coarse] = kind === 'down' ? [source, target] : [target, source]
      const factors = factorsBetween(fine, coarse)
      const region = bbox.alignWithMag(coarse, { ceil: true })
      const sourceBox = region.inMag(source)
      const targetBox = region.inMag(target)
      const toTarget = (part: BoundingBox) =>
        kind === 'up' ? part.fromMagToMag1(factors) : part.alignWithMag(factors, { ceil: true }).inMag(factors)
      const shards = targetShards(sourceShards, sourceShape, sourceBox, toTarget, targetBox, spec.shardShape)
      steps.push({ source, target, factors, sourceBox, targetBox, shards })
      sourceShards = shards
      sourceShape = spec.shardShape
    }
    const bufferEdgeLen = opts.bufferEdgeLen ?? Math.min(256, ...from.info.shardShape)
    return new SamplingPlan(layer, kind, from, mode, spec, bufferEdgeLen, steps)
  }

  /** The mags the plan creates, in order. */
  get mags(): Mag[] {
    return this.steps.map((s) => s.target)
  }

  /** Target shards over all steps: the total of `onProgress`. */
  get total(): number {
    return this.steps.reduce((n, s) => n + s.shards.length, 0)
  }

  /** Working memory of one task on `threads` native threads: tiles, and the shard being written. */
  taskMemory(threads: number): number {
    return SHARD_WRITER_BYTES + threads * 2 * TILE_BYTES
  }

  /**
   * Runs the steps one after the other on `executor` (this process's native threads by default),
   * with one running progress total over all target shards. A mag is registered in the
   * properties only when its step is complete; a run that is started again after a crash or an
   * abort resumes the unfinished step, skipping the target shards that are complete.
   */
  async run(opts: LongOp & Distributable = {}): Promise<SamplingTimings[]> {
    checkLongOp(opts)
    const executor = opts.executor ?? new LocalExecutor({ jobs: opts.jobs })
    const timings: SamplingTimings[] = []
    let before = 0
    const total = this.total
    for (const step of this.steps) {
      const source = this.layer.getMag(step.source)
      const target = await createMagArray(joinPath(this.layer.path, step.target.toLayerName()), this.spec, true)
      const offset = before
      const onProgress = (p: { done: number }) => opts.onProgress?.({ done: offset + p.done, total })
      const job: SampleJob = {
        sourceOffset: step.sourceBox.topLeft,
        sourceSize: step.sourceBox.size,
        targetOffset: step.targetBox.topLeft,
        targetSize: step.targetBox.size,
        factors: step.factors,
        mode: this.mode,
        bufferEdgeLen: this.bufferEdgeLen,
      }
      // Tasks may run in other directories and on other machines: their paths are absolute.
      const from = { path: resolvePath(source.array.path), mag: source.name }
      const to = { path: resolvePath(target.path), mag: step.target.toLayerName() }
      const memory = this.taskMemory(executor.threadsPerTask)
      const { dataset, name: layer } = { dataset: resolvePath(this.layer.dataset.path), name: this.layer.name }
      const results = await runStep(
        target,
        { kind: 'sample', source: from.path, job, spec: this.spec },
        { shards: step.shards, task: (shards, index, run) => ({ kind: 'sample', run, index, dataset, layer, shards, memory, source: from, target: to, job }) },
        { executor, signal: opts.signal, onProgress },
      )
      timings.push(sumTimings(results))
      await this.layer.register(step.target, target)
      await finishStep(target)
      before += step.shards.length
    }
    return timings
  }
}

function sumTimings(results: readonly TaskResult[]): SamplingTimings {
  const sum: SamplingTimings = { files: 0, readSeconds: 0, kernelSeconds: 0, compressSeconds: 0, writeSeconds: 0 }
  for (const { timings } of results) {
    if (!timings) continue
    for (const key of Object.keys(sum) as (keyof SamplingTimings)[]) sum[key] += timings[key]
  }
  return sum
}
