import { AbortError, invalidArgument } from '../errors'
import { native, nativeCall } from './native'
import type { AbortFlag } from './binding'

export interface Progress {
  done: number
  total: number
}

/** Options of every long operation. */
export interface LongOp {
  onProgress?: (progress: Progress) => void
  signal?: AbortSignal
  /** Native threads to use; defaults to the machine's available parallelism. */
  jobs?: number
}

export function checkLongOp(opts: LongOp | undefined): void {
  const jobs = opts?.jobs
  if (jobs !== undefined && !(Number.isSafeInteger(jobs) && jobs >= 1)) {
    throw invalidArgument(`jobs must be a positive integer, but is ${jobs}`)
  }
  if (opts?.signal?.aborted) throw new AbortError(undefined, { cause: opts.signal.reason })
}

/**
 * Runs a native long operation: the caller's `AbortSignal` raises the native abort flag, and
 * `(done, total)` reports from worker threads reach `onProgress`.
 */
export async function runNative<T>(
  opts: LongOp | undefined,
  start: (flag: AbortFlag, onProgress: (done: number, total: number) => void, jobs: number | undefined) => Promise<T>,
): Promise<T> {
  checkLongOp(opts)
  const flag = new native.AbortFlag()
  const signal = opts?.signal
  const onAbort = () => flag.abort()
  signal?.addEventListener('abort', onAbort, { once: true })
  const onProgress = (done: number, total: number) => opts?.onProgress?.({ done, total })
  try {
    return await nativeCall(() => start(flag, onProgress, opts?.jobs))
  } catch (error) {
    if (error instanceof AbortError && signal) throw new AbortError(undefined, { cause: signal.reason })
    throw error
  } finally {
    signal?.removeEventListener('abort', onAbort)
  }
}
