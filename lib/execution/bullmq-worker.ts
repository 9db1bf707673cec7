// The other side of the BullMqExecutor: a process that takes tasks from the queue and runs them
// on its native threads (`wk worker --redis <url>`). A coordinator cancels jobs by publishing
// their ids; a worker that missed the message finds the job's cancellation key before it starts.
import { hostname } from 'node:os'
import type { Job } from 'bullmq'
import { runTask } from './run-task'
import {
  CANCEL_CHANNEL,
  DEFAULT_QUEUE,
  LOCK_MS,
  type RedisConnection,
  STALLED_CHECK_MS,
  cancelKey,
  checkQueueName,
  connectionOptions,
} from './bullmq-queue'
import { describeTask } from './executor'
import { checkTask } from './task'

export interface BullMqWorkerOptions {
  connection: RedisConnection
  /** Default "webknossos". */
  queueName?: string
  /** Native threads per task (default: all cores). */
  jobs?: number
  /** Tasks run at once (default 1: each task uses all `jobs` threads). */
  concurrency?: number
  /** Stops the worker: running tasks are given `closeTimeout` to finish, then cancelled. */
  signal?: AbortSignal
  /** Milliseconds (default 30 000). */
  closeTimeout?: number
  /** Called once the worker takes jobs, and with a line per task started and finished. */
  onEvent?: (line: string) => void
}

/** Serves the queue until `opts.signal` aborts. */
export async function runBullMqWorker(opts: BullMqWorkerOptions): Promise<void> {
  const { Worker, UnrecoverableError } = await import('bullmq')
  const { default: Redis } = await import('ioredis')
  const connection = connectionOptions(opts.connection)
  const name = checkQueueName(opts.queueName ?? DEFAULT_QUEUE)
  const redis = new Redis(connection as never)
  const subscriber = new Redis(connection as never)
  redis.on('error', () => {})
  subscriber.on('error', () => {})
  const say = (line: string) => opts.onEvent?.(line)

  // Three parameters: BullMQ passes the signal that `cancelJob` raises only to such a processor.
  const process = async (job: Job, _token: string | undefined, signal?: AbortSignal) => {
    if (await redis.exists(cancelKey(job.id!))) throw new UnrecoverableError(`Job ${job.id} was cancelled by its coordinator`)
    const task = checkTask(job.data)
    const line = `${describeTask(task)} on ${hostname()} (pid ${globalThis.process.pid}), attempt ${job.attemptsMade + 1}`
    say(`start ${line}`)
    await job.log(`start ${line}`)
    let reported = 0
    try {
      const result = await runTask(task, {
        jobs: opts.jobs,
        signal,
        onProgress: ({ done }) => {
          // One report per step of progress at most: the coordinator sums them.
          if (done > reported) {
            reported = done
            job.updateProgress({ done }).catch(() => {})
          }
        },
      })
      say(`done ${line}`)
      return result
    } catch (error) {
      const text = error instanceof Error ? (error.stack ?? error.message) : String(error)
      await job.log(`failed ${line}: ${text}`).catch(() => {})
      say(`failed ${line}: ${error instanceof Error ? error.message : String(error)}`)
      if (signal?.aborted) throw new UnrecoverableError(`Job ${job.id} was cancelled: ${String(signal.reason)}`)
      throw error
    }
  }
  const worker = new Worker(name, process, {
    connection,
    concurrency: opts.concurrency ?? 1,
    lockDuration: LOCK_MS,
    stalledInterval: STALLED_CHECK_MS,
    // A Redis outage longer than the lock counts as a stall too: allow one of each.
    maxStalledCount: 2,
  })
  worker.on('error', () => {})
  // A job whose lock was lost runs elsewhere now: this copy stops.
  worker.on('lockRenewalFailed', (ids: string[]) => ids.forEach((id) => worker.cancelJob(id, 'lock lost')))
  await subscriber.subscribe(CANCEL_CHANNEL)
  subscriber.on('message', (_channel: string, message: string) => {
    for (const id of JSON.parse(message) as string[]) worker.cancelJob(id, 'cancelled by its coordinator')
  })
  await worker.waitUntilReady()
  say(`serving queue "${name}"`)
  await new Promise<void>((resolve) => {
    if (opts.signal?.aborted) resolve()
    opts.signal?.addEventListener('abort', () => resolve(), { once: true })
  })
  const graceful = worker.close().then(() => true)
  const timeout = new Promise<boolean>((resolve) => setTimeout(resolve, opts.closeTimeout ?? 30_000, false).unref())
  if (!(await Promise.race([graceful, timeout]))) {
    worker.cancelAllJobs('worker stopped')
    await worker.close(true)
  }
  subscriber.disconnect()
  redis.disconnect()
}
