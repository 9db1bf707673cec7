// File-system steps of the dataset layer, each turning OS errors into WebknossosErrors that name
// the path. Files are replaced atomically and durably, only regular files are read, and a
// symlink is removed, never followed. At a URL the same steps go to the object store, which
// has no directories (making one is nothing), no renames and no symlinks.
import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { type FileHandle, access, cp, lstat, mkdir, open, rename, rm, symlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { WebknossosError, invalidArgument, ioError } from '../errors'
import { nativeCall } from '../native/native'
import { isRemote, isWritable, remoteStore } from './location'

/** `path`'s content from its object store, `undefined` when there is none. */
async function getRemote(path: string): Promise<Buffer | undefined> {
  const { store, key } = await remoteStore(path)
  return (await nativeCall(() => store.get(key))) ?? undefined
}

function notRemote(what: string, path: string): WebknossosError {
  return invalidArgument(`Cannot ${what} "${path}": object stores and web servers have no directories to ${what === 'create the symlink' ? 'link' : what}`)
}

export async function exists(path: string): Promise<boolean> {
  if (isRemote(path)) {
    // A "directory" of an object store exists when keys start with it. Web servers cannot
    // list: there only files are known to exist.
    if ((await getRemote(path)) !== undefined) return true
    if (!isWritable(path)) return false
    const { store, key } = await remoteStore(path)
    return (await nativeCall(() => store.list(key))).length > 0
  }
  try {
    await access(path, constants.F_OK)
    return true
  } catch {
    return false
  }
}

/** Makes the entries of directory `dir` durable: a rename is on disk once its directory is synced. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY)
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/**
 * Replaces `path` with `text` through a temporary file, `fsync` of the file, a rename and
 * `fsync` of the directory: readers and a crash see the old or the new content, and the new one
 * is on disk when the Promise resolves.
 */
export async function writeFileAtomically(path: string, text: string): Promise<void> {
  if (isRemote(path)) {
    const { store, key } = await remoteStore(path)
    return nativeCall(() => store.put(key, Buffer.from(text)))
  }
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`)
  let handle: FileHandle | undefined
  try {
    handle = await open(tmp, 'wx')
    await handle.writeFile(text)
    await handle.sync()
    await handle.close()
    handle = undefined
    await rename(tmp, path)
    await syncDirectory(dirname(path))
  } catch (error) {
    await handle?.close().catch(() => {})
    await rm(tmp, { force: true })
    throw ioError('write', path, error)
  }
}

/**
 * Reads the regular file `path` as text. It is opened without blocking and checked to be a
 * regular file before a byte is read, so a FIFO or a device in its place is ERR_WK_CORRUPT, not
 * a read that never returns.
 */
export async function readText(path: string): Promise<string> {
  if (isRemote(path)) {
    const bytes = await getRemote(path)
    if (bytes === undefined) throw new WebknossosError('ERR_WK_NOT_FOUND', `"${path}" does not exist`)
    return bytes.toString('utf8')
  }
  let handle: FileHandle
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (error) {
    throw ioError('read', path, error)
  }
  try {
    if (!(await handle.stat()).isFile()) throw new WebknossosError('ERR_WK_CORRUPT', `"${path}" is not a regular file`)
    return await handle.readFile('utf8')
  } catch (error) {
    if (error instanceof WebknossosError) throw error
    throw ioError('read', path, error)
  } finally {
    await handle.close()
  }
}

export async function makeDirectory(path: string): Promise<void> {
  if (isRemote(path)) return
  try {
    await mkdir(path, { recursive: true })
  } catch (error) {
    throw ioError('create the directory', path, error)
  }
}

/** Deletes a file or directory tree; a symlink is removed, never what it points to. */
export async function remove(path: string): Promise<void> {
  if (isRemote(path)) {
    const { store, key } = await remoteStore(path)
    return nativeCall(() => store.deleteTree(key))
  }
  try {
    const info = await lstat(path).catch(() => undefined)
    if (info?.isSymbolicLink()) await rm(path)
    else await rm(path, { recursive: true, force: true })
  } catch (error) {
    throw ioError('delete', path, error)
  }
}

export async function move(from: string, to: string): Promise<void> {
  if (isRemote(from) || isRemote(to)) throw notRemote('move', from)
  try {
    await rename(from, to)
  } catch (error) {
    throw ioError('move', `${from}" to "${to}`, error)
  }
}

export async function copyTree(from: string, to: string): Promise<void> {
  if (isRemote(from) || isRemote(to)) throw notRemote('copy', from)
  try {
    await cp(from, to, { recursive: true, dereference: true, errorOnExist: true, force: false })
  } catch (error) {
    throw ioError('copy', `${from}" to "${to}`, error)
  }
}

export async function makeSymlink(target: string, path: string): Promise<void> {
  if (isRemote(target) || isRemote(path)) throw notRemote('create the symlink', path)
  try {
    await symlink(target, path, 'dir')
  } catch (error) {
    throw ioError('create the symlink', path, error)
  }
}
