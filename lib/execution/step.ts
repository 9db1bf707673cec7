// The coordinator's side of one step (one target array): which tasks still have to run after a
// restart, handing them to the executor, and progress in the operation's units.
//
// A step that is interrupted leaves a marker in its target array (`.wk-step.json`) saying what
// the step was. Started again with the same step, the coordinator resumes: target shards that
// tasks write whole and atomically are complete as soon as their file exists, so only the missing
// ones are handed out again; tasks that do not write whole shards (image slabs) are recorded in
// the marker as they succeed. Any other content of the target is written anew.
import { randomBytes } from 'node:crypto'
import type { Vec3 } from '../geometry/vec3'
import type { Progress } from '../native/long-op'
import { readText, remove, writeFileAtomically } from '../storage/files'
import { joinPath } from '../storage/location'
import type { MagArray } from '../storage/mag-array'
import type { Executor } from './executor'
import { type Task, type TaskResult, taskWeight } from './task'

const MARKER = '.wk-step.json'

interface Marker {
  fingerprint: unknown
  /** Results of the tasks recorded as done, by index (steps of fixed tasks). */
  done: Record<number, TaskResult>
}

/** Tasks that each write their target shards whole: made from the shards still missing. */
export interface ShardWork {
  readonly shards: readonly Vec3[]
  readonly task: (shards: Vec3[], index: number, run: string) => Task
}

/** Tasks fixed in advance, which may write parts of shards: each recorded as it succeeds. */
export interface FixedWork {
  readonly tasks: (run: string) => Task[]
}

export interface StepOptions {
  readonly executor: Executor
  readonly signal?: AbortSignal
  /** Progress of this step, in its shards (ShardWork) or task weights (FixedWork, `taskWeight`). */
  readonly onProgress?: (progress: Progress) => void
}

/** A new run id: tasks of one coordinator call share it (queue ids, log directories). */
export function newRunId(): string {
  return `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`
}

async function readMarker(target: MagArray): Promise<Marker | undefined> {
  try {
    return JSON.parse(await readText(joinPath(target.path, MARKER))) as Marker
  } catch {
    return undefined
  }
}

const writeMarker = (target: MagArray, marker: Marker) => writeFileAtomically(joinPath(target.path, MARKER), JSON.stringify(marker))

/**
 * Runs the work of one step into `target` on `opts.executor` and resolves with the results of
 * every task of the step, those of an earlier interrupted run included (FixedWork).
 */
export async function runStep(target: MagArray, fingerprint: unknown, work: ShardWork | FixedWork, opts: StepOptions): Promise<TaskResult[]> {
  const previous = await readMarker(target)
  const resumed = previous !== undefined && JSON.stringify(previous.fingerprint) === JSON.stringify(fingerprint)
  const marker: Marker = resumed ? previous : { fingerprint, done: {} }
  if (!resumed) await writeMarker(target, marker)
  const run = newRunId()
  let results: TaskResult[]
  if ('shards' in work) {
    const existing = resumed ? new Set((await target.shards()).map((s) => s.join(','))) : new Set<string>()
    const missing = work.shards.filter((s) => !existing.has(s.join(',')))
    const skipped = work.shards.length - missing.length
    const tasks = opts.executor.partition(missing).map((shards, index) => work.task(shards, index, run))
    const onProgress = opts.onProgress && (({ done }: Progress) => opts.onProgress?.({ done: skipped + done, total: work.shards.length }))
    onProgress?.({ done: 0, total: missing.length })
    results = await opts.executor.run(tasks, { signal: opts.signal, onProgress })
  } else {
    const all = work.tasks(run)
    const total = all.reduce((n, t) => n + taskWeight(t), 0)
    const todo = all.filter((t) => !(t.index in marker.done))
    const skipped = total - todo.reduce((n, t) => n + taskWeight(t), 0)
    const onProgress = opts.onProgress && (({ done }: Progress) => opts.onProgress?.({ done: skipped + done, total }))
    onProgress?.({ done: 0, total })
    // Records are written one at a time, in the order tasks finish.
    let recording = Promise.resolve()
    const onTaskDone = (task: Task, result: TaskResult) => {
      marker.done[task.index] = result
      recording = recording.then(() => writeMarker(target, marker))
      return recording
    }
    await opts.executor.run(todo, { signal: opts.signal, onProgress, onTaskDone })
    results = all.map((t) => marker.done[t.index])
  }
  return results
}

/** Removes the marker of a finished step, once its result is registered. */
export async function finishStep(target: MagArray): Promise<void> {
  await remove(joinPath(target.path, MARKER))
}
