// The default executor: tasks run one after the other in this process, each on all the native
// threads it is given, so that a step uses the machine as one native call would.
import { availableParallelism } from 'node:os'
import { invalidArgument } from '../errors'
import type { Vec3 } from '../geometry/vec3'
import { type ExecuteOptions, type Executor } from './executor'
import { runTask } from './run-task'
import { type Task, type TaskResult, taskWeight } from './task'

export class LocalExecutor implements Executor {
  readonly #jobs: number | undefined

  constructor(opts: { jobs?: number } = {}) {
    if (opts.jobs !== undefined && !(Number.isSafeInteger(opts.jobs) && opts.jobs >= 1)) {
      throw invalidArgument(`jobs must be a positive integer, but is ${opts.jobs}`)
    }
    this.#jobs = opts.jobs
  }

  get threadsPerTask(): number {
    return this.#jobs ?? availableParallelism()
  }

  /** One task for the whole step: the native core spreads its shards over the threads. */
  partition(shards: readonly Vec3[]): Vec3[][] {
    return shards.length === 0 ? [] : [[...shards]]
  }

  async run(tasks: readonly Task[], opts: ExecuteOptions = {}): Promise<TaskResult[]> {
    const total = tasks.reduce((n, t) => n + taskWeight(t), 0)
    const results: TaskResult[] = []
    let before = 0
    opts.onProgress?.({ done: 0, total })
    for (const task of tasks) {
      const offset = before
      const onProgress = ({ done }: { done: number }) => opts.onProgress?.({ done: offset + done, total })
      const result = await runTask(task, { jobs: this.#jobs, signal: opts.signal, onProgress })
      await opts.onTaskDone?.(task, result)
      results.push(result)
      before += taskWeight(task)
    }
    return results
  }

  async close(): Promise<void> {}
}
