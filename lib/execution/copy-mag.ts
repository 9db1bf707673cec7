// A copy of a mag's box into another array (another layout, format or compression) as tasks:
// what compression, `copyDataset` and their CLI commands run on any executor.
import type { BoundingBox } from '../geometry/bounding-box'
import type { Vec3 } from '../geometry/vec3'
import { type MagArray, SHARD_WRITER_BYTES } from '../storage/mag-array'
import { runStep, type StepOptions } from './step'
import { resolvePath } from '../storage/location'

/** Bytes a copy task reads per native thread at most: a few source chunks of 16 MiB at most. */
const READ_BYTES = 2 * (16 << 20)

export interface MagCopy {
  readonly source: MagArray
  readonly target: MagArray
  /** Mag names, for logs. */
  readonly sourceMag: string
  readonly targetMag: string
  /** The box (mag voxels) copied; target shards hold zeros outside it. */
  readonly box: BoundingBox
  readonly dataset: string
  readonly layer: string
}

/**
 * Copies into `shards` of the target (`copy.source.copyTargets`: the progress total) on
 * `opts.executor`, resuming an interrupted copy into the same target.
 */
export async function copyMag(copy: MagCopy, shards: readonly Vec3[], opts: StepOptions): Promise<void> {
  // Tasks may run in other directories and on other machines: their paths are absolute.
  const source = { path: resolvePath(copy.source.path), mag: copy.sourceMag }
  const target = { path: resolvePath(copy.target.path), mag: copy.targetMag }
  const dataset = resolvePath(copy.dataset)
  const { topLeft: offset, size } = copy.box
  const memory = SHARD_WRITER_BYTES + opts.executor.threadsPerTask * READ_BYTES
  await runStep(
    copy.target,
    { kind: 'copy', source: source.path, offset, size, spec: copy.target.info },
    {
      shards,
      task: (list, index, run) => ({ kind: 'copy', run, index, dataset, layer: copy.layer, shards: list, memory, source, target, offset, size }),
    },
    opts,
  )
}
