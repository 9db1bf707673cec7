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
  // Reports of native threads arrive through the event loop: those still queued when the call
  // has finished are dropped, so that they never follow the caller's next reports.
  // The call's success is its last report, wherever the native one is.
  let finished = false
  let last: Progress | undefined
  const onProgress = (done: number, total: number) => {
    if (finished) return
    last = { done, total }
    opts?.onProgress?.(last)
  }
  try {
    const result = await nativeCall(() => start(flag, onProgress, opts?.jobs))
    if (last && last.done < last.total) opts?.onProgress?.({ done: last.total, total: last.total })
    return result
  } catch (error) {
    if (error instanceof AbortError && signal) throw new AbortError(undefined, { cause: signal.reason })
    throw error
  } finally {
    finished = true
    signal?.removeEventListener('abort', onAbort)
  }
}
