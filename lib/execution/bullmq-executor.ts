// Tasks as jobs of a BullMQ queue on Redis, run by `wk worker` processes on any machine that
// reaches the data. BullMQ retries a task that throws (`maxAttempts`, with backoff) and gives the
// job of a worker that died to another worker once its lock expires. The coordinator follows the
// queue's events, with a periodic look at every job as a backstop for events lost in a Redis
// outage, and fails the run when a job failed for good, when no worker has served the queue for
// `workerTimeout`, or when Redis has not answered for `redisTimeout`.
import type { Job, Queue, QueueEvents } from 'bullmq'
import type IORedis from 'ioredis'
import { AbortError, WebknossosError, invalidArgument } from '../errors'
import type { Vec3 } from '../geometry/vec3'
import {
  CANCEL_CHANNEL,
  CANCEL_TTL_S,
  DEFAULT_QUEUE,
  type RedisConnection,
  cancelKey,
  checkQueueName,
  connectionOptions,
  jobIdOf,
} from './bullmq-queue'
import { type ExecuteOptions, type Executor, TaskFailedError, partitionShards } from './executor'
import { type Task, type TaskResult, taskWeight } from './task'

export interface BullMqExecutorOptions {
  /** The Redis of the queue: a URL (`redis://host:port`) or ioredis options `{ host, port, … }`. */
  connection: RedisConnection
  /** Default "webknossos", which `wk worker` serves by default. */
  queueName?: string
  /** Runs of a task that throws before the run fails (default 3). */
  maxAttempts?: number
  /** Native threads of each worker, for the tasks' memory estimates (default 1). */
  jobs?: number
  /** Fail when no worker has served the queue for this long, in milliseconds (default 60 000). */
  workerTimeout?: number
  /** Fail when Redis has not answered for this long, in milliseconds (default 60 000). */
  redisTimeout?: number
  /** Milliseconds between two looks at every unfinished job (default 2000). */
  pollInterval?: number
  /** Tasks per step at most (default 10 000). */
  maxTasks?: number
}

/** Bytes of a task's logs kept in the error of a run that failed. */
const LOG_TAIL = 4000

interface Client {
  queue: Queue
  events: QueueEvents
  redis: IORedis
}

export class BullMqExecutor implements Executor {
  readonly #opts: Required<Omit<BullMqExecutorOptions, 'connection'>>
  readonly #connection: ReturnType<typeof connectionOptions>
  #client: Promise<Client> | undefined

  constructor(opts: BullMqExecutorOptions) {
    if (!opts || opts.connection === undefined) throw invalidArgument('BullMqExecutor needs { connection: url or { host, port } }')
    for (const name of ['maxAttempts', 'jobs', 'pollInterval', 'maxTasks'] as const) {
      const v = opts[name]
      if (v !== undefined && !(Number.isSafeInteger(v) && v >= 1)) throw invalidArgument(`${name} must be a positive integer, but is ${v}`)
    }
    this.#connection = connectionOptions(opts.connection)
    this.#opts = {
      queueName: checkQueueName(opts.queueName ?? DEFAULT_QUEUE),
      maxAttempts: opts.maxAttempts ?? 3,
      jobs: opts.jobs ?? 1,
      workerTimeout: opts.workerTimeout ?? 60_000,
      redisTimeout: opts.redisTimeout ?? 60_000,
      pollInterval: opts.pollInterval ?? 2000,
      maxTasks: opts.maxTasks ?? 10_000,
    }
  }

  get threadsPerTask(): number {
    return this.#opts.jobs
  }

  partition(shards: readonly Vec3[]): Vec3[][] {
    return partitionShards(shards, this.#opts.maxTasks)
  }

  /** The queue, its events (from the end of its stream, so that none of ours is missed) and a client for cancellations. */
  #connect(): Promise<Client> {
    this.#client ??= (async () => {
      const { Queue, QueueEvents } = await import('bullmq')
      const { default: Redis } = await import('ioredis')
      const connection = this.#connection
      const name = this.#opts.queueName
      const queue = new Queue(name, { connection })
      const redis = new Redis(connection as never)
      queue.on('error', () => {})
      redis.on('error', () => {})
      await queue.waitUntilReady()
      const tail = (await redis.xrevrange(`bull:${name}:events`, '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0'
      const events = new QueueEvents(name, { connection, lastEventId: tail })
      events.on('error', () => {})
      await events.waitUntilReady()
      return { queue, events, redis }
    })()
    return this.#client
  }

  async run(tasks: readonly Task[], opts: ExecuteOptions = {}): Promise<TaskResult[]> {
    if (tasks.length === 0) return []
    if (opts.signal?.aborted) throw new AbortError(undefined, { cause: opts.signal.reason })
    const { queue, events, redis } = await this.#connect()
    const ids = tasks.map(jobIdOf)
    const position = new Map(ids.map((id, i) => [id, i]))
    const results: (TaskResult | undefined)[] = tasks.map(() => undefined)
    let completed = 0
    const partial = new Map<number, number>()
    const total = tasks.reduce((n, t) => n + taskWeight(t), 0)
    let done = 0
    const report = () => opts.onProgress?.({ done: Math.min(total, done + [...partial.values()].reduce((a, b) => a + b, 0)), total })
    report()

    // Jobs of the same tasks that finished earlier (another run's) are run again; those still
    // queued or running (a restarted coordinator's) are waited for.
    await Promise.all(
      ids.map(async (id) => {
        const state = await queue.getJobState(id)
        if (state === 'completed' || state === 'failed') await queue.remove(id)
      }),
    )
    await redis.del(...ids.map(cancelKey))
    await queue.addBulk(
      tasks.map((task, i) => ({
        name: task.kind,
        data: task,
        opts: {
          jobId: ids[i],
          attempts: this.#opts.maxAttempts,
          backoff: { type: 'exponential', delay: 1000 },
          removeOnComplete: { age: 7 * 24 * 3600 },
          removeOnFail: { age: 7 * 24 * 3600 },
        },
      })),
    )

    let settle!: (error?: unknown) => void
    const finished = new Promise<void>((resolve, reject) => (settle = (error) => (error === undefined ? resolve() : reject(error))))
    let failure: unknown
    const fail = (error: unknown) => {
      failure ??= error
      settle(failure)
    }
    const complete = async (job: Job | undefined, id: string) => {
      const i = position.get(id)
      if (i === undefined || results[i] !== undefined) return
      results[i] = (job?.returnvalue ?? {}) as TaskResult
      completed++
      partial.delete(i)
      done += taskWeight(tasks[i])
      await opts.onTaskDone?.(tasks[i], results[i]!)
      report()
      if (completed === tasks.length) settle()
    }
    const failed = async (job: Job | undefined, id: string) => {
      const i = position.get(id)
      if (i === undefined || results[i] !== undefined) return
      const { logs } = await queue.getJobLogs(id).catch(() => ({ logs: [] as string[] }))
      const trace = job?.stacktrace?.at(-1) ?? job?.failedReason ?? 'no error recorded'
      const log = [...logs, trace].join('\n')
      fail(new TaskFailedError(tasks[i], job?.attemptsMade ?? this.#opts.maxAttempts, log.length > LOG_TAIL ? `…${log.slice(-LOG_TAIL)}` : log))
    }
    const onCompleted = ({ jobId }: { jobId: string }) => {
      if (position.has(jobId)) queue.getJob(jobId).then((job) => complete(job, jobId), fail)
    }
    const onFailed = ({ jobId }: { jobId: string }) => {
      if (position.has(jobId)) queue.getJob(jobId).then((job) => failed(job, jobId), fail)
    }
    const onProgress = ({ jobId, data }: { jobId: string; data: unknown }) => {
      const i = position.get(jobId)
      const p = data as { done?: number } | undefined
      if (i !== undefined && results[i] === undefined && typeof p?.done === 'number') {
        partial.set(i, Math.min(p.done, taskWeight(tasks[i])))
        report()
      }
    }
    events.on('completed', onCompleted)
    events.on('failed', onFailed)
    events.on('progress', onProgress)
    const onAbort = () => fail(new AbortError(undefined, { cause: opts.signal?.reason }))
    opts.signal?.addEventListener('abort', onAbort, { once: true })

    // The backstop: every job that is not finished is looked at, and the queue must be served.
    let lastAnswer = Date.now()
    let lastWorker = Date.now()
    const look = async () => {
      try {
        for (const [id, i] of position) {
          if (results[i] !== undefined || failure) continue
          const state = await queue.getJobState(id)
          if (state === 'completed') await complete(await queue.getJob(id), id)
          else if (state === 'failed') await failed(await queue.getJob(id), id)
          else if (state === 'unknown') fail(new WebknossosError('ERR_WK_IO', `Job ${id} of task ${i} vanished from queue "${this.#opts.queueName}"`))
        }
        if ((await queue.getWorkersCount()) > 0) lastWorker = Date.now()
        lastAnswer = Date.now()
      } catch {
        // Redis is away; the deadline below decides.
      }
      if (Date.now() - lastAnswer > this.#opts.redisTimeout) {
        fail(new WebknossosError('ERR_WK_IO', `Redis has not answered for ${this.#opts.redisTimeout / 1000} s`))
      } else if (Date.now() - lastWorker > this.#opts.workerTimeout) {
        fail(new WebknossosError('ERR_WK_IO', `No worker has served queue "${this.#opts.queueName}" for ${this.#opts.workerTimeout / 1000} s: start some with \`wk worker --redis <url>\``))
      }
    }
    const poller = setInterval(() => void look(), this.#opts.pollInterval)
    void look()
    try {
      await finished
    } catch (error) {
      await this.#cancel(queue, redis, ids.filter((_, i) => results[i] === undefined)).catch(() => {})
      throw error
    } finally {
      clearInterval(poller)
      events.off('completed', onCompleted)
      events.off('failed', onFailed)
      events.off('progress', onProgress)
      opts.signal?.removeEventListener('abort', onAbort)
    }
    // Finished jobs of this run are not needed any more.
    await Promise.all(ids.map((id) => queue.remove(id).catch(() => 0)))
    return results as TaskResult[]
  }

  /** Removes the queued jobs and makes workers abort the running ones (they check the key before starting a job). */
  async #cancel(queue: Queue, redis: IORedis, ids: string[]): Promise<void> {
    if (ids.length === 0) return
    const keys = redis.multi()
    for (const id of ids) keys.set(cancelKey(id), '1', 'EX', CANCEL_TTL_S)
    await keys.exec()
    await redis.publish(CANCEL_CHANNEL, JSON.stringify(ids))
    await Promise.all(ids.map((id) => queue.remove(id).catch(() => 0)))
  }

  async close(): Promise<void> {
    const client = await this.#client?.catch(() => undefined)
    this.#client = undefined
    if (!client) return
    await Promise.all([client.events.close(), client.queue.close()])
    client.redis.disconnect()
  }
}
