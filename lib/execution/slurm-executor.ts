// Tasks as Slurm job arrays: each task is a JSON file that an array task runs with
// `wk run-task`, which writes the task's result file when it succeeds. The coordinator asks
// `squeue` which array tasks are still queued or running: one that is gone without a result
// failed (an error, a kill, a node failure, its time limit) and is submitted again, up to
// `maxAttempts`, after which the run fails with the task's log. Nothing depends on Slurm's
// accounting database, which small clusters often do not run.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { AbortError, WebknossosError, invalidArgument } from '../errors'
import type { Vec3 } from '../geometry/vec3'
import { type ExecuteOptions, type Executor, TaskFailedError, partitionShards } from './executor'
import { type Task, type TaskResult, taskWeight } from './task'
import { wkCommand } from './wk-command'

const run = promisify(execFile)

/** Memory of a `wk run-task` process beside its task's working memory: Node and the addon. */
const PROCESS_BYTES = 256 << 20
/** Bytes of a task's log kept in the error of a run that failed. */
const LOG_TAIL = 4000

export interface SlurmExecutorOptions {
  /** The partition of every array task (default: the cluster's default). */
  partition?: string
  /**
   * More `sbatch` options, as the Python library's `job_resources`: `{ mem: '4G', time: '2:00:00' }`
   * becomes `--mem=4G --time=2:00:00`. Without `mem`, each task asks for the memory it declares.
   */
  jobResources?: Record<string, string | number>
  /** Native threads per task, its `--cpus-per-task` (default 1). */
  jobs?: number
  /** Where task files, results and logs go: a directory every node sees (default `./.wk-slurm`). */
  logDir?: string
  /** Runs of a task before the run fails (default 3). */
  maxAttempts?: number
  /** Milliseconds between two looks at the queue (default 1000). */
  pollInterval?: number
  /** How long Slurm may not answer before the run fails, in milliseconds (default 60 000). */
  controllerTimeout?: number
  /** Array tasks per step at most (Slurm's MaxArraySize is 1001 by default). */
  maxTasks?: number
  /** The command that runs `wk` on the nodes (default: this Node and this package's CLI). */
  command?: string[]
}

/** "0-3,7,9-10" from sorted indexes: sbatch's `--array` list. */
export function arrayRanges(indexes: readonly number[]): string {
  const parts: string[] = []
  for (let i = 0; i < indexes.length; ) {
    let j = i
    while (j + 1 < indexes.length && indexes[j + 1] === indexes[j] + 1) j++
    parts.push(i === j ? `${indexes[i]}` : `${indexes[i]}-${indexes[j]}`)
    i = j + 1
  }
  return parts.join(',')
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((done) => {
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', () => (clearTimeout(timer), done()), { once: true })
  })

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

export class SlurmExecutor implements Executor {
  readonly #opts: Required<Omit<SlurmExecutorOptions, 'partition' | 'command'>> & Pick<SlurmExecutorOptions, 'partition' | 'command'>

  constructor(opts: SlurmExecutorOptions = {}) {
    const positive = (name: string, v: number | undefined) => {
      if (v !== undefined && !(Number.isSafeInteger(v) && v >= 1)) throw invalidArgument(`${name} must be a positive integer, but is ${v}`)
    }
    positive('jobs', opts.jobs)
    positive('maxAttempts', opts.maxAttempts)
    positive('pollInterval', opts.pollInterval)
    positive('maxTasks', opts.maxTasks)
    this.#opts = {
      partition: opts.partition,
      jobResources: { ...opts.jobResources },
      jobs: opts.jobs ?? 1,
      logDir: resolve(opts.logDir ?? '.wk-slurm'),
      maxAttempts: opts.maxAttempts ?? 3,
      pollInterval: opts.pollInterval ?? 1000,
      controllerTimeout: opts.controllerTimeout ?? 60_000,
      maxTasks: opts.maxTasks ?? 1000,
      command: opts.command,
    }
  }

  get threadsPerTask(): number {
    return this.#opts.jobs
  }

  partition(shards: readonly Vec3[]): Vec3[][] {
    return partitionShards(shards, this.#opts.maxTasks)
  }

  async run(tasks: readonly Task[], opts: ExecuteOptions = {}): Promise<TaskResult[]> {
    if (tasks.length === 0) return []
    if (opts.signal?.aborted) throw new AbortError(undefined, { cause: opts.signal.reason })
    const dir = join(this.#opts.logDir, `${tasks[0].run}-${tasks[0].index}`)
    for (const sub of ['tasks', 'results', 'logs']) await mkdir(join(dir, sub), { recursive: true })
    // Array task i runs the i-th task of this call, whatever its index in the step.
    await Promise.all(tasks.map((task, i) => writeFile(join(dir, 'tasks', `${i}.json`), JSON.stringify(task))))
    const script = join(dir, 'job.sh')
    const command = (this.#opts.command ?? wkCommand()).map(shellQuote).join(' ')
    await writeFile(
      script,
      `#!/bin/sh\nexec ${command} run-task --jobs ${this.#opts.jobs} --result ${shellQuote(join(dir, 'results'))}/"$SLURM_ARRAY_TASK_ID.json" ${shellQuote(join(dir, 'tasks'))}/"$SLURM_ARRAY_TASK_ID.json"\n`,
      { mode: 0o755 },
    )
    const memory = Math.max(...tasks.map((t) => t.memory)) + PROCESS_BYTES
    const results: (TaskResult | undefined)[] = new Array(tasks.length)
    const attempts = new Array<number>(tasks.length).fill(0)
    /** The array job each unfinished task was last submitted in. */
    const jobOf = new Map<number, string>()
    const total = tasks.reduce((n, t) => n + taskWeight(t), 0)
    let done = 0
    opts.onProgress?.({ done, total })

    const submit = async (indexes: number[]) => {
      const resources = { 'cpus-per-task': this.#opts.jobs, mem: `${Math.ceil(memory / 2 ** 20)}M`, ...this.#opts.jobResources }
      const args = [
        '--parsable',
        `--array=${arrayRanges(indexes)}`,
        `--job-name=wk-${tasks[0].kind}`,
        `--output=${join(dir, 'logs', '%a.%A.log')}`,
        ...(this.#opts.partition ? [`--partition=${this.#opts.partition}`] : []),
        ...Object.entries(resources).map(([key, value]) => `--${key.replace(/_/g, '-')}=${value}`),
        script,
      ]
      const { stdout } = await slurm('sbatch', args)
      const job = stdout.trim().split(';')[0]
      for (const i of indexes) {
        attempts[i]++
        jobOf.set(i, job)
      }
    }
    const cancelAll = async () => {
      const jobs = [...new Set(jobOf.values())]
      if (jobs.length > 0) await slurm('scancel', jobs).catch(() => undefined)
    }

    await submit(tasks.map((_, i) => i))
    let lastAnswer = Date.now()
    try {
      while (jobOf.size > 0) {
        await sleep(this.#opts.pollInterval, opts.signal)
        if (opts.signal?.aborted) throw new AbortError(undefined, { cause: opts.signal.reason })
        let live: Set<string>
        try {
          live = await liveTasks([...new Set(jobOf.values())])
          lastAnswer = Date.now()
        } catch (error) {
          if (Date.now() - lastAnswer > this.#opts.controllerTimeout) {
            throw new WebknossosError('ERR_WK_IO', `Slurm has not answered for ${this.#opts.controllerTimeout / 1000} s: ${(error as Error).message}`)
          }
          continue
        }
        // Results are read after the queue: a task that left the queue has written its result by then.
        const finished = new Set(await readdir(join(dir, 'results')))
        const failed: number[] = []
        for (const [i, job] of jobOf) {
          if (finished.has(`${i}.json`)) {
            results[i] = JSON.parse(await readFile(join(dir, 'results', `${i}.json`), 'utf8')) as TaskResult
            jobOf.delete(i)
            await opts.onTaskDone?.(tasks[i], results[i]!)
            done += taskWeight(tasks[i])
            opts.onProgress?.({ done, total })
          } else if (!live.has(`${job}_${i}`)) {
            failed.push(i)
          }
        }
        const exhausted = failed.find((i) => attempts[i] >= this.#opts.maxAttempts)
        if (exhausted !== undefined) {
          throw new TaskFailedError(tasks[exhausted], attempts[exhausted], await logTail(join(dir, 'logs', `${exhausted}.${jobOf.get(exhausted)}.log`)))
        }
        if (failed.length > 0) await submit(failed)
      }
    } catch (error) {
      await cancelAll()
      throw error
    }
    return results as TaskResult[]
  }

  async close(): Promise<void> {}
}

/** Runs a Slurm client command, with its error output in the error. */
async function slurm(command: string, args: string[]): Promise<{ stdout: string }> {
  try {
    return await run(command, args, { encoding: 'utf8', timeout: 30_000 })
  } catch (error) {
    const e = error as { stderr?: string; message: string; code?: string }
    const reason = e.code === 'ENOENT' ? `${command} is not installed (is this a Slurm cluster?)` : (e.stderr?.trim() || e.message)
    throw new WebknossosError('ERR_WK_IO', `${command} failed: ${reason}`, { cause: error })
  }
}

/** "job_index" of every array task of `jobs` that is queued or running. */
async function liveTasks(jobs: string[]): Promise<Set<string>> {
  let stdout: string
  try {
    ;({ stdout } = await slurm('squeue', ['--noheader', '--array', '--states=all', '--format=%i %T', `--jobs=${jobs.join(',')}`]))
  } catch (error) {
    // Jobs the controller has forgotten entirely have nothing left to run.
    if (/Invalid job id/i.test((error as Error).message)) return new Set()
    throw error
  }
  const live = new Set<string>()
  for (const line of stdout.split('\n')) {
    const [id, state] = line.trim().split(/\s+/)
    // Finished ones stay listed for MinJobAge seconds; only those still to run or running count.
    if (id && ['PENDING', 'CONFIGURING', 'RUNNING', 'COMPLETING', 'SUSPENDED', 'REQUEUED', 'RESIZING'].includes(state)) live.add(id)
  }
  return live
}

async function logTail(path: string): Promise<string> {
  if (!existsSync(path)) return `(no log at ${path})`
  const text = await readFile(path, 'utf8')
  return text.length > LOG_TAIL ? `…${text.slice(-LOG_TAIL)}` : text
}
