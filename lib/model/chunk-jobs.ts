import { availableParallelism } from 'node:os'
import { AbortError } from '../errors'
import { type LongOp, checkLongOp } from '../native/long-op'

/**
 * Runs `job(0) … job(total - 1)` with at most `jobs` in flight. The first error (the same
 * object) rejects, after the jobs in flight have settled and without starting new ones; an abort
 * does the same with an AbortError. `onProgress` counts finished jobs.
 */
export async function runChunkJobs(total: number, opts: LongOp | undefined, job: (index: number) => Promise<void> | void): Promise<void> {
  checkLongOp(opts)
  const limit = opts?.jobs ?? availableParallelism()
  let next = 0
  let done = 0
  let failure: { error: unknown } | undefined
  opts?.onProgress?.({ done, total })
  const worker = async () => {
    while (next < total && !failure) {
      if (opts?.signal?.aborted) {
        failure = { error: new AbortError(undefined, { cause: opts.signal.reason }) }
        break
      }
      const index = next++
      try {
        await job(index)
        opts?.onProgress?.({ done: ++done, total })
      } catch (error) {
        failure ??= { error }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, total) }, worker))
  if (failure) throw failure.error
}
