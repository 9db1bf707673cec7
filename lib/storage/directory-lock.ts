import type { HeldLock } from '../native/binding'
import { native, nativeCall } from '../native/native'
import { isRemote, resolvePath } from './location'

/** The tail of the queue of holders in this process, per directory. */
const queues = new Map<string, Promise<void>>()

/**
 * Runs `work` holding the exclusive lock of directory `dir`, shared with every other process on
 * the machine (`flock` of the directory). Holders in this process queue in JavaScript
 * first, so that waiting never occupies more than one of libuv's few threads, which the holder
 * itself needs for its file operations. Object stores have no lock to share: at a URL, only the
 * holders of this process exclude each other.
 */
export async function withDirectoryLock<T>(dir: string, work: () => Promise<T>): Promise<T> {
  const key = resolvePath(dir)
  const previous = queues.get(key) ?? Promise.resolve()
  let done!: () => void
  const mine = new Promise<void>((r) => (done = r))
  const tail = previous.then(() => mine)
  queues.set(key, tail)
  await previous
  let lock: HeldLock | undefined
  try {
    if (!isRemote(key)) lock = await nativeCall(() => native.lockDirectory(key))
    return await work()
  } finally {
    lock?.release()
    done()
    if (queues.get(key) === tail) queues.delete(key)
  }
}
