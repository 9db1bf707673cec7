// What the BullMQ coordinator and its workers agree on: the connection, the queue, job ids and
// how a coordinator cancels running jobs (BullMQ cannot cancel a job held by another process).
import { createHash } from 'node:crypto'
import type { ConnectionOptions } from 'bullmq'
import { invalidArgument } from '../errors'
import type { Task } from './task'

/** The queue every `wk worker` serves unless told otherwise. */
export const DEFAULT_QUEUE = 'webknossos'

/** Workers take a job only while its lock is renewed (every half of this); a dead worker's job runs again after about this. */
export const LOCK_MS = 10_000
export const STALLED_CHECK_MS = 5_000

/** Where a coordinator publishes the ids of jobs to cancel, and the key each such id gets. */
export const CANCEL_CHANNEL = 'wk:cancel'
export const cancelKey = (jobId: string) => `wk:cancelled:${jobId}`
/** How long a cancellation is remembered for workers that were disconnected when it was published. */
export const CANCEL_TTL_S = 24 * 3600

/** A Redis URL or ioredis options. */
export type RedisConnection = string | { host?: string; port?: number; [option: string]: unknown }

/**
 * ioredis options for BullMQ: commands wait through an outage instead of failing (callers keep
 * their own deadlines), and reconnects are tried every second at most.
 */
export function connectionOptions(connection: RedisConnection): ConnectionOptions {
  const base = typeof connection === 'string' ? fromUrl(connection) : { ...connection }
  return { ...base, maxRetriesPerRequest: null, retryStrategy: (n: number) => Math.min(n * 200, 1000) } as ConnectionOptions
}

/** ioredis options of `redis[s]://[user:password@]host[:port][/db]`, for BullMQ and our own clients alike. */
function fromUrl(text: string): Record<string, unknown> {
  let url: URL | undefined
  try {
    url = new URL(text)
  } catch {
    url = undefined
  }
  if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || !url.hostname) {
    throw invalidArgument(`The Redis URL must look like redis://host:port, but is ${JSON.stringify(text)}`)
  }
  const db = url.pathname.replace(/^\//, '')
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : 6379,
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(db ? { db: Number(db) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
  }
}

export function checkQueueName(name: string): string {
  if (typeof name !== 'string' || name === '' || name.includes(':')) throw invalidArgument(`A queue name must be a non-empty string without ":", but is ${JSON.stringify(name)}`)
  return name
}

/**
 * The job id of a task: a digest of what it does (not of its run), so that a coordinator that
 * was restarted finds the jobs of the same tasks still queued or running and waits for them.
 */
export function jobIdOf(task: Task): string {
  const { run: _run, index: _index, ...what } = task
  return `wk-${createHash('sha256').update(JSON.stringify(what)).digest('hex').slice(0, 32)}`
}
