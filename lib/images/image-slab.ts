// The task that writes image slices into a mag: slabs of a chunk's depth are decoded in
// parallel and written together, so that memory holds one slab whatever the stack's depth.
import { AbortError } from '../errors'
import type { ImagesTask, TaskResult } from '../execution/task'
import { runChunkJobs } from '../model/chunk-jobs'
import type { LongOp } from '../native/long-op'
import { MagArray } from '../storage/mag-array'
import { decode } from './image-stack'

/** Slices decoded and written together: one z-slab. */
export const SLAB_SLICES = 32

/** Bytes an image task holds: one slab, and the decoded images in flight. */
export function slabMemory(width: number, height: number, channels: number, bytes: number, jobs: number): number {
  const plane = width * height * channels * bytes
  return plane * (SLAB_SLICES + jobs)
}

/** Writes the task's slices at z = task.z, …; `onProgress` counts slices. */
export async function writeSlices(task: ImagesTask, opts: LongOp = {}): Promise<TaskResult> {
  const { default: sharp } = await import('sharp')
  sharp.cache(false)
  const target = await MagArray.open(task.target.path)
  const plane = task.width * task.height * task.channels
  const slab = task.dtype === 'uint16' ? new Uint16Array(plane * SLAB_SLICES) : new Uint8Array(plane * SLAB_SLICES)
  const total = task.slices.length
  let largest = 0
  let done = 0
  opts.onProgress?.({ done, total })
  for (let z0 = 0; z0 < total; z0 += SLAB_SLICES) {
    if (opts.signal?.aborted) throw new AbortError(undefined, { cause: opts.signal.reason })
    const batch = task.slices.slice(z0, z0 + SLAB_SLICES)
    await runChunkJobs(batch.length, { jobs: opts.jobs, signal: opts.signal }, async (i) => {
      const pixels = await decode(sharp, batch[i], task)
      const at = i * plane
      // 8-bit images of a 16-bit stack are widened.
      if (pixels.BYTES_PER_ELEMENT === slab.BYTES_PER_ELEMENT) slab.set(pixels, at)
      else for (let j = 0; j < plane; j++) slab[at + j] = pixels[j]
      opts.onProgress?.({ done: ++done, total })
    })
    const data = slab.subarray(0, plane * batch.length)
    if (task.largest) for (let j = 0; j < data.length; j++) if (data[j] > largest) largest = data[j]
    await target.write([0, 0, task.z + z0], [task.width, task.height, batch.length], { data, shape: [task.channels, task.width, task.height, batch.length] })
  }
  return task.largest ? { largest } : {}
}
