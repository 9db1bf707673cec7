// What runs the tasks of a step: this process's threads, a Slurm cluster or a Redis queue. The
// coordinator (the library call or `wk`) makes the tasks, hands them to an executor, and alone
// writes the properties once every task of a step has succeeded.
import type { Vec3 } from '../geometry/vec3'
import type { Progress } from '../native/long-op'
import type { Task, TaskResult } from './task'

/** Options of every long operation that can run beyond this process. */
export interface Distributable {
  /** Where its tasks run; by default on this process's native threads (`LocalExecutor`). */
  executor?: Executor
}

export interface ExecuteOptions {
  signal?: AbortSignal
  /** Progress in task weights (`taskWeight`) over all the tasks of the call. */
  onProgress?: (progress: Progress) => void
  /** Called once per task as it succeeds, before `run` resolves. */
  onTaskDone?: (task: Task, result: TaskResult) => void | Promise<void>
}

export interface Executor {
  /** Native threads one task uses: its memory estimate depends on them. */
  readonly threadsPerTask: number
  /** Splits the target shards of a step (sorted by z, y, x) into the shard lists of its tasks. */
  partition(shards: readonly Vec3[]): Vec3[][]
  /**
   * Runs independent tasks and resolves with their results, in the order of `tasks`, once all
   * have succeeded; rejects when one has failed for good (with its log) or on abort, after
   * cancelling the others.
   */
  run(tasks: readonly Task[], opts?: ExecuteOptions): Promise<TaskResult[]>
  /** Releases what the executor holds (connections); it is unusable afterwards. */
  close(): Promise<void>
}

/**
 * Neighbouring shards in groups, so that there are at most `maxTasks` tasks: one shard per task
 * for most steps, which spreads work best and makes a retry cheap.
 */
export function partitionShards(shards: readonly Vec3[], maxTasks: number): Vec3[][] {
  const size = Math.max(1, Math.ceil(shards.length / maxTasks))
  const groups: Vec3[][] = []
  for (let i = 0; i < shards.length; i += size) groups.push(shards.slice(i, i + size))
  return groups
}

/** The error of a task that failed on every attempt: its log's tail is in the message. */
export class TaskFailedError extends Error {
  constructor(
    readonly task: Task,
    readonly attempts: number,
    readonly log: string,
  ) {
    super(`Task ${task.index} of run ${task.run} (${describeTask(task)}) failed ${attempts} time${attempts === 1 ? '' : 's'}; its last log:\n${log}`)
    this.name = 'TaskFailedError'
  }
}

/** One line naming what a task writes. */
export function describeTask(task: Task): string {
  const what = task.kind === 'images' ? `${task.slices.length} image slices at z=${task.z}` : `${task.shards.length} shard(s) from mag ${task.source.mag}`
  return `${task.kind} into ${task.target.path}: ${what}`
}
