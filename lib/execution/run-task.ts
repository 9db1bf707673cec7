// Runs one task in this process, on native threads: the entry of `wk run-task`, `wk worker` and
// the LocalExecutor alike, so every executor writes the same bytes.
import { BoundingBox } from '../geometry/bounding-box'
import { writeSlices } from '../images/image-slab'
import { type LongOp, runNative } from '../native/long-op'
import { native } from '../native/native'
import { writeFileAtomically } from '../storage/files'
import { MagArray } from '../storage/mag-array'
import type { Task, TaskResult } from './task'

/** Runs `task`; `onProgress` counts its target shards (slices for image tasks). */
export async function runTask(task: Task, opts: LongOp = {}): Promise<TaskResult> {
  if (task.kind === 'images') return writeSlices(task, opts)
  const [source, target] = await Promise.all([MagArray.open(task.source.path), MagArray.open(task.target.path)])
  const shards = task.shards.map((s) => [...s]) as [number, number, number][]
  if (task.kind === 'copy') {
    await source.copyTo(target, new BoundingBox(task.offset, task.size), task.shards, opts)
    return {}
  }
  const [from, to] = [await source.handle(), await target.handle()]
  const job = {
    sourceOffset: [...task.job.sourceOffset],
    sourceSize: [...task.job.sourceSize],
    targetOffset: [...task.job.targetOffset],
    targetSize: [...task.job.targetSize],
    factors: [...task.job.factors],
    mode: task.job.mode,
    bufferEdgeLen: task.job.bufferEdgeLen,
  }
  const timings = await runNative(opts, (flag, report, jobs) => native.sampleArray(from, to, job, shards, jobs, report, flag))
  return { timings }
}

/** Writes a task's result file for a coordinator on another machine: atomically, so that it is whole once it exists. */
export async function writeTaskResult(path: string, result: TaskResult): Promise<void> {
  await writeFileAtomically(path, JSON.stringify(result))
}
